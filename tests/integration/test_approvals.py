"""Refunds and compensation within authority limits (R-HD-6), carried out through the business
connector (R-HD-8): through the services, the API and the pages, on both databases.

Alice (agent, team A) works Carol's case; Bob is an agent of team B; Sue supervises; Adam
administers. Carol's demo orders: 2026100100001 (delivered, 599.00) and 2026100100002 (paid,
not shipped, 149.00); 2026100100009 belongs to Dave.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from servicedesk.domain.approvals import ActionStatus
from servicedesk.domain.catalog import Channel
from servicedesk.domain.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal, Role
from servicedesk.services import approvals
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.business_actions import ActionRefused, DemoShop, OrderRef, Outcome
from servicedesk.services.tickets import transition_ticket
from servicedesk.store.approvals import AuthorityLimit, ServiceAction
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.models import Event, Message, Outbox
from servicedesk.store.sla import Notification
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World, make_person
from tests.integration.test_pages import open_ticket, sign_in
from tests.integration.test_sla import Frozen, local

DELIVERED, UNSHIPPED, DAVES = "2026100100001", "2026100100002", "2026100100009"


@dataclass
class Spy(DemoShop):
    """The demo shop, with a record of every call; `refuse` makes one step say no."""

    calls: list[tuple[str, str, Decimal]] = field(default_factory=list)
    refuse: str | None = None

    async def _step(self, step: str, order: OrderRef, amount: Decimal) -> None:
        self.calls.append((step, order.order_no, amount))
        if step == self.refuse:
            raise ActionRefused(f"{step} is switched off in the test")

    async def refund(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome:
        await self._step("refund", order, amount)
        return await super().refund(uow, order, amount)

    async def compensate(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome:
        await self._step("compensate", order, amount)
        return await super().compensate(uow, order, amount)

    async def reship(self, uow: UnitOfWork, order: OrderRef, goods_value: Decimal) -> Outcome:
        await self._step("reship", order, goods_value)
        return await super().reship(uow, order, goods_value)


@pytest.fixture
async def case(db: Database, world: World) -> int:
    """Carol's e-mail case about a broken phone, worked by Alice; the clock frozen on 8 October."""
    db.clock = Frozen(local(2026, 10, 8, 10, 0))
    async with UnitOfWork(db) as uow:
        assert world.carol.customer_id is not None and world.dave.customer_id is not None
        for number, customer, status, amount in [
            (DELIVERED, world.carol.customer_id, "delivered", "599.00"),
            (UNSHIPPED, world.carol.customer_id, "paid", "149.00"),
            (DAVES, world.dave.customer_id, "delivered", "3299.00"),
        ]:
            uow.session.add(DemoOrder(
                order_no=number, customer_id=customer, status=status, items="星辰手机 X5", amount=Decimal(amount),
                carrier="京东物流" if status == "delivered" else None, tracking_no=None, placed_at=uow.now(),
                updated_at=uow.now(), eta=None,
            ))  # fmt: skip
        await uow.commit()
    return await open_ticket(
        db, world.alice, subject="手机到货屏幕<b>碎了</b>", body="开箱就碎", customer_id=world.carol.customer_id,
        channel=Channel.EMAIL, team_id=world.team_a, assignee_id=world.alice.user_id,
    )  # fmt: skip


async def _actor(db: Database, person: Person) -> Principal:
    async with UnitOfWork(db, write=False) as uow:
        actor = await principal_by_user_id(uow, person.user_id)
    assert actor is not None
    return actor


async def _request(
    db: Database, person: Person, ticket_id: int, spy: Spy | None = None, **fields: Any
) -> ServiceAction:
    values = {"kind": "refund", "amount": "100", "order_no": DELIVERED, "basis": "客户提供破损照片"} | fields
    async with UnitOfWork(db) as uow:
        return await approvals.request_action(
            uow, await _actor(db, person), ticket_id, connector=spy, **values
        )


async def _approve(db: Database, person: Person, action_id: int, spy: Spy | None = None) -> ServiceAction:
    async with UnitOfWork(db) as uow:
        return await approvals.approve(
            uow, await _actor(db, person), action_id, note="照片属实", connector=spy
        )


async def _order(db: Database, number: str) -> DemoOrder:
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.session.scalar(select(DemoOrder).where(DemoOrder.order_no == number))
    assert order is not None
    return order


async def _events(db: Database, action_id: int) -> list[Event]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Event)
            .where(Event.subject_type == "service_action", Event.subject_id == action_id)
            .order_by(Event.id)
        )
        return list(rows)


async def _customer_messages(db: Database, ticket_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Message.body).where(
                Message.ticket_id == ticket_id, Message.meta["system"].as_string() == "service_action"
            )
        )
        return list(rows)


async def _notified(db: Database, person: Person) -> list[tuple[str, str]]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(select(Notification).where(Notification.user_id == person.user_id))
        return [(n.kind, str(n.data.get("reason"))) for n in rows]


async def test_it_carries_out_500_at_once_for_the_front_line_and_tells_the_customer(
    db: Database, world: World, case: int
) -> None:
    spy = Spy()
    action = await _request(db, world.alice, case, spy, amount="500")
    assert (action.status, action.approver_id, action.limit_amount) == ("executed", None, Decimal("500.00"))
    assert spy.calls == [("refund", DELIVERED, Decimal("500.00"))]
    assert action.connector_ref == f"RF-{DELIVERED}-{action.id}"
    assert (await _order(db, DELIVERED)).status == "delivered"  # 99.00 is still left to refund
    assert [(e.action, e.actor_user_id) for e in await _events(db, action.id)] == [
        ("action.requested", world.alice.user_id), ("action.executed", world.alice.user_id),
    ]  # fmt: skip
    told = await _customer_messages(db, case)
    assert told == [
        f"您好，订单 {DELIVERED} 的退款 500.00 元已为您办理，将原路退回，一般 1–3 个工作日到账（工单 #{case}）。"
    ]
    async with UnitOfWork(db, write=False) as uow:
        queued = list(await uow.session.scalars(select(Outbox).where(Outbox.ticket_id == case)))
    assert [(o.channel, o.recipient) for o in queued] == [(Channel.EMAIL, world.carol.email)]
    assert await _notified(db, world.sue) == []  # nothing to approve


@pytest.mark.parametrize(
    ("amount", "status"), [("499.99", "executed"), ("500.00", "executed"), ("500.01", "pending_approval")]
)
async def test_the_limit_holds_at_the_cent(
    db: Database, world: World, case: int, amount: str, status: str
) -> None:
    spy = Spy()
    action = await _request(db, world.alice, case, spy, amount=amount)
    assert action.status == status
    assert len(spy.calls) == (status == "executed")


async def test_above_the_limit_the_connector_waits_for_a_supervisor(
    db: Database, world: World, case: int
) -> None:
    spy = Spy()
    action = await _request(db, world.alice, case, spy, amount="500.01", basis="屏幕碎裂，全额以外另退差价")
    assert action.status == "pending_approval" and spy.calls == []
    assert (await _order(db, DELIVERED)).status == "delivered"
    assert await _notified(db, world.sue) == [("action.pending", "屏幕碎裂，全额以外另退差价")]
    assert await _notified(db, world.adam) == [("action.pending", "屏幕碎裂，全额以外另退差价")]
    assert await _notified(db, world.alice) == []
    with pytest.raises(Forbidden, match="may not approve"):
        await _approve(db, world.alice, action.id, spy)  # her own, and agents never approve
    with pytest.raises(Forbidden, match="may not approve"):
        await _approve(db, world.bob, action.id, spy)
    assert spy.calls == [] and await _customer_messages(db, case) == []
    done = await _approve(db, world.sue, action.id, spy)
    assert (done.status, done.approver_id, done.decision_note) == ("executed", world.sue.user_id, "照片属实")
    assert spy.calls == [("refund", DELIVERED, Decimal("500.01"))]
    events = await _events(db, action.id)
    assert [(e.action, e.actor_user_id) for e in events] == [
        ("action.requested", world.alice.user_id), ("action.approved", world.sue.user_id),
        ("action.executed", world.sue.user_id),
    ]  # fmt: skip
    assert events[-1].after == {
        "action_kind": "refund", "amount": "500.01", "currency": "CNY", "order_no": DELIVERED,
        "basis": "屏幕碎裂，全额以外另退差价", "action_status": "executed", "requested_by_id": world.alice.user_id,
        "approver_id": world.sue.user_id, "connector_ref": f"RF-{DELIVERED}-{action.id}",
    }  # fmt: skip
    assert await _notified(db, world.alice) == [("action.executed", "照片属实")]
    assert len(await _customer_messages(db, case)) == 1
    with pytest.raises(InvalidTransition):
        await _approve(db, world.adam, action.id, spy)  # decided once
    assert len(spy.calls) == 1


async def test_a_supervisor_never_approves_their_own_nor_above_their_own_limit(
    db: Database, world: World, case: int
) -> None:
    own = await _request(db, world.sue, case, amount="10000.01", kind="compensation", basis="重大事故补偿")
    assert own.status == "pending_approval" and own.limit_amount == Decimal("10000.00")
    with pytest.raises(Forbidden, match="own request"):
        await _approve(db, world.sue, own.id)
    big = await _request(db, world.alice, case, amount="20000", kind="compensation", basis="整批召回")
    assert await _notified(db, world.sue) == []  # not her own, and 20,000 is above her limit
    assert await _notified(db, world.adam) == [
        ("action.pending", "重大事故补偿"),
        ("action.pending", "整批召回"),
    ]
    with pytest.raises(Forbidden, match="above your own limit"):
        await _approve(db, world.sue, big.id)
    assert (await _approve(db, world.adam, own.id)).status == "executed"
    assert (await _approve(db, world.adam, big.id)).status == "executed"


async def test_the_table_overrides_the_default_limits(db: Database, world: World, case: int) -> None:
    async with UnitOfWork(db) as uow:
        uow.session.add_all([
            AuthorityLimit(role="agent", kind="*", max_amount=Decimal("200"), updated_at=uow.now()),
            AuthorityLimit(role="agent", kind="free_shipping", max_amount=None, updated_at=uow.now()),
        ])  # fmt: skip
        await uow.commit()
    assert (await _request(db, world.alice, case, amount="200.01")).status == "pending_approval"
    free = await _request(db, world.alice, case, kind="free_shipping", amount="9999", basis="退货运费")
    assert (free.status, free.limit_amount) == ("executed", None)


async def test_a_rejection_needs_a_note_and_tells_the_requester(
    db: Database, world: World, case: int
) -> None:
    spy = Spy()
    action = await _request(db, world.alice, case, spy, amount="800")
    sue = await _actor(db, world.sue)
    async with UnitOfWork(db) as uow:
        with pytest.raises(ValidationFailed) as empty:
            await approvals.reject(uow, sue, action.id, note="  ")
    assert empty.value.fields == {"note": "1 to 1000 characters"}
    async with UnitOfWork(db) as uow:
        rejected = await approvals.reject(uow, sue, action.id, note="照片显示为人为损坏")
    assert (rejected.status, rejected.approver_id, rejected.decision_note) == (
        "rejected",
        world.sue.user_id,
        "照片显示为人为损坏",
    )
    assert spy.calls == [] and await _customer_messages(db, case) == []
    assert await _notified(db, world.alice) == [("action.rejected", "照片显示为人为损坏")]
    assert [e.action for e in await _events(db, action.id)] == ["action.requested", "action.rejected"]
    with pytest.raises(InvalidTransition):
        await _approve(db, world.adam, action.id, spy)


async def test_damaged_goods_are_reshipped_and_compensated_in_one_step(
    db: Database, world: World, case: int
) -> None:
    spy = Spy()
    action = await _request(
        db, world.alice, case, spy, kind="reship_and_compensation", amount="649", compensation="50",
        basis="到货屏幕碎裂，补发新机并补偿 50 元",
    )  # fmt: skip
    assert action.status == "pending_approval" and spy.calls == []  # 649 in all: above Alice's 500
    action = await _approve(db, world.sue, action.id, spy)
    assert action.status == "executed"
    assert spy.calls == [
        ("reship", DELIVERED, Decimal("599.00")),
        ("compensate", DELIVERED, Decimal("50.00")),
    ]
    tracking = f"SFR{action.id:09d}"
    assert action.connector_ref == f"{tracking} + CP-{DELIVERED}-{action.id}"
    assert action.details["result"] == {
        "tracking_no": tracking, "carrier": "京东物流", "eta": "2026-10-10", "order_status": "shipped",
        "compensation": "50.00",
    }  # fmt: skip
    order = await _order(db, DELIVERED)
    assert (order.status, order.tracking_no) == ("shipped", tracking)
    assert await _customer_messages(db, case) == [
        f"您好，订单 {DELIVERED} 的商品已为您重新发出：京东物流，运单号 {tracking}，预计 10月10日 送达；"
        f"另为您发放补偿 50.00 元（工单 #{case}）。给您带来不便，深表歉意。"
    ]


async def test_a_refusal_marks_the_action_failed_and_changes_nothing(
    db: Database, world: World, case: int
) -> None:
    unknown = await _request(db, world.alice, case, order_no="2099010100000")
    assert (unknown.status, unknown.failure) == ("failed", "order 2099010100000 not found for this customer")
    daves = await _request(db, world.alice, case, order_no=DAVES, amount="10")
    assert daves.failure == f"order {DAVES} not found for this customer"  # another customer's order
    too_much = await _request(db, world.alice, case, amount="600")
    assert too_much.status == "pending_approval"
    failed = await _approve(db, world.sue, too_much.id)
    assert (failed.status, failed.approver_id) == ("failed", world.sue.user_id)
    assert (
        failed.failure
        == f"refund 600.00 is above what is left to refund on order {DELIVERED} (599.00 of 599.00)"
    )
    assert await _notified(db, world.alice) == [("action.failed", failed.failure)]
    not_sent = await _request(db, world.alice, case, kind="reship", order_no=UNSHIPPED, amount="149")
    assert not_sent.failure == f"order {UNSHIPPED} is paid: it has not been sent yet"
    assert [e.action for e in await _events(db, failed.id)] == [
        "action.requested",
        "action.approved",
        "action.failed",
    ]
    assert await _customer_messages(db, case) == []
    # the second step refused: the reshipment made by the first is undone with it
    spy = Spy(refuse="compensate")
    both = await _request(
        db, world.alice, case, spy, kind="reship_and_compensation", amount="100", compensation="40"
    )
    assert (both.status, both.failure) == ("failed", "compensate is switched off in the test")
    assert [c[0] for c in spy.calls] == ["reship", "compensate"]
    order = await _order(db, DELIVERED)
    assert (order.status, order.tracking_no) == ("delivered", None)
    # refunds add up: what is left shrinks
    assert (await _request(db, world.alice, case, amount="400")).status == "executed"
    assert (await _request(db, world.alice, case, amount="199.01")).failure == (
        f"refund 199.01 is above what is left to refund on order {DELIVERED} (199.00 of 599.00)"
    )
    last = await _request(db, world.alice, case, amount="199")
    assert last.status == "executed" and (await _order(db, DELIVERED)).status == "refunded"


async def test_it_refuses_a_double_submit_and_a_closed_case(db: Database, world: World, case: int) -> None:
    first = await _request(db, world.alice, case, amount="800")
    with pytest.raises(Conflict, match=f"already pending_approval \\(action {first.id}\\)"):
        await _request(db, world.alice, case, amount="800")
    done = await _request(db, world.alice, case, amount="20")
    with pytest.raises(Conflict, match=f"already executed \\(action {done.id}\\)"):
        await _request(db, world.alice, case, amount="20")
    assert (await _request(db, world.alice, case, amount="20", order_no=UNSHIPPED)).status == "executed"
    async with UnitOfWork(db, write=False) as uow:
        count = len(list(await uow.session.scalars(select(ServiceAction.id))))
    assert count == 3
    alice = await _actor(db, world.alice)
    for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        async with UnitOfWork(db) as uow:
            await transition_ticket(uow, alice, case, to=status)
    with pytest.raises(InvalidTransition, match="the case is closed"):
        await _request(db, world.alice, case, amount="5")


# --- over HTTP ---------------------------------------------------------------------------


async def test_the_api_requests_lists_and_decides(
    client: httpx.AsyncClient, db: Database, world: World, case: int
) -> None:
    body = {"kind": "refund", "amount": "500.01", "order_no": DELIVERED, "basis": "质量问题"}
    made = await client.post(f"/api/v1/tickets/{case}/actions", json=body, headers=world.alice.auth)
    assert made.status_code == 201, made.text
    action = made.json()
    assert (action["status"], action["amount"], action["limit_amount"], action["approver"]) == (
        "pending_approval", "500.01", "500.00", None,
    )  # fmt: skip
    assert action["requested_by"] == {"id": world.alice.user_id, "name": "Alice"} and not action["can_decide"]
    assert (await _order(db, DELIVERED)).status == "delivered" and action["connector_ref"] is None
    queue = await client.get("/api/v1/approvals", headers=world.sue.auth)
    assert [(a["id"], a["can_decide"], a["ticket_number"]) for a in queue.json()] == [
        (action["id"], True, f"#{case}")
    ]
    approved = await client.post(f"/api/v1/actions/{action['id']}/approve", json={}, headers=world.sue.auth)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "executed"
    assert approved.json()["approver"] == {"id": world.sue.user_id, "name": "Sue"}
    assert approved.json()["connector_ref"] == f"RF-{DELIVERED}-{action['id']}"
    listed = await client.get(f"/api/v1/tickets/{case}/actions", headers=world.alice.auth)
    assert [a["status"] for a in listed.json()] == ["executed"]
    assert (await client.get("/api/v1/approvals", headers=world.sue.auth)).json() == []
    float_amount = await client.post(
        f"/api/v1/tickets/{case}/actions",
        json=body | {"amount": 12.5, "basis": "运费补偿"},
        headers=world.alice.auth,
    )
    assert float_amount.status_code == 201 and float_amount.json()["amount"] == "12.50"


async def test_the_api_says_precisely_what_is_wrong(
    client: httpx.AsyncClient, db: Database, world: World, case: int
) -> None:
    url = f"/api/v1/tickets/{case}/actions"
    body: dict[str, Any] = {"kind": "refund", "amount": "600", "order_no": DELIVERED, "basis": "质量问题"}

    async def post(payload: dict[str, Any], person: Person = world.alice, to: str = url) -> httpx.Response:
        return await client.post(to, json=payload, headers=person.auth)

    cases: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"amount": "-5"}, {"amount": "must be more than 0"}),
        ({"amount": 0}, {"amount": "must be more than 0"}),
        ({"amount": "1.234"}, {"amount": "at most two decimal places (fen)"}),
        ({"amount": "lots"}, {"amount": "a number of yuan such as 499.99"}),
        ({"amount": True}, {"amount": "Value error, a number of yuan such as 499.99"}),
        (
            {"kind": "gift"},
            {"kind": "one of refund, compensation, free_shipping, reship, reship_and_compensation"},
        ),
        ({"basis": " "}, {"basis": "1 to 2000 characters"}),
        ({"order_no": ""}, {"order_no": "1 to 32 letters, digits or -"}),
        ({"extra": 1}, {"extra": "unknown field"}),
        ({"compensation": "5"}, {"compensation": "leave empty for refund"}),
    ]
    for change, fields in cases:
        refused = await post(body | change)
        assert refused.status_code == 422, (change, refused.text)
        assert refused.json()["error"]["fields"] == fields, (change, refused.text)
    assert (await post(body, world.carol)).status_code == 403
    assert (await post(body, world.bob)).json()["error"]["code"] == "not_found"  # not his team's case
    assert (await post(body, world.quinn)).status_code == 403
    pending = (await post(body)).json()
    twice = await post(body)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    customer = await client.get(url, headers=world.carol.auth)
    assert (
        customer.status_code == 403 and customer.json()["error"]["message"] == "service actions are for staff"
    )
    assert (await client.get("/api/v1/approvals", headers=world.alice.auth)).status_code == 403
    decide = f"/api/v1/actions/{pending['id']}"
    by_agent = await post({}, world.alice, f"{decide}/approve")
    assert by_agent.status_code == 403 and "may not approve" in by_agent.json()["error"]["message"]
    assert (await post({}, world.carol, f"{decide}/approve")).status_code == 403
    no_note = await post({"note": " "}, world.sue, f"{decide}/reject")
    assert no_note.status_code == 422 and no_note.json()["error"]["fields"] == {
        "note": "1 to 1000 characters"
    }
    assert (await post({}, world.sue, "/api/v1/actions/999999/approve")).status_code == 404
    rejected = await post({"note": "超出政策"}, world.sue, f"{decide}/reject")
    assert rejected.status_code == 200 and rejected.json()["decision_note"] == "超出政策"
    again = await post({}, world.adam, f"{decide}/approve")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"


async def test_the_ticket_page_and_the_approvals_page(
    client: httpx.AsyncClient, db: Database, world: World, case: int
) -> None:
    csrf = await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{case}")
    assert page.status_code == 200 and "退款与补偿" in page.text and "本工单暂无服务操作" in page.text
    assert "退款 · 您的权限额度 500.00" in page.text
    form = {"kind": "refund", "amount": "550", "order_no": DELIVERED, "basis": "屏幕<script>碎</script>"}
    forged = await client.post(f"/agent/tickets/{case}/actions", data=form | {"csrf": "forged"})
    assert forged.status_code == 403
    bad = await client.post(f"/agent/tickets/{case}/actions", data=form | {"csrf": csrf, "amount": "6.005"})
    assert bad.status_code == 422 and "at most two decimal places (fen)" in bad.text
    assert 'value="6.005"' in bad.text and "屏幕&lt;script&gt;碎&lt;/script&gt;" in bad.text
    sent = await client.post(f"/agent/tickets/{case}/actions", data=form | {"csrf": csrf})
    assert sent.status_code == 303 and sent.headers["location"] == f"/agent/tickets/{case}#actions"
    again = await client.post(f"/agent/tickets/{case}/actions", data=form | {"csrf": csrf})
    assert again.status_code == 409 and "already pending_approval" in again.text
    mine = await client.get(f"/agent/tickets/{case}")
    assert (
        "待审批" in mine.text
        and "屏幕&lt;script&gt;碎&lt;/script&gt;" in mine.text
        and "<script>碎" not in mine.text
    )
    assert "/approve" not in mine.text  # Alice cannot decide
    action_id = (await client.get(f"/api/v1/tickets/{case}/actions", headers=world.alice.auth)).json()[0][
        "id"
    ]
    denied = await client.post(f"/agent/actions/{action_id}/approve", data={"csrf": csrf})
    assert denied.status_code == 403
    assert (await client.get("/agent/approvals")).status_code == 403

    csrf = await sign_in(client, world.sue)
    told = await client.get("/agent/notifications")
    assert (
        f"工单 #{case}「手机到货屏幕&lt;b&gt;碎了&lt;/b&gt;」有一项服务操作超出申请人额度，等待您审批。"
        in told.text
    )
    queue = await client.get("/agent/approvals")
    assert queue.status_code == 200 and f"/agent/actions/{action_id}/approve" in queue.text
    assert "屏幕&lt;script&gt;碎&lt;/script&gt;" in queue.text and "一线客服" in queue.text
    no_note = await client.post(f"/agent/actions/{action_id}/reject", data={"csrf": csrf, "note": ""})
    assert no_note.status_code == 422 and "1 to 1000 characters" in no_note.text
    forged = await client.post(f"/agent/actions/{action_id}/approve", data={"csrf": "x"})
    assert forged.status_code == 403
    approved = await client.post(
        f"/agent/actions/{action_id}/approve", data={"csrf": csrf, "note": "同意", "back": "ticket"}
    )
    assert approved.status_code == 303 and approved.headers["location"] == f"/agent/tickets/{case}#actions"
    done = await client.get(f"/agent/tickets/{case}")
    assert (
        "已执行" in done.text and "Sue" in done.text and f"RF-{DELIVERED}-{action_id} · 已签收" in done.text
    )
    untranslated = r"\b(ap_|ev_action_|f_(action|amount|currency|basis|order_no|limit|approver|requested|connector|failure))"
    assert not re.search(untranslated, done.text)  # the trail names every event and field
    assert "申请服务操作" in done.text and "批准服务操作" in done.text and "服务操作已执行" in done.text
    assert "没有等待审批的服务操作" in (await client.get("/agent/approvals")).text

    await sign_in(client, world.carol)
    help_page = await client.get(f"/help/tickets/{case}")
    assert (
        help_page.status_code == 200
        and "退款与补偿" not in help_page.text
        and "屏幕&lt;script" not in help_page.text
    )
    assert "退款 550.00 元已为您办理" in help_page.text
    assert (await client.get("/agent/approvals")).status_code == 404


async def test_approving_one_request_leaves_the_others_pending(db: Database, world: World, case: int) -> None:
    """Approving one request leaves the others pending (the lock is on one row)."""
    one = await _request(db, world.alice, case, amount="501")
    two = await _request(db, world.alice, case, amount="502")
    await _approve(db, world.sue, one.id)
    async with UnitOfWork(db, write=False) as uow:
        statuses = dict((await uow.session.execute(select(ServiceAction.id, ServiceAction.status))).all())
    assert statuses == {one.id: ActionStatus.EXECUTED.value, two.id: ActionStatus.PENDING_APPROVAL.value}


async def test_two_supervisors_approving_at_once_pay_once(db: Database, world: World, case: int) -> None:
    sam = await make_person(db, "Sam", Role.SUPERVISOR)
    action = await _request(db, world.alice, case, amount="520")
    spy = Spy()
    results = await asyncio.gather(
        _approve(db, world.sue, action.id, spy), _approve(db, sam, action.id, spy), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "ServiceAction"]
    assert spy.calls == [("refund", DELIVERED, Decimal("520.00"))]
    assert [e.action for e in await _events(db, action.id)].count("action.executed") == 1
