"""The demo data set: loaded once into its own SQLite file, then checked from every side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from servicedesk.domain.catalog import CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.errors import Conflict
from servicedesk.domain.labels import label
from servicedesk.domain.lifecycle import Lifecycle, TicketStatus
from servicedesk.domain.pii import is_valid_resident_id, normalize_mobile
from servicedesk.domain.roles import Role
from servicedesk.services.auth import authenticate
from servicedesk.services.demo import ADMIN_EMAIL, DemoSummary, load_demo
from servicedesk.services.staff import create_user
from servicedesk.settings import Settings
from servicedesk.store.approvals import ServiceAction
from servicedesk.store.assistant import BotSession
from servicedesk.store.collaboration import CollaborationRequest, ComplexCase
from servicedesk.store.db import Database
from servicedesk.store.incidents import Incident, IncidentUpdate
from servicedesk.store.migrate import upgrade
from servicedesk.store.models import (
    Customer,
    Department,
    Event,
    Message,
    Team,
    TeamMember,
    Ticket,
    TicketTag,
    User,
)
from servicedesk.store.routing import Availability
from servicedesk.store.uow import UnitOfWork

_T = TypeVar("_T")


@dataclass(frozen=True)
class Loaded:
    db: Database
    summary: DemoSummary
    started: datetime
    finished: datetime
    stages: dict[str, tuple[int, int]]


async def _migrated(path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    return Database(Settings(database_url=url, environment="test"))


@pytest.fixture(scope="module")
async def loaded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Loaded]:
    db = await _migrated(tmp_path_factory.mktemp("demo") / "demo.db")
    stages: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        assert 0 < done <= total
        stages[stage] = (done, total)

    started = datetime.now(UTC)
    summary = await load_demo(db, progress=progress)
    finished = datetime.now(UTC)
    try:
        yield Loaded(db, summary, started, finished, stages)
    finally:
        await db.dispose()


async def _all(db: Database, stmt: Select[_T]) -> list[_T]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(stmt))


async def _count(db: Database, model: type[object], *where: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_it_reports_what_it_created(loaded: Loaded) -> None:
    s = loaded.summary
    assert s.created
    handed = await _count(loaded.db, BotSession, BotSession.ticket_id.is_not(None))
    assert (s.teams, s.agents, s.customers, s.tickets) == (4, 13, 200, 1000 + handed)
    assert handed == 4  # the demo chats: a low rating, two misses, danger, 转人工
    assert s.messages == await _count(loaded.db, Message)
    assert 1000 < s.messages <= 5000
    assert set(loaded.stages) == {"staff", "customers", "tickets"}
    assert all(done == total for done, total in loaded.stages.values())


async def test_it_builds_the_organisation(loaded: Loaded) -> None:
    db = loaded.db
    teams = {t.name: t for t in await _all(db, select(Team))}
    assert set(teams) == {"客服一线", "技术支持", "投诉处理", "应急小组"}
    departments: dict[int | None, str] = {d.id: d.name for d in await _all(db, select(Department))}
    assert set(departments.values()) == {"客户服务部", "技术部", "财务部", "物流部"}
    assert departments[teams["客服一线"].department_id] == "客户服务部"
    assert departments[teams["技术支持"].department_id] == "技术部"
    assert departments[teams["投诉处理"].department_id] == "客户服务部"
    assert (teams["客服一线"].tier, teams["技术支持"].tier, teams["投诉处理"].tier) == (1, 2, 2)
    assert departments[teams["应急小组"].department_id] == "技术部" and teams["应急小组"].tier == 3

    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.execute(
            select(User.email, User.role, Team.name)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(User.email.like("agent%"))
        )
        membership = {email: (role, team) for email, role, team in rows}
    assert len(membership) == 13
    per_team = {name: sum(1 for _, t in membership.values() if t == name) for name in teams}
    assert per_team == {"客服一线": 6, "技术支持": 3, "投诉处理": 3, "应急小组": 1}
    experts = {team for role, team in membership.values() if role is Role.EXPERT}
    assert experts == {"技术支持", "应急小组"}
    assert sum(1 for role, _ in membership.values() if role is Role.EXPERT) == 4


async def test_it_lets_every_listed_login_sign_in(loaded: Loaded) -> None:
    logins = loaded.summary.logins
    assert logins[0] == (label(Role.ADMIN), ADMIN_EMAIL, "demo-admin-2026")
    assert {email for _, email, _ in logins} >= {
        "supervisor@demo.servicedesk.cn", "qa@demo.servicedesk.cn", "agent01@demo.servicedesk.cn",
        "agent12@demo.servicedesk.cn", "customer@demo.servicedesk.cn",
    }  # fmt: skip
    for role_label, email, password in logins:
        async with UnitOfWork(loaded.db) as uow:
            principal = await authenticate(uow, email=email, password=password)
        assert principal is not None, email
        assert label(principal.role) == role_label
    async with UnitOfWork(loaded.db) as uow:
        customer = await authenticate(uow, email="customer@demo.servicedesk.cn", password="demo-pass-2026")
    assert customer is not None
    assert customer.role is Role.CUSTOMER
    assert customer.customer_id is not None
    mine = await _all(loaded.db, select(Ticket.status).where(Ticket.customer_id == customer.customer_id))
    assert set(mine) == set(TicketStatus)  # the help-center customer has a case in every state


async def test_it_makes_plausible_customers(loaded: Loaded) -> None:
    customers = await _all(loaded.db, select(Customer).options(selectinload(Customer.tags)))
    assert len(customers) == 200
    tiers = [c.tier for c in customers]
    assert 0.7 < tiers.count(CustomerTier.REGULAR) / len(tiers) < 0.9
    assert {CustomerTier.VIP1, CustomerTier.VIP2, CustomerTier.VIP3} <= set(tiers)
    assert all(c.phone and normalize_mobile(c.phone) == c.phone for c in customers)
    assert len({c.phone for c in customers}) == 200
    with_email = [c.email for c in customers if c.email]
    assert len(with_email) > 150
    assert len(set(with_email)) == len(with_email)
    ids = [c.id_number for c in customers if c.id_number]
    assert len(ids) > 20
    assert all(is_valid_resident_id(i) for i in ids)
    tags = {t.tag for c in customers for t in c.tags}
    assert {"高价值", "老客户", "企业客户"} <= tags
    assert all(c.created_at.tzinfo is not None for c in customers)


PLANNED = ~Ticket.tags.any(TicketTag.tag == "bot-handoff")  # the bot's demo chats come on top
NOT_BOT = Message.conversation_id.not_in(select(BotSession.conversation_id))


async def test_it_spreads_tickets_over_the_last_90_days(loaded: Loaded) -> None:
    tickets = await _all(loaded.db, select(Ticket).where(PLANNED))
    assert len(tickets) == 1000
    assert {t.type for t in tickets} == set(TicketType)
    assert {t.priority for t in tickets} == set(Priority)
    assert {t.status for t in tickets} == set(TicketStatus)
    assert len({t.channel for t in tickets}) >= 7
    assert len({t.team_id for t in tickets}) == 4  # three teams and some not yet routed
    assert any(t.assignee_id is None for t in tickets)
    oldest_allowed = loaded.started - timedelta(days=90)
    for t in tickets:
        assert t.created_at.tzinfo is not None
        assert oldest_allowed <= t.created_at <= t.updated_at <= loaded.finished, t.id
        state = Lifecycle(t.status, t.resolved_at, t.closed_at, t.reopened_count)
        assert state.violations() == [], t.id
    # The backlog is recent; old cases are mostly done.
    recent = loaded.started - timedelta(days=14)
    active = [t for t in tickets if t.status.is_active]
    assert sum(t.created_at >= recent for t in active) / len(active) > 0.75
    old = [t for t in tickets if t.created_at < recent]
    done = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    assert sum(t.status in done for t in old) / len(old) > 0.85
    created_days = {t.created_at.date() for t in tickets}
    assert len(created_days) > 75
    tags = set(await _all(loaded.db, select(TicketTag.tag).distinct()))
    assert {"退款", "物流", "发票", "账户", "硬件故障", "投诉"} <= tags


async def test_it_gives_every_ticket_a_conversation(loaded: Loaded) -> None:
    db = loaded.db
    messages = await _all(db, select(Message).where(NOT_BOT))
    tickets = {t.id: t for t in await _all(db, select(Ticket).where(PLANNED))}
    per_ticket: dict[int, list[Message]] = {}
    for m in messages:
        assert m.ticket_id is not None
        if not m.automatic:  # the system's progress notices come on top of the conversation
            per_ticket.setdefault(m.ticket_id, []).append(m)
    assert set(per_ticket) == set(tickets)
    assert {len(ms) for ms in per_ticket.values()} == {1, 2, 3, 4, 5}
    for ticket_id, ms in per_ticket.items():
        ms.sort(key=lambda m: m.id)
        assert ms[0].kind is MessageKind.INBOUND
        assert ms[0].created_at == tickets[ticket_id].created_at
        assert all(a.created_at <= b.created_at for a, b in pairwise(ms))
        assert ms[-1].created_at <= loaded.finished
    kinds = {m.kind for m in messages}
    assert kinds == set(MessageKind)
    replies = [m.body for m in messages if m.kind is MessageKind.REPLY]
    texts = [m.body for m in messages] + [t.subject for t in tickets.values()]
    assert not [text for text in texts if "{" in text or "}" in text]  # every template filled
    assert sum("您好" in body for body in replies) / len(replies) > 0.9
    responded = [t for t in tickets.values() if t.first_response_at is not None]
    assert all(t.first_response_at >= t.created_at for t in responded)  # type: ignore[operator]


async def test_it_writes_the_audit_trail(loaded: Loaded) -> None:
    db = loaded.db
    async with UnitOfWork(db, write=False) as uow:
        created = set(
            await uow.session.scalars(select(Event.ticket_id).where(Event.action == "ticket.created"))
        )
        actions = dict(
            (await uow.session.execute(select(Event.action, func.count()).group_by(Event.action))).all()
        )
        ticket_ids = set(await uow.session.scalars(select(Ticket.id)))
        bot_messages = await uow.session.scalar(select(func.count(Message.id)).where(~NOT_BOT)) or 0
        bot_inbound = await uow.session.scalar(
            select(func.count(Event.id)).where(
                Event.action == "message.inbound", Event.subject_id.in_(select(Message.id).where(~NOT_BOT))
            )
        )
        naive_or_future = await uow.session.scalar(
            select(func.count()).select_from(Event).where(Event.occurred_at > loaded.finished)
        )
        # the system's notices (resolution, incident updates) are recorded by the event that sent them
        noticed = await uow.session.scalars(select(Message.meta).where(Message.meta.is_not(None)))
        system_messages = sum(1 for meta in noticed if meta and "system" in meta)
    assert created == ticket_ids
    assert actions["customer.created"] == 200
    assert actions["team.created"] == 4
    assert actions["department.created"] == 4
    assert actions["user.created"] == 17  # 16 staff and the help-center customer
    assert actions["ticket.status_changed"] > 1000
    assert actions["ticket.updated"] > 0
    inbound = actions.get("message.inbound", 0) - (bot_inbound or 0)  # the bot's chats: see test_assistant
    assert actions["message.reply"] + actions["message.note"] + inbound == (
        await _count(db, Message) - 1000 - bot_messages - system_messages
    )
    assert naive_or_future == 0


async def test_it_changes_nothing_the_second_time(loaded: Loaded) -> None:
    before = {m.__name__: await _count(loaded.db, m) for m in (Ticket, Message, Event, User, Customer)}
    again = await load_demo(loaded.db)
    assert not again.created
    first = loaded.summary
    assert (again.teams, again.agents, again.customers, again.tickets, again.messages) == (
        first.teams, first.agents, first.customers, first.tickets, first.messages,
    )  # fmt: skip
    assert again.logins == first.logins
    after = {m.__name__: await _count(loaded.db, m) for m in (Ticket, Message, Event, User, Customer)}
    assert after == before


async def test_it_refuses_to_continue_a_half_finished_load(tmp_path: Path) -> None:
    db = await _migrated(tmp_path / "half.db")
    try:
        async with UnitOfWork(db) as uow:
            await create_user(uow, None, email="agent01@demo.servicedesk.cn", name="王芳", role=Role.AGENT)
        with pytest.raises(Conflict, match="did not finish"):
            await load_demo(db)
        assert await _count(db, Team) == 0
    finally:
        await db.dispose()


async def test_it_stages_the_standard_handling_scenes(loaded: Loaded) -> None:
    """Issue 5 on show: agents on shift with VIP advisors, an incident with its update sent, a
    request to each staffed department, a complex case at its plan, a refund waiting for the
    supervisor — each made through the real services."""
    db = loaded.db
    async with UnitOfWork(db, write=False) as uow:
        on_shift = await uow.session.scalar(select(func.count()).select_from(Availability))
        vips = list(await uow.session.scalars(select(Customer).where(Customer.tier != CustomerTier.REGULAR)))
        [incident] = list(await uow.session.scalars(select(Incident)))
        [update] = list(await uow.session.scalars(select(IncidentUpdate)))
        requests = list(await uow.session.scalars(select(CollaborationRequest)))
        [complex_case] = list(await uow.session.scalars(select(ComplexCase)))
        [action] = list(await uow.session.scalars(select(ServiceAction)))
    assert on_shift == 13
    assert vips and all(c.advisor_id is not None for c in vips)
    assert incident.status == "open" and update.recipients > 0
    # one request to each department with people in it: 客户服务部 and 技术部
    assert len(requests) == 2 and all(r.status == "open" for r in requests)
    assert complex_case.stage == "plan"
    assert action.status == "pending_approval" and action.amount > 500 and action.approver_id is None
