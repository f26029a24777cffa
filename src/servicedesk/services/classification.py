"""Suggesting type, tags and priority for a case nobody classified (R-CL-1, R-CL-2), keeping the
suggestion with its reasons, and holding agents to giving a reason when they override it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servicedesk.domain.assistant import BotRules
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.classification import IntentHint, Suggestion, suggest
from servicedesk.domain.errors import ValidationFailed
from servicedesk.nlp.cases import default_model
from servicedesk.store.classification import Classification
from servicedesk.store.models import Customer, Ticket
from servicedesk.store.uow import UnitOfWork


def assess(
    text: str,
    *,
    tier: CustomerTier,
    channel: Channel,
    hint: IntentHint | None = None,
    rules: BotRules | None = None,
) -> Suggestion:
    """The trained model's reading of `text` with the explicit rules on top: the one path intake,
    the customer's form, the bot's hand-off and the benchmark all take."""
    guess = default_model().guess(text)
    return suggest(text, tier=tier, channel=channel, guess=guess, intent=hint, rules=rules)


def suggestion_for(
    customer: Customer,
    subject: str,
    body: str,
    channel: Channel,
    hint: IntentHint | None = None,
    rules: BotRules | None = None,
) -> Suggestion:
    return assess(f"{subject}\n{body}", tier=customer.tier, channel=channel, hint=hint, rules=rules)


def remember(uow: UnitOfWork, ticket: Ticket, suggestion: Suggestion) -> Classification:
    """Keep the suggestion beside the case (flushed ticket), and say so in its audit trail."""
    row = Classification(
        ticket_id=ticket.id, type=suggestion.type, priority=suggestion.priority, tags=list(suggestion.tags),
        reasons=suggestion.to_json(), created_at=uow.now(),
    )  # fmt: skip
    uow.session.add(row)
    uow.record(
        None, "ticket.classified", subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id,
        after={"type": row.type.value, "priority": row.priority.value, "tags": row.tags},
    )  # fmt: skip
    return row


async def suggestion_of(uow: UnitOfWork, ticket_id: int) -> Classification | None:
    return await uow.session.get(Classification, ticket_id)


async def check_override(
    uow: UnitOfWork, ticket: Ticket, changes: Mapping[str, Any], reason: str | None
) -> list[str]:
    """The suggested fields this change moves away from; refused without a reason (R-CL-2)."""
    row = await suggestion_of(uow, ticket.id)
    if row is None:
        return []
    suggested: dict[str, TicketType | Priority] = {"type": row.type, "priority": row.priority}
    current: dict[str, TicketType | Priority] = {"type": ticket.type, "priority": ticket.priority}
    moved = [f for f in suggested if f in changes and changes[f] not in (current[f], suggested[f])]
    if moved and not (reason or "").strip():
        raise ValidationFailed(
            "a reason is required to override the suggested classification",
            fields={"reason": f"say why {' and '.join(moved)} differ from the suggestion"},
        )
    return moved
