"""A waiting customer hears one consistent story (R-HD-7, R-IN-5): each automatic message is
worded from where routing left the case, the wait is honest (the next shift plus the queue
ahead), and a case that can only wait past its target climbs the escalation ladder at once
instead of waiting silently.

Monday 2 March 2026, 10:00 in Shanghai, the seeded SLA standard. Alice works team A (L1), Bob
team B (技术支持, L2); Sue supervises; Carol is a VIP.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.sla import SlaMetric, Stage
from servicedesk.jobs.sla import SlaWorker
from servicedesk.services import routing_queue, tiers
from servicedesk.services import tickets as svc
from servicedesk.store.db import Database
from servicedesk.store.models import Event, Message, Ticket
from servicedesk.store.sla import Notification, SlaClock
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.test_routing_service import (
    Desk,
    agent,
    assignee_of,
    last_event,
    open_case,
    staff_floor,
    sue,
)
from tests.integration.test_sla import Frozen, local, standard_at

NOW = local(2026, 3, 2, 10, 0)
LATE_SHIFT = "mon-fri 11:00-18:00"  # team A starts at 11:00 today


async def told(db: Database, ticket_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Message)
            .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.REPLY)
            .order_by(Message.id)
        )
        return [m.body for m in rows if (m.meta or {}).get("system")]


async def notified(db: Database, user_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return list(rows)


async def test_an_escalation_into_a_busy_team_says_where_it_waits_in_one_message(
    db: Database, world: World
) -> None:
    """Not "passed to 技术支持, answer by 18:42" beside "no agent is free, 9 ahead"."""
    await standard_at(db, NOW)
    await staff_floor(db, world, alice=Desk(), bob=Desk(chat_capacity=1, open_chats=1))
    case = await open_case(db, world, "屏幕闪烁", customer="carol", team=world.team_a)
    assert await assignee_of(db, case) == world.alice.user_id
    async with UnitOfWork(db) as uow:
        await tiers.escalate_ticket(uow, agent(world), case, reason="需要技术排查")
    assert await assignee_of(db, case) is None  # Bob's one place is taken
    [message] = await told(db, case)
    assert "已转交技术支持" in message and "您目前排在第 1 位" in message and "约 8分钟后" in message, message
    assert "没有空闲" not in message and "前给您答复" not in message


async def test_the_wait_for_a_team_off_shift_is_its_next_shift_plus_the_queue_ahead(
    db: Database, world: World
) -> None:
    await standard_at(db, NOW)
    await staff_floor(db, world, alice=Desk(chat_capacity=1, hours=LATE_SHIFT))
    first, second = await open_case(db, world, "第一"), await open_case(db, world, "第二")
    waits = [(await last_event(db, t)).after["expected_wait_s"] for t in (first, second)]  # type: ignore[index]
    assert waits == [3600, 3600 + 8 * 60]  # her free place at 11:00, then one chat's handling
    async with UnitOfWork(db, write=False) as uow:
        items = await routing_queue.queue_items(uow, sue(world))
    assert [i.expected_wait for i in items] == [timedelta(hours=1), timedelta(hours=1, minutes=8)]
    assert "3月2日 11:00 左右" in (await told(db, first))[0]
    assert "3月2日 11:08 左右" in (await told(db, second))[0]


async def test_a_vip_safety_case_that_can_only_wait_past_its_target_climbs_the_ladder(
    db: Database, world: World
) -> None:
    clock: Frozen = await standard_at(db, NOW)
    await staff_floor(db, world, alice=Desk(hours=LATE_SHIFT))
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, sue(world), subject="充电时发烫，有焦味", body="担心安全", customer_id=world.carol.customer_id,
            type=TicketType.PRODUCT_QUALITY, priority=Priority.HIGH, channel=Channel.WEB_CHAT,
            tags=["安全隐患"],
        )  # fmt: skip
    case = ticket.id
    # 5 minutes to a first response, but nobody who could take it is on shift before 11:00
    [queued] = await told(db, case)
    assert "您目前排在第 1 位" in queued and "3月2日 11:00 左右" in queued, queued
    assert await notified(db, world.sue.user_id) == ["sla.queue_late"]  # at once, not at 10:04
    async with UnitOfWork(db, write=False) as uow:
        first = await uow.session.scalar(
            select(SlaClock).where(SlaClock.ticket_id == case, SlaClock.metric == SlaMetric.FIRST_RESPONSE)
        )
        warned = await uow.session.scalar(select(Event).where(Event.action == "sla.warned"))
    assert first is not None and first.stage == Stage.WARNED and first.due_at == local(2026, 3, 2, 10, 5)
    assert warned is not None and warned.after is not None and warned.after["reason"] == "queued_past_due"
    assert warned.after["expected_at"] == local(2026, 3, 2, 11, 0).isoformat()

    worker = SlaWorker(db, worker_id="queue-ladder")
    for minute in (5, 20, 35):  # breach, supervisor, next tier
        clock.at = local(2026, 3, 2, 10, minute)
        await worker.run_once(clock.at)
    sue_heard = await notified(db, world.sue.user_id)
    assert sue_heard.count("sla.breached") == 1 and sue_heard.count("sla.supervisor") == 1
    assert "sla.warning" not in sue_heard  # the early warning was the warning
    async with UnitOfWork(db, write=False) as uow:
        moved = await uow.session.get(Ticket, case)
    assert moved is not None and moved.team_id == world.team_b  # up a tier, by the ladder
    escalated = (await told(db, case))[-1]
    assert "已转交技术支持" in escalated and "您目前排在第 1 位" in escalated, escalated
