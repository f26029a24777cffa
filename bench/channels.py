"""Channel benchmark of the real server: `python -m bench.channels [--db sqlite|postgresql|both]`.

For each database: a fresh database (a temp SQLite file, or a throwaway PostgreSQL cluster from
scripts/pg-throwaway, always stopped), migrations, a supervisor with a bearer token made through
the services, then `servicedesk serve --workers 1` as a subprocess on free 127.0.0.1 ports (HTTP
and the SMTP listener). Measured end to end (received → stored → visible to the agent):

1. chat: N concurrent WebSocket visitors each send K messages and wait for each `ack`;
   every message is then looked up through the API;
2. email: M Chinese mails (GBK and UTF-8) over a few concurrent SMTP connections; every mail
   is then looked up through the API as a case;
3. many sockets: S visitors connected at once, each with one message (so a case); the agent
   replies through the API to a sample of them and the push to the visitor's socket is timed;
   the server's RSS is read with all sockets open.

Prints a table and writes the channel section of docs/benchmarks.md (between its own markers).
Only 127.0.0.1 is ever contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import resource
import smtplib
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets
from rich.console import Console

from bench.channels_report import (
    ChatResult,
    DbRun,
    MailResult,
    SocketResult,
    markdown,
    print_table,
    trio,
    write_section,
)
from bench.machine import code_version, postgresql_facts, this_machine
from bench.seed import PASSWORD, body, mobile, person_name, subject
from bench.server import (
    REPO,
    Server,
    cpu_snapshot,
    cpu_used,
    exit_on_sigterm,
    free_port,
    process_tree,
    run_async,
    throwaway_postgresql,
)
from servicedesk.domain.roles import Role
from servicedesk.services.auth import issue_token
from servicedesk.services.staff import create_user
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.uow import UnitOfWork

SMTP_POLICY = compat32.clone(linesep="\r\n")
console = Console(width=None if sys.stdout.isatty() else 150)
DEFAULTS = {"visitors": 50, "messages": 20, "mails": 300, "sockets": 1000}
TICKETS = "/api/v1/tickets"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.channels", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--visitors", type=int, default=DEFAULTS["visitors"], help="concurrent chat visitors (50)"
    )
    parser.add_argument(
        "--messages", type=int, default=DEFAULTS["messages"], help="messages per visitor (20)"
    )
    parser.add_argument("--mails", type=int, default=DEFAULTS["mails"], help="mails to send (300)")
    parser.add_argument("--smtp-connections", type=int, default=4, help="concurrent SMTP connections (4)")
    parser.add_argument(
        "--sockets", type=int, default=DEFAULTS["sockets"], help="concurrent chat sockets (1000)"
    )
    parser.add_argument("--replies", type=int, default=100, help="agent replies whose push is timed (100)")
    parser.add_argument("--connect-seconds", type=float, default=60.0, help="time to open all sockets (60)")
    parser.add_argument(
        "--phase-seconds", type=float, default=60.0, help="cap on the chat and mail phases (60)"
    )
    parser.add_argument(
        "--sqlite-synchronous", choices=("OFF", "NORMAL", "FULL"), default="NORMAL",
        help="SERVICEDESK_SQLITE_SYNCHRONOUS for the server (app default NORMAL, with WAL)",
    )  # fmt: skip
    parser.add_argument(
        "--docs", action=argparse.BooleanOptionalAction, default=None,
        help="write the section into --output (default: only for runs at the default sizes or larger)",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    if min(args.visitors, args.messages, args.mails, args.smtp_connections, args.sockets) < 1:
        parser.error("every count must be ≥ 1")
    args.replies = max(1, min(args.replies, args.sockets))
    return args


# --------------------------------------------------------------------------- figures


# --------------------------------------------------------------------------- setup


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE (the server subprocess inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def make_supervisor(url: str) -> str:
    """A supervisor (sees every ticket, may reply) and a bearer token, through the services."""
    db = Database(Settings(database_url=url, environment="test", db_pool_size=2))
    try:
        async with UnitOfWork(db) as uow:
            user = await create_user(
                uow, None, email="bench-supervisor@example.cn", name="压测主管", role=Role.SUPERVISOR,
                password=PASSWORD, commit=False,
            )  # fmt: skip
            token = await issue_token(uow, user_id=user.id, name="bench-channels")
            await uow.commit()
        return token
    finally:
        await db.dispose()


def server_rss_mb(pid: int) -> float:
    total = 0.0
    for proc in process_tree(pid):
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss / 2**20
    return total


def server_fds(pid: int) -> int:
    total = 0
    for proc in process_tree(pid):
        with contextlib.suppress(psutil.Error):
            total += proc.num_fds()
    return total


def ws_url(server: Server, visitor: str | None = None) -> str:
    url = server.base_url.replace("http://", "ws://") + "/channels/webchat/ws"
    return f"{url}?visitor={visitor}" if visitor else url


async def recv_json(ws: Any, wait_s: float) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=wait_s))
    return frame


async def open_visitor(server: Server, wait_s: float = 20.0) -> tuple[Any, str]:
    """Connect, read `hello` and `history`; returns the socket and the visitor id."""
    ws = await websockets.connect(ws_url(server), open_timeout=wait_s, ping_interval=None, max_queue=64)
    try:
        hello = await recv_json(ws, wait_s)
        if hello.get("type") != "hello":
            raise RuntimeError(f"expected hello, got {hello}")
        history = await recv_json(ws, wait_s)
        if history.get("type") != "history":
            raise RuntimeError(f"expected history, got {history}")
    except BaseException:
        await ws.close()
        raise
    return ws, str(hello["visitor"])


async def send_and_ack(ws: Any, client_id: str, text: str, wait_s: float) -> dict[str, Any]:
    """Send one chat message and wait for its ack (skipping notices, e.g. out of service hours)."""
    await ws.send(json.dumps({"type": "message", "id": client_id, "body": text}, ensure_ascii=False))
    deadline = time.monotonic() + wait_s
    while True:
        frame = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if frame.get("type") == "ack" and frame.get("id") == client_id:
            return frame
        if frame.get("type") == "error":
            raise RuntimeError(f"refused: {frame}")


async def all_tickets(http: httpx.AsyncClient, channel: str, max_pages: int = 200) -> list[dict[str, Any]]:
    """Every ticket of a channel through the API, following next_cursor (bounded)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"channel": channel, "limit": 100}
    for _ in range(max_pages):
        answer = await http.get(TICKETS, params=params)
        answer.raise_for_status()
        page = answer.json()
        items += page["items"]
        if not page.get("next_cursor"):
            break
        params["cursor"] = page["next_cursor"]
    return items


def api_client(server: Server, token: str, connections: int = 8) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0, trust_env=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )  # fmt: skip


async def bounded_gather(coros: list[Any], limit: int) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with sem:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)


# --------------------------------------------------------------------------- 1. chat


CHAT_LINES = (
    "你好，我的订单显示已签收，但是我没有收到货",
    "麻烦帮我查一下物流，单号在订单详情里",
    "请问退款多久能到账？已经过去五天了",
    "商品有破损，可以换货吗？我拍了照片",
    "优惠券为什么用不了？提示不满足条件",
    "好的，谢谢！",
    "能不能帮我改一下收货地址，改成公司的",
    "发票抬头写错了，需要重新开",
)


async def chat_phase(server: Server, token: str, args: argparse.Namespace, db_pid: int | None) -> ChatResult:
    result = ChatResult(visitors=args.visitors, per_visitor=args.messages)
    sockets: list[tuple[Any, str]] = []
    opened = await bounded_gather([open_visitor(server) for _ in range(args.visitors)], 50)
    for item in opened:
        if isinstance(item, BaseException):
            result.errors += 1
            result.first_error = result.first_error or f"connect: {item!r}"
        else:
            sockets.append(item)
    start = asyncio.Event()
    rng = random.Random(7)

    async def visitor(index: int, ws: Any) -> None:
        await start.wait()
        for k in range(args.messages):
            text = f"{rng.choice(CHAT_LINES)}（访客{index}·第{k + 1}条）"
            t0 = time.perf_counter()
            result.sent += 1
            try:
                await send_and_ack(ws, f"m{k}", text, wait_s=30)
            except Exception as error:
                result.errors += 1
                result.first_error = result.first_error or f"{type(error).__name__}: {error}"
                return
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            result.acked += 1

    tasks = [asyncio.create_task(visitor(i, ws)) for i, (ws, _v) in enumerate(sockets)]
    server0, db0 = cpu_snapshot(server.pid), cpu_snapshot(db_pid)
    t0 = time.perf_counter()
    start.set()
    _done, pending = await asyncio.wait(tasks, timeout=args.phase_seconds)
    result.elapsed_s = time.perf_counter() - t0
    result.server_cpu_s = cpu_used(server0, cpu_snapshot(server.pid))
    result.db_cpu_s = cpu_used(db0, cpu_snapshot(db_pid))
    for task in pending:
        task.cancel()
    if pending:
        result.errors += len(pending)
        result.first_error = (
            result.first_error or f"{len(pending)} visitors not done after {args.phase_seconds:.0f} s"
        )
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws, _v in sockets), return_exceptions=True)

    # Visible to the agent: every case in the web-chat list, every message on its case.
    async with api_client(server, token) as http:
        tickets = await all_tickets(http, "web_chat")
        result.tickets_seen = len(tickets)

        async def inbound(ticket_id: int) -> int:
            answer = await http.get(f"{TICKETS}/{ticket_id}")
            answer.raise_for_status()
            return sum(1 for m in answer.json()["messages"] if m["kind"] == "inbound")

        counts = await bounded_gather([inbound(t["id"]) for t in tickets], 8)
        result.messages_seen = sum(c for c in counts if isinstance(c, int))
    return result


# --------------------------------------------------------------------------- 2. email

MAIL_TO = "support@servicedesk.local"


def chinese_mail(i: int, rng: random.Random) -> tuple[str, bytes, str]:
    """One customer's mail: (sender, raw bytes, the unique subject token). Every other one GBK."""
    charset = "gbk" if i % 2 == 0 else "utf-8"
    name = person_name(rng)
    sender = f"cust{i:05d}.{mobile(rng)}@example.com.cn"
    token = f"工单压测{i:05d}"
    subj = f"{subject(rng)}（{token}）"
    text = f"{name}您好：\n\n{body(rng)}\n\n{body(rng)}\n\n联系电话：{mobile(rng)}\n{name}\n"
    msg = MIMEText(text, "plain", charset)
    msg["Subject"] = Header(subj, charset)  # type: ignore[assignment]  # compat32 takes a Header
    msg["From"] = formataddr((str(Header(name, charset)), sender))
    msg["To"] = MAIL_TO
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="example.com.cn")
    return sender, msg.as_bytes(policy=SMTP_POLICY), token  # CRLF line ends, as an MTA sends


def mail_phase_sync(port: int, args: argparse.Namespace, result: MailResult) -> None:
    rng = random.Random(11)
    mails = [chinese_mail(i, rng) for i in range(args.mails)]
    lock = threading.Lock()
    deadline = time.monotonic() + args.phase_seconds
    shares = [mails[c :: args.smtp_connections] for c in range(args.smtp_connections)]

    def connection(share: list[tuple[str, bytes, str]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.ehlo("bench.example.com.cn")
            for sender, raw, _token in share:
                if time.monotonic() > deadline:
                    return
                try:
                    code, answer = client.mail(sender)
                    if code != 250:
                        raise smtplib.SMTPSenderRefused(code, answer, sender)
                    code, answer = client.rcpt(MAIL_TO)
                    if code not in (250, 251):
                        raise smtplib.SMTPRecipientsRefused({MAIL_TO: (code, answer)})
                    t0 = time.perf_counter()
                    code, answer = client.data(raw)
                    latency = (time.perf_counter() - t0) * 1000
                    if code != 250:
                        raise smtplib.SMTPDataError(code, answer)
                except smtplib.SMTPException as error:
                    with lock:
                        result.errors += 1
                        result.first_error = result.first_error or repr(error)
                    with contextlib.suppress(smtplib.SMTPException):
                        client.rset()
                    continue
                with lock:
                    result.accepted += 1
                    result.latencies_ms.append(latency)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.smtp_connections) as pool:
        for future in [pool.submit(connection, share) for share in shares]:
            try:
                future.result(timeout=args.phase_seconds + 30)
            except Exception as error:
                result.errors += 1
                result.first_error = result.first_error or repr(error)
    result.elapsed_s = time.perf_counter() - t0


async def mail_phase(
    server: Server, smtp_port: int, token: str, args: argparse.Namespace, db_pid: int | None
) -> MailResult:
    result = MailResult(mails=args.mails, connections=args.smtp_connections)
    server0, db0 = cpu_snapshot(server.pid), cpu_snapshot(db_pid)
    await asyncio.to_thread(mail_phase_sync, smtp_port, args, result)
    result.server_cpu_s = cpu_used(server0, cpu_snapshot(server.pid))
    result.db_cpu_s = cpu_used(db0, cpu_snapshot(db_pid))
    async with api_client(server, token) as http:
        tickets = await all_tickets(http, "email")
    result.tickets_seen = len(tickets)
    found = {m.group(0) for t in tickets for m in re.finditer(r"工单压测\d{5}", t["subject"])}
    result.subjects_matched = sum(1 for i in range(args.mails) if f"工单压测{i:05d}" in found)
    return result


# --------------------------------------------------------------------------- 3. many sockets


class Listener:
    """Reads one visitor's socket until it closes; hands agent frames to whoever waits for one."""

    def __init__(self, ws: Any, visitor: str, ticket_id: int) -> None:
        self.ws, self.visitor, self.ticket_id = ws, visitor, ticket_id
        self.waiting: asyncio.Future[float] | None = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                is_agent = frame.get("type") == "message" and frame.get("from") == "agent"
                if is_agent and self.waiting is not None and not self.waiting.done():
                    self.waiting.set_result(now)


async def sockets_phase(server: Server, token: str, args: argparse.Namespace) -> SocketResult:
    result = SocketResult(wanted=args.sockets, replies=args.replies)
    result.rss_before_mb = server_rss_mb(server.pid)
    listeners: list[Listener] = []
    opened: list[Any] = []

    async def one(index: int) -> None:
        ws, visitor = await open_visitor(server, wait_s=30)
        opened.append(ws)
        result.connected += 1
        ack = await send_and_ack(ws, "hello-1", f"在吗？我想咨询一下订单问题（长连接{index}）", wait_s=30)
        result.with_case += 1
        listeners.append(Listener(ws, visitor, int(ack["ticket_id"])))

    sem = asyncio.Semaphore(64)

    async def guarded(index: int) -> None:
        async with sem:
            try:
                await one(index)
            except Exception as error:
                result.connect_errors += 1
                result.first_error = result.first_error or f"{type(error).__name__}: {error}"

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(guarded(i)) for i in range(args.sockets)]
    _done, pending = await asyncio.wait(tasks, timeout=args.connect_seconds)
    result.connect_s = time.perf_counter() - t0
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    try:
        await asyncio.sleep(1.0)  # let the server settle before reading its memory
        result.still_open = sum(1 for lis in listeners if not lis.task.done())
        result.rss_open_mb = server_rss_mb(server.pid)
        result.server_fds = server_fds(server.pid)
        console.log(
            f"  {result.connected} sockets connected in {result.connect_s:.1f} s, "
            f"{result.with_case} with a case; "
            f"server RSS {result.rss_before_mb:.0f} → {result.rss_open_mb:.0f} MB, {result.server_fds} fds"
        )
        sample = random.Random(3).sample(listeners, min(args.replies, len(listeners)))
        result.replies = len(sample)
        async with api_client(server, token, connections=1) as http:
            await http.get(TICKETS, params={"limit": 1})  # open the connection, fill the caches
            for n, listener in enumerate(sample):
                listener.waiting = asyncio.get_running_loop().create_future()
                sent = time.perf_counter()
                answer = await http.post(
                    f"{TICKETS}/{listener.ticket_id}/messages",
                    json={"body": f"您好，已为您查询，订单正在处理中，请耐心等待。（回复{n}）"},
                )
                returned = time.perf_counter()
                if answer.status_code != 201:
                    result.first_error = (
                        result.first_error or f"reply {answer.status_code}: {answer.text[:200]}"
                    )
                    continue
                result.api_ms.append((returned - sent) * 1000)
                try:
                    arrived = await asyncio.wait_for(listener.waiting, timeout=5)
                except TimeoutError:
                    result.first_error = (
                        result.first_error or f"no push within 5 s for ticket {listener.ticket_id}"
                    )
                    continue
                result.delivered += 1
                result.before_response += arrived < returned
                result.push_ms.append(max(0.0, arrived - returned) * 1000)
                result.push_from_send_ms.append((arrived - sent) * 1000)
                await asyncio.sleep(0.02)  # one reply at a time, as an agent types them
        result.still_open = min(result.still_open, sum(1 for lis in listeners if not lis.task.done()))
    finally:
        for listener in listeners:
            listener.task.cancel()
        await asyncio.gather(*(lis.task for lis in listeners), return_exceptions=True)
        await bounded_gather([ws.close() for ws in opened], 200)
    return result


# --------------------------------------------------------------------------- one database


async def measure(server: Server, smtp_port: int, token: str, args: argparse.Namespace, run: DbRun,
                  db_pid: int | None) -> None:  # fmt: skip
    kind = run.kind
    console.log(f"{kind}: chat, {args.visitors} visitors × {args.messages} messages")
    run.chat = await chat_phase(server, token, args, db_pid)
    c = run.chat
    console.log(
        f"  {c.acked}/{c.visitors * c.per_visitor} acked in {c.elapsed_s:.1f} s = {c.rate:.0f}/s, "
        f"ack p50/p95/p99 {trio(c.latencies_ms)} ms; "
        f"API shows {c.tickets_seen} cases, {c.messages_seen} messages"
        + (f" [red]{c.errors} errors: {c.first_error}[/red]" if c.errors else "")
    )
    console.log(f"{kind}: email, {args.mails} mails over {args.smtp_connections} SMTP connections")
    run.mail = await mail_phase(server, smtp_port, token, args, db_pid)
    m = run.mail
    console.log(
        f"  {m.accepted}/{m.mails} accepted in {m.elapsed_s:.1f} s = {m.rate:.0f}/s, DATA p50/p95/p99 "
        f"{trio(m.latencies_ms)} ms; API shows {m.tickets_seen} cases, {m.subjects_matched} subjects matched"
        + (f" [red]{m.errors} errors: {m.first_error}[/red]" if m.errors else "")
    )
    console.log(f"{kind}: {args.sockets} sockets at once, {args.replies} agent replies pushed")
    run.sockets = await sockets_phase(server, token, args)
    s = run.sockets
    console.log(
        f"  {s.delivered}/{s.replies} pushes, API→frame p50/p95/p99 {trio(s.push_ms)} ms "
        f"(reply API {trio(s.api_ms)} ms); {s.still_open} sockets still open"
        + (f" [red]{s.connect_errors} errors: {s.first_error}[/red]" if s.first_error else "")
    )


def _server_warnings(server: Server) -> list[str]:
    """Tracebacks and error lines from the server's log (it is removed when the server stops)."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    hits = [ln.strip() for ln in lines if re.search(r"Traceback| ERROR | CRITICAL | WARNING ", ln)]
    seen: dict[str, int] = {}
    for ln in hits:
        key = re.sub(r"\d+", "N", ln)[:160]
        seen[key] = seen.get(key, 0) + 1
    return [f"{n}× {k}" for k, n in list(seen.items())[:12]]


def run_one(kind: str, args: argparse.Namespace) -> DbRun:
    run = DbRun(kind=kind)
    server: Server | None = None
    with contextlib.ExitStack() as stack:
        try:
            db_pid: int | None = None
            env: dict[str, str] = {}
            if kind == "sqlite":
                directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sd-bench-chan-"))
                url = f"sqlite+aiosqlite:///{directory}/bench.db"
                env["SERVICEDESK_SQLITE_SYNCHRONOUS"] = args.sqlite_synchronous
                run.settings = (
                    f"SQLite {this_machine().sqlite}, journal_mode=WAL, synchronous={args.sqlite_synchronous}"
                )
            else:
                console.log("postgresql: starting a throwaway cluster (scripts/pg-throwaway)")
                url, db_pid = stack.enter_context(throwaway_postgresql())
                facts = run_async(postgresql_facts(url))
                run.settings = (
                    f"PostgreSQL {facts['version']} as initdb made it: "
                    f"shared_buffers={facts['shared_buffers']}, "
                    f"fsync={facts['fsync']}, synchronous_commit={facts['synchronous_commit']}, "
                    f"max_connections={facts['max_connections']}"
                )
            upgrade(url)
            token = run_async(make_supervisor(url))
            smtp_port = free_port()
            env["SERVICEDESK_SMTP_LISTEN_PORT"] = str(smtp_port)
            server = Server(url, 1, env_extra=env)
            stack.callback(server.stop)
            server.start()
            console.log(
                f"{kind}: server pid {server.pid} on {server.base_url}, SMTP on {smtp_port}, 1 worker"
            )
            run_async(measure(server, smtp_port, token, args, run, db_pid))
        except Exception as error:
            console.print(traceback.format_exc())
            if server is not None and server.process is not None:
                console.print(f"[dim]server log, last lines:[/dim]\n{server.log_tail()}")
            run.error = f"{type(error).__name__}: {error}"
        finally:
            if server is not None:
                run.server_warnings = _server_warnings(server)
    return run


# --------------------------------------------------------------------------- report


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    limit = raise_fd_limit(args.sockets * 2 + 1024)
    if limit < args.sockets + 256:
        console.print(f"[red]RLIMIT_NOFILE is {limit}: too low for {args.sockets} sockets[/red]")
        return 2
    started = datetime.now().astimezone()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs = [run_one(kind, args) for kind in kinds]
    print_table(runs, args, console)
    full = all(getattr(args, k) >= v for k, v in DEFAULTS.items())
    if args.docs if args.docs is not None else full:
        write_section(args.output, markdown(runs, args, this_machine(), started, code_version(REPO)))
        console.print(f"wrote the channel section of {args.output}")
    else:
        console.print(f"[dim]not writing {args.output} for a reduced run (pass --docs to force)[/dim]")
    failed = any(
        r.error or not (r.chat and r.chat.verified and r.mail and r.mail.verified and r.sockets
                        and r.sockets.still_open == r.sockets.wanted)
        for r in runs
    )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
