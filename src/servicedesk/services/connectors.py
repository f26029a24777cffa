"""Business connectors: how the bot and the agents read the shop's own systems (R-BOT-2).

An intent names a connector; the connector turns the slots the customer gave (an order number)
into values for the answer template ({status}, {carrier}…). Lookups are always scoped to the
customer asking, so guessing someone else's order number reveals nothing. The built-in `orders`
connector reads the demo shop's table; a deployment registers its own (an HTTP client of its
order system) under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select

from servicedesk.store.assistant import DemoOrder
from servicedesk.store.uow import UnitOfWork

ORDER_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "pending_payment": ("待付款", "awaiting payment"),
    "paid": ("已付款，待发货", "paid, waiting to ship"),
    "shipped": ("已发货", "shipped"),
    "in_transit": ("运输中", "in transit"),
    "delivered": ("已签收", "delivered"),
    "returning": ("退货中", "being returned"),
    "refunded": ("已退款", "refunded"),
    "cancelled": ("已取消", "cancelled"),
}


class Connector(Protocol):
    name: str

    async def lookup(
        self, uow: UnitOfWork, *, customer_id: int, slots: dict[str, str], locale: str
    ) -> dict[str, str] | None:
        """Values for the answer template, or None when there is nothing for this customer."""
        ...


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One of the customer's orders as the agent's customer panel lists it; `status` is the
    shop's code (`ORDER_STATUS_LABELS` words it)."""

    order_no: str
    status: str
    items: str
    amount: Decimal
    placed_at: datetime
    carrier: str | None
    tracking_no: str | None
    eta: date | None


class OrderHistory(Protocol):
    """A connector that can also list a customer's latest orders (the agent's customer view,
    R-IN-2), always only that customer's."""

    async def recent_orders(self, uow: UnitOfWork, *, customer_id: int, limit: int) -> list[OrderSummary]: ...


class DemoOrders:
    """Order status from the demo shop (`demo_orders`), in the customer's language."""

    name = "orders"

    async def recent_orders(self, uow: UnitOfWork, *, customer_id: int, limit: int) -> list[OrderSummary]:
        rows = await uow.session.scalars(
            select(DemoOrder)
            .where(DemoOrder.customer_id == customer_id)
            .order_by(DemoOrder.placed_at.desc(), DemoOrder.id.desc())
            .limit(limit)
        )
        return [
            OrderSummary(
                o.order_no, o.status, o.items, o.amount, o.placed_at, o.carrier, o.tracking_no, o.eta
            )
            for o in rows
        ]

    async def lookup(
        self, uow: UnitOfWork, *, customer_id: int, slots: dict[str, str], locale: str
    ) -> dict[str, str] | None:
        order_no = slots.get("order_no")
        if not order_no:
            return None
        order = await uow.session.scalar(
            select(DemoOrder).where(DemoOrder.order_no == order_no, DemoOrder.customer_id == customer_id)
        )
        if order is None:
            return None
        zh, en = ORDER_STATUS_LABELS.get(order.status, (order.status, order.status))
        unknown = "—"
        return {
            "order_no": order.order_no,
            "status": en if locale == "en" else zh,
            "items": order.items,
            "amount": f"{order.amount:.2f}",
            "carrier": order.carrier or unknown,
            "tracking_no": order.tracking_no or unknown,
            "eta": order.eta.isoformat() if order.eta else unknown,
            "placed_at": f"{order.placed_at:%Y-%m-%d}",
        }


def builtin_connectors() -> dict[str, Connector]:
    return {c.name: c for c in (DemoOrders(),)}
