"""The case a bot hand-off pre-fills (R-BOT-5, issue 12 defect 7): type, priority and urgency
from the same classification every case gets, the bot's intent as evidence, the slots and every
word that drove them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.assistant import Action, HandoffReason, Urgency
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.services.assistant import Assistant
from servicedesk.services.intake import receive
from servicedesk.store.assistant import BotSession
from servicedesk.store.classification import Classification
from servicedesk.store.db import Database
from servicedesk.store.models import Message, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.assistant_support import ORDER, say, visitor_with_order
from tests.integration.test_pages import sign_in


async def _handed(db: Database, ticket_id: int) -> tuple[Ticket, BotSession, Classification | None, str]:
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        session = await uow.session.scalar(select(BotSession).where(BotSession.ticket_id == ticket_id))
        row = await uow.session.get(Classification, ticket_id)
        note = await uow.session.scalar(
            select(Message.body).where(Message.ticket_id == ticket_id, Message.kind == MessageKind.NOTE)
        )
    assert ticket is not None and session is not None and note is not None
    return ticket, session, row, note


async def test_a_complaint_about_a_hardware_fault_keeps_every_keyword_and_its_urgency(
    db: Database, shop: Assistant
) -> None:
    """Issue 12, defect 7: this kept only 投诉, typed the case service quality and gave it medium
    priority although its urgency was 紧急."""
    await visitor_with_order(db)
    handed = await say(db, shop, "我要投诉！这个耳机硬件故障，用了三天就坏了，要求退款")
    assert handed is not None and handed.reason is HandoffReason.INTENT and handed.ticket_id is not None
    ticket, session, row, note = await _handed(db, handed.ticket_id)
    keywords = session.handoff_detail["keywords"] if session.handoff_detail else []
    assert {"投诉", "退款"} <= set(keywords) and any("故障" in k or "硬件" in k for k in keywords)
    assert (
        ticket.type is TicketType.PRODUCT_QUALITY
    )  # the classifier's type; the complaint intent is evidence
    assert session.urgency is Urgency.URGENT and ticket.priority is Priority.HIGH
    assert row is not None and (row.type, row.priority) == (
        ticket.type,
        ticket.priority,
    )  # the suggestion is kept, with its reasons
    assert ["intent", "投诉"] in row.reasons["priority"]
    assert {t.tag for t in ticket.tags} >= {
        "bot-handoff",
        "handoff-intent",
        "intent-complaint",
        "refund",
        "complaint",
    }
    assert "紧急程度 Urgency: 紧急" in note and "问题类型 Type: 产品质量" in note and "投诉" in note


async def test_the_prefill_reads_the_whole_conversation_and_its_slots(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    first = await say(db, shop, f"订单{ORDER}的耳机收到就开不了机，充电也没反应，联系电话13812345678")
    assert first is not None and first.action is not Action.HANDOFF
    handed = await say(db, shop, "转人工")
    assert handed is not None and handed.reason is HandoffReason.ASKED and handed.ticket_id is not None
    ticket, session, row, note = await _handed(db, handed.ticket_id)
    detail = session.handoff_detail or {}
    assert detail["slots"] == {"order_no": ORDER, "phone": "138****5678"}  # the phone masked
    assert (ticket.type, ticket.priority, session.urgency) == (
        TicketType.PRODUCT_QUALITY,
        Priority.HIGH,
        Urgency.URGENT,
    )
    assert row is not None and row.reasons["priority"][0] == ["unusable", "开不了机"]
    assert {"开不了机", "转人工"} <= set(detail["keywords"])
    assert f"订单号 Order: {ORDER}" in note and "13812345678" not in note


async def test_a_hand_off_and_a_message_that_skips_the_bot_agree(db: Database, shop: Assistant) -> None:
    """One mapping for both: the same words by chat (the bot hands off) and by email (straight
    to a person) get the same type, priority and tags."""
    text = "充电器插上就冒烟了，还有焦味"
    await visitor_with_order(db)
    handed = await say(db, shop, text)
    assert handed is not None and handed.reason is HandoffReason.SAFETY and handed.ticket_id is not None
    chat, session, _row, _note = await _handed(db, handed.ticket_id)
    inbound = InboundMessage(
        channel=Channel.EMAIL, sender="lin@example.com", body=text, subject="",
        received_at=datetime.now(UTC), message_id="<same@example.com>",
    )  # fmt: skip
    async with UnitOfWork(db) as uow:
        mailed = await receive(uow, inbound, assistant=shop)
    async with UnitOfWork(db, write=False) as uow:
        mail = await uow.session.get(Ticket, mailed.ticket_id)
    assert mail is not None
    assert (
        (chat.type, chat.priority)
        == (mail.type, mail.priority)
        == (TicketType.PRODUCT_QUALITY, Priority.HIGH)
    )
    assert session.urgency is Urgency.CRITICAL  # danger: 特急
    business = {t.tag for t in chat.tags} - {"bot-handoff", "handoff-safety"}
    assert business == {t.tag for t in mail.tags}


async def test_the_ticket_page_words_the_hand_off_in_the_readers_language(
    db: Database, shop: Assistant, client: httpx.AsyncClient, world: World
) -> None:
    await visitor_with_order(db)
    handed = await say(db, shop, f"订单{ORDER}的耳机收到就开不了机，我要投诉")
    assert handed is not None and handed.ticket_id is not None
    await sign_in(client, world.sue)
    page = (await client.get(f"/agent/tickets/{handed.ticket_id}")).text
    assert "客户提供的信息" in page and f"订单号 {ORDER}" in page
    assert "转人工原因" in page and "紧急程度" in page  # the trail's hand-off event, under its own names
    assert "f_intent" not in page and "f_keywords" not in page
    client.cookies.set("sd_lang", "en")
    english = (await client.get(f"/agent/tickets/{handed.ticket_id}")).text
    assert "recognised intent: Complaint" in english and "Hand-off reason" in english
    assert "识别意图" not in english
