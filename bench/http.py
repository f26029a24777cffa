"""HTTP benchmark of the real server: `python -m bench.http [--db sqlite|postgresql|both]`.

For each database: a fresh database (a temp SQLite file, or a throwaway PostgreSQL cluster from
scripts/pg-throwaway, always stopped), migrations, a fast bulk seed of N tickets, then
`servicedesk serve` as a subprocess on a free 127.0.0.1 port, measured with httpx clients:
ticket creation throughput, list-page and search latency at 1 and at K clients, and the
server's peak RSS. Prints a table and writes the HTTP section of docs/benchmarks.md.

Only 127.0.0.1 is ever contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx
from rich.console import Console

from bench.load import (
    PhaseResult,
    Request,
    balance_connections,
    close_clients,
    connect_one_by_one,
    make_clients,
    run_phase,
)
from bench.machine import code_version, postgresql_facts, this_machine
from bench.report import DbRun, Report, markdown, print_table, write_section
from bench.scenarios import TICKETS, create_request, list_scenarios, search_scenarios
from bench.seed import SeedResult, seed
from bench.server import (
    REPO,
    RssSampler,
    Server,
    connection_owners,
    connections_by_process,
    cpu_snapshot,
    cpu_used,
    exit_on_sigterm,
    machine_busy_seconds,
    run_async,
    throwaway_postgresql,
)
from servicedesk.store.migrate import upgrade

# Wide enough for the tables when the output goes to a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 150)
T = TypeVar("T")
DEFAULT_WORKERS = {"sqlite": 1, "postgresql": 2}
FULL_RUN_TICKETS = 100_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=FULL_RUN_TICKETS, help="tickets to seed (100,000)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients (16)")
    parser.add_argument(
        "--duration", type=float, default=15.0,
        help="seconds of the creation phase (15); also caps every read phase",
    )  # fmt: skip
    parser.add_argument("--max-creations", type=int, default=30_000, help="bound on the creation phase")
    parser.add_argument("--requests", type=int, default=500, help="requests per read phase (500)")
    parser.add_argument(
        "--phase-seconds", type=float, default=6.0,
        help="time cap per read phase (6 s; never more than half of --duration)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=None,
        help="server worker processes (default: 1 for SQLite, 2 for PostgreSQL)",
    )  # fmt: skip
    parser.add_argument(
        "--balance", action=argparse.BooleanOptionalAction, default=True,
        help="with several workers, spread the client connections evenly over them, as a load "
        "balancer would (default); --no-balance keeps whatever the kernel did",
    )  # fmt: skip
    parser.add_argument(
        "--sqlite-synchronous", choices=("OFF", "NORMAL", "FULL"), default="NORMAL",
        help="SERVICEDESK_SQLITE_SYNCHRONOUS for the server (app default NORMAL, with WAL)",
    )  # fmt: skip
    parser.add_argument(
        "--docs", action=argparse.BooleanOptionalAction, default=None,
        help=f"write the section into --output (default: only for runs of ≥ {FULL_RUN_TICKETS:,} tickets)",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--py-spy", type=Path, default=None, metavar="DIR",
        help="record the server with py-spy during the creation and c=K search phases, into DIR",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.tickets < 100 or args.concurrency < 1 or args.duration <= 0 or args.requests < 1:
        parser.error("need --tickets ≥ 100, --concurrency ≥ 1, --duration > 0, --requests ≥ 1")
    return args


@dataclass
class Context:
    args: argparse.Namespace
    server: Server
    seeded: SeedResult
    db_pid: int | None

    @property
    def read_cap_s(self) -> float:
        return read_cap(self.args)


def read_cap(args: argparse.Namespace) -> float:
    cap: float = min(args.phase_seconds, args.duration / 2)
    return cap


def _py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else "py-spy"


class Profiler:
    """py-spy record on the server tree for one phase, when asked for."""

    def __init__(self, ctx: Context, kind: str, name: str, seconds: float) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        directory: Path | None = ctx.args.py_spy
        if directory is None:
            return
        directory.mkdir(parents=True, exist_ok=True)
        out = directory / f"{kind}-{name}"
        command = [
            _py_spy(), "record", "--pid", str(ctx.server.pid), "--subprocesses", "--rate", "200",
            "--duration", str(max(1, round(seconds))), "--format", "raw", "--output", f"{out}.txt",
        ]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # let it attach

    def wait(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)


async def timed_phase(ctx: Context, phase: Callable[[], Awaitable[PhaseResult]]) -> PhaseResult:
    """Runs a phase and adds the CPU the server and the database used meanwhile."""
    server0, db0 = cpu_snapshot(ctx.server.pid), cpu_snapshot(ctx.db_pid)
    machine0 = machine_busy_seconds()
    result = await phase()
    result.machine_cpu_s = machine_busy_seconds() - machine0
    result.server_cpu_s = cpu_used(server0, cpu_snapshot(ctx.server.pid))
    result.db_cpu_s = cpu_used(db0, cpu_snapshot(ctx.db_pid))
    return result


def _show(phase: PhaseResult) -> None:
    err = f" [red]{phase.errors} errors: {phase.first_error[:200]}[/red]" if phase.errors else ""
    wall = phase.elapsed_s or 1.0
    cpu = f"CPU server {phase.server_cpu_s / wall:.2f}, client {phase.client_cpu_s / wall:.2f}"
    if phase.db_cpu_s:
        cpu += f", PostgreSQL {phase.db_cpu_s / wall:.2f}"
    cpu += f", other {phase.other_cpu_s / wall:.2f}"
    console.log(
        f"  {phase.name:<30} c={phase.concurrency:<3} n={phase.total:<5} {phase.rate:7.1f}/s  "
        f"p50 {phase.p(50):6.1f}  p95 {phase.p(95):6.1f}  p99 {phase.p(99):6.1f} ms  ({cpu} cores){err}"
    )


def _read_phase(
    ctx: Context, name: str, clients: list[httpx.AsyncClient], request: Request
) -> Callable[[], Awaitable[PhaseResult]]:
    def start() -> Awaitable[PhaseResult]:
        return run_phase(name, clients, request, max_requests=ctx.args.requests, max_seconds=ctx.read_cap_s)

    return start


async def prepare_connections(ctx: Context, clients: list[httpx.AsyncClient]) -> None:
    """Reconnect idle clients one by one and, with several workers, balance them (--balance)."""
    await connect_one_by_one(clients)
    if ctx.server.workers > 1 and ctx.args.balance and len(clients) > 1:
        await balance_connections(
            clients, lambda port: connection_owners(ctx.server).get(port), ctx.server.workers
        )


async def measure(ctx: Context, run: DbRun) -> None:
    kind = run.kind
    args, seeded = ctx.args, ctx.seeded
    admins = make_clients(ctx.server.base_url, seeded.admin_token, args.concurrency)
    agents = make_clients(ctx.server.base_url, seeded.agent_token, args.concurrency)
    create = create_request(seeded)
    try:
        # Warm-up: open every connection, fill the server's caches and pools (not measured).
        await connect_one_by_one(admins)
        warm: Request = lambda c, _i: c.get(TICKETS)  # noqa: E731
        await run_phase(
            "warm-up", admins, create, max_requests=4 * args.concurrency, max_seconds=10, expect=201
        )
        await run_phase("warm-up", admins, warm, max_requests=4 * args.concurrency, max_seconds=10)
        run.natural_spread = connections_by_process(ctx.server)
        await prepare_connections(ctx, admins)
        run.connection_spread = connections_by_process(ctx.server)
        console.log(
            f"{kind}: {args.concurrency} client connections per server worker: {run.natural_spread} as the "
            f"kernel spread them, {run.connection_spread} measured"
        )
        await run_phase("warm-up", agents, warm, max_requests=4 * args.concurrency, max_seconds=10)

        console.log(f"{kind}: creating tickets for {args.duration:.0f} s with {args.concurrency} clients")
        create_profile = Profiler(ctx, kind, "create", args.duration)
        created = await timed_phase(ctx, lambda: run_phase(
            "create ticket (POST)", admins, create,
            max_requests=args.max_creations, max_seconds=args.duration, expect=201,
        ))  # fmt: skip
        create_profile.wait()
        _show(created)
        run.create = created

        first = (await admins[0].get(TICKETS)).json()
        cursor = first.get("next_cursor") or ""
        scenarios = list_scenarios(seeded, cursor) + search_scenarios(seeded)
        for concurrency in sorted({1, args.concurrency}):
            console.log(f"{kind}: reads at {concurrency} client(s)")
            for scenario in scenarios:
                clients = (agents if scenario.as_agent else admins)[:concurrency]
                await prepare_connections(ctx, clients)
                profiler: Profiler | None = Profiler(ctx, kind, "search", ctx.read_cap_s) if (
                    scenario.kind == "search" and concurrency == args.concurrency > 1
                    and scenario.name.endswith("subject word")
                ) else None  # fmt: skip
                phase = await timed_phase(ctx, _read_phase(ctx, scenario.name, clients, scenario.request))
                if profiler:
                    profiler.wait()
                _show(phase)
                run.reads.append(phase)
    finally:
        await close_clients(admins + agents)


def run_one(kind: str, args: argparse.Namespace) -> DbRun:
    workers = args.workers or DEFAULT_WORKERS[kind]
    run = DbRun(kind=kind, workers=workers, settings="", version="")
    server: Server | None = None
    with contextlib.ExitStack() as stack:
        try:
            db_pid: int | None = None
            env: dict[str, str] = {}
            if kind == "sqlite":
                directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sd-bench-sqlite-"))
                url = f"sqlite+aiosqlite:///{directory}/bench.db"
                env["SERVICEDESK_SQLITE_SYNCHRONOUS"] = args.sqlite_synchronous
                run.version = this_machine().sqlite
                run.settings = (
                    f"SQLite {run.version}, journal_mode=WAL, synchronous={args.sqlite_synchronous}"
                )
            else:
                console.log("postgresql: starting a throwaway cluster (scripts/pg-throwaway)")
                url, db_pid = stack.enter_context(throwaway_postgresql())
                facts = run_async(postgresql_facts(url))
                run.version = facts["version"]
                run.settings = (
                    f"PostgreSQL {facts['version']} as initdb made it: "
                    f"shared_buffers={facts['shared_buffers']}, "
                    f"fsync={facts['fsync']}, synchronous_commit={facts['synchronous_commit']}, "
                    f"max_connections={facts['max_connections']}; app pool 10 + 10 overflow per worker"
                )
            t0 = time.perf_counter()
            upgrade(url)
            console.log(
                f"{kind}: migrated in {time.perf_counter() - t0:.1f} s; seeding {args.tickets:,} tickets"
            )
            run.seed = run_async(seed(url, args.tickets, progress=lambda m: console.log(f"  {m}")))
            console.log(f"{kind}: seeded in {run.seed.seconds:.1f} s")
            server = Server(url, workers, env_extra=env)
            stack.callback(server.stop)
            server.start()
            console.log(f"{kind}: server pid {server.pid} on {server.base_url}, {workers} worker(s)")
            ctx = Context(args=args, server=server, seeded=run.seed, db_pid=db_pid)
            with RssSampler(server.pid) as rss:
                run_async(measure(ctx, run))
                rss.sample()
            run.rss_peak_mb, run.rss_peak_process_mb = rss.peak_total_mb, rss.peak_process_mb
            run.processes = rss.peak_processes
        except Exception as error:
            console.print(traceback.format_exc())
            if server is not None and server.process is not None:
                console.print(f"[dim]server log, last lines:[/dim]\n{server.log_tail()}")
            run.error = f"{type(error).__name__}: {error}"
    return run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    started = datetime.now().astimezone()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs = [run_one(kind, args) for kind in kinds]
    report = Report(
        started=started, machine=this_machine(), tickets=args.tickets, concurrency=args.concurrency,
        duration_s=args.duration, requests=args.requests, read_cap_s=read_cap(args),
        runs=runs, code=code_version(REPO),
    )  # fmt: skip
    print_table(console, report)
    write_docs = args.docs if args.docs is not None else args.tickets >= FULL_RUN_TICKETS
    if write_docs:
        write_section(args.output, markdown(report))
        console.print(f"wrote the HTTP section of {args.output}")
    else:
        console.print(f"[dim]not writing {args.output} for a reduced run (pass --docs to force)[/dim]")
    return 1 if any(r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
