"""SLA clocks through the real write paths, on both databases, with a frozen clock.

The headline case is the issue's: a VIP complaint at 21:55 on the eve of National Day 2026
(1–7 October are public holidays), on an installation whose admin decided the service centre
(08:00–22:00) does not work on public holidays. The default, open on holidays too (R-IN-5), is
`test_service_hours.py`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from servicedesk.domain.catalog import Channel, CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal, Role
from servicedesk.domain.sla import ClockState, SlaMetric, Stage
from servicedesk.jobs.sla import SlaWorker, Sweep
from servicedesk.services import sla
from servicedesk.services import tickets as svc
from servicedesk.services.customers import update_customer
from servicedesk.services.notifications import list_notifications
from servicedesk.services.sla_defaults import SERVICE_CALENDAR, install_defaults
from servicedesk.services.staff import create_team
from servicedesk.store.db import Database
from servicedesk.store.models import AgentSkill, Event, Message, TeamMember, Ticket
from servicedesk.store.sla import CalendarRow, Notification, SlaClock
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

SHANGHAI = timedelta(hours=8)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - SHANGHAI


class Frozen:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def standard_at(db: Database, moment: datetime, *, holidays_staffed: bool = True) -> Frozen:
    """Freeze the database's clock at `moment` and install the seeded SLA standard; with
    `holidays_staffed` False, as an admin who closes the service centre on public holidays."""
    frozen = Frozen(moment)
    db.clock = frozen
    async with UnitOfWork(db) as uow:
        await install_defaults(uow)
        if not holidays_staffed:
            await uow.session.execute(
                update(CalendarRow).where(CalendarRow.name == SERVICE_CALENDAR).values(holidays_staffed=False)
            )
        await uow.commit()
    return frozen


@pytest.fixture
async def clock(db: Database, world: World) -> Frozen:
    return await standard_at(db, local(2026, 9, 30, 21, 55), holidays_staffed=False)


def staff(person_id: int, role: Role = Role.AGENT, teams: tuple[int, ...] = ()) -> Principal:
    return Principal(user_id=person_id, role=role, team_ids=frozenset(teams))


async def _vip_complaint(db: Database, world: World) -> int:
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, staff(world.alice.user_id, teams=(world.team_a,)), subject="快递员态度恶劣", body="我要投诉",
            customer_id=world.carol.customer_id, type=TicketType.SERVICE_QUALITY, channel=Channel.WEB_FORM,
            team_id=world.team_a, assignee_id=world.alice.user_id, tags=["投诉"],
        )  # fmt: skip
    return ticket.id


async def _clocks(db: Database, ticket_id: int) -> dict[SlaMetric, sla.ClockView]:
    async with UnitOfWork(db, write=False) as uow:
        return {c.metric: c for c in await sla.clocks_of(uow, ticket_id)}


async def test_it_gives_a_vip_complaint_on_a_holiday_eve_the_right_deadline(
    db: Database, world: World, clock: Frozen
) -> None:
    ticket_id = await _vip_complaint(db, world)
    clocks = await _clocks(db, ticket_id)
    first = clocks[SlaMetric.FIRST_RESPONSE]
    assert first.policy == "VIP 客户"
    assert first.target == timedelta(minutes=15)
    # five minutes before closing, seven holidays, then ten minutes on 8 October
    assert first.due_at == local(2026, 10, 8, 8, 10)
    assert clocks[SlaMetric.RESOLUTION].target == timedelta(hours=24)
    assert SlaMetric.HANDOFF_CONTACT not in clocks


async def test_it_meets_the_target_when_a_person_replies_in_time(
    db: Database, world: World, clock: Frozen
) -> None:
    ticket_id = await _vip_complaint(db, world)
    clock.at = local(2026, 10, 8, 8, 5)
    async with UnitOfWork(db) as uow:
        await svc.add_message(uow, staff(world.alice.user_id, teams=(world.team_a,)), ticket_id,
                              kind=MessageKind.REPLY, body="您好，已收到，正在核实")  # fmt: skip
    first = (await _clocks(db, ticket_id))[SlaMetric.FIRST_RESPONSE]
    assert (first.state, first.met, first.breached_at) == (ClockState.STOPPED, True, None)
    assert first.remaining == timedelta(minutes=5)  # 5 min on the eve + 5 min on 8 October used


async def test_a_late_reply_records_the_breach_at_the_deadline(
    db: Database, world: World, clock: Frozen
) -> None:
    ticket_id = await _vip_complaint(db, world)
    clock.at = local(2026, 10, 8, 9, 0)
    async with UnitOfWork(db) as uow:
        await svc.add_message(uow, staff(world.alice.user_id, teams=(world.team_a,)), ticket_id,
                              kind=MessageKind.REPLY, body="抱歉久等")  # fmt: skip
    first = (await _clocks(db, ticket_id))[SlaMetric.FIRST_RESPONSE]
    assert (first.met, first.breached_at, first.stopped_at) == (
        False,
        local(2026, 10, 8, 8, 10),
        local(2026, 10, 8, 9, 0),
    )


async def test_waiting_on_the_customer_pauses_the_clocks(db: Database, world: World, clock: Frozen) -> None:
    clock.at = local(2026, 10, 8, 10, 0)
    ticket_id = await _vip_complaint(db, world)
    alice = staff(world.alice.user_id, teams=(world.team_a,))
    clock.at = local(2026, 10, 8, 10, 5)
    async with UnitOfWork(db) as uow:
        await svc.add_message(uow, alice, ticket_id, kind=MessageKind.REPLY, body="请提供订单号")
    async with UnitOfWork(db) as uow:
        await svc.transition_ticket(uow, alice, ticket_id, to=TicketStatus.PENDING)
    resolution = (await _clocks(db, ticket_id))[SlaMetric.RESOLUTION]
    assert (resolution.state, resolution.due_at is not None) == (ClockState.PAUSED, True)
    clock.at = local(2026, 10, 8, 15, 5)  # five hours on the customer's side do not count
    customer = Principal(user_id=world.carol.user_id, role=Role.CUSTOMER, customer_id=world.carol.customer_id)
    async with UnitOfWork(db) as uow:
        await svc.add_message(uow, customer, ticket_id, kind=MessageKind.INBOUND, body="订单号 202410080001")
    clocks = await _clocks(db, ticket_id)
    resolution = clocks[SlaMetric.RESOLUTION]
    assert resolution.state is ClockState.RUNNING
    assert resolution.remaining == timedelta(hours=24) - timedelta(minutes=5)
    # 23 h 55 min left from 15:05: 6 h 55 min on the 8th, 14 h on the 9th, 3 h on the 10th
    assert resolution.due_at == local(2026, 10, 10, 11, 0)
    assert clocks[SlaMetric.NEXT_REPLY].target == timedelta(minutes=30)


async def test_a_reopened_case_runs_its_resolution_clock_on(
    db: Database, world: World, clock: Frozen
) -> None:
    clock.at = local(2026, 10, 8, 9, 0)
    ticket_id = await _vip_complaint(db, world)
    alice = staff(world.alice.user_id, teams=(world.team_a,))
    clock.at = local(2026, 10, 8, 11, 0)
    async with UnitOfWork(db) as uow:
        await svc.transition_ticket(uow, alice, ticket_id, to=TicketStatus.RESOLVED)
    resolved = (await _clocks(db, ticket_id))[SlaMetric.RESOLUTION]
    assert (resolved.met, resolved.remaining) == (True, timedelta(hours=22))
    clock.at = local(2026, 10, 9, 9, 0)
    async with UnitOfWork(db) as uow:
        await svc.transition_ticket(uow, alice, ticket_id, to=TicketStatus.OPEN)
    reopened = (await _clocks(db, ticket_id))[SlaMetric.RESOLUTION]
    assert (reopened.state, reopened.met, reopened.remaining) == (
        ClockState.RUNNING,
        None,
        timedelta(hours=22),
    )
    assert reopened.due_at == local(2026, 10, 10, 17, 0)  # 13 h on the 9th, 9 h on Saturday the 10th


async def test_raising_the_priority_shortens_the_deadline_keeping_time_used(
    db: Database, world: World, clock: Frozen
) -> None:
    clock.at = local(2026, 10, 8, 9, 0)
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, staff(world.alice.user_id, teams=(world.team_a,)), subject="无法登录", body="登录报错",
            customer_id=world.dave.customer_id, channel=Channel.WEB_FORM, team_id=world.team_a,
        )  # fmt: skip
    assert (await _clocks(db, ticket.id))[SlaMetric.FIRST_RESPONSE].due_at == local(2026, 10, 8, 10, 0)
    clock.at = local(2026, 10, 8, 9, 2)
    async with UnitOfWork(db) as uow:
        await svc.update_ticket(uow, staff(world.alice.user_id, teams=(world.team_a,)), ticket.id,
                                changes={"priority": Priority.HIGH}, reason="全部用户无法登录")  # fmt: skip
    first = (await _clocks(db, ticket.id))[SlaMetric.FIRST_RESPONSE]
    assert (first.policy, first.target, first.due_at) == (
        "特急与紧急",
        timedelta(minutes=5),
        local(2026, 10, 8, 9, 5),
    )


async def test_a_bot_handoff_promises_a_person_within_ten_minutes(
    db: Database, world: World, clock: Frozen
) -> None:
    from servicedesk.store.models import Conversation, Customer

    clock.at = local(2026, 10, 8, 12, 0)
    async with UnitOfWork(db) as uow:
        customer = await uow.session.get(Customer, world.dave.customer_id)
        assert customer is not None
        conversation = Conversation(customer_id=customer.id, channel=Channel.WEB_CHAT, started_at=clock.at)
        uow.session.add(conversation)
        await uow.session.flush()
        ticket = await svc.adopt_conversation(
            uow, customer=customer, conversation=conversation, subject="[转人工] 咨询",
            type=TicketType.CONSULTATION, priority=Priority.MEDIUM, tags=["bot-handoff"],
        )  # fmt: skip
        await uow.commit()
    contact = (await _clocks(db, ticket.id))[SlaMetric.HANDOFF_CONTACT]
    assert contact.due_at == local(2026, 10, 8, 12, 10)


async def _steps(db: Database, ticket_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Event.action)
            .where(Event.ticket_id == ticket_id, Event.action.like("sla.%"))
            .order_by(Event.id)
        )
        return list(rows)


async def test_the_ladder_warns_then_escalates_each_step_once(
    db: Database, world: World, clock: Frozen
) -> None:
    async with UnitOfWork(db) as uow:
        uow.session.add(TeamMember(team_id=world.team_a, user_id=world.sue.user_id, is_lead=True))
        await uow.commit()
    ticket_id = await _vip_complaint(db, world)
    worker = SlaWorker(db, worker_id="w1")
    assert (await worker.run_once(local(2026, 10, 8, 8, 6))).total == 0
    assert (await worker.run_once(local(2026, 10, 8, 8, 7))).taken == {"warned": 1}
    assert (await worker.run_once(local(2026, 10, 8, 8, 7))).total == 0  # taken once
    assert (await worker.run_once(local(2026, 10, 8, 8, 10))).taken == {"breached": 1}
    assert (await worker.run_once(local(2026, 10, 8, 8, 25))).taken == {"supervisor": 1}
    clock.at = local(2026, 10, 8, 8, 40)
    assert (await worker.run_once(local(2026, 10, 8, 8, 40))).taken == {"next_tier": 1}
    assert await _steps(db, ticket_id) == ["sla.warned", "sla.breached", "sla.supervisor", "sla.next_tier"]
    async with UnitOfWork(db, write=False) as uow:
        alice_sees = [
            (n.kind, n.data["metric"]) for n in await list_notifications(uow, staff(world.alice.user_id))
        ]
        sue_sees = [n.kind for n in await list_notifications(uow, staff(world.sue.user_id, Role.SUPERVISOR))]
        ticket = await uow.session.get(Ticket, ticket_id)
        told = await uow.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id,
                                                                     Message.kind == MessageKind.REPLY))  # fmt: skip
        told_customer = list(told)
        escalation = await uow.session.scalar(select(Event).where(Event.action == "ticket.escalated"))
    assert ("sla.warning", "first_response") in alice_sees and (
        "sla.breached",
        "first_response",
    ) in alice_sees
    assert "sla.supervisor" in sue_sees
    assert ticket is not None and (ticket.team_id, ticket.assignee_id) == (world.team_b, None)
    assert escalation is not None and escalation.after == {
        "team_id": world.team_b,
        "tier": 2,
        "reason": "首次响应超时，自动升级",
    }
    assert len(told_customer) == 1 and "技术支持" in told_customer[0]
    expert = (await _clocks(db, ticket_id))[SlaMetric.EXPERT_SOLUTION]
    assert expert.target == timedelta(hours=24) and expert.state is ClockState.RUNNING


async def test_two_workers_racing_on_one_deadline_send_one_warning(
    db: Database, world: World, clock: Frozen
) -> None:
    await _vip_complaint(db, world)
    at = local(2026, 10, 8, 8, 7)
    one, two = SlaWorker(db, worker_id="w1"), SlaWorker(db, worker_id="w2")
    import asyncio

    first, second = await asyncio.gather(one.run_once(at), two.run_once(at))
    assert first.total + second.total == 1
    async with UnitOfWork(db, write=False) as uow:
        warnings = list(
            await uow.session.scalars(select(Notification).where(Notification.kind == "sla.warning"))
        )
        [row] = list(
            await uow.session.scalars(select(SlaClock).where(SlaClock.metric == SlaMetric.FIRST_RESPONSE))
        )
    assert len(warnings) == 1 and row.stage == Stage.WARNED


async def test_a_stale_row_lost_to_another_worker_is_not_acted_on(
    db: Database, world: World, clock: Frozen
) -> None:
    """The conditional update is what guarantees once: simulate the other worker having moved
    the stage between our read and our update."""
    await _vip_complaint(db, world)
    worker = SlaWorker(db, worker_id="w1")
    at = local(2026, 10, 8, 8, 7)
    async with UnitOfWork(db) as uow:
        [row] = list(
            await uow.session.scalars(select(SlaClock).where(SlaClock.metric == SlaMetric.FIRST_RESPONSE))
        )
        await uow.session.execute(
            update(SlaClock)
            .where(SlaClock.id == row.id)
            .values(stage=int(Stage.WARNED))
            .execution_options(synchronize_session=False)
        )
        sweep = Sweep()
        await worker._steps(uow, [row], at, sweep)
        await uow.commit()
    assert (sweep.total, sweep.lost) == (0, 1)


async def test_the_ladder_stops_below_the_emergency_group_and_picks_the_expert_team_that_fits(
    db: Database, world: World, clock: Frozen
) -> None:
    """L3 is for major failures, which people declare: a late case climbs to L2 by itself —
    to the L2 team whose people know the case's field — and then the supervisors are told."""
    async with UnitOfWork(db) as uow:
        billing = await create_team(uow, None, name="账务专家", tier=2, commit=False)
        emergency = await create_team(uow, None, name="应急小组", tier=3, commit=False)
        uow.session.add(AgentSkill(user_id=world.eve.user_id, skill="技术", level=5))
        await uow.commit()
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, staff(world.sue.user_id, Role.SUPERVISOR), subject="App 闪退", body="升级后打不开",
            customer_id=world.carol.customer_id, type=TicketType.TECHNICAL, channel=Channel.WEB_CHAT,
            team_id=world.team_a,
        )  # fmt: skip
    worker = SlaWorker(db, worker_id="w")
    for day, hour in ((8, 9), (8, 12), (8, 16), (9, 12), (10, 12), (12, 12)):
        clock.at = local(2026, 10, day, hour)
        await worker.run_once(clock.at)
    async with UnitOfWork(db, write=False) as uow:
        moved = await uow.session.get(Ticket, ticket.id)
        notices = list(
            await uow.session.scalars(
                select(Notification.kind).where(Notification.user_id == world.sue.user_id)
            )
        )
    assert moved is not None
    assert moved.team_id == world.team_b != billing.id  # Eve's technical team, not billing
    assert moved.team_id != emergency.id
    assert "sla.top_tier" in notices


async def test_a_customer_made_vip_gets_the_vip_times_on_open_cases(
    db: Database, world: World, clock: Frozen
) -> None:
    """The policy follows the customer's tier: upgrading Dave re-targets his open case's clocks,
    keeping the time already used."""
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, staff(world.sue.user_id, Role.SUPERVISOR), subject="请问发票怎么开", body="报销用",
            customer_id=world.dave.customer_id, type=TicketType.CONSULTATION, priority=Priority.LOW,
            channel=Channel.WEB_CHAT, team_id=world.team_a,
        )  # fmt: skip
    regular = (await _clocks(db, ticket.id))[SlaMetric.FIRST_RESPONSE]
    assert regular.target == timedelta(hours=1)
    assert world.dave.customer_id is not None
    async with UnitOfWork(db) as uow:
        sue = staff(world.sue.user_id, Role.SUPERVISOR)
        await update_customer(uow, sue, world.dave.customer_id, changes={"tier": CustomerTier.VIP2})
    vip = (await _clocks(db, ticket.id))[SlaMetric.FIRST_RESPONSE]
    assert vip.target == timedelta(minutes=15) and vip.policy == "VIP 客户"
    assert vip.due_at == local(2026, 10, 8, 8, 10)  # 5 minutes used on the 30th, 10 left
