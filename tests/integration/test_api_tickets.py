"""Ticket API behaviour: the happy paths, the audit trail, pagination, search, and bad input."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event, func, select

from servicedesk.store.db import Database
from servicedesk.store.models import Event, Message, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World


async def _count(db: Database, model: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def _open(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    body = {"subject": "订单2026112200001还没发货", "body": "下单五天了，物流一直没有更新。",
            "customer_id": world.carol.customer_id, "team_id": world.team_a} | fields  # fmt: skip
    response = await client.post("/api/v1/tickets", json=body, headers=world.alice.auth)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_it_runs_a_ticket_through_its_life_with_an_audit_trail(
    client: httpx.AsyncClient, world: World
) -> None:
    ticket = await _open(client, world, tags=["物流", " 物流 "], priority="high", type="product_quality")
    tid, auth = ticket["id"], world.alice.auth
    assert ticket["tags"] == ["物流"]
    assert ticket["number"] == f"#{tid}"
    reply = await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"body": "您好，已为您催促仓库。"}, headers=auth
    )
    assert reply.status_code == 201
    after_reply = (await client.get(f"/api/v1/tickets/{tid}", headers=auth)).json()
    assert after_reply["status"] == "open"  # a staff reply opens a new ticket
    assert after_reply["first_response_at"] is not None
    for status in ("pending", "resolved"):
        moved = await client.post(f"/api/v1/tickets/{tid}/transition", json={"status": status}, headers=auth)
        assert moved.status_code == 200, moved.text
    confirm = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"status": "closed"}, headers=world.carol.auth
    )
    assert confirm.status_code == 200
    final = confirm.json()
    assert final["status"] == "closed" and final["closed_at"] and final["resolved_at"]
    staff_view = (await client.get(f"/api/v1/tickets/{tid}", headers=auth)).json()
    actions = [e["action"] for e in staff_view["events"]]
    assert actions == [
        "ticket.created", "ticket.status_changed", "message.reply", "ticket.status_changed",
        "ticket.status_changed", "ticket.status_changed",
    ]  # fmt: skip
    assert staff_view["events"][-1]["before"] == {"status": "resolved"}
    assert staff_view["events"][-1]["actor_user_id"] == world.carol.user_id


async def test_a_customer_answer_reopens_and_notes_stay_internal(
    client: httpx.AsyncClient, world: World
) -> None:
    tid = (await _open(client, world))["id"]
    auth = world.alice.auth
    await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"kind": "note", "body": "怀疑是仓库漏发"}, headers=auth
    )
    await client.post(f"/api/v1/tickets/{tid}/transition", json={"status": "resolved"}, headers=auth)
    answer = await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"body": "还是没收到"}, headers=world.carol.auth
    )
    assert answer.status_code == 201
    mine = (await client.get(f"/api/v1/tickets/{tid}", headers=world.carol.auth)).json()
    assert mine["status"] == "open" and mine["reopened_count"] == 1
    # between the two: the system's word that the case was resolved (R-HD-7)
    assert [m["kind"] for m in mine["messages"]] == ["inbound", "reply", "inbound"]
    assert mine["events"] == []  # the audit trail is for staff
    staff = (await client.get(f"/api/v1/tickets/{tid}", headers=auth)).json()
    assert [m["kind"] for m in staff["messages"]] == ["inbound", "note", "reply", "inbound"]


async def test_it_records_only_real_changes_with_the_reason(client: httpx.AsyncClient, world: World) -> None:
    ticket = await _open(client, world)
    tid = ticket["id"]
    body = {
        "priority": "high",
        "type": ticket["type"],  # the value it has: not a change, not recorded
        "reason": "客户无法使用产品",
        "version": ticket["version"],
    }
    changed = await client.patch(f"/api/v1/tickets/{tid}", json=body, headers=world.alice.auth)
    assert changed.status_code == 200
    updated = [e for e in changed.json()["events"] if e["action"] == "ticket.updated"]
    assert updated[0]["before"] == {"priority": "medium"}
    # the case was opened without a priority: moving off the suggested one is an override
    assert updated[0]["after"] == {
        "priority": "high", "reason": "客户无法使用产品", "overrides_suggestion": ["priority"]
    }  # fmt: skip
    unassign = await client.patch(f"/api/v1/tickets/{tid}", json={"team_id": None}, headers=world.sue.auth)
    assert unassign.json()["team"] is None


async def test_it_pages_with_a_cursor_without_gaps_or_repeats(
    client: httpx.AsyncClient, world: World
) -> None:
    ids = {(await _open(client, world, subject=f"问题 {i}"))["id"] for i in range(7)}
    for sort in ("-updated_at", "created_at", "-number", "number"):
        seen: list[int] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": sort} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/api/v1/tickets", params=params, headers=world.sue.auth)).json()
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == len(ids), sort
        if sort == "number":
            assert seen == sorted(seen)


async def test_it_filters_searches_and_counts(client: httpx.AsyncClient, world: World) -> None:
    a = await _open(client, world, subject="耳机左耳没有声音", priority="high", tags=["硬件故障"])
    b = await _open(client, world, subject="发票抬头开错了", assignee_id=world.alice.user_id, team_id=None)
    c = await _open(
        client, world, subject="无法登录", customer_id=world.dave.customer_id, team_id=world.team_b
    )

    async def ids(**params: Any) -> set[int]:
        page = await client.get("/api/v1/tickets", params=params, headers=world.sue.auth)
        assert page.status_code == 200, page.text
        return {t["id"] for t in page.json()["items"]}

    assert await ids(priority="high") == {a["id"]}
    assert await ids(tag="硬件故障") == {a["id"]}
    assert await ids(q="耳机") == {a["id"]}
    assert await ids(q=f"#{b['id']}") == {b["id"]}
    assert await ids(q="Dave") == {c["id"]}
    assert await ids(q="100%_") == set()
    assert await ids(team_id=world.team_b) == {c["id"]}
    assert await ids(unassigned=True) == {a["id"], c["id"]}
    assert await ids(status=["new", "open"]) == {a["id"], b["id"], c["id"]}
    counts = (await client.get("/api/v1/tickets/counts", headers=world.alice.auth)).json()
    assert counts == {"all": 2, "mine": 1, "team": 1, "unassigned": 1}


async def test_a_list_page_costs_the_same_queries_for_3_or_30_tickets(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(" ".join(args[2].split())[:25] + "…" + " ".join(args[2].split())[-60:])

    async def measure() -> int:
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get("/api/v1/tickets", params={"limit": 50}, headers=world.sue.auth)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(statements)

    for i in range(3):
        await _open(client, world, subject=f"少量 {i}", tags=["a"])
    await client.get("/api/v1/me", headers=world.sue.auth)  # the principal is now remembered
    few = await measure()
    for i in range(27):
        await _open(client, world, subject=f"大量 {i}", tags=["b", "c"])
    assert await measure() == few <= 4, statements  # BEGIN, tickets with joins, tags


async def test_bad_input_gets_a_precise_error_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket = await _open(client, world)
    tid, auth = ticket["id"], world.alice.auth
    before = (await _count(db, Ticket), await _count(db, Event), await _count(db, Message))

    async def expect(status: int, code: str, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == status, response.text
        error: dict[str, Any] = response.json()["error"]
        assert error["code"] == code
        return error

    raw = {"content": b'{"subject": "x", "body": ', "headers": auth | {"content-type": "application/json"}}
    await expect(400, "malformed_json", await client.post("/api/v1/tickets", **raw))  # type: ignore[arg-type]
    unknown = await expect(422, "validation_error", await client.post(
        "/api/v1/tickets", json={"subject": "x", "body": "y", "colour": "red"}, headers=auth))  # fmt: skip
    assert unknown["fields"] == {"colour": "unknown field"}
    long = await expect(422, "validation_error", await client.post(
        "/api/v1/tickets", json={"subject": "长" * 201, "body": "y", "customer_id": world.carol.customer_id},
        headers=auth))  # fmt: skip
    assert "200" in long["fields"]["subject"]
    bad_enum = await expect(422, "validation_error", await client.post(
        "/api/v1/tickets", json={"subject": "x", "body": "y", "priority": "urgent"}, headers=auth))  # fmt: skip
    assert "priority" in bad_enum["fields"]
    no_customer = await expect(422, "validation_error", await client.post(
        "/api/v1/tickets", json={"subject": "x", "body": "y", "customer_id": 999999}, headers=auth))  # fmt: skip
    assert no_customer["fields"] == {"customer_id": "no customer 999999"}
    nulls = await expect(422, "validation_error", await client.patch(
        f"/api/v1/tickets/{tid}", json={"subject": None, "priority": None, "assignee_id": None}, headers=auth))  # fmt: skip
    assert nulls["fields"] == {"subject": "may not be null", "priority": "may not be null"}
    bad_team = await expect(422, "validation_error", await client.patch(
        f"/api/v1/tickets/{tid}", json={"team_id": 424242}, headers=auth))  # fmt: skip
    assert bad_team["fields"] == {"team_id": "no team 424242"}
    invalid = await expect(409, "invalid_transition", await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"status": "closed"}, headers=auth))  # fmt: skip
    assert invalid["message"] == "only a resolved ticket can be closed; this one is new"
    stale = await expect(409, "conflict", await client.patch(
        f"/api/v1/tickets/{tid}", json={"priority": "low", "version": 0}, headers=auth))  # fmt: skip
    assert stale["fields"] == {"version": "current version is 1"}
    await expect(404, "not_found", await client.get("/api/v1/tickets/987654", headers=auth))
    await expect(404, "not_found", await client.post(
        "/api/v1/tickets/987654/messages", json={"body": "x"}, headers=auth))  # fmt: skip
    await expect(422, "validation_error", await client.get("/api/v1/tickets/abc", headers=auth))
    await expect(
        422, "validation_error", await client.get("/api/v1/tickets", params={"cursor": "!!"}, headers=auth)
    )
    await expect(
        401,
        "not_authenticated",
        await client.get("/api/v1/tickets", headers={"Authorization": "Bearer sd_x"}),
    )
    await expect(422, "validation_error", await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"body": ""}, headers=auth))  # fmt: skip
    after = (await _count(db, Ticket), await _count(db, Event), await _count(db, Message))
    assert after == before
    unchanged = (await client.get(f"/api/v1/tickets/{tid}", headers=auth)).json()
    assert (unchanged["status"], unchanged["priority"], unchanged["version"]) == ("new", "medium", 1)


async def test_a_cookie_session_needs_the_csrf_header_for_unsafe_calls(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    login = await client.get("/login")
    token = login.text.split('name="csrf" value="')[1].split('"')[0]
    signed_in = await client.post(
        "/login", data={"email": world.sue.email, "password": "correct-horse-9", "csrf": token}
    )
    assert signed_in.status_code == 303
    assert (await client.get("/api/v1/me")).json()["role"] == "supervisor"
    body = {"subject": "x", "body": "y", "customer_id": world.carol.customer_id}
    refused = await client.post("/api/v1/tickets", json=body)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["error"]["message"]
    assert await _count(db, Ticket) == 0
    page = await client.get("/login")  # signed in: redirected, so read the token from the session page
    assert page.status_code in (200, 303)
