"""Issue 5's "done when", end to end: a VIP complaint arriving on WeChat at 21:55 on the eve of
the National Day holiday, at a service centre whose admin closes it on public holidays, gets the
right deadline and the right advisor, a warning and an escalation when nobody answers, and a
refund above the front line's limit waits for a supervisor's approval before the connector
runs — all visible on the ticket page."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem, DeliveryState
from servicedesk.domain.routing_rules import Presence
from servicedesk.domain.sla import SlaMetric
from servicedesk.jobs.sla import SlaWorker
from servicedesk.services import availability, sla
from servicedesk.services.intake import receive
from servicedesk.store.approvals import ServiceAction
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, CustomerIdentity, Message, Ticket
from servicedesk.store.sla import Notification
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.test_pages import sign_in
from tests.integration.test_sla import local, standard_at

ORDER = "2026092800077"


async def _floor(db: Database, world: World) -> None:
    """Alice is Carol's advisor and on shift until 22:00; Carol writes on WeChat and has an order."""
    async with UnitOfWork(db) as uow:
        await availability.apply_settings(uow, None, world.alice.user_id, working_hours="daily 08:00-22:00")
        await availability.apply_presence(uow, None, world.alice.user_id, Presence.ONLINE)
        carol = await uow.session.get(Customer, world.carol.customer_id)
        assert carol is not None
        carol.advisor_id = world.alice.user_id
        now = uow.now()
        uow.session.add_all([
            CustomerIdentity(customer_id=carol.id, channel=Channel.WECHAT, external_id="oCarol", verified=True,
                             created_at=now),
            DemoOrder(order_no=ORDER, customer_id=carol.id, status="delivered", items="星辰手机 X5",
                      amount=Decimal("899.00"), carrier="顺丰速运", tracking_no="SF0001", placed_at=now,
                      updated_at=now, eta=None),
        ])  # fmt: skip
        await uow.commit()


async def _notified(db: Database, user_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return list(rows)


async def test_a_vip_complaint_on_a_holiday_eve_runs_the_whole_standard_track(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    clock = await standard_at(db, local(2026, 9, 30, 21, 55), holidays_staffed=False)
    await _floor(db, world)
    complaint = InboundMessage(
        channel=Channel.WECHAT, sender="oCarol", body="手机屏幕摔一下就碎了，质量太差，我要投诉！",
        received_at=clock.at, message_id="wx-555",
    )  # fmt: skip
    async with UnitOfWork(db) as uow:
        ticket_id = (await receive(uow, complaint)).ticket_id
    assert ticket_id is not None

    # classified, the right policy and deadline, the right advisor
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        clocks = {c.metric: c for c in await sla.clocks_of(uow, ticket_id)}
    assert "complaint" in {t.tag for t in ticket.tags}
    assert ticket.assignee_id == world.alice.user_id  # the advisor, on shift until 22:00
    # 5 minutes before closing, 1–7 October closed, 10 minutes on the 8th
    assert clocks[SlaMetric.FIRST_RESPONSE].due_at == local(2026, 10, 8, 8, 10)

    # Alice asks for a refund above her 500 limit: it waits; the connector has not run
    asked = await client.post(
        f"/api/v1/tickets/{ticket_id}/actions",
        json={
            "kind": "refund",
            "amount": "899.00",
            "order_no": ORDER,
            "basis": "屏幕质量问题，客户要求全额退款",
        },
        headers=world.alice.auth,
    )
    assert asked.status_code == 201, asked.text
    action_id = asked.json()["id"]
    assert asked.json()["status"] == "pending_approval"
    async with UnitOfWork(db, write=False) as uow:
        order = await uow.session.scalar(select(DemoOrder).where(DemoOrder.order_no == ORDER))
        assert order is not None and order.status == "delivered"

    # nobody answers over the holiday: warning, breach, supervisor, next tier — each once
    worker = SlaWorker(db, worker_id="done-when")
    for hour, minute in ((8, 7), (8, 10), (8, 25), (8, 40)):
        clock.at = local(2026, 10, 8, hour, minute)
        await worker.run_once(clock.at)
    assert (await _notified(db, world.alice.user_id)).count("sla.warning") == 1
    assert (await _notified(db, world.alice.user_id)).count("sla.breached") == 1
    assert "sla.supervisor" in await _notified(db, world.sue.user_id)
    async with UnitOfWork(db, write=False) as uow:
        moved = await uow.session.get(Ticket, ticket_id)
        told = list(await uow.session.scalars(select(Message).where(Message.ticket_id == ticket_id)))
    assert moved is not None and moved.team_id == world.team_b  # L2 has it now
    # the customer is told where the case went; over the holiday WeChat's 48-hour window closed,
    # so the notice says on the case that it could not go, rather than vanishing in the outbox
    transfer = [m for m in told if "已转交" in m.body]
    assert [(m.delivery, m.delivery_problem) for m in transfer] == [
        (DeliveryState.FAILED, DeliveryProblem.WINDOW_CLOSED)
    ]

    # the supervisor approves; then the connector runs
    clock.at = local(2026, 10, 8, 8, 50)
    approved = await client.post(f"/api/v1/actions/{action_id}/approve", json={}, headers=world.sue.auth)
    assert approved.status_code == 200, approved.text
    async with UnitOfWork(db, write=False) as uow:
        action = await uow.session.get(ServiceAction, action_id)
        order = await uow.session.scalar(select(DemoOrder).where(DemoOrder.order_no == ORDER))
    assert action is not None and action.status == "executed" and action.approver_id == world.sue.user_id
    assert action.requested_by_id == world.alice.user_id and action.basis.startswith("屏幕质量问题")
    assert order is not None and order.status == "refunded"

    # all of it on the ticket page
    await sign_in(client, world.sue)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert page.status_code == 200
    text = page.text
    assert "分类建议" in text and "投诉" in text  # the suggestion and why
    assert "Alice" in text and "专属顾问" in text  # routed to the advisor, and why
    assert "10-08 08:10" in text or "10月8日 08:10" in text  # the first-response deadline
    assert "升级处理" in text  # the escalation in the audit trail
    assert "899.00" in text and "已执行" in text  # the refund, approved and carried out
