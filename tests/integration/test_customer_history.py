"""One customer, one view (R-IN-2, 无需重复说明): whoever handles a case reads the customer's whole
story across channels and teams — other teams' internal notes excepted — and nobody else does.

Carol (VIP) has a web-chat case with Alice's team (Alice is her advisor), an email case and a
phone case with Bob's team, and a WeChat conversation the bot answered alone. Dave has a case of
his own that must never show up in hers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.tickets import add_message, create_ticket, transition_ticket
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.models import Conversation, Customer, Message
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World
from tests.integration.test_pages import sign_in

BOB_NOTE = "内部：怀疑是批次问题，先别告诉客户"
ALICE_NOTE = "内部：客户是老客户，语气温和"
BOB_REPLY = "您好，已为您补发发票，请查收邮箱。"


@dataclass(frozen=True)
class Story:
    chat: int  # Alice's team, web chat: the case being handled
    email: int  # Bob's team, email, with Bob's internal note
    phone: int  # Bob's team, phone, resolved
    dave: int  # another customer's case in Alice's team
    conversation: int  # Carol and the bot on WeChat, no case


async def _case(db: Database, by: Person, **fields: Any) -> int:
    async with UnitOfWork(db) as uow:
        actor = await principal_by_user_id(uow, by.user_id)
        assert actor is not None
        return (await create_ticket(uow, actor, **fields)).id


async def _say(db: Database, by: Person, ticket_id: int, kind: MessageKind, body: str) -> None:
    async with UnitOfWork(db) as uow:
        actor = await principal_by_user_id(uow, by.user_id)
        assert actor is not None
        await add_message(uow, actor, ticket_id, kind=kind, body=body)


@pytest.fixture
async def story(db: Database, world: World) -> Story:
    carol = world.carol.customer_id
    async with UnitOfWork(db) as uow:
        customer = await uow.session.get(Customer, carol)
        assert customer is not None
        customer.advisor_id = world.alice.user_id
        now = uow.now()
        conversation = Conversation(
            customer_id=carol, channel=Channel.WECHAT, started_at=now - timedelta(days=3),
            ended_at=now - timedelta(days=3) + timedelta(minutes=5),
        )  # fmt: skip
        uow.session.add(conversation)
        await uow.session.flush()
        for minutes, kind, body, meta in [
            (0, MessageKind.INBOUND, "我的订单 2024061188310 到哪了？", None),
            (1, MessageKind.REPLY, "您的订单已发货，顺丰 SF8831，预计明天送达。", {"bot": "小智"}),
        ]:
            uow.session.add(
                Message(
                    conversation_id=conversation.id, kind=kind, channel=Channel.WECHAT, body=body, meta=meta,
                    author_customer_id=carol if kind is MessageKind.INBOUND else None,
                    created_at=conversation.started_at + timedelta(minutes=minutes),
                )
            )  # fmt: skip
        for order_no, customer_id in (("2024061188310", carol), ("2024061199999", world.dave.customer_id)):
            uow.session.add(
                DemoOrder(
                    order_no=order_no, customer_id=customer_id, status="shipped", items="声悦耳机 Pro",
                    amount=Decimal("899.00"), carrier="顺丰速运", tracking_no="SF8831", placed_at=now,
                    updated_at=now, eta=None,
                )
            )  # fmt: skip
        await uow.commit()
        conversation_id = conversation.id
    phone = await _case(
        db, world.bob, subject="电话里说耳机充不进电", body="客户来电：耳机充电灯不亮。", customer_id=carol,
        team_id=world.team_b, assignee_id=world.bob.user_id, channel=Channel.PHONE,
    )  # fmt: skip
    await _say(db, world.bob, phone, MessageKind.REPLY, "请换一根数据线再试。")
    async with UnitOfWork(db) as uow:
        bob = await principal_by_user_id(uow, world.bob.user_id)
        assert bob is not None
        await transition_ticket(uow, bob, phone, to=TicketStatus.RESOLVED, summary="更换数据线后正常")
    email = await _case(
        db, world.bob, subject="发票抬头开错了", body="发票抬头应为个人，麻烦重开。", customer_id=carol,
        team_id=world.team_b, assignee_id=world.bob.user_id, channel=Channel.EMAIL,
    )  # fmt: skip
    await _say(db, world.bob, email, MessageKind.REPLY, BOB_REPLY)
    await _say(db, world.bob, email, MessageKind.NOTE, BOB_NOTE)
    dave = await _case(
        db, world.alice, subject="戴夫的路由器坏了", body="路由器不亮灯。", customer_id=world.dave.customer_id,
        team_id=world.team_a, channel=Channel.EMAIL,
    )  # fmt: skip
    chat = await _case(
        db, world.alice, subject="耳机又没声音了", body="上次的耳机又没声音了，还是那副。", customer_id=carol,
        team_id=world.team_a, assignee_id=world.alice.user_id, channel=Channel.WEB_CHAT,
    )  # fmt: skip
    await _say(db, world.alice, chat, MessageKind.NOTE, ALICE_NOTE)
    return Story(chat, email, phone, dave, conversation_id)


async def _history(client: httpx.AsyncClient, who: Person, ticket_id: int, **params: Any) -> httpx.Response:
    return await client.get(f"/api/v1/tickets/{ticket_id}/customer-history", params=params, headers=who.auth)


def _panel(html: str) -> str:
    start = html.index('id="customer-history"')
    return html[start : html.index("</section>", start)]


def _cases(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {e["id"]: e for e in data["timeline"] if e["type"] == "case"}


async def test_the_advisor_sees_every_case_and_every_public_message(
    client: httpx.AsyncClient, world: World, story: Story
) -> None:
    response = await _history(client, world.alice, story.chat)
    assert response.status_code == 200, response.text
    data = response.json()
    cases = _cases(data)
    assert list(cases) == [story.chat, story.email, story.phone]  # newest first; not Dave's
    assert [e["type"] for e in data["timeline"]] == ["case", "case", "case", "conversation"]
    assert data["cases_total"] == 3 and data["cases_active"] == 2 and data["conversations_total"] == 1
    assert {c["channel"]: c["cases"] + c["conversations"] for c in data["channels"]} == {
        "web_chat": 1, "email": 1, "phone": 1, "wechat": 1,
    }  # fmt: skip

    email = cases[story.email]
    assert (email["channel"], email["status"], email["team"]["name"], email["assignee"]["name"]) == (
        "email", "open", "技术支持", "Bob",
    )  # fmt: skip
    bodies = [m["body"] for m in email["messages"]]
    assert bodies == ["发票抬头应为个人，麻烦重开。", BOB_REPLY]  # every public message, not the note
    assert email["hidden_notes"] == 1 and email["message_count"] == 2 and not email["openable"]
    assert email["messages"][1]["speaker"] == "staff" and email["messages"][1]["author_name"] == "Bob"
    assert email["summary"] == BOB_REPLY

    phone = cases[story.phone]
    assert phone["status"] == "resolved" and phone["resolved_at"]
    assert phone["messages"][-1]["speaker"] == "system"  # the resolution notice…
    assert phone["summary"] == "请换一根数据线再试。"  # …but the summary is the last word of a person

    mine = cases[story.chat]
    assert mine["current"] and mine["openable"]
    assert ALICE_NOTE in [m["body"] for m in mine["messages"]]  # her own team's notes show

    (bot,) = [e for e in data["timeline"] if e["type"] == "conversation"]
    assert bot["channel"] == "wechat" and [m["speaker"] for m in bot["messages"]] == ["customer", "bot"]
    assert bot["messages"][1]["author_name"] == "小智"
    assert [o["order_no"] for o in data["orders"]] == ["2024061188310"]  # hers only, from the connector
    assert data["customer"]["tier"] == "vip1"
    assert data["customer"]["phone"].count("*") == 4  # masked, as everywhere
    assert BOB_NOTE not in response.text and "戴夫" not in response.text


async def test_notes_stay_with_the_team_that_wrote_them(
    client: httpx.AsyncClient, world: World, story: Story
) -> None:
    bob = _cases((await _history(client, world.bob, story.email)).json())
    assert BOB_NOTE in [m["body"] for m in bob[story.email]["messages"]]
    assert ALICE_NOTE not in [m["body"] for m in bob[story.chat]["messages"]]
    assert bob[story.chat]["hidden_notes"] == 1
    supervisor = _cases((await _history(client, world.sue, story.chat)).json())
    assert all(case["hidden_notes"] == 0 and case["openable"] for case in supervisor.values())
    assert BOB_NOTE in [m["body"] for m in supervisor[story.email]["messages"]]


async def test_whoever_cannot_see_the_case_gets_not_found(
    client: httpx.AsyncClient, world: World, story: Story
) -> None:
    assert (await _history(client, world.bob, story.dave)).status_code == 404  # not his team's case
    assert (await _history(client, world.alice, 10**9)).status_code == 404
    for who in (world.carol, world.dave):  # customers: not even through their own case
        refused = await _history(client, who, story.chat)
        assert refused.status_code == 404, refused.text
        assert refused.json()["error"]["code"] == "not_found"
    no_token = await client.get(f"/api/v1/tickets/{story.chat}/customer-history")
    assert no_token.status_code == 401


async def test_the_history_pages_in_order_without_repeats(
    client: httpx.AsyncClient, world: World, story: Story
) -> None:
    seen: list[tuple[str, int]] = []
    cursor: str | None = None
    for _ in range(5):
        page = await _history(
            client, world.alice, story.chat, limit=1, **({"before": cursor} if cursor else {})
        )
        assert page.status_code == 200, page.text
        data = page.json()
        seen += [(e["type"], e["id"]) for e in data["timeline"]]
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert seen == [
        ("case", story.chat), ("case", story.email), ("case", story.phone), ("conversation", story.conversation),
    ]  # fmt: skip
    for bad in ("nonsense", f"case-{story.dave}", "case-999999999"):  # Dave's case is no cursor of Carol's
        refused = await _history(client, world.alice, story.chat, before=bad)
        assert refused.status_code == 422 and "before" in refused.json()["error"]["fields"], refused.text
    assert (await _history(client, world.alice, story.chat, limit=0)).status_code == 422


async def test_the_ticket_page_tells_the_whole_story(
    client: httpx.AsyncClient, world: World, story: Story
) -> None:
    """Before: the customer card listed only the cases of Alice's own queue, so a customer whose
    other cases sat with another team showed "该客户的其他工单 无"."""
    await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{story.chat}")
    assert page.status_code == 200
    html = page.text
    panel = _panel(html)
    for number, subject in ((story.email, "发票抬头开错了"), (story.phone, "电话里说耳机充不进电")):
        assert f"#{number}" in panel and subject in panel
        assert f'href="/agent/tickets/{story.chat}/history/{number}"' in panel  # read-only, through her case
    assert ">已解决<" in panel and ">处理中<" in panel and ">resolved<" not in panel  # statuses in words
    assert "小智（机器人）" in panel and "机器人对话" in panel
    assert BOB_REPLY in panel and BOB_NOTE not in html
    assert "2024061188310" in panel and "已发货" in panel
    assert "该客户的其他工单" not in html and "戴夫" not in html


async def test_another_teams_case_opens_read_only_through_the_handled_case(
    client: httpx.AsyncClient, world: World, story: Story
) -> None:
    await sign_in(client, world.alice)
    view = await client.get(f"/agent/tickets/{story.chat}/history/{story.email}")
    assert view.status_code == 200
    assert BOB_REPLY in view.text and "发票抬头应为个人" in view.text and BOB_NOTE not in view.text
    assert "仅供查阅" in view.text
    assert f'action="/agent/tickets/{story.email}' not in view.text  # nothing to change from here
    assert (await client.get(f"/agent/tickets/{story.email}")).status_code == 404  # still not hers to work
    assert (await client.get(f"/agent/tickets/{story.chat}/history/{story.dave}")).status_code == 404
    full = await client.get(f"/agent/tickets/{story.chat}/history")
    assert full.status_code == 200 and BOB_REPLY in full.text and "SF8831" in full.text
    bad = await client.get(f"/agent/tickets/{story.chat}/history", params={"before": "x"})
    assert bad.status_code == 422 and "case-N" in bad.text

    await sign_in(client, world.bob)  # Bob cannot see Alice's case, so not its history either
    assert (await client.get(f"/agent/tickets/{story.chat}/history/{story.email}")).status_code == 404
    assert (await client.get(f"/agent/tickets/{story.chat}/history")).status_code == 404


async def test_the_panel_speaks_english(client: httpx.AsyncClient, world: World, story: Story) -> None:
    await sign_in(client, world.alice)
    client.cookies.set("sd_lang", "en")
    panel = _panel((await client.get(f"/agent/tickets/{story.chat}")).text)
    assert "Customer history" in panel and "Read the whole case (read-only)" in panel
    assert "Resolved" in panel and "小智 (bot)" in panel and "shipped" in panel
    assert "客户历史" not in panel and ">已解决<" not in panel


@pytest.mark.parametrize(
    ("who", "own_team", "other_team"),
    [
        ("carol", 404, 404),  # the customer herself: staff-only view
        ("dave", 404, 404),
        ("alice", 200, 404),  # agent in team A: through her team's case only
        ("eve", 404, 200),  # expert in team B
        ("sue", 200, 200),  # supervisor, quality inspector, admin see every case
        ("quinn", 200, 200),
        ("adam", 200, 200),
    ],
)
async def test_every_role_reads_it_exactly_where_it_reads_the_case(
    client: httpx.AsyncClient, world: World, story: Story, who: str, own_team: int, other_team: int
) -> None:
    person: Person = getattr(world, who)
    for ticket_id, expected in ((story.chat, own_team), (story.email, other_team)):
        case = await client.get(f"/api/v1/tickets/{ticket_id}", headers=person.auth)
        history = await _history(client, person, ticket_id)
        assert history.status_code == expected, (who, ticket_id, history.text)
        if person.customer_id is None:
            assert case.status_code == expected  # the same rule as the case itself


async def test_the_contract_describes_it(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    operation = spec["paths"]["/api/v1/tickets/{ticket_id}/customer-history"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"ticket_id", "before", "limit"}
    schema = spec["components"]["schemas"]["CustomerHistoryOut"]
    assert schema["properties"]["timeline"]["items"]["discriminator"]["propertyName"] == "type"
    assert "hidden_notes" in spec["components"]["schemas"]["HistoryCaseOut"]["properties"]
