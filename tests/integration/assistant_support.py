"""Shared by the bot's tests: a chat visitor who owns an order, and a way to say something to
the bot as that visitor (the knowledge is the `shop` fixture in conftest)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.services.assistant import Assistant, BotOutcome
from servicedesk.services.intake import receive
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, CustomerIdentity
from servicedesk.store.uow import UnitOfWork

ORDER = "2026111800042"
_ids = count()


async def visitor_with_order(db: Database, visitor: str = "visitor-0001") -> int:
    async with UnitOfWork(db) as uow:
        now = uow.now()
        customer = Customer(name="林娜", created_at=now, updated_at=now)
        uow.session.add(customer)
        await uow.session.flush()
        uow.session.add_all([
            CustomerIdentity(customer_id=customer.id, channel=Channel.WEB_CHAT, external_id=visitor,
                             verified=False, created_at=now),
            DemoOrder(order_no=ORDER, customer_id=customer.id, status="in_transit", items="声悦耳机 Pro 白色",
                      amount=Decimal("899.00"), carrier="顺丰速运", tracking_no="SF1234567890",
                      placed_at=now - timedelta(days=2), updated_at=now, eta=(now + timedelta(days=1)).date()),
        ])  # fmt: skip
        await uow.commit()
        return customer.id


async def say(db: Database, assistant: Assistant, text: str, *, visitor: str = "visitor-0001",
              channel: Channel = Channel.WEB_CHAT, message_id: str | None = None) -> BotOutcome | None:  # fmt: skip
    inbound = InboundMessage(
        channel=channel, sender=visitor, body=text, received_at=db.clock(),
        message_id=message_id or f"{visitor}:{next(_ids)}",
    )  # fmt: skip
    async with UnitOfWork(db) as uow:
        return (await receive(uow, inbound, assistant=assistant)).bot
