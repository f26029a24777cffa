"""Staffing from the desk's own records, on both databases: `read_history` on a seeded week
with every arrival and message time known, and `servicedesk staffing plan|simulate
--from-history` on it.

The week is Wednesday 4 – Tuesday 10 March 2026 in Shanghai (the window up to the midnight
that starts 11 March). Rows are written directly, so each time is exactly what the test says.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from servicedesk.cli import app
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.routing_rules import Workload
from servicedesk.planning.history import History, read_history
from servicedesk.planning.staffing import plan_staffing
from servicedesk.store.db import Database
from servicedesk.store.models import Message, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

SHANGHAI = timedelta(hours=8)
UNTIL = date(2026, 3, 11)


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Shanghai wall-clock time in March 2026 as aware UTC."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC) - SHANGHAI


@dataclass(frozen=True)
class Line:
    """One message: minutes after the case opened, who wrote it, and how."""

    minutes: float
    by: str  # "customer", "agent", "note", "bot" (automatic) or "system" (a staff notice)


async def seed(db: Database, world: World) -> None:
    """Chats: a Monday 09:10 consultation (sessions of 240 s and, next day, 60 s: 300 s); a
    Tuesday 09:40 technical marathon (a staff message every 5 min for two hours: capped at
    3600 s; the bot before it and a staff member's automatic notice after it do not count);
    an unanswered Tuesday 09:50 chat. Tickets: a Thursday 14:20 email with two replies and a
    note (600 s), a Monday 14:59 web form with one reply (300 s), one at the very first
    second of the window without a reply. Outside: one a second before the window, one at
    its end."""
    cases: list[tuple[datetime, Channel, TicketType, list[Line]]] = [
        (local(9, 9, 10), Channel.WEB_CHAT, TicketType.CONSULTATION, [
            Line(0, "customer"), Line(2, "agent"), Line(3, "customer"), Line(5, "agent"), Line(6, "customer"),
            Line(24 * 60 + 50, "customer"), Line(24 * 60 + 55, "agent"),
        ]),
        (local(10, 9, 40), Channel.WECHAT, TicketType.TECHNICAL, [
            Line(0, "customer"), Line(0.5, "bot"), *(Line(1 + 5 * n, "agent") for n in range(25)),
            Line(150, "system"),
        ]),
        (local(10, 9, 50), Channel.WEB_CHAT, TicketType.TECHNICAL, [Line(0, "customer")]),
        (local(5, 14, 20), Channel.EMAIL, TicketType.OTHER, [
            Line(0, "customer"), Line(30, "agent"), Line(31, "note"), Line(600, "customer"), Line(900, "agent"),
        ]),
        (local(9, 14, 59), Channel.WEB_FORM, TicketType.OTHER, [Line(0, "customer"), Line(200, "agent")]),
        (local(4, 0, 0), Channel.API, TicketType.OTHER, []),
        (local(3, 23, 59, 59), Channel.WEB_CHAT, TicketType.OTHER, [Line(1, "agent")]),
        (local(11, 0, 0), Channel.EMAIL, TicketType.OTHER, [Line(1, "agent")]),
    ]  # fmt: skip
    async with UnitOfWork(db) as uow:
        for opened, channel, kind, lines in cases:
            ticket = Ticket(
                subject="咨询", type=kind, priority=Priority.MEDIUM, status=TicketStatus.OPEN, channel=channel,
                customer_id=world.carol.customer_id, created_at=opened, updated_at=opened,
            )  # fmt: skip
            uow.session.add(ticket)
            await uow.session.flush()
            uow.session.add_all(message(ticket, line, world) for line in lines)
        await uow.commit()


def message(ticket: Ticket, line: Line, world: World) -> Message:
    staff = line.by in ("agent", "note", "system")
    kind = {"customer": MessageKind.INBOUND, "note": MessageKind.NOTE}.get(line.by, MessageKind.REPLY)
    meta: dict[str, Any] | None = {"bot": "faq"} if line.by == "bot" else None
    if line.by == "system":
        meta = {"system": "progress"}
    return Message(
        ticket_id=ticket.id, kind=kind, channel=ticket.channel, body="…",
        author_user_id=world.alice.user_id if staff else None,
        author_customer_id=world.carol.customer_id if line.by == "customer" else None,
        meta=meta, created_at=ticket.created_at + timedelta(minutes=line.minutes),
    )  # fmt: skip


async def week(db: Database) -> History:
    async with UnitOfWork(db, write=False) as uow:
        return await read_history(uow, days=7, until=UNTIL, time_zone="Asia/Shanghai")


async def test_the_history_counts_arrivals_per_local_hour_and_measures_handle_times(
    db: Database, world: World
) -> None:
    await seed(db, world)
    history = await week(db)
    assert (history.start, history.end) == (local(4, 0), local(11, 0))
    assert history.days == 7 and len(history.cases) == 6
    chats, tickets = history.arrivals_by_hour(Workload.CHAT), history.arrivals_by_hour(Workload.TICKET)
    assert chats[9] == pytest.approx(3 / 7) and sum(chats) == pytest.approx(3 / 7)
    assert tickets[14] == pytest.approx(2 / 7) and tickets[0] == pytest.approx(1 / 7)
    assert sum(tickets) == pytest.approx(3 / 7)
    assert sorted(history.measured(Workload.CHAT)) == [300.0, 3600.0]
    assert history.handle_seconds(Workload.CHAT) == 1950.0
    assert sorted(history.measured(Workload.TICKET)) == [300.0, 600.0]
    assert history.handle_seconds(Workload.TICKET) == 450.0
    assert history.arrivals_by_hour(Workload.CHAT, weekday=0)[9] == 1.0  # Monday
    assert history.arrivals_by_hour(Workload.CHAT, weekday=1)[9] == 2.0  # Tuesday
    assert history.handle_seconds(Workload.CHAT, TicketType.TECHNICAL) == 3600.0


async def test_a_window_without_cases_is_empty_not_an_error(db: Database, world: World) -> None:
    await seed(db, world)
    async with UnitOfWork(db, write=False) as uow:
        history = await read_history(uow, days=3, until=date(2026, 3, 4), time_zone="Asia/Shanghai")
    assert len(history.cases) == 1  # only the one a second before the week
    async with UnitOfWork(db, write=False) as uow:
        history = await read_history(uow, days=1, until=date(2026, 2, 1), time_zone="Asia/Shanghai")
    assert history.cases == () and history.arrivals_by_hour(Workload.CHAT) == (0.0,) * 24


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


async def staffing(
    runner: CliRunner, db: Database, *args: str, until: str = "2026-03-11", days: int = 7
) -> Result:
    """The command runs its own event loop, so it runs in a thread beside the test's."""
    every = [*args, "--database-url", db.settings.database_url, "--until", until, "--days", str(days)]
    return await asyncio.to_thread(runner.invoke, app, ["staffing", *every], env={"COLUMNS": "200"})


async def test_the_plan_command_plans_each_hour_from_the_history(
    db: Database, world: World, runner: CliRunner
) -> None:
    await seed(db, world)
    result = await staffing(runner, db, "plan", "--from-history", "--ticket-within", "1800")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "chats: 3 in the 7 days 2026-03-04 – 2026-03-10 (Asia/Shanghai), every day; handle 1950 s" in out
    assert (
        "tickets: 3 in the 7 days" in out
        and "handle 450 s, the mean of 2 measured (5 min per staff reply)" in out
    )
    history = await week(db)
    chat_plan = plan_staffing(history.demand(Workload.CHAT), target=0.8, within_seconds=20)
    nine = chat_plan.rows[9]
    assert nine.agents == 2  # 0.23 Erlangs of 1950-second chats: one agent answers only 77 % in 20 s
    assert _row(out, "09:00")[:6] == ["09:00", "0.43", "1950", "0.23", "2", f"{nine.service_level:.1%}"]
    assert "80% answered within 1800 s (Erlang C)" in out
    assert _row(out, "14:00", last=True)[:5] == ["14:00", "0.29", "450", "0.04", "1"]

    monday = await staffing(runner, db, "plan", "--from-history", "--weekday", "mon", "--patience", "60")
    assert monday.exit_code == 0, monday.output
    assert "mon only, 1 of them" in monday.output and "Erlang A, patience 60 s" in monday.output
    assert _row(monday.output, "09:00")[:2] == ["09:00", "1"]


def _row(output: str, hour: str, *, last: bool = False) -> list[str]:
    rows = [line.split() for line in output.splitlines() if line.strip().startswith(hour)]
    return rows[-1 if last else 0]


async def test_without_a_measured_handle_time_the_routing_setting_stands_in(
    db: Database, world: World, runner: CliRunner
) -> None:
    """4 March alone holds one API ticket nobody answered, and no chat."""
    await seed(db, world)
    result = await staffing(runner, db, "plan", "--from-history", until="2026-03-05", days=1)
    assert result.exit_code == 0, result.output
    assert "no chats in the day 2026-03-04 – 2026-03-04" in result.output
    minutes = db.settings.routing_ticket_handle_minutes
    assert minutes is not None
    assert f"handle {minutes * 60:.0f} s, no case measured yet: the routing setting's figure" in result.output
    assert _row(result.output, "00:00")[:3] == ["00:00", "1", f"{minutes * 60:.0f}"]


async def test_the_plan_command_says_what_is_wrong(db: Database, world: World, runner: CliRunner) -> None:
    neither = await asyncio.to_thread(runner.invoke, app, ["staffing", "plan"])
    assert neither.exit_code == 2 and "either --arrivals FILE or --from-history" in neither.output
    empty = await staffing(runner, db, "plan", "--from-history")
    assert empty.exit_code == 1 and "no case arrived in the 7 days 2026-03-04 – 2026-03-10" in empty.output


async def test_the_simulate_command_replays_the_history_through_the_router(
    db: Database, world: World, runner: CliRunner
) -> None:
    """Two chat types recorded (technical, consultation); one agent for each type: the 09:50
    technical chat waits 50 minutes for the marathon to end, so technical is answered 50 % in
    20 s; the search finds that two agents doing everything answer every chat at once."""
    await seed(db, world)
    result = await staffing(
        runner,
        db,
        "simulate",
        "--from-history",
        "--policy",
        "skills",
        "--agents",
        "2",
        "--design",
        "dedicated",
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "replay of 3 chats in the 7 days" in out and "router: skill match, 2 agents" in out
    assert _row(out, "dedicated")[1:5] == ["technical", "0.500", "±", "0.000"]
    assert _row(out, "consultation")[:4] == ["consultation", "1.000", "±", "0.000"]
    searched = await staffing(
        runner, db, "simulate", "--from-history", "--policy", "round_robin", "--design", "full"
    )
    assert searched.exit_code == 0, searched.output
    assert _row(searched.output, "full")[:2] == ["full", "2"]
