"""Business actions in the shop's own systems (R-HD-8): the refund, compensation, waived shipping
or reshipment an agent granted (and, above their limit, a supervisor approved) is carried out
here. `services.connectors` reads those systems for the bot; this module writes to them.

A connector either does the whole step and says what it did (`Outcome`), or refuses with a
reason (`ActionRefused`: unknown order, a refund above what is left to refund…) and changes
nothing — the action is then marked failed with that reason. Every call names the action it
carries out (`reference`), which a remote connector sends as its idempotency key, so a retry
never pays twice. Orders are always looked up within the case's customer: an order number
typed by mistake cannot move another customer's money.

The built-in `DemoShop` acts on the demo shop's orders (`demo_orders`). That table has no
columns for refunds or compensation, so what the demo did is kept on the action itself
(`service_actions.connector_ref` / `details`): the refunds already made on an order are the
executed refund actions whose reference names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select

from servicedesk.domain.approvals import ActionKind, ActionRequest, ActionStatus
from servicedesk.store.approvals import ServiceAction
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.uow import UnitOfWork

NOT_PAID = frozenset({"pending_payment", "cancelled"})
SENT = frozenset({"shipped", "in_transit", "delivered", "returning"})
DEFAULT_CARRIER = "顺丰速运"
RESHIP_DAYS = 2


class ActionRefused(Exception):
    """The business system said no; `reason` is shown to staff as the action's failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OrderRef:
    customer_id: int
    order_no: str
    reference: int  # the service action's id: one action, one effect


@dataclass(frozen=True, slots=True)
class Outcome:
    reference: str  # the business system's id of what it did (refund number, tracking number…)
    details: dict[str, str] = field(default_factory=dict)


class BusinessActions(Protocol):
    name: str

    async def refund(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome: ...

    async def compensate(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome: ...

    async def waive_shipping(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome: ...

    async def reship(self, uow: UnitOfWork, order: OrderRef, goods_value: Decimal) -> Outcome: ...


async def carry_out(
    connector: BusinessActions, uow: UnitOfWork, request: ActionRequest, order: OrderRef
) -> Outcome:
    """The steps of one action. The caller runs this inside a savepoint, so when the second step
    of reshipment-with-compensation is refused the first one is undone with it."""
    match request.kind:
        case ActionKind.REFUND:
            return await connector.refund(uow, order, request.amount)
        case ActionKind.COMPENSATION:
            return await connector.compensate(uow, order, request.amount)
        case ActionKind.FREE_SHIPPING:
            return await connector.waive_shipping(uow, order, request.amount)
        case ActionKind.RESHIP:
            return await connector.reship(uow, order, request.goods_value)
        case ActionKind.RESHIP_AND_COMPENSATION:
            sent = await connector.reship(uow, order, request.goods_value)
            paid = await connector.compensate(uow, order, request.compensation or Decimal(0))
            return Outcome(f"{sent.reference} + {paid.reference}", sent.details | paid.details)


class DemoShop:
    """The demo shop's back office: acts on `demo_orders` in the caller's transaction."""

    name = "demo_shop"

    async def _order(self, uow: UnitOfWork, ref: OrderRef, *, paid: bool = True) -> DemoOrder:
        order = await uow.session.scalar(
            select(DemoOrder)
            .where(DemoOrder.order_no == ref.order_no, DemoOrder.customer_id == ref.customer_id)
            .with_for_update()
        )
        if order is None:
            raise ActionRefused(f"order {ref.order_no} not found for this customer")
        if paid and order.status in NOT_PAID:
            raise ActionRefused(f"order {ref.order_no} is {order.status}: nothing was paid")
        return order

    async def _refunded(self, uow: UnitOfWork, order_no: str) -> Decimal:
        total = await uow.session.scalar(
            select(func.coalesce(func.sum(ServiceAction.amount), 0)).where(
                ServiceAction.kind == ActionKind.REFUND.value,
                ServiceAction.status == ActionStatus.EXECUTED.value,
                ServiceAction.connector_ref.like(f"RF-{order_no}-%"),
            )
        )
        return Decimal(total or 0)

    async def refund(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome:
        row = await self._order(uow, order)
        left = (
            Decimal(0) if row.status == "refunded" else row.amount - await self._refunded(uow, row.order_no)
        )
        if amount > left:
            raise ActionRefused(
                f"refund {amount} is above what is left to refund on order {row.order_no} "
                f"({left} of {row.amount})"
            )
        if amount == left:
            row.status = "refunded"
        row.updated_at = uow.now()
        return Outcome(f"RF-{row.order_no}-{order.reference}", {"order_status": row.status})

    async def compensate(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome:
        row = await self._order(uow, order)
        row.updated_at = uow.now()
        return Outcome(f"CP-{row.order_no}-{order.reference}", {"compensation": f"{amount:.2f}"})

    async def waive_shipping(self, uow: UnitOfWork, order: OrderRef, amount: Decimal) -> Outcome:
        row = await self._order(uow, order)
        row.updated_at = uow.now()
        return Outcome(f"FS-{row.order_no}-{order.reference}", {"shipping_waived": f"{amount:.2f}"})

    async def reship(self, uow: UnitOfWork, order: OrderRef, goods_value: Decimal) -> Outcome:
        row = await self._order(uow, order)
        if row.status not in SENT:
            raise ActionRefused(f"order {row.order_no} is {row.status}: it has not been sent yet")
        if goods_value > row.amount:
            raise ActionRefused(
                f"goods worth {goods_value} are more than order {row.order_no} ({row.amount})"
            )
        now = uow.now()
        row.status, row.carrier = "shipped", row.carrier or DEFAULT_CARRIER
        row.tracking_no, row.eta, row.updated_at = (
            f"SFR{order.reference:09d}",
            (now + timedelta(RESHIP_DAYS)).date(),
            now,
        )
        details = {"tracking_no": row.tracking_no, "carrier": row.carrier, "eta": row.eta.isoformat()}
        return Outcome(row.tracking_no, details | {"order_status": row.status})


def default_connector() -> BusinessActions:
    """The connector the web uses; a deployment returns its own client of its order system."""
    return DemoShop()
