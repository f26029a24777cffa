"""Loading the demo shop's knowledge base, scripts, intents and orders.

Used by `servicedesk demo` and by tests that need a working bot. Idempotent: a database that
already has intents is left as it is, so an administrator's edits survive a second run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.services.assistant import Assistant
from servicedesk.services.demo_knowledge_content import (
    ARTICLES,
    CARRIERS,
    ENGLISH,
    INTENTS,
    ORDER_ITEMS,
    ORDER_STATUSES,
    SCRIPTS,
)
from servicedesk.services.intake import CONTINUED, receive
from servicedesk.services.knowledge import Content, add_article
from servicedesk.store.assistant import DemoOrder, Intent
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Product, Script
from servicedesk.store.models import CustomerIdentity, Ticket
from servicedesk.store.uow import UnitOfWork

PRODUCTS = {"星辰手机 X5": "2.1", "声悦耳机 Pro": "1.3"}  # X5 moved on: two articles show as stale


# a few chats the bot already had, so the demo shows answers, ratings, hand-offs and a queue
DEMO_CHATS: tuple[tuple[str, ...], ...] = (
    ("你好", "我的订单到哪了", "{order_no}", "5"),
    ("买的耳机不想要了能退吗", "4"),
    ("公司报销需要发票，怎么开", "2"),
    ("你们客服电话多少", "你们的客服热线是多少"),
    ("充电器插上就冒烟了，吓死我了",),
    ("忘记密码了怎么办", "5"),
    ("转人工",),
)


@dataclass(frozen=True)
class KnowledgeSummary:
    articles: int
    scripts: int
    intents: int
    orders: int
    created: bool


async def load_knowledge(
    uow: UnitOfWork, *, order_customers: Sequence[int] = (), seed: int = 7
) -> KnowledgeSummary:
    """Articles (published), scripts, intents and, for `order_customers`, a few orders each."""
    if await uow.session.scalar(select(func.count(Intent.id))):
        return KnowledgeSummary(0, 0, 0, 0, created=False)
    now = uow.now()
    for name, version in PRODUCTS.items():
        uow.session.add(Product(name=name, current_version=version, updated_at=now))
    article_ids: dict[str, int] = {}
    for spec in ARTICLES:
        content = Content(
            title=spec.title, body=spec.body, questions=spec.questions, tags=spec.tags,
            product=spec.product, product_version=spec.product_version,
            review_by=(now + timedelta(days=180)).date(),
        ).cleaned()  # fmt: skip
        article = await add_article(uow, None, content, status=ContentStatus.PUBLISHED, note="demo")
        article_ids[spec.key] = article.id
        english = ENGLISH.get(spec.key)
        if english is not None:
            translation = replace(
                content, title=english.title, body=english.body, questions=english.questions, locale="en"
            )
            await add_article(
                uow, None, translation.cleaned(), status=ContentStatus.PUBLISHED, note="demo",
                translation_of=article,
            )  # fmt: skip
    for script in SCRIPTS:
        uow.session.add(
            Script(
                scenario=script.scenario,
                title=script.title,
                body=script.body,
                compliance_note=script.compliance_note,
                channel=script.channel,
                locale=script.locale,
                status=ContentStatus.PUBLISHED,
                created_at=now,
                updated_at=now,
            )
        )
    for intent in INTENTS:
        uow.session.add(
            Intent(
                name=intent.name,
                label_zh=intent.label_zh,
                label_en=intent.label_en,
                examples=list(intent.examples),
                slots=list(intent.slots),
                article_id=article_ids[intent.article] if intent.article else None,
                answer=intent.answer,
                answer_en=intent.answer_en,
                connector=intent.connector,
                handoff=intent.handoff,
                ticket_type=intent.ticket_type,
                urgency=intent.urgency,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    orders = _orders(uow, order_customers, random.Random(seed))
    uow.session.add_all(orders)
    await uow.session.flush()
    return KnowledgeSummary(
        len(ARTICLES) + len(ENGLISH), len(SCRIPTS), len(INTENTS), len(orders), created=True
    )


def _orders(uow: UnitOfWork, customers: Sequence[int], rng: random.Random) -> list[DemoOrder]:
    now = uow.now()
    orders: list[DemoOrder] = []
    for n, customer_id in enumerate(customers):
        for k in range(1 + n % 3):
            placed = now - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 1440))
            items, amount = ORDER_ITEMS[rng.randrange(len(ORDER_ITEMS))]
            status = ORDER_STATUSES[rng.randrange(len(ORDER_STATUSES))]
            shipped = status not in ("paid", "pending_payment", "cancelled")
            orders.append(
                DemoOrder(
                    order_no=f"{placed:%Y%m%d}{(n * 3 + k) % 100000:05d}",
                    customer_id=customer_id,
                    status=status,
                    items=items,
                    amount=Decimal(amount),
                    carrier=CARRIERS[rng.randrange(len(CARRIERS))] if shipped else None,
                    tracking_no=f"SF{rng.randrange(10**11, 10**12)}" if shipped else None,
                    placed_at=placed,
                    updated_at=now,
                    eta=(placed + timedelta(days=3)).date(),
                )
            )
    return orders


async def play_demo_chats(db: Database, customer_ids: Sequence[int], assistant: Assistant) -> int:
    """Each demo chat as a web-chat visitor who is one of `customer_ids`, through the real
    intake and bot; returns how many cases the bot handed over. Customers with a web-chat case
    in progress (or resolved, awaiting confirmation) are passed over: their message would
    continue that case, not reach the bot."""
    async with UnitOfWork(db, write=False) as uow:
        busy = set(
            await uow.session.scalars(
                select(Ticket.customer_id).where(
                    Ticket.customer_id.in_(list(customer_ids)), Ticket.channel == Channel.WEB_CHAT,
                    Ticket.status.in_(CONTINUED),
                )
            )
        )  # fmt: skip
    free = [c for c in customer_ids if c not in busy][-len(DEMO_CHATS) :]
    handed = 0
    for n, (customer_id, chat) in enumerate(zip(free, DEMO_CHATS, strict=False)):
        visitor = f"demo-visitor-{n:03d}"
        async with UnitOfWork(db) as uow:
            uow.session.add(
                CustomerIdentity(customer_id=customer_id, channel=Channel.WEB_CHAT, external_id=visitor,
                                 verified=False, created_at=uow.now())
            )  # fmt: skip
            order_no = await uow.session.scalar(
                select(DemoOrder.order_no).where(DemoOrder.customer_id == customer_id).limit(1)
            )
            await uow.commit()
        for k, text in enumerate(chat):
            inbound = InboundMessage(
                channel=Channel.WEB_CHAT, sender=visitor, body=text.replace("{order_no}", order_no or ""),
                received_at=db.clock(), message_id=f"{visitor}:{k}",
            )  # fmt: skip
            async with UnitOfWork(db) as uow:
                result = await receive(uow, inbound, assistant=assistant)
            if result.bot is not None and result.bot.ticket_id is not None:
                handed += 1
    return handed
