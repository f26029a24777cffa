"""Watching the bot and stepping in, on both databases: who sees its conversations, what a
take-over opens, and that a conversation is taken once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.assistant import BotState, HandoffReason
from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.errors import Conflict, NotFound
from servicedesk.domain.roles import Principal
from servicedesk.services.assistant import Assistant
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.bot_chats import active_bot_chats
from servicedesk.services.intake import receive
from servicedesk.store.assistant import BotSession
from servicedesk.store.db import Database
from servicedesk.store.models import Event, Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.live import StaffHub, tell_staff
from tests.conftest import Person, World
from tests.integration.assistant_support import say, visitor_with_order
from tests.integration.test_pages import csrf_of, sign_in


async def _principal(db: Database, person: Person) -> Principal:
    async with UnitOfWork(db) as uow:
        found = await principal_by_user_id(uow, person.user_id)
    assert found is not None
    return found


async def _bot_conversation(db: Database, shop: Assistant) -> int:
    await visitor_with_order(db)
    await say(db, shop, "公司报销需要发票，怎么开")
    async with UnitOfWork(db, write=False) as uow:
        session = await uow.session.scalar(select(BotSession))
    assert session is not None
    return int(session.conversation_id)


async def test_a_supervisor_watches_the_bot_and_takes_over(
    db: Database, shop: Assistant, world: World
) -> None:
    conversation_id = await _bot_conversation(db, shop)
    sue, alice = await _principal(db, world.sue), await _principal(db, world.alice)
    async with UnitOfWork(db, write=False) as uow:
        watched = await active_bot_chats(uow, sue)
        unseen = await active_bot_chats(uow, alice)
    assert [c.conversation_id for c in watched] == [conversation_id] and unseen == []
    assert [line.speaker for line in watched[0].lines] == ["visitor", "bot", "bot"]  # answer, then "rate"
    assert watched[0].customer_name == "林娜"

    async with UnitOfWork(db) as uow:
        with pytest.raises(NotFound):  # a case with no team is not an agent's to see
            await shop.take_over(uow, alice, conversation_id)
    async with UnitOfWork(db) as uow:
        ticket = await shop.take_over(uow, sue, conversation_id)
    async with UnitOfWork(db) as uow:
        with pytest.raises(Conflict):
            await shop.take_over(uow, sue, conversation_id)

    async with UnitOfWork(db, write=False) as uow:
        case = await uow.session.get(Ticket, ticket.id)
        session = await uow.session.get(BotSession, conversation_id)
        kinds = list(await uow.session.scalars(select(Message.kind).where(Message.ticket_id == ticket.id)))
        event = await uow.session.scalar(select(Event).where(Event.action == "bot.handoff"))
        queued = list(await uow.session.scalars(select(Outbox.payload)))
        still_watched = await active_bot_chats(uow, sue)
    assert case is not None and case.assignee_id == world.sue.user_id
    assert case.subject.startswith("[接管] 发票")
    assert session is not None and (session.state, session.handoff_reason) == (
        BotState.HANDED_OFF, HandoffReason.TAKEN_OVER,
    )  # fmt: skip
    assert kinds.count(MessageKind.INBOUND) == 1 and MessageKind.NOTE in kinds  # the conversation came along
    assert event is not None and event.actor_user_id == world.sue.user_id
    assert event.after is not None and event.after["intent"] == "invoice"
    assert any("人工客服Sue" in str(p) for p in queued)  # the customer is told a person is here
    assert still_watched == []
    assert await say(db, shop, "好的，我要开专票") is None  # the next message goes to the case, not the bot


async def test_the_chats_page_offers_the_bots_conversations_to_watchers_only(
    client: httpx.AsyncClient, db: Database, shop: Assistant, world: World
) -> None:
    conversation_id = await _bot_conversation(db, shop)
    await sign_in(client, world.alice)
    assert "机器人接待中" not in (await client.get("/agent/chats")).text
    await sign_in(client, world.sue)
    page = await client.get("/agent/chats")
    assert "机器人接待中" in page.text and "公司报销需要发票，怎么开" in page.text
    action = f"/agent/chats/bot/{conversation_id}/take"
    assert action in page.text
    assert (await client.post(action, data={"csrf": "forged"})).status_code == 403
    taken = await client.post(action, data={"csrf": csrf_of(page.text)})
    assert taken.status_code == 303 and taken.headers["location"].startswith("/agent/tickets/")
    again = await client.post(action, data={"csrf": csrf_of(page.text)})
    assert again.status_code == 409 and "already" in again.text


async def test_watchers_see_the_bot_answer_on_any_of_its_channels(
    db: Database, shop: Assistant, world: World
) -> None:
    await visitor_with_order(db)
    hub, heard = StaffHub(), []

    def page(name: str) -> Any:
        async def send(frame: dict[str, Any]) -> None:
            heard.append((name, frame))

        return send

    hub.join(await _principal(db, world.sue), page("sue"))
    hub.join(await _principal(db, world.alice), page("alice"))  # an agent: not a watcher of the bot
    inbound = InboundMessage(channel=Channel.WECHAT, sender="oWeChatOpenId0001", body="发票怎么开",
                             received_at=db.clock(), message_id="wx-1")  # fmt: skip
    async with UnitOfWork(db) as uow:
        result = await receive(uow, inbound, assistant=shop)
    await tell_staff(hub, db, result, inbound.body)
    async with UnitOfWork(db) as uow:
        again = await receive(uow, inbound, assistant=shop)  # WeChat retried the delivery
    await tell_staff(hub, db, again, inbound.body)
    assert [name for name, _ in heard] == ["sue"]  # once, and only to the watcher
    frame = heard[0][1]
    assert frame["type"] == "bot_chat" and not frame["handed_off"]
    assert [line["from"] for line in frame["lines"]] == ["visitor", "bot", "bot"]


async def test_the_live_chats_page_carries_wechat_cases_beside_web_chats(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    hub, heard = StaffHub(), []

    async def page(frame: dict[str, Any]) -> None:
        heard.append(frame)

    hub.join(await _principal(db, world.sue), page)
    wechat = InboundMessage(channel=Channel.WECHAT, sender="oWeChatOpenId0002", body="快递三天没动了",
                            received_at=db.clock(), message_id="wx-2")  # fmt: skip
    async with UnitOfWork(db) as uow:
        result = await receive(uow, wechat)  # no bot: straight to a case
    await tell_staff(hub, db, result, wechat.body)
    assert [(f["type"], f["ticket_id"], f["body"]) for f in heard] == [
        ("chat", result.ticket_id, "快递三天没动了")
    ]
    await sign_in(client, world.sue)
    panes = (await client.get("/agent/chats")).text
    assert f'data-ticket="{result.ticket_id}"' in panes and "快递三天没动了" in panes
