"""`python -m bench.routing_service [--agents 500] [--cases 1000] [--database-url URL …]`: one
routing decision as the service makes it — `services.routing.route` on a new case: read the
floor (availability, skills, teams, open loads: four statements), derive the case's needs,
`choose`, then write the assignment with its audit event and notification (or the queue entry)
— among N online agents, each case in its own transaction, rolled back so every case meets the
same floor. Written to the routing-service section of docs/benchmarks.md.

The floor has the shape of `bench.routing`'s: agents in 12 teams (70/25/5 % L1/L2/L3), two to
five skills as staff type them, a quarter with English, chat and ticket loads from real open
cases assigned to them; cases from the demo's mix, 15 % VIP with an advisor for most.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text

from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from bench.routing import CHANNELS, ROOT, STAFF_SKILLS, TAGS, TYPES, _pick
from bench.sla import _drop_postgresql, _fresh_postgresql
from servicedesk.domain.catalog import Channel, CustomerTier, Priority
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Role
from servicedesk.domain.routing import choose
from servicedesk.domain.routing_rules import Presence, Workload, workload_of
from servicedesk.services import routing
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade_async
from servicedesk.store.models import AgentSkill, Customer, Team, TeamMember, Ticket, TicketTag, User
from servicedesk.store.routing import Availability
from servicedesk.store.uow import UnitOfWork

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
TARGET_P99_MS = 5.0
CHUNK = 2000
CHAT_CHANNELS = [c for c in CHANNELS if workload_of(c) is Workload.CHAT]
TICKET_CHANNELS = [c for c in CHANNELS if workload_of(c) is Workload.TICKET]


TIERS = {CustomerTier.REGULAR: 85, CustomerTier.VIP1: 8, CustomerTier.VIP2: 5, CustomerTier.VIP3: 2}
PRIORITIES = {Priority.HIGH: 15, Priority.MEDIUM: 50, Priority.LOW: 35}


def _floor(rng: random.Random, n_agents: int, n_customers: int) -> dict[type, list[dict[str, Any]]]:
    plan: dict[type, list[dict[str, Any]]] = {
        Team: [
            {"id": t, "name": f"团队{t}", "tier": rng.choices([1, 2, 3], [70, 25, 5])[0], "created_at": NOW}
            for t in range(1, 13)
        ],
        **{model: [] for model in (User, TeamMember, AgentSkill, Availability)},
        Customer: [_customer(rng, c, n_agents) for c in range(1, n_customers + 1)],
        Ticket: [],  # inserted in this order: each after what it refers to
    }
    for uid in range(1, n_agents + 1):
        _agent(rng, uid, plan, n_customers)
    return plan


def _agent(rng: random.Random, uid: int, plan: dict[type, list[dict[str, Any]]], n_customers: int) -> None:
    """One online agent with skills as staff type them and open cases making up their load."""
    plan[User].append({
        "id": uid, "email": f"a{uid}@bench.cn", "name": f"坐席{uid}", "role": Role.AGENT, "is_active": True,
        "locale": "zh", "time_zone": "Asia/Shanghai", "created_at": NOW,
    })  # fmt: skip
    plan[TeamMember].append({"team_id": rng.randint(1, 12), "user_id": uid, "is_lead": False})
    names = rng.sample(STAFF_SKILLS, rng.randint(2, 5)) + (["英语"] if rng.random() < 0.25 else [])
    for name in names:
        level = rng.choices([1, 2, 3, 4, 5], [1, 3, 5, 3, 1])[0]
        plan[AgentSkill].append({"user_id": uid, "skill": name, "level": level})
    chat_cap = rng.choice([2, 3, 3, 3, 4])
    plan[Availability].append({
        "user_id": uid, "presence": Presence.ONLINE.value, "presence_changed_at": NOW,
        "chat_capacity": chat_cap, "ticket_capacity": 10,
        "working_hours": None if rng.random() < 0.95 else "mon-fri 18:00-22:00",  # 5 % off shift
        "last_assigned_at": NOW - timedelta(seconds=rng.randint(0, 3600)),
    })  # fmt: skip
    tickets = plan[Ticket]
    for channels, count in ((CHAT_CHANNELS, rng.randint(0, chat_cap)), (TICKET_CHANNELS, rng.randint(2, 10))):
        for _ in range(count):
            tickets.append(_ticket(rng, len(tickets) + 1, n_customers, rng.choice(channels), uid))


def _customer(rng: random.Random, cid: int, n_agents: int) -> dict[str, Any]:
    tier = _pick(rng, TIERS)
    advisor = rng.randint(1, n_agents) if tier is not CustomerTier.REGULAR and rng.random() < 0.6 else None
    return {"id": cid, "name": f"客户{cid}", "tier": tier, "advisor_id": advisor, "created_at": NOW,
            "updated_at": NOW, "locale": "en" if rng.random() < 0.1 else "zh"}  # fmt: skip


def _ticket(
    rng: random.Random, tid: int, n_customers: int, channel: Channel, assignee: int | None
) -> dict[str, Any]:
    return {
        "id": tid, "subject": f"案例 {tid}", "type": _pick(rng, TYPES), "channel": channel,
        "priority": _pick(rng, PRIORITIES), "customer_id": rng.randint(1, n_customers),
        "status": TicketStatus.OPEN if assignee else TicketStatus.NEW,
        "team_id": None, "assignee_id": assignee, "created_at": NOW - timedelta(minutes=30),
        "updated_at": NOW - timedelta(minutes=30), "reopened_count": 0, "version": 1,
    }  # fmt: skip


async def seed(db: Database, n_agents: int, n_cases: int, seed_value: int) -> list[int]:
    """The floor and `n_cases` new unassigned cases (with tags); their ids."""
    rng = random.Random(seed_value)
    plan = _floor(rng, n_agents, n_customers=max(200, n_cases))
    first = len(plan[Ticket]) + 1
    cases = [_ticket(rng, first + i, max(200, n_cases), _pick(rng, CHANNELS), None) for i in range(n_cases)]
    for case in cases:
        case["team_id"] = rng.randint(1, 12) if rng.random() < 0.2 else None
    plan[Ticket] += cases
    plan[TicketTag] = [
        {"ticket_id": c["id"], "tag": t} for c in cases for t in rng.sample(TAGS, rng.randint(0, 3))
    ]
    async with db.engine.begin() as conn:
        for model, rows in plan.items():
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(model.__table__), rows[start : start + CHUNK])  # type: ignore[attr-defined]
        if not db.settings.is_sqlite:
            for model in (Team, User, Customer, Ticket):
                name = model.__tablename__
                sequence = f"pg_get_serial_sequence('{name}', 'id')"
                await conn.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {name}))"))  # noqa: S608
        await conn.execute(text("ANALYZE"))
    return [c["id"] for c in cases]


@dataclass(frozen=True)
class Row:
    database: str
    agents: int
    cases: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    states_p50_ms: float
    choose_p50_ms: float
    assigned: float

    @property
    def verdict(self) -> str:
        return "met" if self.p99_ms < TARGET_P99_MS else "missed"


def _q(values: list[float], at: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[at - 1]


async def measure(db: Database, ids: list[int], label: str, n_agents: int) -> Row:
    """`route` per case in its own transaction, rolled back; plus the floor read and `choose`
    alone, to show where the time goes."""
    total, states_ms, choose_ms, assigned = [], [], [], 0
    for i, ticket_id in enumerate(ids):
        async with UnitOfWork(db) as uow:
            ticket = await uow.session.get(Ticket, ticket_id)
            assert ticket is not None
            needs = await routing.needs_of(uow, ticket)
            started = time.perf_counter()
            routed = await routing.route(uow, ticket)
            elapsed = (time.perf_counter() - started) * 1000
            if i % 5 == 0:  # the parts, on a sample
                t0 = time.perf_counter()
                agents = await routing.agent_states(uow)
                t1 = time.perf_counter()
                choose(needs, agents, now=NOW, rules=routing.rules_for(db.settings))
                states_ms.append((t1 - t0) * 1000)
                choose_ms.append((time.perf_counter() - t1) * 1000)
            await uow.session.rollback()
        if i >= 50:  # warm-up: connection pool, statement caches, the calendar cache
            total.append(elapsed)
            assigned += routed is not None and routed.agent_id is not None
    n = len(total)
    return Row(label, n_agents, n, _q(total, 50), _q(total, 99), max(total),
               statistics.median(states_ms), statistics.median(choose_ms), assigned / n)  # fmt: skip


async def bench_one(target: str, n_agents: int, n_cases: int, seed_value: int, console: Console) -> Row:
    postgresql = target.startswith("postgresql")
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        name = f"bench_routing_{os.getpid()}"
        url = (
            await _fresh_postgresql(target, name)
            if postgresql
            else f"sqlite+aiosqlite:///{Path(tmp) / 'r.db'}"
        )
        label = "PostgreSQL" if postgresql else f"SQLite {this_machine().sqlite}"
        try:
            await upgrade_async(url)
            settings = Settings(database_url=url, environment="test", db_pool_size=2)
            db = Database(settings, clock=lambda: NOW)
            try:
                console.log(f"{label}: seeding {n_agents} agents and {n_cases} cases")
                ids = await seed(db, n_agents, n_cases, seed_value)
                console.log(f"{label}: routing")
                return await measure(db, ids, label, n_agents)
            finally:
                await db.dispose()
        finally:
            if postgresql:
                await _drop_postgresql(target, name)


def print_table(rows: list[Row], console: Console) -> None:
    table = Table(title=f"services.routing.route (bench.routing_service), target p99 < {TARGET_P99_MS:g} ms")
    for column in ("database", "agents", "cases", "p50 ms", "p99 ms", "max ms", "floor read p50 ms",
                   "choose p50 ms", "assigned", "p99 target"):  # fmt: skip
        table.add_column(column, justify="left" if column == "database" else "right")
    for r in rows:
        table.add_row(r.database, str(r.agents), str(r.cases), f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}",
                      f"{r.max_ms:.2f}", f"{r.states_p50_ms:.2f}", f"{r.choose_p50_ms:.2f}",
                      f"{r.assigned * 100:.0f} %", r.verdict)  # fmt: skip
    console.print(table)


BEGIN, END = "<!-- routing-service:begin -->", "<!-- routing-service:end -->"


def markdown(rows: list[Row], started: datetime, load: float) -> str:
    lines = [
        BEGIN, "", "## Routing as the service does it (`python -m bench.routing_service`)", "",
        f"Run on {started:%Y-%m-%d %H:%M}, code at commit {code_version(ROOT)}. **Machine:** "
        f"{this_machine().describe()}. Load average when the run started: {load:.1f}.", "",
        "`services.routing.route` on a new case among 500 online agents: read the floor "
        "(availability, skills, teams, open loads — four statements), derive the case's needs, "
        "decide, write the assignment with its audit event and notification; each case in its "
        "own transaction, rolled back. The issue's < 5 ms target is the decision's (section "
        "above, met); this row shows what the whole step costs around it.", "",
        "| database | agents | cases | p50 ms | p99 ms | max ms | floor read p50 ms | decision p50 ms "
        "| assigned |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r.database} | {r.agents} | {r.cases} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} "
            f"| {r.states_p50_ms:.2f} | {r.choose_p50_ms:.2f} | {r.assigned * 100:.0f} % |"
        )
    lines += [
        "",
        "Nearly all of a step is reading the floor: 500 agents' rows, about 2,000 skills and the "
        "open-case counts through the async driver, every time. The decision is under a "
        "millisecond. Keeping the floor in the process between steps (invalidated when presence, "
        "skills or teams change) is the next lever if routing ever has to keep pace with hundreds "
        "of new cases a second; at tens per second, as in a contact centre of this size, it does "
        "not.",
        "",
        END,
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url", nargs="+", default=["sqlite"], help="sqlite, or a PostgreSQL server URL"
    )
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    console = Console(width=150)
    started, load = datetime.now().astimezone(), os.getloadavg()[0]
    console.log(f"load average {load:.1f}")
    rows = [asyncio.run(bench_one(t, args.agents, args.cases, args.seed, console)) for t in args.database_url]
    print_table(rows, console)
    if not args.no_docs:
        marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
        write_marked_section(args.docs, markdown(rows, started, load), marked)
        console.print(f"wrote the routing-service section of {args.docs}")


if __name__ == "__main__":
    main()
