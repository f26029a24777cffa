"""Administering the bot's intents (R-BOT-1): examples, slots, the answer, hand-off.

An intent answers with a template (filled by its connector; `answer_en` is its English
wording), a script or an article; one with none of them is answered by searching the knowledge
base for the customer's words, which suits broad topics ("a question about a product") better
than one fixed article.

Saving an intent changes `updated_at`, which is what the assistant's model stamp watches, so
the classifier is retrained before the next customer message on every process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from servicedesk.domain.assistant import Urgency
from servicedesk.domain.catalog import TicketType
from servicedesk.domain.errors import Conflict, NotFound, ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services.access import require
from servicedesk.services.connectors import builtin_connectors
from servicedesk.store.assistant import Intent
from servicedesk.store.knowledge import Article, Script
from servicedesk.store.uow import UnitOfWork

NAME = re.compile(r"[a-z][a-z0-9_]{1,49}")
SLOTS = ("order_no", "phone", "amount", "date")
MAX_EXAMPLES = 500
MAX_EXAMPLE = 200


@dataclass(frozen=True)
class IntentContent:
    name: str
    label_zh: str
    label_en: str
    examples: tuple[str, ...]
    slots: tuple[str, ...] = ()
    article_id: int | None = None
    script_id: int | None = None
    answer: str = ""
    connector: str | None = None
    answer_en: str = ""  # the template in English, for customers who write English
    handoff: bool = False
    ticket_type: TicketType | None = None
    urgency: Urgency = Urgency.NORMAL
    active: bool = True


def clean_examples(examples: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(e.split()) for e in examples if e and e.strip()))
    if len(cleaned) > MAX_EXAMPLES or any(len(e) > MAX_EXAMPLE for e in cleaned):
        raise ValidationFailed(
            "too many or too long examples",
            fields={"examples": f"at most {MAX_EXAMPLES}, each at most {MAX_EXAMPLE} characters"},
        )
    return cleaned


async def _check(uow: UnitOfWork, content: IntentContent) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not NAME.fullmatch(content.name):
        errors["name"] = "2-50 lower-case letters, digits or _, starting with a letter"
    for field in ("label_zh", "label_en"):
        value = getattr(content, field).strip()
        if not value or len(value) > 100:
            errors[field] = "1 to 100 characters"
    if not content.handoff and len(content.examples) < 2:
        errors["examples"] = "at least 2 examples, one per line"
    unknown = [s for s in content.slots if s not in SLOTS]
    if unknown:
        errors["slots"] = f"unknown slots {unknown}; known: {', '.join(SLOTS)}"
    if content.connector and content.connector not in builtin_connectors():
        errors["connector"] = f"unknown connector; known: {', '.join(builtin_connectors())}"
    if content.article_id is not None and await uow.session.get(Article, content.article_id) is None:
        errors["article_id"] = f"no article {content.article_id}"
    if content.script_id is not None and await uow.session.get(Script, content.script_id) is None:
        errors["script_id"] = f"no script {content.script_id}"
    for field in ("answer", "answer_en"):
        if len(getattr(content, field)) > 5000:
            errors[field] = "at most 5000 characters"
    return errors


async def list_intents(uow: UnitOfWork, actor: Principal) -> list[Intent]:
    require(actor, Permission.WRITE_KNOWLEDGE)
    return list(await uow.session.scalars(select(Intent).order_by(Intent.active.desc(), Intent.name)))


async def get_intent(uow: UnitOfWork, actor: Principal, intent_id: int) -> Intent:
    require(actor, Permission.WRITE_KNOWLEDGE)
    intent = await uow.session.get(Intent, intent_id)
    if intent is None:
        raise NotFound(f"no intent {intent_id}")
    return intent


async def save_intent(
    uow: UnitOfWork, actor: Principal, content: IntentContent, *, intent_id: int | None = None
) -> Intent:
    """Create (no id) or replace an intent; the classifier retrains on the next message."""
    require(actor, Permission.MANAGE_ASSISTANT)
    content = IntentContent(**{**content.__dict__, "examples": tuple(clean_examples(content.examples))})
    errors = await _check(uow, content)
    if errors:
        raise ValidationFailed("invalid intent", fields=errors)
    clash = await uow.session.scalar(select(Intent).where(Intent.name == content.name))
    if clash is not None and clash.id != intent_id:
        raise Conflict(f"an intent named {content.name} exists", fields={"name": "already used"})
    now = uow.now()
    intent = await get_intent(uow, actor, intent_id) if intent_id is not None else None
    before = _snapshot(intent) if intent else {}
    if intent is None:
        intent = Intent(created_at=now)
        uow.session.add(intent)
    for field, value in content.__dict__.items():
        setattr(intent, field, list(value) if isinstance(value, tuple) else value)
    intent.updated_at = now
    await uow.session.flush()
    after = _snapshot(intent)
    uow.record(
        actor, "intent.saved", subject_type="intent", subject_id=intent.id,
        before={k: v for k, v in before.items() if after.get(k) != v} or None,
        after={k: v for k, v in after.items() if before.get(k) != v},
    )  # fmt: skip
    await uow.commit()
    return intent


async def add_examples(uow: UnitOfWork, actor: Principal, intent_id: int, texts: Sequence[str]) -> Intent:
    """The learning loop's one-click action: a question the bot missed becomes an example."""
    require(actor, Permission.MANAGE_ASSISTANT)
    intent = await get_intent(uow, actor, intent_id)
    added = [t for t in clean_examples(texts) if t not in intent.examples]
    if added:
        intent.examples = clean_examples([*intent.examples, *added])
        intent.updated_at = uow.now()
        uow.record(
            actor,
            "intent.examples_added",
            subject_type="intent",
            subject_id=intent.id,
            after={"added": added},
        )
    return intent


def _snapshot(intent: Intent) -> dict[str, object]:
    return {
        "name": intent.name,
        "label_zh": intent.label_zh,
        "label_en": intent.label_en,
        "examples": len(intent.examples),
        "slots": list(intent.slots),
        "article_id": intent.article_id,
        "script_id": intent.script_id,
        "connector": intent.connector,
        "handoff": intent.handoff,
        "ticket_type": intent.ticket_type.value if intent.ticket_type else None,
        "urgency": intent.urgency.value,
        "active": intent.active,
    }
