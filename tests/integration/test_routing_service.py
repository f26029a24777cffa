"""Skill routing through the real write paths, on both databases, with a frozen clock: who gets
a new case and why, the queue with its positions and waits, draining, re-routing when an agent
goes offline, and the supervisor's changes to the queue.

The floor: Alice (team A, L1) and Bob (team B, L2) are agents; Sue supervises. Where a test
needs two interchangeable front-line agents Bob sits in team A too (`Desk(front_line=True)`):
tiers are a ceiling, so a case with no team reaches an L2-only Bob only when it needs what the
front line lacks. Carol is a VIP customer, Dave a regular one. Monday 2 March 2026, 10:00 in
Shanghai.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.errors import Forbidden, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal, Role
from servicedesk.domain.routing import Exclusion, RouteReason
from servicedesk.domain.routing_rules import Presence, RoutingPolicy, Workload
from servicedesk.jobs import routing as queue_drainer
from servicedesk.services import availability, incidents, routing, routing_queue, tiers
from servicedesk.services import tickets as svc
from servicedesk.services.staff import create_team
from servicedesk.store.db import Database
from servicedesk.store.models import (
    AgentSkill,
    Customer,
    CustomerIdentity,
    Event,
    Message,
    TeamMember,
    Ticket,
)
from servicedesk.store.routing import Availability, QueueEntry
from servicedesk.store.sla import Notification
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World, make_person
from tests.integration.test_sla import Frozen

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CHAT, EMAIL = Channel.WEB_CHAT, Channel.EMAIL


@pytest.fixture(autouse=True)
def clock(db: Database) -> Frozen:
    """Monday 10:00: agents without their own shift work the service hours (08:00–22:00)."""
    frozen = Frozen(NOW)
    db.clock = frozen
    return frozen


def sue(world: World) -> Principal:
    return Principal(user_id=world.sue.user_id, role=Role.SUPERVISOR, name="Sue")


def agent(world: World, who: str = "alice") -> Principal:
    person = getattr(world, who)
    team = world.team_a if who == "alice" else world.team_b
    return Principal(user_id=person.user_id, role=Role.AGENT, team_ids=frozenset({team}))


@dataclass
class Desk:
    """One agent's row for a table case."""

    presence: Presence = Presence.ONLINE
    skills: dict[str, int] = field(default_factory=dict)
    chat_capacity: int = 3
    hours: str | None = None
    open_chats: int = 0
    front_line: bool = False  # also a member of team A (L1)


async def on_the_front_line(db: Database, world: World, who: str) -> None:
    async with UnitOfWork(db) as uow:
        uow.session.add(TeamMember(team_id=world.team_a, user_id=getattr(world, who).user_id))
        await uow.commit()


async def staff_floor(db: Database, world: World, **desks: Desk) -> None:
    """Availability rows, skills and existing loads for the named agents (alice, bob)."""
    for who, desk in desks.items():
        if desk.front_line:
            await on_the_front_line(db, world, who)
    async with UnitOfWork(db) as uow:
        for who, desk in desks.items():
            user_id = getattr(world, who).user_id
            await availability.apply_settings(
                uow, None, user_id, chat_capacity=desk.chat_capacity, working_hours=desk.hours
            )
            await availability.apply_presence(uow, None, user_id, desk.presence)
            uow.session.add_all(
                AgentSkill(user_id=user_id, skill=s, level=lvl) for s, lvl in desk.skills.items()
            )
        await uow.commit()
    for who, desk in desks.items():
        for n in range(desk.open_chats):
            await open_case(db, world, f"进行中的会话 {n}", assignee=getattr(world, who).user_id)


async def open_case(
    db: Database,
    world: World,
    subject: str = "请帮我看看",
    *,
    customer: str = "dave",
    channel: Channel = CHAT,
    type: TicketType = TicketType.CONSULTATION,
    priority: Priority = Priority.MEDIUM,
    tags: tuple[str, ...] = (),
    assignee: int | None = None,
    team: int | None = None,
    body: str = "内容",
) -> int:
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, sue(world), subject=subject, body=body, customer_id=getattr(world, customer).customer_id,
            type=type, priority=priority, channel=channel, tags=tags, assignee_id=assignee, team_id=team,
        )  # fmt: skip
    return ticket.id


async def assignee_of(db: Database, ticket_id: int) -> int | None:
    async with UnitOfWork(db, write=False) as uow:
        return await uow.session.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket_id))


async def last_event(db: Database, ticket_id: int, prefix: str = "routing.") -> Event:
    async with UnitOfWork(db, write=False) as uow:
        event = await uow.session.scalar(
            select(Event)
            .where(Event.ticket_id == ticket_id, Event.action.like(f"{prefix}%"))
            .order_by(Event.id.desc())
            .limit(1)
        )
    assert event is not None
    return event


def codes(event: Event) -> list[str]:
    return [r["code"] for r in (event.after or {})["routing_reasons"]]


async def set_advisor(db: Database, world: World, who: str) -> None:
    async with UnitOfWork(db) as uow:
        carol = await uow.session.get(Customer, world.carol.customer_id)
        assert carol is not None
        carol.advisor_id = getattr(world, who).user_id
        await uow.commit()


pytestmark = pytest.mark.usefixtures("clock")

# -- who gets a new case -----------------------------------------------------------------------

CASES: list[tuple[str, dict[str, Desk], dict[str, Any], str | None, str | None]] = [
    (
        "the better skill wins",
        {"alice": Desk(skills={"退款": 2}), "bob": Desk(skills={"退款": 5}, front_line=True)},
        {"tags": ("退款",)}, "bob", RouteReason.SKILL,
    ),
    (
        "what the front line can do stays there, however good the L2 expert",
        {"alice": Desk(skills={"退款": 2}), "bob": Desk(skills={"退款": 5})},
        {"tags": ("退款",)}, "alice", RouteReason.SKILL,
    ),
    (
        "what only L2 knows goes to L2",
        {"alice": Desk(), "bob": Desk(skills={"投诉处理": 4})},
        {"type": TicketType.SERVICE_QUALITY}, "bob", RouteReason.SKILL,
    ),
    (
        "a full agent is passed over",
        {"alice": Desk(skills={"退款": 2}), "bob": Desk(skills={"退款": 5}, chat_capacity=1, open_chats=1)},
        {"tags": ("退款",)}, "alice", RouteReason.BEST_MATCH,
    ),
    (
        "an away agent takes no chat",
        {"alice": Desk(), "bob": Desk(presence=Presence.AWAY, skills={"退款": 5})},
        {"tags": ("退款",)}, "alice", RouteReason.LACKS,
    ),
    (
        "an away agent takes a ticket when nobody online fits",
        {"alice": Desk(presence=Presence.AWAY), "bob": Desk(presence=Presence.OFFLINE, front_line=True)},
        {"channel": EMAIL}, "alice", RouteReason.AWAY_FALLBACK,
    ),
    (
        "an offline agent takes nothing",
        {"alice": Desk(), "bob": Desk(presence=Presence.OFFLINE, skills={"退款": 5})},
        {"tags": ("退款",)}, "alice", RouteReason.BEST_MATCH,
    ),
    (
        "off shift is out, whatever the skill",
        {"alice": Desk(), "bob": Desk(skills={"退款": 5}, hours="mon-fri 18:00-22:00")},
        {"tags": ("退款",)}, "alice", RouteReason.BEST_MATCH,
    ),
    (
        "an English profile counts when the messages show no language",
        {"alice": Desk(skills={"退款": 5}), "bob": Desk(skills={"英语": 3}, front_line=True)},
        {"customer": "carol_en", "body": "2026111800042"}, "bob", RouteReason.LANGUAGE,
    ),
    (
        "an English chat goes to the English writer, whatever the profile says",
        {"alice": Desk(skills={"退款": 5}), "bob": Desk(skills={"英语": 3}, front_line=True)},
        {"body": "Hi, where is my refund? It has been a week."}, "bob", RouteReason.LANGUAGE,
    ),
    (
        "an English chat waits for an English writer rather than go to one who is free",
        {"alice": Desk(), "bob": Desk(skills={"英语": 3}, chat_capacity=1, open_chats=1, front_line=True)},
        {"body": "Hello, my earbuds will not pair with my phone"}, None, RouteReason.LANGUAGE_WAIT,
    ),
    (
        "nobody signed in: the case queues",
        {"alice": Desk(presence=Presence.OFFLINE), "bob": Desk(presence=Presence.OFFLINE)},
        {}, None, RouteReason.NOBODY,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("desks", "case", "expected", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_it_routes_a_new_case_by_the_floor(
    db: Database,
    world: World,
    desks: dict[str, Desk],
    case: dict[str, Any],
    expected: str | None,
    reason: str,
) -> None:
    await staff_floor(db, world, **desks)
    if case.get("customer") == "carol_en":
        async with UnitOfWork(db) as uow:
            carol = await uow.session.get(Customer, world.carol.customer_id)
            assert carol is not None
            carol.locale = "en"
            await uow.commit()
        case = {**case, "customer": "carol"}
    ticket_id = await open_case(db, world, **case)
    want = getattr(world, expected).user_id if expected else None
    assert await assignee_of(db, ticket_id) == want
    event = await last_event(db, ticket_id)
    assert event.action == ("routing.assigned" if expected else "routing.queued")
    assert reason in codes(event)
    assert event.after and event.after["routing_why"]  # the reasons in words, for the trail


async def test_a_vip_goes_to_their_advisor_over_a_better_skill(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(), bob=Desk(skills={"投诉处理": 5}))
    await set_advisor(db, world, "alice")
    ticket_id = await open_case(db, world, customer="carol", type=TicketType.SERVICE_QUALITY)
    assert await assignee_of(db, ticket_id) == world.alice.user_id
    event = await last_event(db, ticket_id)
    assert codes(event)[0] == RouteReason.ADVISOR and "专属顾问" in event.after["routing_why"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("advisor_desk", "why"),
    [(Desk(presence=Presence.OFFLINE), "offline"), (Desk(chat_capacity=1, open_chats=1), "full")],
)
async def test_an_unavailable_advisor_falls_back_with_the_reason(
    db: Database, world: World, advisor_desk: Desk, why: str
) -> None:
    await staff_floor(db, world, alice=advisor_desk, bob=Desk(skills={"投诉处理": 5}))
    await set_advisor(db, world, "alice")
    ticket_id = await open_case(db, world, customer="carol", type=TicketType.SERVICE_QUALITY)
    assert await assignee_of(db, ticket_id) == world.bob.user_id
    reasons = (await last_event(db, ticket_id)).after["routing_reasons"]  # type: ignore[index]
    assert {"code": "advisor_unavailable", "params": {"why": why}} in reasons


@pytest.mark.parametrize("policy", [RoutingPolicy.ROUND_ROBIN, RoutingPolicy.LEAST_LOADED])
async def test_round_robin_and_least_loaded_alternate(
    db: Database, world: World, clock: Frozen, policy: RoutingPolicy
) -> None:
    db.settings.routing_policy = policy
    await staff_floor(db, world, alice=Desk(), bob=Desk(skills={"退款": 5}))
    got = []
    for n in range(4):
        clock.at = NOW + timedelta(minutes=n)
        got.append(await assignee_of(db, await open_case(db, world, f"第 {n} 个", tags=("退款",))))
    a, b = world.alice.user_id, world.bob.user_id
    assert got == [a, b, a, b]
    event = await last_event(db, await open_case(db, world, "再来一个"))
    assert event.after["routing_policy"] == policy.value  # type: ignore[index]


async def test_the_skills_policy_does_not_alternate(db: Database, world: World, clock: Frozen) -> None:
    await staff_floor(db, world, alice=Desk(), bob=Desk(skills={"退款": 5}, chat_capacity=10))
    got = []
    for n in range(3):
        clock.at = NOW + timedelta(minutes=n)
        got.append(await assignee_of(db, await open_case(db, world, f"第 {n} 个", tags=("退款",))))
    assert got == [world.bob.user_id] * 3


async def test_without_availability_rows_nothing_is_routed(db: Database, world: World) -> None:
    ticket_id = await open_case(db, world)
    assert await assignee_of(db, ticket_id) is None
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.session.scalar(select(QueueEntry.id)) is None
        assert await uow.session.scalar(select(Event.id).where(Event.action.like("routing.%"))) is None


async def test_the_agent_is_told_and_round_robin_remembers(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk())
    ticket_id = await open_case(db, world)
    async with UnitOfWork(db, write=False) as uow:
        note = await uow.session.scalar(select(Notification).where(Notification.ticket_id == ticket_id))
        row = await uow.session.get(Availability, world.alice.user_id)
    assert note is not None and (note.user_id, note.kind) == (world.alice.user_id, "routing.assigned")
    assert row is not None and row.last_assigned_at == NOW


# -- tiers are a ceiling ----------------------------------------------------------------------


@dataclass
class Emergency:
    team_id: int
    max: Person  # the emergency group's one member, the best complaint handler of all


async def emergency_group(db: Database) -> Emergency:
    async with UnitOfWork(db) as uow:
        team_id = (await create_team(uow, None, name="应急小组", tier=3, commit=False)).id
        await uow.commit()
    max_ = await make_person(db, "Max", Role.EXPERT, team_ids=(team_id,))
    async with UnitOfWork(db) as uow:
        await availability.apply_presence(uow, None, max_.user_id, Presence.ONLINE)
        uow.session.add(AgentSkill(user_id=max_.user_id, skill="投诉处理", level=5))
        await uow.commit()
    return Emergency(team_id, max_)


async def a_complaint_behind_a_full_complaint_team(db: Database, world: World) -> tuple[int, Emergency]:
    """Bob (L2) handles complaints and has no place left; Alice (L1) is off; Max of the
    emergency group (L3) is free. An ordinary complaint chat arrives."""
    group = await emergency_group(db)
    await staff_floor(
        db, world, alice=Desk(presence=Presence.OFFLINE),
        bob=Desk(skills={"投诉处理": 4}, chat_capacity=1, open_chats=1),
    )  # fmt: skip
    complaint = await open_case(
        db, world, "客服态度太差，我要投诉", type=TicketType.SERVICE_QUALITY, tags=("投诉",),
        body="昨天客服直接挂了我电话，要求给个说法！",
    )  # fmt: skip
    return complaint, group


async def test_an_ordinary_complaint_waits_for_the_full_complaint_team_not_the_emergency_group(
    db: Database, world: World
) -> None:
    complaint, _ = await a_complaint_behind_a_full_complaint_team(db, world)
    assert await assignee_of(db, complaint) is None
    event = await last_event(db, complaint)
    assert event.action == "routing.queued" and RouteReason.TIER_CEILING in codes(event)
    assert "未升级的 L2 工单不交给更高层级" in event.after["routing_why"]  # type: ignore[index]
    async with UnitOfWork(db, write=False) as uow:
        (item,) = await routing_queue.queue_items(uow, sue(world))
    assert item.blockers == {Exclusion.ABOVE_TIER: 1, Exclusion.FULL: 1}  # Max; Bob
    assert not item.assignable  # the queue job will not hand it to Max either
    assert await queue_drainer.drain_once(db) == 0
    async with UnitOfWork(db, write=False) as uow:
        (busy,) = await uow.session.scalars(
            select(Ticket.id).where(Ticket.assignee_id == world.bob.user_id, Ticket.id != complaint)
        )
    async with UnitOfWork(db) as uow:  # the complaint team frees a place: theirs
        await svc.transition_ticket(uow, agent(world, "bob"), busy, to=TicketStatus.RESOLVED)
    assert await assignee_of(db, complaint) == world.bob.user_id


async def test_an_escalated_case_may_go_up(db: Database, world: World) -> None:
    complaint, group = await a_complaint_behind_a_full_complaint_team(db, world)
    async with UnitOfWork(db) as uow:
        await tiers.escalate_ticket(uow, sue(world), complaint, reason="媒体曝光风险", team_id=group.team_id)
    assert await assignee_of(db, complaint) == group.max.user_id
    async with UnitOfWork(db, write=False) as uow:
        entries = list(await uow.session.scalars(select(QueueEntry).where(QueueEntry.ticket_id == complaint)))
    assert [(e.outcome, e.left_at is not None) for e in entries] == [(routing.REQUEUED, True)]


async def test_a_case_of_a_declared_major_incident_may_go_up(db: Database, world: World) -> None:
    complaint, group = await a_complaint_behind_a_full_complaint_team(db, world)
    async with UnitOfWork(db) as uow:
        await incidents.declare_incident(
            uow, sue(world), title="支付系统故障", tier=3, ticket_ids=[complaint]
        )
    assert await assignee_of(db, complaint) == group.max.user_id


async def test_a_front_line_case_waits_for_the_front_line(db: Database, world: World) -> None:
    """Nothing in a refund needs more than the front line has: with Alice full it waits, and
    neither the L2 expert nor the emergency group takes it."""
    await emergency_group(db)
    await staff_floor(
        db, world, alice=Desk(skills={"退款": 3}, chat_capacity=1, open_chats=1), bob=Desk(skills={"退款": 5})
    )
    refund = await open_case(db, world, "退款什么时候到账", tags=("退款",))
    assert await assignee_of(db, refund) is None
    async with UnitOfWork(db, write=False) as uow:
        (item,) = await routing_queue.queue_items(uow, sue(world))
    assert item.blockers == {Exclusion.ABOVE_TIER: 2, Exclusion.FULL: 1}  # Bob and Max; Alice


# -- the queue ---------------------------------------------------------------------------------


async def two_queued_behind_a_busy_floor(db: Database, world: World, clock: Frozen) -> tuple[int, int]:
    """Two agents with one chat each, both busy (2 slots, 8 minutes a chat by default), and two
    chats queued behind them at NOW and a minute later."""
    await staff_floor(
        db, world, alice=Desk(chat_capacity=1, open_chats=1),
        bob=Desk(chat_capacity=1, open_chats=1, front_line=True),
    )  # fmt: skip
    first = await open_case(db, world, "第一")
    clock.at = NOW + timedelta(minutes=1)
    return first, await open_case(db, world, "第二")


async def test_queued_cases_get_positions_and_an_honest_wait(
    db: Database, world: World, clock: Frozen
) -> None:
    first, second = await two_queued_behind_a_busy_floor(db, world, clock)
    clock.at = NOW + timedelta(minutes=2)
    vip = await open_case(db, world, "贵宾", customer="carol")
    queued = [(await last_event(db, t)).after for t in (first, second, vip)]
    assert [(q["queue_position"], q["expected_wait_s"]) for q in queued] == [  # type: ignore[index]
        (1, 240), (2, 480), (1, 240),
    ]  # fmt: skip
    async with UnitOfWork(db, write=False) as uow:
        items = await routing_queue.queue_items(uow, sue(world))
    assert [(i.ticket_id, i.position) for i in items] == [(vip, 1), (first, 2), (second, 3)]
    assert [i.expected_wait for i in items] == [timedelta(minutes=m) for m in (4, 8, 12)]
    assert items[1].waited == timedelta(minutes=2) and items[0].is_vip
    assert items[0].blockers == {Exclusion.FULL: 2} and not items[0].assignable


async def test_a_waiting_case_that_turns_urgent_moves_up_and_keeps_its_arrival(
    db: Database, world: World, clock: Frozen
) -> None:
    first, second = await two_queued_behind_a_busy_floor(db, world, clock)
    clock.at = NOW + timedelta(minutes=3)
    async with UnitOfWork(db) as uow:  # the queue knew it as a question; it is an outage
        await svc.update_ticket(
            uow, sue(world), second, changes={"priority": Priority.HIGH}, reason="无法下单"
        )
    async with UnitOfWork(db, write=False) as uow:
        items = await routing_queue.queue_items(uow, sue(world))
    assert [(i.ticket_id, i.position) for i in items] == [(second, 1), (first, 2)]
    assert items[0].waited == timedelta(minutes=2)  # from its first arrival, not the change
    requeued = await last_event(db, second)
    assert requeued.action == "routing.requeued" and requeued.after["queue_position"] == 1  # type: ignore[index]

    async with UnitOfWork(db) as uow:  # nothing the queue reads changed: no new entry
        await svc.update_ticket(uow, sue(world), second, changes={"subject": "第二：无法下单"})
    async with UnitOfWork(db, write=False) as uow:
        entries = await uow.session.scalar(select(func.count()).where(QueueEntry.ticket_id == second))
    assert entries == 2


async def test_the_wait_is_unknown_only_when_nobody_could_take_it(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(chat_capacity=0))  # takes no chats at all
    ticket_id = await open_case(db, world)
    after = (await last_event(db, ticket_id)).after
    assert after is not None and (after["queue_position"], after["expected_wait_s"]) == (1, None)


async def test_an_absent_agent_is_expected_at_her_next_shift(db: Database, world: World) -> None:
    """Offline at 10:00 on a service day: she is not promised back before the next opening."""
    await staff_floor(db, world, alice=Desk(presence=Presence.OFFLINE))
    ticket_id = await open_case(db, world)
    after = (await last_event(db, ticket_id)).after
    assert after is not None and after["queue_position"] == 1
    assert after["expected_wait_s"] == 22 * 3600  # tomorrow 08:00, her place free


async def test_the_wait_follows_the_handling_time_of_resolved_chats(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(chat_capacity=1, open_chats=1))
    async with UnitOfWork(db) as uow:
        for n in range(routing.MIN_HISTORY):
            opened = NOW - timedelta(days=1, minutes=n)
            done = opened + timedelta(minutes=20)
            old = Ticket(
                subject=f"旧会话 {n}", type=TicketType.CONSULTATION, priority=Priority.MEDIUM,
                status=TicketStatus.RESOLVED, channel=CHAT, customer_id=world.dave.customer_id,
                created_at=opened, updated_at=done, resolved_at=done, reopened_count=0,
            )  # fmt: skip
            uow.session.add(old)
        await uow.commit()
    after = (await last_event(db, await open_case(db, world))).after
    assert after is not None and after["expected_wait_s"] == 20 * 60  # one slot, 20 minutes a chat


async def test_coming_online_takes_from_the_queue(db: Database, world: World, clock: Frozen) -> None:
    await staff_floor(db, world, alice=Desk(presence=Presence.OFFLINE), bob=Desk(presence=Presence.OFFLINE))
    waiting = [await open_case(db, world, f"排队 {n}") for n in range(4)]
    clock.at = NOW + timedelta(minutes=5)
    async with UnitOfWork(db) as uow:
        change = await routing.set_presence(uow, agent(world), Presence.ONLINE)
    assert (change.before, change.after) == (Presence.OFFLINE, Presence.ONLINE)
    assert [m.ticket_id for m in change.moved] == waiting[:3]  # three chats fill Alice
    assert [await assignee_of(db, t) for t in waiting] == [world.alice.user_id] * 3 + [None]
    taken = await last_event(db, waiting[0])
    assert taken.after is not None and taken.after["queue_wait_s"] == 300
    async with UnitOfWork(db, write=False) as uow:
        entries = list(await uow.session.scalars(select(QueueEntry).order_by(QueueEntry.id)))
    assert [(e.outcome, e.agent_id) for e in entries] == [("assigned", world.alice.user_id)] * 3 + [
        (None, None)
    ]


async def test_a_freed_place_takes_the_next_case(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(chat_capacity=1))
    busy = await open_case(db, world, "正在处理")
    waiting = await open_case(db, world, "排队中")
    assert await assignee_of(db, busy) == world.alice.user_id and await assignee_of(db, waiting) is None
    async with UnitOfWork(db) as uow:
        await svc.transition_ticket(uow, agent(world), busy, to=TicketStatus.RESOLVED)
    assert await assignee_of(db, waiting) == world.alice.user_id


async def test_a_queued_case_that_closes_leaves_the_queue(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(presence=Presence.OFFLINE))
    ticket_id = await open_case(db, world)
    async with UnitOfWork(db) as uow:
        await svc.transition_ticket(uow, sue(world), ticket_id, to=TicketStatus.RESOLVED)
    async with UnitOfWork(db, write=False) as uow:
        entry = await uow.session.scalar(select(QueueEntry))
    assert entry is not None and entry.outcome == "withdrawn"


# -- going offline -----------------------------------------------------------------------------


async def test_going_offline_hands_on_unanswered_cases_only(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(), bob=Desk(presence=Presence.AWAY, front_line=True))
    async with UnitOfWork(db) as uow:  # a chat reaches the visitor, so the reply below is an answer
        uow.session.add(CustomerIdentity(customer_id=world.dave.customer_id, channel=CHAT,
                                         external_id="visitor-dave", created_at=uow.now()))  # fmt: skip
        await uow.commit()
    unanswered, answered = await open_case(db, world, "未回复"), await open_case(db, world, "已回复")
    email = await open_case(db, world, "邮件", channel=EMAIL)
    async with UnitOfWork(db) as uow:
        await svc.add_message(uow, agent(world), answered, kind=MessageKind.REPLY, body="您好")
    async with UnitOfWork(db) as uow:
        await routing.set_presence(uow, sue(world), Presence.ONLINE, user_id=world.bob.user_id)
    async with UnitOfWork(db) as uow:
        change = await routing.set_presence(uow, agent(world), Presence.OFFLINE)
    assert sorted(m.ticket_id for m in change.moved) == [unanswered, email]
    assert [await assignee_of(db, t) for t in (unanswered, answered, email)] == [
        world.bob.user_id, world.alice.user_id, world.bob.user_id,
    ]  # fmt: skip
    moved = await last_event(db, unanswered)
    assert moved.action == "routing.rerouted" and moved.before == {"assignee_id": world.alice.user_id}


async def test_going_offline_with_nobody_to_take_over_queues_at_the_first_arrival(
    db: Database, world: World, clock: Frozen
) -> None:
    await staff_floor(db, world, alice=Desk())
    ticket_id = await open_case(db, world)
    clock.at = NOW + timedelta(minutes=7)
    async with UnitOfWork(db) as uow:
        await routing.set_presence(uow, agent(world), Presence.OFFLINE)
    assert await assignee_of(db, ticket_id) is None
    async with UnitOfWork(db, write=False) as uow:
        entry = await uow.session.scalar(select(QueueEntry).where(QueueEntry.ticket_id == ticket_id))
    assert entry is not None and entry.enqueued_at == NOW and entry.left_at is None


async def test_chat_only_rerouting_keeps_tickets(db: Database, world: World) -> None:
    db.settings.routing_reroute = [Workload.CHAT]
    await staff_floor(db, world, alice=Desk(), bob=Desk())
    email = await open_case(db, world, "邮件", channel=EMAIL)
    owner = await assignee_of(db, email)
    async with UnitOfWork(db) as uow:
        change = await routing.set_presence(uow, Principal(owner or 0, Role.AGENT), Presence.OFFLINE)
    assert change.moved == [] and await assignee_of(db, email) == owner


# -- supervisors and the queue -----------------------------------------------------------------


async def _three_waiting(db: Database, world: World, clock: Frozen) -> list[int]:
    await staff_floor(db, world, alice=Desk(presence=Presence.OFFLINE), bob=Desk(presence=Presence.OFFLINE))
    ids = []
    for n in range(3):
        clock.at = NOW + timedelta(minutes=n)
        ids.append(await open_case(db, world, f"排队 {n}"))
    return ids


async def _order(db: Database, world: World) -> list[int]:
    async with UnitOfWork(db, write=False) as uow:
        return [i.ticket_id for i in await routing_queue.queue_items(uow, sue(world))]


async def _entry(db: Database, ticket_id: int) -> QueueEntry:
    async with UnitOfWork(db, write=False) as uow:
        entry = await uow.session.scalar(select(QueueEntry).where(QueueEntry.ticket_id == ticket_id))
    assert entry is not None
    return entry


async def test_a_supervisor_reorders_the_queue(db: Database, world: World, clock: Frozen) -> None:
    a, b, c = await _three_waiting(db, world, clock)
    entry = await _entry(db, c)
    async with UnitOfWork(db) as uow:
        assert await routing_queue.move(uow, sue(world), entry.id, "up") == 2
    assert await _order(db, world) == [a, c, b]
    async with UnitOfWork(db) as uow:
        assert await routing_queue.move(uow, sue(world), entry.id, "up") == 1
    async with UnitOfWork(db) as uow:
        assert await routing_queue.move(uow, sue(world), entry.id, "up") == 1  # already first
    assert await _order(db, world) == [c, a, b]
    async with UnitOfWork(db) as uow:
        assert await routing_queue.move(uow, sue(world), (await _entry(db, b)).id, "down") == 3
    clock.at = NOW + timedelta(minutes=10)
    d = await open_case(db, world, "后来的")
    assert await _order(db, world) == [c, a, b, d]
    assert (await _entry(db, c)).enqueued_at == NOW + timedelta(minutes=2)  # arrival kept
    moved = await last_event(db, c)
    assert (moved.action, moved.before, moved.after) == (
        "routing.queue_moved", {"queue_position": 2}, {"queue_position": 1},
    )  # fmt: skip


async def test_a_supervisor_assigns_or_withdraws_a_waiting_case(
    db: Database, world: World, clock: Frozen
) -> None:
    a, b, _c = await _three_waiting(db, world, clock)
    async with UnitOfWork(db) as uow:
        await routing_queue.assign(uow, sue(world), (await _entry(db, a)).id, world.bob.user_id)
    async with UnitOfWork(db) as uow:
        await routing_queue.withdraw(uow, sue(world), (await _entry(db, b)).id, reason="客户已电话解决")
    assert await assignee_of(db, a) == world.bob.user_id and await assignee_of(db, b) is None
    assigned, withdrawn = await _entry(db, a), await _entry(db, b)
    assert (assigned.outcome, assigned.agent_id, assigned.changed_by_id) == (
        "assigned", world.bob.user_id, world.sue.user_id,
    )  # fmt: skip
    assert (withdrawn.outcome, withdrawn.changed_by_id) == ("withdrawn", world.sue.user_id)
    event = await last_event(db, b)
    assert event.action == "routing.queue_withdrawn" and event.actor_user_id == world.sue.user_id
    assert await _order(db, world) == [_c]
    with pytest.raises(ValidationFailed):
        async with UnitOfWork(db) as uow:
            await routing_queue.withdraw(uow, sue(world), (await _entry(db, _c)).id, reason="  ")


@pytest.mark.parametrize("action", ["up", "assign", "withdraw", "drain"])
async def test_an_agent_cannot_change_the_queue(
    db: Database, world: World, clock: Frozen, action: str
) -> None:
    ids = await _three_waiting(db, world, clock)
    entry = await _entry(db, ids[1])
    me = agent(world)
    attempts: dict[str, Callable[[UnitOfWork], Awaitable[object]]] = {
        "up": lambda uow: routing_queue.move(uow, me, entry.id, "up"),
        "assign": lambda uow: routing_queue.assign(uow, me, entry.id, me.user_id),
        "withdraw": lambda uow: routing_queue.withdraw(uow, me, entry.id, reason="我不想处理"),
        "drain": lambda uow: routing_queue.drain_now(uow, me),
    }
    async with UnitOfWork(db) as uow:
        with pytest.raises(Forbidden):
            await attempts[action](uow)
    assert await _order(db, world) == ids


async def test_an_agent_sets_only_their_own_presence(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(), bob=Desk())
    with pytest.raises(Forbidden):
        async with UnitOfWork(db) as uow:
            await routing.set_presence(uow, agent(world), Presence.OFFLINE, user_id=world.bob.user_id)
    with pytest.raises(Forbidden):
        async with UnitOfWork(db) as uow:
            await routing.edit_availability(uow, agent(world), world.alice.user_id, chat_capacity=9)


async def test_more_capacity_takes_from_the_queue(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(chat_capacity=1, open_chats=1))
    waiting = await open_case(db, world)
    async with UnitOfWork(db) as uow:
        _row, moved = await routing.edit_availability(uow, sue(world), world.alice.user_id, chat_capacity=2)
    assert [m.ticket_id for m in moved] == [waiting]
    with pytest.raises(ValidationFailed) as bad:
        async with UnitOfWork(db) as uow:
            await routing.edit_availability(
                uow, sue(world), world.alice.user_id, working_hours="mon 25:00-26:00"
            )
    assert "working_hours" in bad.value.fields


async def test_a_drain_assigns_what_became_possible(db: Database, world: World, clock: Frozen) -> None:
    await staff_floor(db, world, alice=Desk(hours="mon-fri 11:00-18:00"))
    waiting = await open_case(db, world)
    assert await assignee_of(db, waiting) is None  # Alice is online but her shift starts at 11
    clock.at = NOW + timedelta(hours=1)
    async with UnitOfWork(db) as uow:
        done = await routing_queue.drain_now(uow, sue(world))
    assert [d.agent_id for d in done] == [world.alice.user_id]
    assert await assignee_of(db, waiting) == world.alice.user_id


async def test_the_queue_job_hands_out_cases_when_a_shift_starts(
    db: Database, world: World, clock: Frozen
) -> None:
    """Nothing announces a shift starting: the periodic drain notices (jobs.routing)."""
    await staff_floor(db, world, alice=Desk(hours="mon-fri 11:00-18:00"))
    waiting = await open_case(db, world)
    assert await queue_drainer.drain_once(db) == 0  # 10:00: still nobody on duty
    assert await assignee_of(db, waiting) is None
    clock.at = NOW + timedelta(hours=1, minutes=1)
    assert await queue_drainer.drain_once(db) == 1
    assert await assignee_of(db, waiting) == world.alice.user_id
    assert await queue_drainer.drain_once(db) == 0


async def test_the_case_routing_tells_who_and_why_or_where_it_waits(db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(skills={"退款": 4}, chat_capacity=1))
    routed, queued = await open_case(db, world, tags=("退款",)), await open_case(db, world)
    async with UnitOfWork(db, write=False) as uow:
        first = await routing_queue.case_routing_by_id(uow, sue(world), routed)
        second = await routing_queue.case_routing_by_id(uow, sue(world), queued)
    assert first is not None and first.agent_name == "Alice" and first.waiting is None
    assert [w.text("en") for w in first.reasons] == [
        "Best overall match",
        "Skill Refunds level 4",
        "Load 0/1",
    ]
    assert second is not None and second.waiting is not None and second.waiting.position == 1
    assert second.waiting.expected_wait == timedelta(minutes=8)


async def test_a_case_back_from_an_offline_agent_goes_before_later_arrivals(
    db: Database, world: World, clock: Frozen
) -> None:
    await staff_floor(db, world, alice=Desk(chat_capacity=1))
    first = await open_case(db, world, "先到")
    clock.at = NOW + timedelta(minutes=1)
    later = await open_case(db, world, "后到")
    clock.at = NOW + timedelta(minutes=2)
    async with UnitOfWork(db) as uow:
        await routing.set_presence(uow, agent(world), Presence.OFFLINE)
    assert await _order(db, world) == [first, later]
    assert (await last_event(db, first)).after["queue_position"] == 1  # type: ignore[index]
    async with UnitOfWork(db) as uow:  # the ranks stayed distinct, so a move is one exchange
        assert await routing_queue.move(uow, sue(world), (await _entry(db, later)).id, "up") == 1
    assert await _order(db, world) == [later, first]


async def test_the_demo_floor_is_installed_once(db: Database, world: World) -> None:
    wang = await make_person(db, "王芳", Role.AGENT, team_ids=(world.team_a,))
    wu = await make_person(db, "吴昊", Role.AGENT, team_ids=(world.team_a,))
    for expected in (2, 0):
        async with UnitOfWork(db) as uow:
            assert await availability.install_demo_availability(uow) == expected
            await uow.commit()
    async with UnitOfWork(db, write=False) as uow:
        row = await uow.session.get(Availability, wang.user_id)
        carol = await uow.session.get(Customer, world.carol.customer_id)
        dave = await uow.session.get(Customer, world.dave.customer_id)
    assert row is not None and (row.presence, row.working_hours) == ("online", "daily 08:00-16:30")
    assert (
        carol is not None and dave is not None and (carol.advisor_id, dave.advisor_id) == (wu.user_id, None)
    )
    ticket_id = await open_case(db, world, customer="carol")
    assert await assignee_of(db, ticket_id) == wu.user_id  # Monday 10:00: on shift, online


async def test_a_waiting_chat_customer_hears_their_place_and_the_wait(
    db: Database, world: World, clock: Frozen
) -> None:
    """R-HD-7 for the queue: a live chat is told how many are ahead and about how long; an
    email waits without a message (nobody is watching the screen)."""
    await staff_floor(db, world, alice=Desk(chat_capacity=1))
    await open_case(db, world, "正在处理")
    first, second = await open_case(db, world, "排队一"), await open_case(db, world, "排队二")
    async with UnitOfWork(db) as uow:  # no room for emails either, so the email waits too
        await availability.apply_settings(uow, None, world.alice.user_id, ticket_capacity=0)
        await uow.commit()
    mail = await open_case(db, world, "邮件排队", channel=EMAIL)
    assert await assignee_of(db, mail) is None

    async def told(ticket_id: int) -> list[str]:
        async with UnitOfWork(db, write=False) as uow:
            rows = await uow.session.scalars(
                select(Message).where(Message.ticket_id == ticket_id, Message.kind == MessageKind.REPLY)
            )
            return [m.body for m in rows if (m.meta or {}).get("system") == "queued"]

    assert await told(first) == [
        "您好，您目前排在第 1 位，预计约 8分钟后有客服接待您。客服接入后会第一时间回复您，请不要离开。"
    ]  # never "0 ahead": a place in the queue counts from 1
    assert "您目前排在第 2 位，预计约 16分钟后" in (await told(second))[0]
    assert await told(mail) == []


async def test_a_waiting_chat_customer_hears_the_queue_in_the_language_they_write(
    db: Database, world: World
) -> None:
    """Dave's profile says Chinese; he writes English, so the queue speaks English to him."""
    await staff_floor(db, world, alice=Desk(chat_capacity=1, skills={"英语": 3}))
    await open_case(db, world, "正在处理")
    waiting = await open_case(db, world, "Refund", body="Hi, where is my refund? It has been a week.")
    async with UnitOfWork(db, write=False) as uow:
        told = list(
            await uow.session.scalars(
                select(Message.body).where(Message.ticket_id == waiting, Message.kind == MessageKind.REPLY)
            )
        )
    assert len(told) == 1 and told[0].startswith(
        "You are number 1 in the queue; an agent is expected in about"
    )
