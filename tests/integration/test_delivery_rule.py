"""The delivery rule, for every channel, on SQLite and PostgreSQL: a message that cannot reach the
customer is visible on the case with the reason, never counts as a response, and the agent is
told before writing. A reply the outbox gives up on puts back the clock it had stopped, and the
case's owner hears of it.

Before the fix a reply that could not be queued (an unconfigured channel, a bounced address) was
stored, counted as the first response and silently not sent; a dead letter was visible to admins
only, and the clock it had stopped stayed met.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem, DeliveryState
from servicedesk.domain.sla import ClockState, SlaMetric, Stage
from servicedesk.jobs.outbox import Dispatcher, Policy
from servicedesk.jobs.sla import SlaWorker
from servicedesk.services import sla
from servicedesk.services.demo_knowledge import load_knowledge
from servicedesk.services.intake import receive
from servicedesk.store.db import Database
from servicedesk.store.models import CustomerIdentity, Event, Message, Outbox, Ticket
from servicedesk.store.sla import Notification, SlaClock
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app
from tests.conftest import World
from tests.fake_social import FakeDouyin, FakeWeibo
from tests.integration.test_pages import sign_in
from tests.integration.test_sla import Frozen, local, standard_at
from tests.integration.test_social_webhook import SECRETS, encode, headers, load

MONDAY_10 = local(2026, 10, 12, 10, 0)
WEIBO_FAN = "2489518277"  # the sender of weibo_private_message.json


@pytest.fixture
async def clock(db: Database) -> Frozen:
    return await standard_at(db, MONDAY_10)


async def client_for(db: Database) -> httpx.AsyncClient:
    app = create_app(db.settings.model_copy(update={"social_webhook_secrets": dict(SECRETS)}), db=db)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def web(db: Database, clock: Frozen) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(db) as c:
        yield c


@pytest.fixture
async def no_weibo(db: Database, clock: Frozen) -> AsyncIterator[tuple[Database, httpx.AsyncClient]]:
    """The same database behind an installation that has not set up sending on Weibo."""
    other = Database(db.settings.model_copy(update={"weibo_access_token": None}))
    other.clock = clock
    try:
        async with await client_for(other) as c:
            yield other, c
    finally:
        await other.dispose()


async def push_weibo_dm(web: httpx.AsyncClient, db: Database, text: str | None = None) -> None:
    payload = load("weibo_private_message.json") | ({"text": text} if text else {})
    body = encode(payload)
    answer = await web.post("/channels/social/weibo", content=body, headers=headers(db, "weibo", body))
    assert answer.status_code == 200, answer.text


async def the_ticket(db: Database) -> Ticket:
    async with UnitOfWork(db, write=False) as uow:
        [ticket] = list(await uow.session.scalars(select(Ticket)))
    return ticket


async def clock_of(db: Database, ticket_id: int, metric: SlaMetric = SlaMetric.FIRST_RESPONSE) -> SlaClock:
    async with UnitOfWork(db, write=False) as uow:
        row = await uow.session.scalar(
            select(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.metric == metric)
        )
    assert row is not None
    return row


async def reply_as(web: httpx.AsyncClient, person: Any, ticket_id: int, body: str) -> dict[str, Any]:
    answer = await web.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": body}, headers=person.auth)
    assert answer.status_code == 201, answer.text
    sent: dict[str, Any] = answer.json()
    return sent


async def rows(db: Database, model: Any, *where: Any) -> list[Any]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(model).where(*where).order_by(model.id)))


async def assign(db: Database, ticket_id: int, user_id: int) -> None:
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(assignee_id=user_id))
        await uow.commit()


# ------------------------------------------------------------- cannot be queued at all


async def test_a_reply_on_an_unconfigured_channel_is_kept_undelivered_and_the_clock_runs_on(
    no_weibo: tuple[Database, httpx.AsyncClient], world: World
) -> None:
    db, web = no_weibo
    await push_weibo_dm(web, db)
    ticket = await the_ticket(db)

    # the API says before writing, and the reply says what became of it
    before = await web.get(f"/api/v1/tickets/{ticket.id}", headers=world.sue.auth)
    assert before.json()["reply_channel"] == {
        "channel": "weibo", "deliverable": False, "problem": "not_configured", "public": False,
        "window_closes_at": None,
    }  # fmt: skip
    sent = await reply_as(web, world.sue, ticket.id, "您好，请问耳机是哪天买的？")
    assert sent["delivery"] == {
        "state": "failed",
        "problem": "not_configured",
        "detail": None,
        "delivered_at": None,
    }

    assert await rows(db, Outbox) == []  # nothing queued to be dead-lettered later
    first = await clock_of(db, ticket.id)
    assert (first.state, first.stopped_by_message_id) == (ClockState.RUNNING, None)
    assert (await the_ticket(db)).first_response_at is None
    [event] = await rows(db, Event, Event.action == "message.undelivered")
    assert event.after == {"channel": "weibo", "problem": "not_configured"}

    # the agent's page: a warning in the reply box, the reason on the message
    await sign_in(web, world.sue)
    page = (await web.get(f"/agent/tickets/{ticket.id}")).text
    assert "现在无法通过微博回复这位客户" in page and "原因：该渠道尚未配置发送。" in page
    assert "请管理员配置微博的发送凭据" in page
    assert "未送达：该渠道尚未配置发送" in page and "不计入响应时效" in page


async def test_the_bots_answer_on_an_unconfigured_channel_is_marked_not_delivered(
    no_weibo: tuple[Database, httpx.AsyncClient],
) -> None:
    db, web = no_weibo
    async with UnitOfWork(db) as uow:
        await load_knowledge(uow)
        await uow.commit()
    await push_weibo_dm(web, db, "发票怎么开？需要公司抬头")
    said = await rows(db, Message, Message.author_customer_id.is_(None))
    assert said and {(m.delivery, m.delivery_problem) for m in said} == {
        (DeliveryState.FAILED, DeliveryProblem.NOT_CONFIGURED)
    }
    assert await rows(db, Outbox) == []


async def test_a_reply_to_a_bounced_address_is_not_delivered(
    db: Database, world: World, clock: Frozen
) -> None:
    async with UnitOfWork(db) as uow:
        result = await receive(uow, InboundMessage(
            channel=Channel.EMAIL, sender="wang.fang@example.cn", subject="发票抬头开错了", body="请重开",
            received_at=clock.at, message_id="a1@mail.example.cn",
        ))  # fmt: skip
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(CustomerIdentity).values(undeliverable_since=clock.at))
        await uow.commit()
    assert result.ticket_id is not None
    async with await client_for(db) as web:
        sent = await reply_as(web, world.sue, result.ticket_id, "已为您重开发票")
        await sign_in(web, world.sue)
        page = (await web.get(f"/agent/tickets/{result.ticket_id}")).text
    assert (sent["delivery"]["state"], sent["delivery"]["problem"]) == ("failed", "address_bounced")
    assert "发往客户地址的邮件已退信" in page
    assert (await clock_of(db, result.ticket_id)).state is ClockState.RUNNING


async def test_a_private_message_past_the_platforms_window_is_not_delivered(
    db: Database, world: World, clock: Frozen
) -> None:
    """Douyin answers a message only within 24 hours of it; WeChat within 48."""
    async with await client_for(db) as web:
        body = encode(load("douyin_im_text.json"))
        assert (
            await web.post("/channels/social/douyin", content=body, headers=headers(db, "douyin", body))
        ).is_success
        async with UnitOfWork(db) as uow:
            wechat = await receive(uow, InboundMessage(channel=Channel.WECHAT, sender="oOpenId123",
                                                       body="快递三天没动了", received_at=clock.at, message_id="1001"))  # fmt: skip
        douyin = next(t for t in await rows(db, Ticket) if t.channel is Channel.DOUYIN)
        clock.at = MONDAY_10 + timedelta(hours=25)
        late_douyin = await reply_as(web, world.sue, douyin.id, "您好，今天发货")
        ok_wechat = await reply_as(web, world.sue, wechat.ticket_id or 0, "正在为您查询")
        clock.at = MONDAY_10 + timedelta(hours=49)
        late_wechat = await reply_as(web, world.sue, wechat.ticket_id or 0, "已发出")
        detail = (await web.get(f"/api/v1/tickets/{douyin.id}", headers=world.sue.auth)).json()
    assert late_douyin["delivery"]["problem"] == "window_closed"
    assert ok_wechat["delivery"]["state"] == "pending"
    assert late_wechat["delivery"]["problem"] == "window_closed"
    closes = detail["reply_channel"]["window_closes_at"]
    assert closes is not None and closes.startswith("2026-10-13T02:00")  # 24 h after it arrived


async def test_cases_read_in_the_help_center_count_as_answered_as_before(
    client: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    created = await client.post("/api/v1/tickets", json={"subject": "无法登录", "body": "提示密码错误"},
                                headers=world.carol.auth)  # fmt: skip
    ticket_id = created.json()["id"]
    sent = await reply_as(client, world.sue, ticket_id, "请重置密码")
    assert sent["delivery"] is None
    assert (await the_ticket(db)).first_response_at == clock.at
    detail = await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.sue.auth)
    assert detail.json()["reply_channel"] is None


# ------------------------------------------------------------- the outbox gives up


async def test_a_dead_lettered_reply_reopens_the_clock_and_tells_the_assignee(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    await push_weibo_dm(web, db)
    ticket = await the_ticket(db)
    await assign(db, ticket.id, world.alice.user_id)
    clock.at = local(2026, 10, 12, 10, 20)
    sent = await reply_as(web, world.alice, ticket.id, "您好，请问耳机是哪天买的？")
    stopped = await clock_of(db, ticket.id)
    assert (stopped.state, stopped.stopped_by_message_id) == (ClockState.STOPPED, sent["id"])
    assert (await the_ticket(db)).first_response_at == clock.at

    clock.at = local(2026, 10, 12, 10, 40)
    result = await Dispatcher(
        db, {Channel.WEIBO: FakeWeibo(["not_a_follower"]).transport()}, worker_id="t"
    ).run_once()
    assert result.dead == 1

    [message] = await rows(db, Message, Message.id == sent["id"])
    assert (message.delivery, message.delivery_problem) == (DeliveryState.FAILED, DeliveryProblem.RECIPIENT)
    assert "20301" in (message.delivery_detail or "")
    reopened = await clock_of(db, ticket.id)
    assert (reopened.state, reopened.stopped_at, reopened.stopped_by_message_id) == (
        ClockState.RUNNING,
        None,
        None,
    )
    assert reopened.due_at == local(2026, 10, 12, 11, 0)  # the original deadline: 10:20–10:40 counted
    assert (await the_ticket(db)).first_response_at is None
    [told] = await rows(db, Notification, Notification.kind == "message.undelivered")
    assert (told.user_id, told.ticket_id, told.data["problem"]) == (
        world.alice.user_id,
        ticket.id,
        "recipient",
    )
    assert await rows(db, Event, Event.action == "sla.reopened")

    # nobody else answers: the breach is honest and the ladder acts on it
    clock.at = local(2026, 10, 12, 11, 1)
    await SlaWorker(db, worker_id="w").run_once(clock.at)
    breached = await clock_of(db, ticket.id)
    assert (breached.breached_at, Stage(breached.stage)) == (local(2026, 10, 12, 11, 0), Stage.BREACHED)

    # the assignee reads why, in words, on the notifications page and on the case
    await sign_in(web, world.alice)
    assert "未能送达客户：平台拒收：客户无法接收" in (await web.get("/agent/notifications")).text
    page = (await web.get(f"/agent/tickets/{ticket.id}")).text
    assert "未送达：平台拒收：客户无法接收" in page and "请改用电话或邮件联系" in page


async def test_a_dead_letter_before_a_reply_that_arrived_moves_the_response_to_that_reply(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    await push_weibo_dm(web, db)
    ticket = await the_ticket(db)
    clock.at = local(2026, 10, 12, 10, 10)
    await reply_as(web, world.sue, ticket.id, "第一条")
    clock.at = local(2026, 10, 12, 10, 30)
    second = await reply_as(web, world.sue, ticket.id, "第二条")
    fake = FakeWeibo(["content_illegal"])  # the first is refused, the second goes
    result = await Dispatcher(db, {Channel.WEIBO: fake.transport()}, worker_id="t").run_once()
    assert (result.dead, result.sent) == (1, 1)
    first = await clock_of(db, ticket.id)
    assert (first.state, first.stopped_at, first.stopped_by_message_id) == (
        ClockState.STOPPED, local(2026, 10, 12, 10, 30), second["id"]
    )  # fmt: skip
    assert (await the_ticket(db)).first_response_at == local(2026, 10, 12, 10, 30)


async def test_retries_keep_it_sending_and_giving_up_says_so(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    await push_weibo_dm(web, db)
    ticket = await the_ticket(db)
    sent = await reply_as(web, world.sue, ticket.id, "正在处理")
    dispatcher = Dispatcher(db, {Channel.WEIBO: FakeWeibo(["system_error", "user_rate_limit"]).transport()},
                            worker_id="t", policy=Policy(max_attempts=2))  # fmt: skip
    assert (await dispatcher.run_once()).retried == 1
    [trying] = await rows(db, Message, Message.id == sent["id"])
    assert (trying.delivery, trying.delivery_problem) == (DeliveryState.PENDING, None)
    assert "10001" in (trying.delivery_detail or "")
    assert (await clock_of(db, ticket.id)).state is ClockState.STOPPED  # still counted while it tries

    clock.at += timedelta(minutes=5)
    assert (await dispatcher.run_once(clock.at)).dead == 1
    [given_up] = await rows(db, Message, Message.id == sent["id"])
    assert (given_up.delivery, given_up.delivery_problem) == (DeliveryState.FAILED, DeliveryProblem.GAVE_UP)
    assert (await clock_of(db, ticket.id)).state is ClockState.RUNNING


async def test_an_admins_retry_that_gets_through_counts_when_it_leaves(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    await push_weibo_dm(web, db)
    ticket = await the_ticket(db)
    await reply_as(web, world.sue, ticket.id, "您好")
    await Dispatcher(db, {Channel.WEIBO: FakeWeibo(["expired_token"]).transport()}, worker_id="t").run_once()
    [dead] = await rows(db, Outbox)
    clock.at = local(2026, 10, 12, 10, 45)  # the admin renewed the token and retries
    retried = await web.post(f"/api/v1/admin/outbox/{dead.id}/retry", headers=world.adam.auth)
    assert retried.status_code == 200, retried.text
    [waiting] = await rows(db, Message, Message.kind == "reply")
    assert (waiting.delivery, waiting.delivery_problem) == (
        DeliveryState.PENDING,
        DeliveryProblem.CREDENTIALS,
    )
    assert (await clock_of(db, ticket.id)).state is ClockState.RUNNING  # not counted until it leaves
    fake = FakeDouyin()  # an unrelated channel's transport is not asked
    dispatcher = Dispatcher(db, {Channel.WEIBO: FakeWeibo().transport(), Channel.DOUYIN: fake.transport()},
                            worker_id="t")  # fmt: skip
    assert (await dispatcher.run_once()).sent == 1
    answered = await clock_of(db, ticket.id)
    assert (answered.state, answered.stopped_at) == (ClockState.STOPPED, local(2026, 10, 12, 10, 45))
    assert (await the_ticket(db)).first_response_at == local(2026, 10, 12, 10, 45)
    assert fake.sent == []
    async with UnitOfWork(db, write=False) as uow:
        views = await sla.clocks_of(uow, ticket.id)
    assert next(v for v in views if v.metric is SlaMetric.FIRST_RESPONSE).met is True


async def test_a_reply_on_a_case_resolved_meanwhile_leaves_the_clock_stopped_at_the_resolution(
    web: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    """A resolved case runs no clock (resolving stops them all); the failed reply's clock is
    put back and stopped where the resolution would have stopped it, not left running."""
    await push_weibo_dm(web, db)
    ticket = await the_ticket(db)
    clock.at = local(2026, 10, 12, 10, 10)
    await reply_as(web, world.sue, ticket.id, "已为您补发，请查收")
    clock.at = local(2026, 10, 12, 10, 30)
    resolved = await web.post(f"/api/v1/tickets/{ticket.id}/transition", json={"status": "resolved"},
                              headers=world.sue.auth)  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    dispatcher = Dispatcher(db, {Channel.WEIBO: FakeWeibo(["not_a_follower"] * 3).transport()}, worker_id="t")
    assert (await dispatcher.run_once()).dead >= 1
    first = await clock_of(db, ticket.id)
    assert (first.state, first.stopped_at, first.stopped_by_message_id) == (
        ClockState.STOPPED, local(2026, 10, 12, 10, 30), None
    )  # fmt: skip
    assert (await the_ticket(db)).first_response_at is None
