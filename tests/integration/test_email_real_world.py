"""Real-world mail over real SMTP into a real database: nothing that reached the listener is
refused or lost, machine mail never opens a case, one sender's Message-ID never silences
another's, and the listener's port is its own."""

from __future__ import annotations

import asyncio
import json
import smtplib
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.server import InboundMailHandler, MailPortTaken, start_mail_listener
from servicedesk.channels.email.threading import make_message_id
from servicedesk.channels.message import InboundKind
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, CustomerIdentity, Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World, wipe

DATA = Path(__file__).parents[1] / "data" / "email"
EXPECTED: dict[str, dict[str, Any]] = {
    k: v for k, v in json.loads((DATA / "expected.json").read_text()).items() if not k.startswith("_")
}


@dataclass
class Listener:
    port: int

    def send(self, raw: bytes, sender: str = "customer@example.com") -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail(sender, ["support@support.example.com"], raw)


@pytest.fixture
async def listener(db: Database) -> AsyncIterator[Listener]:
    server = await start_mail_listener(db, db.settings, port=0)
    yield Listener(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


async def _count(db: Database, model: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _envelope(spec: dict[str, Any]) -> str:
    return (
        ""
        if spec.get("envelope") == "<>"
        else spec.get("envelope") or spec.get("sender") or "someone@example.com"
    )


async def test_every_fixture_is_taken_and_only_people_open_cases(db: Database, listener: Listener) -> None:
    people = 0
    for name, spec in sorted(EXPECTED.items()):
        await asyncio.to_thread(listener.send, (DATA / name).read_bytes(), _envelope(spec))  # 250 or raises
        people += spec["kind"] == "message"
    async with UnitOfWork(db, write=False) as uow:
        bodies = list(await uow.session.scalars(select(Message.body)))
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
    assert tickets == len(bodies) == people  # each person's mail one case; machine mail none
    for name, spec in EXPECTED.items():
        if spec["kind"] == "message" and spec.get("body"):
            assert any(spec["body"] in b for b in bodies), name


async def test_one_senders_message_id_does_not_silence_anothers(db: Database, listener: Listener) -> None:
    def mail(sender: str, text: str) -> bytes:
        return (
            f"From: {sender}\r\nTo: support@support.example.com\r\nSubject: hello\r\n"
            f"Message-ID: <same-id@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        ).encode()

    await asyncio.to_thread(listener.send, mail("alice@example.com", "我的订单一"), "alice@example.com")
    await asyncio.to_thread(
        listener.send, mail("mallory@example.net", "冒用同一个编号"), "mallory@example.net"
    )
    await asyncio.to_thread(
        listener.send, mail("alice@example.com", "我的订单一"), "alice@example.com"
    )  # redelivery
    async with UnitOfWork(db, write=False) as uow:
        rows = list(await uow.session.execute(select(Message.body, Message.external_id).order_by(Message.id)))
    assert [r.body for r in rows] == ["我的订单一", "冒用同一个编号"]
    assert [r.external_id for r in rows] == [
        "same-id@example.com alice@example.com",
        "same-id@example.com mallory@example.net",
    ]


async def test_a_mail_stored_under_the_bare_message_id_is_still_found_again(
    db: Database, listener: Listener
) -> None:
    raw = (DATA / "gbk_plain.eml").read_bytes()
    await asyncio.to_thread(listener.send, raw, "wangxm@example.com.cn")
    async with UnitOfWork(db) as uow:  # as an older version stored it
        stored = await uow.session.scalar(select(Message))
        assert stored is not None
        stored.external_id = "202403120914550125831@example.com.cn"
        await uow.commit()
    await asyncio.to_thread(listener.send, raw, "wangxm@example.com.cn")
    assert await _count(db, Message) == 1


async def test_the_reply_refers_to_the_customers_own_message_id(
    db: Database, listener: Listener, client: httpx.AsyncClient, world: World
) -> None:
    await asyncio.to_thread(listener.send, (DATA / "gbk_plain.eml").read_bytes(), "wangxm@example.com.cn")
    async with UnitOfWork(db, write=False) as uow:
        ticket_id = await uow.session.scalar(select(Ticket.id))
    reply = await client.post(
        f"/api/v1/tickets/{ticket_id}/messages", json={"body": "您好"}, headers=world.sue.auth
    )
    assert reply.status_code == 201
    async with UnitOfWork(db, write=False) as uow:
        queued = await uow.session.scalar(select(Outbox))
    assert queued is not None
    assert queued.payload["thread_refs"] == ["202403120914550125831@example.com.cn"]


async def _customer_with_case(db: Database, listener: Listener, address: str) -> int:
    raw = (
        f"From: {address}\r\nTo: support@support.example.com\r\nSubject: 问题\r\nMessage-ID: <q-{address}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n请帮忙\r\n"
    ).encode()
    await asyncio.to_thread(listener.send, raw, address)
    async with UnitOfWork(db, write=False) as uow:
        ticket_id = await uow.session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
    assert ticket_id is not None
    return ticket_id


@pytest.mark.parametrize(
    ("fixture", "address"),
    [
        ("bounce_exim.eml", "no.such.person@example.net"),
        ("bounce_qmail.eml", "nobody.here@example.com"),
        ("bounce_163.eml", "closed_box@163.com"),
        ("bounce_exchange.eml", "li.former@corp.example.com"),
    ],
)
async def test_a_plain_text_or_chinese_bounce_marks_the_address_and_opens_no_case(
    db: Database, listener: Listener, fixture: str, address: str
) -> None:
    ticket_id = await _customer_with_case(db, listener, address)
    signed = make_message_id(
        ticket_id, secret=db.settings.secret_key, domain="support.example.com", nonce="n1"
    )
    raw = (
        (DATA / fixture)
        .read_bytes()
        .replace(b"sd.42.0011223344556677.8899aabbccddeeff@support.example.com", signed.encode())
    )
    if fixture == "bounce_163.eml":  # its copy of our id sits in base64 text: write it in plain
        raw = raw.replace(b"Content-Transfer-Encoding: base64\r\n", b"")
        raw = raw.split(b"\r\n\r\n", 1)[0] + f"\r\n\r\n收件人 : {address}\r\n<{signed}>\r\n".encode("gbk")
    await asyncio.to_thread(listener.send, raw, "")
    async with UnitOfWork(db, write=False) as uow:
        identity = await uow.session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.external_id == address)
        )
        notes = list(await uow.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)))
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
    assert identity is not None and identity.undeliverable_since is not None
    assert tickets == 1
    assert any(f"退信：邮件地址 {address} 无法投递" in n for n in notes)


async def test_a_delayed_notice_marks_nothing_and_opens_nothing(db: Database, listener: Listener) -> None:
    await _customer_with_case(db, listener, "slow.server@example.com")
    await asyncio.to_thread(listener.send, (DATA / "bounce_dsn_delayed.eml").read_bytes(), "")
    async with UnitOfWork(db, write=False) as uow:
        identity = await uow.session.scalar(select(CustomerIdentity))
    assert identity is not None and identity.undeliverable_since is None
    assert (await _count(db, Ticket), await _count(db, Message)) == (1, 1)


async def test_auto_replies_get_no_answer_and_open_nothing(
    db: Database, listener: Listener, client: httpx.AsyncClient, world: World
) -> None:
    for name in (
        "auto_chinese_subject_only.eml",
        "auto_outlook_automatic_reply.eml",
        "auto_precedence_bulk.eml",
    ):
        await asyncio.to_thread(listener.send, (DATA / name).read_bytes(), "someone@example.com")
    assert (await _count(db, Ticket), await _count(db, Message), await _count(db, Outbox)) == (0, 0, 0)


async def test_mail_without_any_address_is_kept_on_a_case_nobody_is_mailed_from(
    db: Database, client: httpx.AsyncClient, world: World
) -> None:
    handler = InboundMailHandler(db, db.settings)
    answer = await handler.take(b"From: just a name\r\nSubject: hi\r\n\r\nplease call me\r\n", mail_from=None,
                                rcpt_tos=["support@support.example.com"])  # fmt: skip
    assert answer.startswith("250")
    async with UnitOfWork(db, write=False) as uow:
        message = await uow.session.scalar(select(Message))
        assert message is not None
        customer = await uow.session.get(Customer, message.author_customer_id)
    assert message.body == "please call me"
    assert message.meta is not None and message.meta["needs_review"] == "no_sender"
    assert customer is not None and (customer.name, customer.email) == ("just a name", None)
    page = await client.get(f"/agent/tickets/{message.ticket_id}", headers=world.sue.auth)
    assert page.status_code == 200
    assert "此邮件未能完整识别" in page.text and "找不到发件人地址，无法通过邮件回复" in page.text
    reply = await client.post(
        f"/api/v1/tickets/{message.ticket_id}/messages", json={"body": "好的"}, headers=world.sue.auth
    )
    assert reply.status_code == 201  # the reply is kept on the case; there is nowhere to mail it


# --- any bytes ------------------------------------------------------------------------------

_FIXTURES = sorted(p.read_bytes() for p in DATA.glob("*.eml"))


@st.composite
def _mangled(draw: st.DrawFn) -> bytes:
    """A real fixture with bytes cut out, inserted or overwritten."""
    raw = bytearray(draw(st.sampled_from(_FIXTURES)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["cut", "insert", "overwrite"]))
        chunk = draw(st.binary(min_size=1, max_size=12))
        if kind == "cut":
            del raw[at : at + len(chunk)]
        elif kind == "insert":
            raw[at:at] = chunk
        else:
            raw[at : at + len(chunk)] = chunk
    return bytes(raw)


async def _drive(url: str, raw: bytes, mail_from: str) -> None:
    db = Database(Settings(database_url=url, environment="test", db_pool_size=2))
    try:
        envelope = Envelope()
        envelope.mail_from, envelope.rcpt_tos = mail_from, ["support@support.example.com"]
        envelope.original_content = envelope.content = raw
        handler = InboundMailHandler(db, db.settings)
        answer = await handler.handle_DATA(SMTP(handler), Session(asyncio.get_running_loop()), envelope)
        assert answer.startswith("250"), answer
        parsed = parse_email(raw, received_at=db.clock(), envelope_sender=mail_from)
        async with UnitOfWork(db, write=False) as uow:
            stored = list(await uow.session.scalars(select(Message)))
        if parsed.kind is InboundKind.AUTOMATIC:
            assert [m for m in stored if m.kind.value == "inbound"] == []
        else:
            [message] = stored
            assert message.body or message.attachments or (message.meta or {}).get("needs_review")
            assert message.ticket_id is not None
    finally:
        await wipe(db)
        await db.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.one_of(st.binary(max_size=300), _mangled()), mail_from=st.sampled_from(["buyer@example.com", "<>"])
)
def test_any_bytes_are_stored_or_let_go_as_automatic_never_an_error(
    database_url: str, raw: bytes, mail_from: str
) -> None:
    asyncio.run(_drive(database_url, raw, mail_from))


# --- the port -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_second_listener_on_the_same_port_refuses_to_start(db: Database) -> None:
    first = await start_mail_listener(db, db.settings, port=0)
    port = first.sockets[0].getsockname()[1]
    try:
        with pytest.raises(MailPortTaken, match=f"127.0.0.1:{port} is already in use"):
            await start_mail_listener(db, db.settings, port=port)
    finally:
        first.close()
        await first.wait_closed()
    with socket.socket() as taken:  # any other program holding the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(MailPortTaken):
            await start_mail_listener(db, db.settings, port=taken.getsockname()[1])


def test_serve_refuses_to_start_when_the_mail_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as a first servicedesk would
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
            "SERVICEDESK_SMTP_LISTEN_PORT": str(port), "SERVICEDESK_PORT": str(_free_port()),
            "SERVICEDESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "COLUMNS": "200",
        }  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", "from servicedesk.cli import app; app()", "serve"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"127.0.0.1:{port} is already in use" in " ".join(done.stdout.split())
