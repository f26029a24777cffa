"""The bot's self-service resolution rate (R-BOT-6) on scripted conversations.

Every conversation in `conversations_zh.jsonl` is played through the real intake and assistant
on a fresh SQLite database loaded with the demo shop's knowledge, as a web-chat visitor who
owns one order. A standard question counts as resolved when the bot's last answer is the
expected one (the intent, or the article it quotes) and no person was needed; the customer then
rates it 5, as a satisfied customer would. Conversations marked "handoff" must reach a person.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Select, select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.assistant import Action
from servicedesk.domain.catalog import Channel
from servicedesk.nlp.figures import Figure
from servicedesk.services.assistant import Assistant, AssistantConfig
from servicedesk.services.demo_knowledge import load_knowledge
from servicedesk.services.demo_knowledge_content import ARTICLES
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.assistant import BotTurn, DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article
from servicedesk.store.migrate import upgrade_async
from servicedesk.store.models import Conversation, Customer, CustomerIdentity
from servicedesk.store.uow import UnitOfWork

CONVERSATIONS = Path(__file__).with_name("conversations_zh.jsonl")
HANDOFF = "handoff"


@dataclass(frozen=True)
class Outcome:
    expected: str
    resolved: bool
    handed_off: bool
    turns: int
    got: str | None


@dataclass(frozen=True)
class Script:
    turns: tuple[str, ...]  # what the customer says, one message each; {order_no} is their order
    expect: str  # the intent or article key that answers it, or "handoff"


def load_conversations(path: Path = CONVERSATIONS) -> list[Script]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Script(tuple(str(t) for t in row["turns"]), str(row["expect"])) for row in rows]


Prepare = Callable[[UnitOfWork], Awaitable[None]]


async def play(
    path: Path = CONVERSATIONS, *, prepare: Prepare | None = None
) -> tuple[list[Outcome], list[float]]:
    """Play every conversation; the outcomes and each bot reply's latency in seconds.
    `prepare` adds to the knowledge base first (the benchmark adds thousands of articles)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/selfservice.db"
        await upgrade_async(url)
        db = Database(Settings(database_url=url, environment="test"))
        try:
            return await _play(db, load_conversations(path), prepare)
        finally:
            await db.dispose()


async def _play(
    db: Database, conversations: list[Script], prepare: Prepare | None
) -> tuple[list[Outcome], list[float]]:
    assistant = Assistant(AssistantConfig())
    async with UnitOfWork(db) as uow:
        await load_knowledge(uow)
        if prepare is not None:
            await prepare(uow)
        await uow.commit()
    async with UnitOfWork(db, write=False) as uow:
        articles = {a.title: a.id for a in await uow.session.scalars(select(Article))}
        await assistant.warm(uow)  # as the server does at start: replies are timed, not training
    article_ids = {spec.key: articles[spec.title] for spec in ARTICLES}
    outcomes: list[Outcome] = []
    latencies: list[float] = []
    for n, conversation in enumerate(conversations):
        visitor, order_no = f"eval-visitor-{n:04d}", f"2026110{n:06d}"
        await _customer_with_order(db, visitor, order_no)
        turns = [t.replace("{order_no}", order_no) for t in conversation.turns]
        last_action: Action | None = None
        handed_off = False
        for k, text in enumerate(turns):
            inbound = InboundMessage(
                channel=Channel.WEB_CHAT, sender=visitor, body=text, received_at=datetime.now(UTC),
                message_id=f"{visitor}:{k}",
            )  # fmt: skip
            started = time.perf_counter()
            async with UnitOfWork(db) as uow:
                result = await receive(uow, inbound, assistant=assistant)
            latencies.append(time.perf_counter() - started)
            if result.bot is None:  # a person's case continues: the bot is out
                handed_off = True
                break
            last_action = result.bot.action
            handed_off = handed_off or last_action is Action.HANDOFF
            if handed_off:
                break
        expected = conversation.expect
        got = await _last_answer(db, visitor, article_ids) if last_action is Action.ANSWER else None
        resolved = handed_off if expected == HANDOFF else not handed_off and got == expected
        outcomes.append(Outcome(expected, resolved, handed_off, len(turns), got))
    return outcomes, latencies


async def _customer_with_order(db: Database, visitor: str, order_no: str) -> None:
    async with UnitOfWork(db) as uow:
        now = uow.now()
        customer = Customer(name=f"测评客户 {visitor[-4:]}", created_at=now, updated_at=now)
        uow.session.add(customer)
        await uow.session.flush()
        uow.session.add_all([
            CustomerIdentity(customer_id=customer.id, channel=Channel.WEB_CHAT, external_id=visitor,
                             verified=False, created_at=now),
            DemoOrder(order_no=order_no, customer_id=customer.id, status="in_transit",
                      items="声悦耳机 Pro 白色", amount=Decimal("899.00"), carrier="顺丰速运",
                      tracking_no="SF100200300400", placed_at=now - timedelta(days=2), updated_at=now,
                      eta=(now + timedelta(days=1)).date()),
        ])  # fmt: skip
        await uow.commit()


async def _last_answer(db: Database, visitor: str, article_ids: dict[str, int]) -> str | None:
    """What the bot's last answer was: the intent it recognised, or the article it quoted."""
    async with UnitOfWork(db, write=False) as uow:
        turn = await uow.session.scalar(
            select(BotTurn)
            .where(BotTurn.action == Action.ANSWER.value)
            .where(BotTurn.conversation_id.in_(_conversations_of(visitor)))
            .order_by(BotTurn.id.desc())
            .limit(1)
        )
    if turn is None:
        return None
    by_id = {v: k for k, v in article_ids.items()}
    if turn.article_id is not None and turn.article_id in by_id:
        return by_id[turn.article_id]
    return turn.intent


def _conversations_of(visitor: str) -> Select[Any]:
    return (
        select(Conversation.id)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
        .where(CustomerIdentity.channel == Channel.WEB_CHAT, CustomerIdentity.external_id == visitor)
    )


def figures(outcomes: list[Outcome], latencies: list[float]) -> list[Figure]:
    standard = [o for o in outcomes if o.expected != HANDOFF]
    people = [o for o in outcomes if o.expected == HANDOFF]
    resolved = sum(o.resolved for o in standard)
    wrong = sum(1 for o in standard if o.got is not None and o.got != o.expected)
    ms = np.array(latencies) * 1000
    name = "demo shop scripted conversations"
    return [
        Figure("self-service", name, "resolution rate", resolved / len(standard), 0.80,
               note=f"{resolved}/{len(standard)} standard questions answered right without a person; "
                    f"{wrong} answered wrongly"),
        Figure("self-service", name, "hand-off when needed",
               sum(o.resolved for o in people) / max(len(people), 1),
               note=f"{len(people)} conversations that must reach a person (complaint, safety, asked)"),
        Figure("speed", name, "bot reply p50 ms (intake + bot + commit)", float(np.percentile(ms, 50)),
               higher_is_better=False),
        Figure("speed", name, "bot reply p99 ms (intake + bot + commit)", float(np.percentile(ms, 99)), 30.0,
               higher_is_better=False, note=f"{len(ms)} messages on SQLite"),
    ]  # fmt: skip
