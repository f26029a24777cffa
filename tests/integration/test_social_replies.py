"""Replies on Weibo and Douyin end to end, on SQLite and PostgreSQL: a signed push reaches the
webhook, the bot's answer and an agent's reply are outbox rows, and the dispatcher delivers them
to the platform's API (played by tests/fake_social.py in its recorded formats).

Before the fix both channels were missing from the outbound channels: the bot's answer and the
agent's reply were stored, the first response counted as met, and nothing was ever sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.delivery import DeliveryState
from servicedesk.domain.sla import ClockState, SlaMetric
from servicedesk.jobs.outbox import Dispatcher, RunResult, Transport
from servicedesk.services import sla
from servicedesk.services.demo_knowledge import load_knowledge
from servicedesk.store.db import Database
from servicedesk.store.models import Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.fake_social import DOUYIN_ACCOUNT, FakeDouyin, FakeWeibo, recorded
from tests.integration.test_sla import Frozen, local, standard_at
from tests.integration.test_social_webhook import SECRETS, build_app, encode, headers, load

MONDAY_10 = local(2026, 10, 12, 10, 0)  # a working day after the National Day holiday


@pytest.fixture
async def clock(db: Database) -> Frozen:
    return await standard_at(db, MONDAY_10)


@pytest.fixture
async def web(db: Database, clock: Frozen) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(db, dict(SECRETS))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def push(web: httpx.AsyncClient, db: Database, platform: str, payload: dict[str, Any]) -> None:
    body = encode(payload)
    answer = await web.post(f"/channels/social/{platform}", content=body, headers=headers(db, platform, body))
    assert answer.status_code == 200, answer.text


async def outbox(db: Database) -> list[Outbox]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(Outbox).order_by(Outbox.id)))


async def only_ticket(db: Database) -> Ticket:
    async with UnitOfWork(db, write=False) as uow:
        [ticket] = list(await uow.session.scalars(select(Ticket)))
    return ticket


async def dispatch(db: Database, channel: Channel, transport: Transport) -> RunResult:
    return await Dispatcher(db, {channel: transport}, worker_id="t").run_once()


async def reply(web: httpx.AsyncClient, world: World, ticket_id: int, body: str) -> dict[str, Any]:
    answer = await web.post(
        f"/api/v1/tickets/{ticket_id}/messages", json={"body": body}, headers=world.sue.auth
    )
    assert answer.status_code == 201, answer.text
    sent: dict[str, Any] = answer.json()
    return sent


async def first_response(db: Database, ticket_id: int) -> sla.ClockView:
    async with UnitOfWork(db, write=False) as uow:
        return next(c for c in await sla.clocks_of(uow, ticket_id) if c.metric is SlaMetric.FIRST_RESPONSE)


async def test_the_bots_answer_to_a_signed_weibo_dm_reaches_weibo(
    web: httpx.AsyncClient, db: Database
) -> None:
    async with UnitOfWork(db) as uow:
        await load_knowledge(uow)
        await uow.commit()
    await push(web, db, "weibo", load("weibo_private_message.json") | {"text": "发票怎么开？需要公司抬头"})
    rows = await outbox(db)
    assert [(r.channel, r.recipient, r.payload["metadata"]["source"]) for r in rows] == [
        (Channel.WEIBO, "2489518277", "private_message")
    ] * 2  # the answer, then the request for a rating
    fake = FakeWeibo()
    assert (await dispatch(db, Channel.WEIBO, fake.transport())).sent == 2
    url = recorded("weibo")["message_reply_request"]["url"]
    assert [(u, form["receiver_id"]) for u, form in fake.sent] == [(url, "2489518277")] * 2
    assert "纳税人识别号" in fake.sent[0][1]["data"]
    async with UnitOfWork(db, write=False) as uow:
        said = list(await uow.session.scalars(select(Message).where(Message.kind == MessageKind.REPLY)))
    assert [m.delivery for m in said] == [DeliveryState.SENT] * 2


async def test_an_agents_reply_to_a_weibo_dm_reaches_weibo_and_meets_the_first_response(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    await push(web, db, "weibo", load("weibo_private_message.json"))
    ticket = await only_ticket(db)
    assert ticket.channel is Channel.WEIBO
    case = await web.get(f"/api/v1/tickets/{ticket.id}", headers=world.sue.auth)
    assert case.json()["reply_channel"]["deliverable"] is True  # known before writing

    text = "您好，左耳机没有声音请先重置配对：同时长按两侧 10 秒。"
    sent = await reply(web, world, ticket.id, text)
    assert sent["delivery"]["state"] == "pending"
    assert (await first_response(db, ticket.id)).met is True
    fake = FakeWeibo()
    assert (await dispatch(db, Channel.WEIBO, fake.transport())).sent == 1
    assert fake.sent == [(recorded("weibo")["message_reply_request"]["url"],
                          recorded("weibo")["message_reply_request"]["form"])]  # fmt: skip
    shown = await web.get(f"/api/v1/tickets/{ticket.id}", headers=world.sue.auth)
    mine = next(m for m in shown.json()["messages"] if m["body"] == text)
    assert mine["delivery"]["state"] == "sent" and mine["delivery"]["delivered_at"] is not None


async def test_a_reply_to_a_weibo_comment_answers_that_comment(
    web: httpx.AsyncClient, db: Database, world: World
) -> None:
    await push(web, db, "weibo", load("weibo_comment.json"))
    ticket = await only_ticket(db)
    case = await web.get(f"/api/v1/tickets/{ticket.id}", headers=world.sue.auth)
    assert case.json()["reply_channel"]["public"] is True  # the agent is told it is a public comment
    await reply(web, world, ticket.id, "您好，已为您加急处理，请留意私信。")
    fake = FakeWeibo()
    assert (await dispatch(db, Channel.WEIBO, fake.transport())).sent == 1
    wanted = recorded("weibo")["comment_reply_request"]
    assert fake.sent == [(wanted["url"], wanted["form"])]


async def test_an_agents_reply_to_a_douyin_dm_answers_in_its_conversation(
    web: httpx.AsyncClient, db: Database, world: World
) -> None:
    await push(web, db, "douyin", load("douyin_im_text.json"))
    ticket = await only_ticket(db)
    await reply(web, world, ticket.id, "您好，直播间的面膜今天下午发货，请留意物流。")
    fake = FakeDouyin()
    assert (await dispatch(db, Channel.DOUYIN, fake.transport())).sent == 1
    wanted = recorded("douyin")["im_send_request"]
    [(url, sent_headers, body)] = fake.sent
    assert (url, body) == (wanted["url"], wanted["json"])
    assert sent_headers["access-token"] == "act.test_douyin_token"


async def test_a_reply_to_a_douyin_comment_answers_that_comment(
    web: httpx.AsyncClient, db: Database, world: World
) -> None:
    await push(web, db, "douyin", load("douyin_comment.json"))
    ticket = await only_ticket(db)
    await reply(web, world, ticket.id, "同款在店铺首页第一个商品，欢迎私信咨询～")
    fake = FakeDouyin()
    assert (await dispatch(db, Channel.DOUYIN, fake.transport())).sent == 1
    wanted = recorded("douyin")["comment_reply_request"]
    assert [(u, b) for u, _h, b in fake.sent] == [(wanted["url"], wanted["json"])]
    assert DOUYIN_ACCOUNT in wanted["url"]


async def test_the_first_response_clock_stops_when_the_reply_is_written(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    """The reply counts when the agent sends it (as Zendesk measures), not when the platform
    gets round to accepting it; only a reply that never arrives is taken back."""
    await push(web, db, "weibo", load("weibo_private_message.json"))
    ticket = await only_ticket(db)
    clock.at = local(2026, 10, 12, 10, 20)
    await reply(web, world, ticket.id, "收到，马上为您处理")
    clock.at = local(2026, 10, 12, 11, 30)  # dispatched after the 60-minute target
    assert (await dispatch(db, Channel.WEIBO, FakeWeibo().transport())).sent == 1
    clocks = await first_response(db, ticket.id)
    assert (clocks.state, clocks.met, clocks.stopped_at) == (
        ClockState.STOPPED,
        True,
        local(2026, 10, 12, 10, 20),
    )


def test_the_fake_serves_what_the_transport_sends() -> None:
    """Guard for the fixtures themselves: the recorded request names the ids of the recorded push."""
    push_payload = load("douyin_im_text.json")["content"]
    wanted = recorded("douyin")["im_send_request"]["json"]
    assert (wanted["msg_id"], wanted["conversation_id"]) == (
        push_payload["server_message_id"],
        push_payload["conversation_short_id"],
    )
