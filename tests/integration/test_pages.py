"""The server-rendered pages, driven like a browser would: real sign-in form, CSRF fields, redirects."""

from __future__ import annotations

import re
from typing import Any

import httpx

from servicedesk.domain.catalog import MessageKind, Priority
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.ticket_queries import ticket_detail
from servicedesk.services.tickets import add_message, create_ticket, update_ticket
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from tests.conftest import PASSWORD, Person, World

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no csrf field on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, person: Person) -> str:
    """Sign in through the form; returns the session's CSRF token for later posts."""
    client.cookies.clear()
    form = await client.get("/login")
    response = await client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "csrf": csrf_of(form.text)}
    )
    assert response.status_code == 303, response.text
    home = await client.get(response.headers["location"])
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


async def open_ticket(db: Database, by: Person, **fields: Any) -> int:
    async with UnitOfWork(db) as uow:
        actor = await principal_by_user_id(uow, by.user_id)
        assert actor is not None
        ticket = await create_ticket(uow, actor, **fields)
        return ticket.id


async def write(db: Database, by: Person, ticket_id: int, kind: MessageKind, body: str) -> None:
    async with UnitOfWork(db) as uow:
        actor = await principal_by_user_id(uow, by.user_id)
        assert actor is not None
        await add_message(uow, actor, ticket_id, kind=kind, body=body)


async def status_and_count(db: Database, by: Person, ticket_id: int) -> tuple[TicketStatus, int]:
    async with UnitOfWork(db, write=False) as uow:
        actor = await principal_by_user_id(uow, by.user_id)
        assert actor is not None
        detail = await ticket_detail(uow, actor, ticket_id)
        return detail.ticket.status, len(detail.messages)


async def carols_ticket(db: Database, world: World, subject: str = "耳机左耳没有声音", **more: Any) -> int:
    fields = {"subject": subject, "body": "买了三天就坏了", "customer_id": world.carol.customer_id,
              "team_id": world.team_a} | more  # fmt: skip
    return await open_ticket(db, world.alice, **fields)


async def test_it_says_when_the_password_is_wrong(client: httpx.AsyncClient, world: World) -> None:
    form = await client.get("/login")
    assert form.status_code == 200
    data = {"email": world.alice.email, "password": "wrong-password", "csrf": csrf_of(form.text)}
    refused = await client.post("/login", data=data)
    assert refused.status_code == 401
    assert "邮箱或密码错误" in refused.text
    assert (await client.get("/agent")).status_code == 303  # still signed out


async def test_it_redirects_signed_out_visitors_to_the_login(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/agent/tickets/1")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_it_shows_the_inbox_with_counts(client: httpx.AsyncClient, db: Database, world: World) -> None:
    await carols_ticket(db, world, assignee_id=world.alice.user_id, priority=Priority.HIGH)
    await carols_ticket(db, world, subject="发票抬头开错了")
    await sign_in(client, world.alice)
    inbox = await client.get("/agent")
    assert inbox.status_code == 200
    html = inbox.text
    assert "耳机左耳没有声音" in html
    assert "发票抬头开错了" not in html  # default view is "mine", and Alice has one
    assert re.search(r"我的工单</span>\s*<span class=\"count\">1<", html)
    assert re.search(r"未分配</span>\s*<span class=\"count\">1<", html)
    assert "VIP1" in html  # Carol's tier badge
    assert "Alice" in html
    team = await client.get("/agent", params={"view": "team"})
    assert "耳机左耳没有声音" in team.text and "发票抬头开错了" in team.text
    filtered = await client.get("/agent", params={"view": "team", "priority": "high"})
    assert "耳机左耳没有声音" in filtered.text and "发票抬头开错了" not in filtered.text
    searched = await client.get("/agent", params={"view": "all", "q": "发票"})
    assert "发票抬头开错了" in searched.text and "耳机左耳没有声音" not in searched.text


async def test_it_pages_through_the_inbox(client: httpx.AsyncClient, db: Database, world: World) -> None:
    for n in range(27):
        await carols_ticket(db, world, subject=f"批量工单-{n:02d}")
    await sign_in(client, world.alice)
    first = await client.get("/agent", params={"view": "team", "q": "批量"})
    assert first.text.count("批量工单-") == 25
    found = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert found
    next_url = found.group(1).replace("&amp;", "&")
    assert "q=" in next_url and "view=team" in next_url and "cursor=" in next_url
    second = await client.get(next_url)
    assert second.text.count("批量工单-") == 2
    assert 'rel="next"' not in second.text


async def test_it_shows_the_timeline_and_takes_a_reply_and_a_note(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await carols_ticket(db, world)
    csrf = await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "买了三天就坏了" in page.text and "客户消息" in page.text
    assert "138****" in page.text and f"138{world.carol.user_id:08d}" not in page.text  # masked phone
    reply = await client.post(
        f"/agent/tickets/{ticket_id}/messages",
        data={"csrf": csrf, "kind": "reply", "body": "您好，请提供订单号。"},
    )
    assert reply.status_code == 303
    note = await client.post(
        f"/agent/tickets/{ticket_id}/messages",
        data={"csrf": csrf, "kind": "note", "body": "疑似批次问题，已报质量部"},
    )
    assert note.status_code == 303
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "您好，请提供订单号。" in page.text
    assert re.search(r'class="msg msg-note"[^>]*>.*?疑似批次问题', page.text, re.S)
    assert await status_and_count(db, world.alice, ticket_id) == (TicketStatus.OPEN, 3)
    empty = await client.post(
        f"/agent/tickets/{ticket_id}/messages", data={"csrf": csrf, "kind": "reply", "body": "  "}
    )
    assert empty.status_code == 422 and "此项必填" in empty.text


async def test_it_refuses_posts_without_the_session_csrf_token(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await carols_ticket(db, world)
    await sign_in(client, world.alice)
    for data in (
        {"kind": "reply", "body": "伪造的回复"},
        {"csrf": "forged", "kind": "reply", "body": "伪造的回复"},
    ):
        refused = await client.post(f"/agent/tickets/{ticket_id}/messages", data=data)
        assert refused.status_code == 403
        assert "表单已过期" in refused.text
    refused = await client.post(
        f"/agent/tickets/{ticket_id}/status", data={"csrf": "forged", "status": "resolved"}
    )
    assert refused.status_code == 403
    assert await status_and_count(db, world.alice, ticket_id) == (TicketStatus.NEW, 1)


async def test_it_shows_the_customer_her_case_without_internal_notes(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await carols_ticket(db, world)
    await write(db, world.alice, ticket_id, MessageKind.NOTE, "内部备注：该客户上月投诉过")
    await write(db, world.alice, ticket_id, MessageKind.REPLY, "已为您安排换货")
    csrf = await sign_in(client, world.carol)
    cases = await client.get("/help")
    assert cases.status_code == 200
    assert "耳机左耳没有声音" in cases.text and "处理中" in cases.text
    case = await client.get(f"/help/tickets/{ticket_id}")
    assert case.status_code == 200
    assert "已为您安排换货" in case.text and "买了三天就坏了" in case.text
    assert "该客户上月投诉过" not in case.text
    answer = await client.post(
        f"/help/tickets/{ticket_id}/messages", data={"csrf": csrf, "body": "好的，谢谢"}
    )
    assert answer.status_code == 303
    assert "好的，谢谢" in (await client.get(f"/help/tickets/{ticket_id}")).text


async def test_it_keeps_customers_to_their_own_cases(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    daves = await open_ticket(
        db, world.alice, subject="戴夫的问题", body="私密内容", customer_id=world.dave.customer_id
    )
    carols = await carols_ticket(db, world)
    csrf = await sign_in(client, world.carol)
    assert (await client.get(f"/help/tickets/{daves}")).status_code == 404
    answer = await client.post(f"/help/tickets/{daves}/messages", data={"csrf": csrf, "body": "看看"})
    assert answer.status_code == 404
    assert "戴夫的问题" not in (await client.get("/help")).text
    assert (await client.get(f"/agent/tickets/{carols}")).status_code == 404
    to_help = await client.get("/agent")
    assert to_help.status_code == 303 and to_help.headers["location"] == "/help"
    await sign_in(client, world.alice)
    to_agent = await client.get("/help")
    assert to_agent.status_code == 303 and to_agent.headers["location"] == "/agent"


async def test_it_escapes_customer_text(client: httpx.AsyncClient, world: World) -> None:
    csrf = await sign_in(client, world.carol)
    bad_form = await client.post(
        "/help/new", data={"csrf": csrf, "subject": " ", "body": "", "type": "technical"}
    )
    assert bad_form.status_code == 422 and "此项必填" in bad_form.text
    created = await client.post(
        "/help/new",
        data={"csrf": csrf, "subject": "<script>alert(1)</script>", "body": "<img src=x onerror=alert(2)>",
              "type": "technical"},
    )  # fmt: skip
    assert created.status_code == 303
    case = await client.get(created.headers["location"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in case.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in case.text
    assert "<script>alert(1)" not in case.text and "<img src=x" not in case.text
    assert "技术问题" in case.text
    await sign_in(client, world.sue)
    inbox = await client.get("/agent", params={"view": "all"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox.text and "<script>alert(1)" not in inbox.text


async def test_it_speaks_english_after_the_switch(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await carols_ticket(db, world, assignee_id=world.alice.user_id, priority=Priority.HIGH)
    await sign_in(client, world.alice)
    switched = await client.get("/lang/en", headers={"referer": "http://testserver/agent"})
    assert switched.status_code == 303
    inbox = await client.get("/agent")
    assert "Inbox" in inbox.text and "Mine" in inbox.text and "Unassigned" in inbox.text
    assert ">High<" in inbox.text and ">New<" in inbox.text
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "Public reply" in page.text and "Internal note" in page.text and "Audit trail" in page.text
    assert "工作台" not in page.text


async def test_it_explains_a_concurrent_edit(client: httpx.AsyncClient, db: Database, world: World) -> None:
    ticket_id = await carols_ticket(db, world)
    csrf = await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    version = VERSION.search(page.text)
    assert version
    async with UnitOfWork(db) as uow:  # Eve's team is not on it, so Sue (supervisor) edits meanwhile
        sue = await principal_by_user_id(uow, world.sue.user_id)
        assert sue is not None
        await update_ticket(uow, sue, ticket_id, changes={"priority": Priority.HIGH}, reason="客户来电")
    form = {"csrf": csrf, "version": version.group(1), "subject": "我改的主题", "priority": "low",
            "type": "consultation", "team_id": str(world.team_a), "assignee_id": "", "tags": "", "reason": ""}  # fmt: skip
    stale = await client.post(f"/agent/tickets/{ticket_id}/update", data=form)
    assert stale.status_code == 409
    assert "该工单刚刚被其他人修改过" in stale.text
    assert "耳机左耳没有声音" in stale.text  # the latest version, unchanged by the refused edit
    fresh = VERSION.search(stale.text)
    assert fresh and fresh.group(1) != version.group(1)
    saved = await client.post(
        f"/agent/tickets/{ticket_id}/update",
        data=form | {"version": fresh.group(1), "tags": "退货, 质量", "reason": "客户来电催促"},
    )
    assert saved.status_code == 303
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "我改的主题" in page.text and "客户来电催促" in page.text
    assert 'class="tag">质量<' in page.text


async def test_it_moves_a_case_through_resolution_with_the_customer(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await carols_ticket(db, world)
    csrf = await sign_in(client, world.alice)
    resolved = await client.post(
        f"/agent/tickets/{ticket_id}/status", data={"csrf": csrf, "status": "resolved"}
    )
    assert resolved.status_code == 303
    csrf = await sign_in(client, world.carol)
    case = await client.get(f"/help/tickets/{ticket_id}")
    assert "确认解决" in case.text and "问题未解决" in case.text
    reopened = await client.post(f"/help/tickets/{ticket_id}/status", data={"csrf": csrf, "status": "open"})
    assert reopened.status_code == 303
    assert (await status_and_count(db, world.alice, ticket_id))[0] is TicketStatus.OPEN
    csrf = await sign_in(client, world.alice)
    bad = await client.post(f"/agent/tickets/{ticket_id}/status", data={"csrf": csrf, "status": "closed"})
    assert bad.status_code == 409  # open → closed is not allowed; the page says why
    await client.post(f"/agent/tickets/{ticket_id}/status", data={"csrf": csrf, "status": "resolved"})
    csrf = await sign_in(client, world.carol)
    closed = await client.post(f"/help/tickets/{ticket_id}/status", data={"csrf": csrf, "status": "closed"})
    assert closed.status_code == 303
    case = await client.get(f"/help/tickets/{ticket_id}")
    assert "已关闭" in case.text and 'name="body"' not in case.text


async def test_it_shows_quality_inspectors_a_read_only_ticket(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await carols_ticket(db, world)
    await write(db, world.alice, ticket_id, MessageKind.NOTE, "质检请关注")
    csrf = await sign_in(client, world.quinn)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "质检请关注" in page.text and "只能查看" in page.text
    assert 'name="body"' not in page.text and "/update" not in page.text and "/status" not in page.text
    refused = await client.post(
        f"/agent/tickets/{ticket_id}/messages", data={"csrf": csrf, "kind": "reply", "body": "试试"}
    )
    assert refused.status_code == 403
    assert (await status_and_count(db, world.alice, ticket_id))[1] == 2
