"""One truth for when people work (R-IN-5, R-SLA-2): the service calendar in the database sets
the SLA deadlines, what the chat and the bot tell a customer, who routing counts as on shift,
and the queue's estimates. By default the service centre is open 08:00–22:00 every day, public
holidays included; an admin decides whether holidays are staffed.

The issue's case: a VIP complaint on web chat at 21:55 on 30 September 2026, the eve of
National Day (1–7 October are public holidays), behind a floor whose only agent is busy.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.roles import Principal, Role
from servicedesk.domain.sla import SlaMetric
from servicedesk.services import service_hours, sla, sla_admin
from servicedesk.services import tickets as svc
from servicedesk.services.assistant import Assistant
from servicedesk.services.sla_defaults import SERVICE_CALENDAR
from servicedesk.store.db import Database
from servicedesk.store.models import Event, Message
from servicedesk.store.sla import CalendarRow
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.channels.webchat import _on_frame
from tests.conftest import World
from tests.integration.assistant_support import say
from tests.integration.test_routing_service import Desk, assignee_of, staff_floor
from tests.integration.test_sla import Frozen, local, standard_at

EVE = local(2026, 9, 30, 21, 55)
NIGHT = local(2026, 9, 30, 22, 30)
VISITOR = "v_9f8e7d6c5b4a3210"


def sue(world: World) -> Principal:
    return Principal(user_id=world.sue.user_id, role=Role.SUPERVISOR, name="Sue")


async def close_on_holidays(db: Database, world: World) -> None:
    """The admin's decision: the service centre does not work on public holidays."""
    async with UnitOfWork(db) as uow:
        row = await uow.session.scalar(select(CalendarRow).where(CalendarRow.name == SERVICE_CALENDAR))
        assert row is not None
        content = sla_admin.CalendarContent(
            name=row.name,
            hours=row.hours,
            time_zone=row.time_zone,
            china_official=True,
            holidays_staffed=False,
        )
        await sla_admin.save_calendar(uow, sue(world), content, calendar_id=row.id)


async def vip_complaint_behind_a_busy_floor(db: Database, world: World) -> int:
    """Alice (no shift of her own: the service hours) has her one chat place taken."""
    await staff_floor(db, world, alice=Desk(chat_capacity=1, open_chats=1))
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, sue(world), subject="快递员态度恶劣", body="我要投诉", customer_id=world.carol.customer_id,
            type=TicketType.SERVICE_QUALITY, channel=Channel.WEB_CHAT, tags=["投诉"],
        )  # fmt: skip
    assert await assignee_of(db, ticket.id) is None  # waits: Alice is full
    return ticket.id


async def told(db: Database, ticket_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Message)
            .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.REPLY)
            .order_by(Message.id)
        )
        return [m.body for m in rows if (m.meta or {}).get("system")]


async def first_due(db: Database, ticket_id: int, metric: SlaMetric = SlaMetric.FIRST_RESPONSE) -> object:
    async with UnitOfWork(db, write=False) as uow:
        clocks = {c.metric: c for c in await sla.clocks_of(uow, ticket_id)}
    return clocks[metric].due_at


async def test_by_default_the_holiday_eve_complaint_is_due_next_morning_and_the_chat_says_so(
    db: Database, world: World
) -> None:
    await standard_at(db, EVE)
    ticket_id = await vip_complaint_behind_a_busy_floor(db, world)
    # 5 minutes before closing, 10 at 08:00 on 1 October: the service works on National Day
    assert await first_due(db, ticket_id) == local(2026, 10, 1, 8, 10)
    [queued] = await told(db, ticket_id)
    # Alice's place frees after 8 working minutes: 5 tonight, 3 in the morning
    assert "排在第 1 位" in queued and "10月1日 08:03" in queued, queued


async def test_with_holidays_not_staffed_the_deadline_and_the_chat_both_say_8_october(
    db: Database, world: World
) -> None:
    await standard_at(db, EVE)
    await close_on_holidays(db, world)
    ticket_id = await vip_complaint_behind_a_busy_floor(db, world)
    assert await first_due(db, ticket_id) == local(2026, 10, 8, 8, 10)
    [queued] = await told(db, ticket_id)
    assert "10月8日 08:03" in queued, queued
    async with UnitOfWork(db, write=False) as uow:  # the decision is on the record
        saved = await uow.session.scalar(select(Event).where(Event.action == "sla.calendar_saved"))
    assert saved is not None and saved.actor_user_id == world.sue.user_id
    assert (saved.before, saved.after) == (
        {"holidays_staffed": True},
        {"name": SERVICE_CALENDAR, "holidays_staffed": False},
    )


@pytest.mark.parametrize(("staffed", "day"), [(True, 1), (False, 8)])
async def test_the_chat_notice_at_night_names_the_next_opening(
    db: Database, world: World, staffed: bool, day: int
) -> None:
    clock = await standard_at(db, NIGHT)
    if not staffed:
        await close_on_holidays(db, world)
    frame = json.dumps({"type": "message", "id": "n1", "body": "还有人吗？"})
    frames, _ = await _on_frame(frame, visitor=VISITOR, db=db)
    assert [f["type"] for f in frames] == ["ack", "notice"]
    ack, notice = frames
    assert f"#{ack['ticket_id']}" in notice["body"] and f"10月{day}日 08:00" in notice["body"], notice["body"]
    assert notice["opens_at"].startswith(f"2026-10-0{day}T08:00:00+08:00")
    again, _ = await _on_frame(frame, visitor=VISITOR, db=db)
    assert [f["type"] for f in again] == ["ack"]  # a resent frame is not told twice
    clock.at = local(2026, 10, 1, 10, 0)
    holiday = json.dumps({"type": "message", "id": "d1", "body": "你好"})  # 10:00 on 1 October
    frames, _ = await _on_frame(holiday, visitor=VISITOR, db=db)
    assert [f["type"] for f in frames] == (["ack"] if staffed else ["ack", "notice"])


async def test_a_new_chat_waiting_at_night_hears_one_message_not_a_notice_beside_it(
    db: Database, world: World
) -> None:
    """Routing queued it and said when: the notice frame would only repeat it."""
    await standard_at(db, NIGHT)
    await staff_floor(db, world, alice=Desk())  # online, but her hours are the service's
    frame = json.dumps({"type": "message", "id": "q1", "body": "耳机没声音"})
    frames, result = await _on_frame(frame, visitor=VISITOR, db=db)
    assert result is not None and result.ticket_id is not None
    assert [f["type"] for f in frames] == ["ack"]
    assert await assignee_of(db, result.ticket_id) is None  # off shift at 22:30
    [queued] = await told(db, result.ticket_id)
    assert "非服务时间" in queued and "10月1日 08:00 上线" in queued and "排在第 1 位" in queued, queued


async def test_the_bot_hand_off_at_night_names_the_same_opening_and_deadline(
    db: Database, world: World, shop: Assistant
) -> None:
    await standard_at(db, NIGHT)
    await close_on_holidays(db, world)
    handed = await say(db, shop, "转人工")
    assert handed is not None and handed.ticket_id is not None
    [text] = handed.replies
    # closed until 8 October; the hand-off's 10-minute contact promise counts from the opening
    assert "10月8日 08:00 上线" in text and "10月8日 08:10 前与您联系" in text, text
    assert await first_due(db, handed.ticket_id, SlaMetric.HANDOFF_CONTACT) == local(2026, 10, 8, 8, 10)


async def test_the_welcome_names_the_hours_from_the_calendar(
    db: Database, world: World, shop: Assistant
) -> None:
    await standard_at(db, EVE)
    async with UnitOfWork(db, write=False) as uow:
        welcome = await shop.welcome(uow, Channel.WEB_CHAT, "zh")
    assert welcome is not None and "每天 08:00–22:00" in welcome and "每天 每天" not in welcome
    await close_on_holidays(db, world)
    async with UnitOfWork(db, write=False) as uow:
        welcome = await shop.welcome(uow, Channel.WEB_CHAT, "zh")
        english = await shop.welcome(uow, Channel.WEB_CHAT, "en")
    assert welcome is not None and "每天 08:00–22:00（节假日除外）" in welcome
    assert english is not None and "08:00–22:00 (closed on holidays)" in english


async def test_the_service_calendar_is_the_one_plain_chats_are_measured_on(
    db: Database, world: World, clock_at_eve: Frozen
) -> None:
    """Pointing the catch-all policy at another calendar moves the service hours with it."""
    async with UnitOfWork(db) as uow:
        assert (await service_hours.current(uow)).name == SERVICE_CALENDAR
        late = await sla_admin.save_calendar(
            uow, sue(world), sla_admin.CalendarContent(name="晚班", hours="daily 08:00-23:00")
        )
    async with UnitOfWork(db) as uow:
        [plain] = [p for p in await sla_admin.list_policies(uow, sue(world)) if p.name == "普通咨询"]
        content = sla_admin.PolicyContent(
            name=plain.name, calendar_id=late.id, position=plain.position, targets=plain.targets
        )
        await sla_admin.save_policy(uow, sue(world), content, policy_id=plain.id)
    async with UnitOfWork(db) as uow:
        current = await service_hours.current(uow)
    assert current.name == "晚班" and current.is_open(local(2026, 9, 30, 22, 30))


@pytest.fixture
async def clock_at_eve(db: Database, world: World) -> Frozen:
    return await standard_at(db, EVE)


async def test_without_a_calendar_the_settings_seed_stands_in(db: Database) -> None:
    async with UnitOfWork(db, write=False) as uow:
        seeded = await service_hours.current(uow)
    assert seeded.calendar_id is None and seeded.hours_text("zh") == "08:00–22:00"
    assert not seeded.is_open(NIGHT) and seeded.next_open(NIGHT) == local(2026, 10, 1, 8, 0)


async def test_an_urgent_case_is_not_routed_to_an_agent_outside_the_service_hours(
    db: Database, world: World
) -> None:
    """Alice is online at 22:30 but has no shift of her own: she works the service hours."""
    await standard_at(db, NIGHT)
    await staff_floor(db, world, alice=Desk())
    async with UnitOfWork(db) as uow:
        ticket = await svc.create_ticket(
            uow, sue(world), subject="无法登录", body="一直报错", customer_id=world.dave.customer_id,
            type=TicketType.TECHNICAL, priority=Priority.HIGH, channel=Channel.WEB_CHAT,
        )  # fmt: skip
    assert await assignee_of(db, ticket.id) is None
    [queued] = await told(db, ticket.id)
    assert "10月1日 08:00" in queued, queued  # her place is free when she starts


async def test_a_hand_off_in_hours_names_the_agent_and_the_contact_deadline(
    db: Database, world: World, shop: Assistant
) -> None:
    """National Day, 10:00, holidays staffed by default: Alice takes it, within the 10 minutes."""
    await standard_at(db, local(2026, 10, 1, 10, 0))
    await staff_floor(db, world, alice=Desk())
    handed = await say(db, shop, "转人工")
    assert handed is not None and handed.ticket_id is not None
    assert await assignee_of(db, handed.ticket_id) == world.alice.user_id
    [text] = handed.replies
    assert "客服Alice将在 10月1日 10:10 前与您联系" in text and "非服务时间" not in text, text
