"""Cases nobody classified get a suggestion with reasons; leaving it takes a reason (R-CL-1, R-CL-2)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel, Priority, TicketType
from servicedesk.services.assistant import Assistant
from servicedesk.services.intake import receive
from servicedesk.store.classification import Classification
from servicedesk.store.db import Database
from servicedesk.store.models import Event, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.test_pages import sign_in


async def _wechat_case(db: Database, text: str) -> Ticket:
    inbound = InboundMessage(
        channel=Channel.WECHAT,
        sender="o-classify-1",
        body=text,
        received_at=datetime.now(UTC),
        message_id="m1",
    )
    async with UnitOfWork(db) as uow:
        result = await receive(uow, inbound)
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, result.ticket_id)
        assert ticket is not None
        return ticket


async def test_a_case_from_a_channel_is_classified_with_reasons(db: Database) -> None:
    ticket = await _wechat_case(db, "电水壶插电就冒烟了，我要投诉！")
    assert (ticket.type, ticket.priority) == (TicketType.PRODUCT_QUALITY, Priority.HIGH)
    assert {t.tag for t in ticket.tags} == {"complaint"}
    async with UnitOfWork(db, write=False) as uow:
        row = await uow.session.get(Classification, ticket.id)
        events = list(await uow.session.scalars(select(Event.action).where(Event.ticket_id == ticket.id)))
    assert row is not None and row.priority is Priority.HIGH
    assert row.reasons["priority"][0] == ["safety", "冒烟"]  # the rule that made it high, first
    assert row.reasons["type"][0][0] == "model"
    assert "ticket.classified" in events


async def test_a_phone_that_cannot_be_switched_on_is_high(db: Database) -> None:
    """Issue 12, defect 7: this came out as a low-priority consultation."""
    ticket = await _wechat_case(db, "手机完全无法开机，没法用了")
    assert (ticket.type, ticket.priority) == (TicketType.PRODUCT_QUALITY, Priority.HIGH)


async def test_every_user_locked_out_is_a_high_technical_case(db: Database) -> None:
    """Issue 12, defect 7: this came out as medium."""
    ticket = await _wechat_case(db, "全国的用户都登录不了App，系统崩溃了")
    assert (ticket.type, ticket.priority) == (TicketType.TECHNICAL, Priority.HIGH)
    async with UnitOfWork(db, write=False) as uow:
        row = await uow.session.get(Classification, ticket.id)
    assert row is not None and ["outage", "全国、登录不了、系统崩"] in row.reasons["priority"]


async def test_what_staff_choose_is_kept_and_no_suggestion_is_stored(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {"subject": "冒烟了", "body": "插电就冒烟", "customer_id": world.carol.customer_id,
            "type": "other", "priority": "low", "tags": ["自定义"], "team_id": world.team_a}  # fmt: skip
    made = await client.post("/api/v1/tickets", json=body, headers=world.alice.auth)
    assert made.status_code == 201
    assert (made.json()["type"], made.json()["priority"], made.json()["tags"]) == ("other", "low", ["自定义"])
    update = {"priority": "medium"}  # no suggestion: no reason needed
    assert (
        await client.patch(f"/api/v1/tickets/{made.json()['id']}", json=update, headers=world.alice.auth)
    ).status_code == 200


async def test_a_customer_cannot_set_the_priority(client: httpx.AsyncClient, world: World) -> None:
    body = {"subject": "请问发票怎么开", "body": "公司报销用", "priority": "high"}
    made = await client.post("/api/v1/tickets", json=body, headers=world.carol.auth)
    assert made.status_code == 201, made.text
    assert made.json()["priority"] == "medium"  # a question, raised one step: Carol is a VIP


async def test_overriding_the_suggestion_needs_a_reason_which_is_recorded(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {"subject": "请问发票怎么开", "body": "公司报销用", "customer_id": world.carol.customer_id,
            "team_id": world.team_a}  # fmt: skip
    made = (await client.post("/api/v1/tickets", json=body, headers=world.alice.auth)).json()
    assert made["priority"] == "medium" and made["type"] == "consultation" and made["tags"] == ["billing"]
    url, auth = f"/api/v1/tickets/{made['id']}", world.alice.auth
    refused = await client.patch(url, json={"priority": "high"}, headers=auth)
    assert refused.status_code == 422
    assert "reason" in refused.json()["error"]["fields"]
    assert (await client.get(url, headers=auth)).json()["priority"] == "medium"  # nothing changed
    # the same values as now, or back to the suggestion, need no reason
    assert (
        await client.patch(url, json={"priority": "medium", "type": "consultation"}, headers=auth)
    ).status_code == 200
    done = await client.patch(url, json={"priority": "high", "reason": "客户月底必须报销"}, headers=auth)
    assert done.status_code == 200
    changed = [e for e in done.json()["events"] if e["action"] == "ticket.updated"][-1]
    assert changed["after"] == {
        "priority": "high",
        "reason": "客户月底必须报销",
        "overrides_suggestion": ["priority"],
    }


async def test_the_ticket_page_shows_the_suggestion_and_why(client: httpx.AsyncClient, world: World) -> None:
    body = {"subject": "请问发票怎么开", "body": "公司报销用", "customer_id": world.carol.customer_id,
            "team_id": world.team_a}  # fmt: skip
    made = (await client.post("/api/v1/tickets", json=body, headers=world.alice.auth)).json()
    await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{made['id']}")
    assert page.status_code == 200
    assert "分类建议" in page.text
    assert "模型判断，置信度" in page.text and "关键词「发票」" in page.text
    assert "客户等级：VIP" in page.text  # why a question is medium
    burning = {"subject": "电热毯烧焦了", "body": "昨晚闻到焦味", "customer_id": world.carol.customer_id,
               "team_id": world.team_a}  # fmt: skip
    high = (await client.post("/api/v1/tickets", json=burning, headers=world.alice.auth)).json()
    assert high["priority"] == "high"
    page = await client.get(f"/agent/tickets/{high['id']}")
    assert "安全风险「烧焦、焦味」" in page.text


async def test_the_bots_model_is_evidence_for_a_case_that_goes_straight_to_a_person(
    db: Database, shop: Assistant
) -> None:
    """Email is not a bot channel: the message opens a case at once, and the intent the model
    recognises counts as it would at a hand-off: 投诉 agrees with the service-quality type, and
    the demo marks it 紧急, so the case is high — the priority a hand-off of the same words gets."""
    inbound = InboundMessage(
        channel=Channel.EMAIL, sender="lin@example.com", body="你们服务太差了，我要找你们领导",
        subject="对处理结果很不满意", received_at=datetime.now(UTC), message_id="<c1@example.com>",
    )  # fmt: skip
    async with UnitOfWork(db) as uow:
        result = await receive(uow, inbound, assistant=shop)
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, result.ticket_id)
        row = await uow.session.get(Classification, result.ticket_id)
    assert ticket is not None and row is not None
    assert (ticket.type, ticket.priority) == (TicketType.SERVICE_QUALITY, Priority.HIGH)
    assert "intent-complaint" in {t.tag for t in ticket.tags}
    assert ["intent", "投诉"] in row.reasons["type"] and ["intent", "投诉"] in row.reasons["priority"]
