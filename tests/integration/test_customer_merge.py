"""Merging two customer records into one, seeing one timeline, and undoing the merge."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.services.intake import Intake, receive
from servicedesk.store.db import Database
from servicedesk.store.models import Event
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


async def _wechat(db: Database, text: str, msg_id: str) -> Intake:
    async with UnitOfWork(db) as uow:
        return await receive(uow, InboundMessage(channel=Channel.WECHAT, sender="oCarolOpenId", body=text,
                                                 received_at=NOW, message_id=msg_id))  # fmt: skip


async def test_a_merge_joins_two_records_into_one_timeline_and_undo_splits_them(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    stranger = await _wechat(db, "我在微信上问过：耳机左耳没声音", "3001")
    mail_case = await client.post("/api/v1/tickets", json={"subject": "耳机售后", "body": "邮件里也说一下"},
                                  headers=world.carol.auth)  # fmt: skip
    carol, auth = world.carol.customer_id, world.sue.auth
    merged = await client.post(f"/api/v1/customers/{carol}/merge",
                               json={"merge_id": stranger.customer_id, "reason": "同一手机号，客户来电确认"}, headers=auth)  # fmt: skip
    assert merged.status_code == 201, merged.text
    assert merged.json()["moved"]["tickets"] == [stranger.ticket_id]

    timeline = (await client.get(f"/api/v1/customers/{carol}/timeline", headers=auth)).json()
    assert {(m["channel"], m["ticket_id"]) for m in timeline} == {
        ("wechat", stranger.ticket_id), ("web_form", mail_case.json()["id"])}  # fmt: skip
    profile = (await client.get(f"/api/v1/customers/{carol}", headers=auth)).json()
    assert ("wechat", "oCarolOpenId") in {(i["channel"], i["external_id"]) for i in profile["identities"]}
    again = await _wechat(db, "还在吗？", "3002")
    assert (again.customer_id, again.ticket_id) == (carol, stranger.ticket_id)  # one customer from now on
    mine = (await client.get("/api/v1/tickets", headers=world.carol.auth)).json()["items"]
    assert stranger.ticket_id in {t["id"] for t in mine}  # Carol sees her WeChat case too
    hidden = await client.get("/api/v1/customers", params={"q": "oCarolOpenId"}, headers=auth)
    assert hidden.json() == []  # the folded record no longer shows up in search

    undone = await client.post(f"/api/v1/customer-merges/{merged.json()['id']}/undo", headers=auth)
    assert undone.status_code == 200
    back = (await client.get(f"/api/v1/customers/{stranger.customer_id}", headers=auth)).json()
    assert back["merged_into_id"] is None
    assert [i["channel"] for i in back["identities"]] == ["wechat"]
    tickets = (await client.get(f"/api/v1/customers/{stranger.customer_id}/tickets", headers=auth)).json()
    assert [t["id"] for t in tickets["items"]] == [stranger.ticket_id]
    async with UnitOfWork(db, write=False) as uow:
        actions = list(await uow.session.scalars(
            select(Event.action).where(Event.action.like("customer.merge%")).order_by(Event.id)))  # fmt: skip
    assert actions == ["customer.merged", "customer.merge_undone"]


async def test_merges_are_refused_when_they_make_no_sense(client: httpx.AsyncClient, world: World) -> None:
    carol, dave = world.carol.customer_id, world.dave.customer_id
    body = {"merge_id": dave, "reason": "测试"}
    by_customer = await client.post(f"/api/v1/customers/{carol}/merge", json=body, headers=world.carol.auth)
    assert by_customer.status_code == 403
    both_logins = await client.post(f"/api/v1/customers/{carol}/merge", json=body, headers=world.sue.auth)
    assert both_logins.status_code == 409
    assert "help-center accounts" in both_logins.json()["error"]["message"]
    into_self = await client.post(f"/api/v1/customers/{carol}/merge", json={"merge_id": carol, "reason": "x"},
                                  headers=world.sue.auth)  # fmt: skip
    assert into_self.status_code == 422
    unknown = await client.post("/api/v1/customer-merges/999/undo", headers=world.sue.auth)
    assert unknown.status_code == 404
