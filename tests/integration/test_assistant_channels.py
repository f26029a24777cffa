"""The bot through the WeChat webhook: an answer leaves as a customer-service message through the
outbox, a retried delivery is answered once, a new follower gets the welcome script once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import Channel
from servicedesk.services.demo_knowledge import load_knowledge
from servicedesk.store.db import Database
from servicedesk.store.models import Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app
from tests.integration.test_wechat_webhook import APP_ID, TOKEN, signed, text_xml

OPENID = "oia2TjjewbmiOUlr6X-1crbLOvLw"  # the sender in text_xml


@pytest.fixture
async def wechat_bot(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with UnitOfWork(db) as uow:
        await load_knowledge(uow)
        await uow.commit()
    settings = db.settings.model_copy(
        update={"wechat_token": TOKEN, "wechat_app_id": APP_ID, "run_dispatcher": False}
    )
    app = create_app(settings, db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def queued(db: Database) -> list[Outbox]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(Outbox).order_by(Outbox.id)))


async def test_a_wechat_question_is_answered_through_the_outbox_once(
    wechat_bot: httpx.AsyncClient, db: Database
) -> None:
    body = text_xml(db, "发票怎么开？需要公司抬头", "7461234567890123456").encode()
    for _ in range(3):  # WeChat retries when it does not hear back within 5 s
        answer = await wechat_bot.post("/channels/wechat", params=signed(db), content=body)
        assert (answer.status_code, answer.text) == (200, "success")
    rows = await queued(db)
    assert [(r.channel, r.recipient) for r in rows] == [(Channel.WECHAT, OPENID)] * 2
    assert "纳税人识别号" in rows[0].payload["body"] and "打分" in rows[1].payload["body"]


async def test_asking_for_a_person_on_wechat_opens_a_case(
    wechat_bot: httpx.AsyncClient, db: Database
) -> None:
    body = text_xml(db, "转人工", "7461234567890123457").encode()
    await wechat_bot.post("/channels/wechat", params=signed(db), content=body)
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.scalar(select(Ticket))
    assert ticket is not None and ticket.channel is Channel.WECHAT
    assert f"#{ticket.id}" in (await queued(db))[-1].payload["body"]


async def test_a_new_follower_is_welcomed_once(wechat_bot: httpx.AsyncClient, db: Database) -> None:
    stamp = int(db.clock().timestamp())
    event = (
        f"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
        f"</FromUserName><CreateTime>{stamp}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>"
    ).encode()
    for _ in range(2):
        answer = await wechat_bot.post("/channels/wechat", params=signed(db), content=event)
        assert answer.status_code == 200
    [welcome] = await queued(db)
    assert welcome.recipient == OPENID
    assert "感谢关注" in welcome.payload["body"] and "小智" in welcome.payload["body"]
    assert "{" not in welcome.payload["body"]
