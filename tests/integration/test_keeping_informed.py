"""Keeping the customer informed (R-HD-7): told on transfer who has the case and by when, told
on resolution what was done, when and by whom; 确认解决 on their channel closes the case and
anything else reopens it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.lifecycle import confirms_resolution
from servicedesk.services.intake import receive
from servicedesk.services.sla_defaults import install_defaults
from servicedesk.store.db import Database
from servicedesk.store.models import Outbox
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World


async def _wechat(db: Database, body: str, message_id: str) -> int:
    inbound = InboundMessage(
        channel=Channel.WECHAT,
        sender="oInformed1",
        body=body,
        received_at=datetime.now(UTC),
        message_id=message_id,
    )
    async with UnitOfWork(db) as uow:
        result = await receive(uow, inbound)
    assert result.ticket_id is not None
    return result.ticket_id


async def _sent(db: Database, ticket_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Outbox).where(Outbox.ticket_id == ticket_id).order_by(Outbox.id)
        )
        return [o.payload["body"] for o in rows]


async def test_a_transfer_tells_the_customer_who_has_it_and_by_when(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    async with UnitOfWork(db) as uow:  # the standard SLA: its clocks say when to expect an answer
        await install_defaults(uow)
        await uow.commit()
    case = await _wechat(db, "耳机左边没声音", "inf-1")
    url, sue = f"/api/v1/tickets/{case}", world.sue.auth
    taken = await client.patch(
        url, json={"team_id": world.team_a, "assignee_id": world.alice.user_id}, headers=sue
    )
    assert taken.status_code == 200, taken.text
    assert await _sent(db, case) == []  # taken up for the first time: not a transfer
    moved = await client.patch(
        url, json={"team_id": world.team_b, "assignee_id": world.eve.user_id}, headers=sue
    )
    assert moved.status_code == 200, moved.text
    [told] = await _sent(db, case)
    assert f"工单 #{case}" in told and "Eve" in told and "预计" in told and "无需重复" in told
    note = [m for m in moved.json()["messages"] if m["body"] == told]
    assert note and note[0]["kind"] == "reply"  # in the timeline, as the system's public reply


async def test_resolving_says_what_was_done_and_confirming_on_the_channel_closes(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    case = await _wechat(db, "耳机左边没声音", "inf-2")
    url, sue = f"/api/v1/tickets/{case}", world.sue.auth
    await client.post(f"{url}/messages", json={"body": "您好，我们为您补发一副"}, headers=sue)
    too_long = await client.post(
        f"{url}/transition", json={"status": "resolved", "summary": "补" * 1001}, headers=sue
    )
    assert too_long.status_code == 422
    resolved = await client.post(
        f"{url}/transition",
        json={"status": "resolved", "summary": "已补发新耳机，顺丰 SF1234567890"},
        headers=sue,
    )
    assert resolved.status_code == 200, resolved.text
    told = (await _sent(db, case))[-1]
    assert "Sue" in told and "已补发新耳机，顺丰 SF1234567890" in told and "确认解决" in told
    await _wechat(db, "确认解决", "inf-3")
    closed = (await client.get(url, headers=sue)).json()
    assert closed["status"] == "closed"
    moved = [e for e in closed["events"] if e["action"] == "ticket.status_changed"][-1]
    assert moved["actor_user_id"] is None and moved["after"] == {"status": "closed"}


async def test_anything_but_a_confirmation_reopens(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    case = await _wechat(db, "发票抬头开错了", "inf-4")
    url, sue = f"/api/v1/tickets/{case}", world.sue.auth
    await client.post(f"{url}/transition", json={"status": "resolved"}, headers=sue)
    await _wechat(db, "还是没解决，发票还是错的", "inf-5")
    assert (await client.get(url, headers=sue)).json()["status"] == "open"


@pytest.mark.parametrize(
    ("text", "confirms"),
    [
        ("确认解决", True), ("已解决，谢谢！", True), ("解决了", True), ("Solved, thanks", True),
        ("confirm", True), ("没解决", False), ("还没有解决", False), ("not solved", False),
        ("still not resolved", False), ("", False), ("好的", False),
        ("确认解决，不过我还想问一下另一个订单的发票怎么开", False),  # says more: a person reads it
    ],
)  # fmt: skip
def test_what_counts_as_a_confirmation(text: str, confirms: bool) -> None:
    assert confirms_resolution(text) is confirms
