"""The knowledge API: the article life cycle over HTTP, precise 4xx bodies, 409 on stale edits,
anonymous reading and search, scripts with rendering, and suggestions for a ticket."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article, ArticleRevision, Script
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

KB = "/api/v1/kb"
RETURNS = {
    "title": "退换货政策",
    "body": "自签收之日起七天内可无理由退货，商品需保持完好。",
    "questions": ["怎么退货", "收到的东西不想要了能退吗"],
    "tags": ["售后"],
    "product": "智能耳机 X1",
    "product_version": "2.1",
}


async def _count(db: Database, model: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def _created(
    client: httpx.AsyncClient, world: World, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(f"{KB}/articles", json=body or RETURNS, headers=world.alice.auth)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{KB}/articles/{data['id']}"
    return data


async def test_an_article_goes_from_draft_to_the_help_center_and_back_in_time(
    client: httpx.AsyncClient, world: World
) -> None:
    article = await _created(client, world)
    aid = article["id"]
    assert (article["status"], article["revision"], article["owner_id"]) == ("draft", 1, world.alice.user_id)
    assert (await client.get(f"{KB}/articles/{aid}")).status_code == 404  # anonymous: no drafts

    edit = {"body": "自签收之日起十五天内可无理由退货。", "revision": 1, "note": "政策调整"}
    edited = await client.patch(f"{KB}/articles/{aid}", json=edit, headers=world.alice.auth)
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    refused = await client.post(
        f"{KB}/articles/{aid}/publish", json={"revision": 2}, headers=world.alice.auth
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    published = await client.post(
        f"{KB}/articles/{aid}/publish", json={"revision": 2}, headers=world.eve.auth
    )
    assert published.status_code == 200 and published.json()["status"] == "published"

    public = await client.get(f"{KB}/articles/{aid}")
    assert public.status_code == 200
    assert public.json()["owner_id"] is None and public.json()["source_ticket_id"] is None  # staff details
    listed = await client.get(f"{KB}/articles")
    assert [a["id"] for a in listed.json()["items"]] == [aid]
    found = await client.get(f"{KB}/search", params={"q": "七天能退货吗"})  # anonymous search
    assert found.status_code == 200

    history = (await client.get(f"{KB}/articles/{aid}/history", headers=world.eve.auth)).json()
    assert [(h["revision"], h["author_name"], h["note"]) for h in history] == [
        (3, "Eve", ""), (2, "Alice", "政策调整"), (1, "Alice", ""),
    ]  # fmt: skip
    diff = await client.get(
        f"{KB}/articles/{aid}/diff", params={"a": 1, "b": 2, "mode": "unified"}, headers=world.eve.auth
    )
    fields = diff.json()["fields"]
    assert [f["field"] for f in fields] == ["body"] and fields[0]["rows"] is None
    assert "+自签收之日起十五天内可无理由退货。" in fields[0]["unified"]
    side = await client.get(
        f"{KB}/articles/{aid}/diff", params={"a": 1, "b": 3, "mode": "side_by_side"}, headers=world.eve.auth
    )
    assert {f["field"] for f in side.json()["fields"]} == {"body", "status"}
    assert side.json()["fields"][0]["rows"][0]["kind"] == "changed"

    restored = await client.post(
        f"{KB}/articles/{aid}/restore", json={"revision": 1, "expected_revision": 3}, headers=world.eve.auth
    )
    assert restored.status_code == 200
    assert (restored.json()["revision"], restored.json()["body"]) == (4, RETURNS["body"])
    archived = await client.post(f"{KB}/articles/{aid}/archive", json={}, headers=world.eve.auth)
    assert archived.json()["status"] == "archived"
    assert (await client.get(f"{KB}/articles/{aid}", headers=world.carol.auth)).status_code == 404


async def test_stale_edits_are_409_naming_the_current_revision(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    aid = (await _created(client, world))["id"]
    first = await client.patch(
        f"{KB}/articles/{aid}", json={"title": "退货政策", "revision": 1}, headers=world.alice.auth
    )
    assert first.status_code == 200
    second = await client.patch(
        f"{KB}/articles/{aid}", json={"title": "换货政策", "revision": 1}, headers=world.bob.auth
    )
    assert second.status_code == 409
    assert second.json()["error"] == {
        "code": "conflict",
        "message": f"article {aid} was changed by someone else (revision 2, you edited 1); reload and try again",
        "fields": {"revision": "current revision is 2"},
    }
    assert await _count(db, ArticleRevision) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "发票", "questions": ["x"] * 51}, "questions"),
        ({"title": "发票", "locale": "fr"}, "locale"),
        ({"title": "发票", "review_by": "明天"}, "review_by"),
        ({"title": "发票", "status": "published"}, "status"),  # unknown here: drafts only
        ({"title": "发票", "product_version": "2.0"}, "product_version"),
    ],
)
async def test_bad_articles_are_422_naming_the_field_and_store_nothing(
    client: httpx.AsyncClient, db: Database, world: World, body: dict[str, Any], field: str
) -> None:
    response = await client.post(f"{KB}/articles", json=body, headers=world.alice.auth)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert await _count(db, Article) == 0


async def test_who_may_call_what(client: httpx.AsyncClient, world: World) -> None:
    aid = (await _created(client, world))["id"]
    assert (await client.post(f"{KB}/articles", json=RETURNS)).status_code == 401
    assert (await client.post(f"{KB}/articles", json=RETURNS, headers=world.carol.auth)).status_code == 403
    assert (await client.get(f"{KB}/articles/{aid}/history", headers=world.carol.auth)).status_code == 404
    assert (await client.get(f"{KB}/articles/{aid}/history", headers=world.quinn.auth)).status_code == 404
    assert (await client.get(f"{KB}/scripts", headers=world.carol.auth)).status_code == 404
    product = {"name": "智能耳机 X1", "current_version": "3.0"}
    assert (await client.put(f"{KB}/products", json=product, headers=world.alice.auth)).status_code == 403
    set_ = await client.put(f"{KB}/products", json=product, headers=world.sue.auth)
    assert set_.status_code == 200 and set_.json()["current_version"] == "3.0"
    stale = (await client.get(f"{KB}/articles", params={"stale": True}, headers=world.alice.auth)).json()
    assert [(a["id"], a["stale"]) for a in stale["items"]] == [(aid, ["newer_product_version"])]


async def test_scripts_are_approved_then_rendered_for_a_ticket(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    body = {"scenario": "refund", "title": "退款到账说明",
            "body": "{customer_name}您好，工单{ticket_no}的退款已提交，订单 {order_no} 预计 3 个工作日到账。——{agent_name}",
            "compliance_note": "不得承诺具体到账时间。"}  # fmt: skip
    created = await client.post(f"{KB}/scripts", json=body, headers=world.alice.auth)
    assert created.status_code == 201, created.text
    script = created.json()
    assert script["variables"] == ["customer_name", "ticket_no", "order_no", "agent_name"]
    stale = await client.patch(
        f"{KB}/scripts/{script['id']}", json={"title": "x", "version": 7}, headers=world.alice.auth
    )
    assert stale.status_code == 409 and stale.json()["error"]["fields"] == {"version": "current version is 1"}
    bad = await client.post(f"{KB}/scripts", json=body | {"channel": "wechat"}, headers=world.alice.auth)
    assert bad.status_code == 422 and "channel" in bad.json()["error"]["fields"]
    approved = await client.post(
        f"{KB}/scripts/{script['id']}/publish", json={"version": 1}, headers=world.eve.auth
    )
    assert approved.status_code == 200 and approved.json()["status"] == "published"

    ticket = await client.post(
        "/api/v1/tickets",
        json={"subject": "退款什么时候到账", "body": "申请退款一周了还没到账", "customer_id": world.carol.customer_id, "team_id": world.team_a},
        headers=world.alice.auth,
    )  # fmt: skip
    tid = ticket.json()["id"]
    rendered = await client.post(
        f"{KB}/scripts/{script['id']}/render", json={"ticket_id": tid}, headers=world.alice.auth
    )
    assert rendered.status_code == 200
    assert rendered.json()["text"].startswith(f"Carol您好，工单#{tid}的退款已提交，订单 {{order_no}} 预计")
    assert rendered.json()["missing"] == ["order_no"]
    bad_values = await client.post(
        f"{KB}/scripts/{script['id']}/render", json={"values": {"Order-No": "1"}}, headers=world.alice.auth
    )
    assert bad_values.status_code == 422
    hidden = await client.post(
        f"{KB}/scripts/{script['id']}/render", json={"ticket_id": tid}, headers=world.bob.auth
    )
    assert hidden.status_code == 404  # Bob's team cannot see the case

    suggested = await client.get(f"{KB}/tickets/{tid}/suggestions", headers=world.alice.auth)
    assert suggested.status_code == 200
    scripts = suggested.json()["scripts"]
    assert [s["id"] for s in scripts] == [script["id"]]
    assert (
        scripts[0]["text"].endswith("——Alice") and scripts[0]["compliance_note"] == "不得承诺具体到账时间。"
    )
    assert await _count(db, Script) == 1


async def test_a_solved_ticket_becomes_a_draft_over_http(client: httpx.AsyncClient, world: World) -> None:
    auth = world.alice.auth
    ticket = await client.post(
        "/api/v1/tickets",
        json={"subject": "怎么修改收货地址", "body": "地址填错了，还没发货", "customer_id": world.carol.customer_id, "team_id": world.team_a},
        headers=auth,
    )  # fmt: skip
    tid = ticket.json()["id"]
    early = await client.post(f"{KB}/tickets/{tid}/draft-article", headers=auth)
    assert early.status_code == 422 and "ticket_id" in early.json()["error"]["fields"]
    await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"body": "发货前可在订单详情页修改地址。"}, headers=auth
    )
    await client.post(f"/api/v1/tickets/{tid}/transition", json={"status": "resolved"}, headers=auth)
    drafted = await client.post(f"{KB}/tickets/{tid}/draft-article", headers=auth)
    assert drafted.status_code == 201
    data = drafted.json()
    assert (data["title"], data["questions"], data["body"], data["source_ticket_id"]) == (
        "怎么修改收货地址", ["地址填错了，还没发货"], "发货前可在订单详情页修改地址。", tid,
    )  # fmt: skip
