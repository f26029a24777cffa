"""An agent's public reply goes back on the channel the customer wrote on, via the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.services.intake import receive
from servicedesk.store.db import Database
from servicedesk.store.models import Outbox
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def _inbound(db: Database, message: InboundMessage) -> int:
    async with UnitOfWork(db) as uow:
        result = await receive(uow, message)
    assert result.ticket_id is not None
    return result.ticket_id


async def _outbox(db: Database) -> list[Outbox]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(Outbox).order_by(Outbox.id)))


async def test_replies_leave_on_the_customers_channel(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    wechat_case = await _inbound(db, InboundMessage(
        channel=Channel.WECHAT, sender="oOpenId123", body="快递三天没动了", received_at=NOW, message_id="1001"))  # fmt: skip
    email_case = await _inbound(db, InboundMessage(
        channel=Channel.EMAIL, sender="wang.fang@example.cn", subject="发票抬头开错了", body="请重开",
        received_at=NOW, message_id="a1@mail.example.cn"))  # fmt: skip
    for case in (wechat_case, email_case):
        note = await client.post(f"/api/v1/tickets/{case}/messages", json={"kind": "note", "body": "内部"},
                                 headers=world.sue.auth)  # fmt: skip
        reply = await client.post(f"/api/v1/tickets/{case}/messages", json={"body": "您好，已为您处理"},
                                  headers=world.sue.auth)  # fmt: skip
        assert (note.status_code, reply.status_code) == (201, 201)
    queued = await _outbox(db)
    assert [(o.channel, o.recipient, o.ticket_id) for o in queued] == [
        (Channel.WECHAT, "oOpenId123", wechat_case),
        (Channel.EMAIL, "wang.fang@example.cn", email_case),
    ]
    assert queued[1].payload["thread_refs"] == ["a1@mail.example.cn"]
    assert queued[1].payload["subject"] == "发票抬头开错了"
    assert all(o.payload["body"] == "您好，已为您处理" for o in queued)  # notes never leave


async def test_a_help_center_case_is_answered_in_place(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    created = await client.post("/api/v1/tickets", json={"subject": "无法登录", "body": "提示密码错误"},
                                headers=world.carol.auth)  # fmt: skip
    reply = await client.post(f"/api/v1/tickets/{created.json()['id']}/messages", json={"body": "请重置密码"},
                              headers=world.sue.auth)  # fmt: skip
    assert reply.status_code == 201
    assert await _outbox(db) == []


async def test_channel_details_are_shown_to_staff_only(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    from sqlalchemy import update

    from servicedesk.store.models import Message

    created = await client.post(
        "/api/v1/tickets", json={"subject": "电话回访", "body": "通话记录"}, headers=world.carol.auth
    )
    ticket_id = created.json()["id"]
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(Message).where(Message.ticket_id == ticket_id)
                                  .values(meta={"recording_url": "https://rec.example.cn/1.mp3"}))  # fmt: skip
        await uow.commit()
    paths = (f"/api/v1/tickets/{ticket_id}", f"/api/v1/customers/{world.carol.customer_id}/timeline")
    for path in paths:
        staff = (await client.get(path, headers=world.sue.auth)).json()
        own = (await client.get(path, headers=world.carol.auth)).json()
        staff_messages, own_messages = (x["messages"] if isinstance(x, dict) else x for x in (staff, own))
        assert staff_messages[0]["meta"] == {"recording_url": "https://rec.example.cn/1.mp3"}, path
        assert own_messages[0]["meta"] is None, path
