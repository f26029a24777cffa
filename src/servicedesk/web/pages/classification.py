"""The suggested type, priority and tags beside the case, with the reasons (R-CL-1, R-CL-2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from servicedesk.domain.catalog import Channel, CustomerTier
from servicedesk.domain.classification import Reason, Suggestion
from servicedesk.domain.roles import Principal
from servicedesk.services.classification import suggestion_of
from servicedesk.store.assistant import Intent
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.pages.ticket_panels import panel


def _detail(reason: Reason) -> Any:
    """Tier and channel values become their labels; words and intent names stay as they are."""
    if reason.kind == "tier":
        return CustomerTier(reason.detail)
    if reason.kind == "channel":
        return Channel(reason.detail)
    return reason.detail


@panel("_classification_panel.html", order=20)
async def classification_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    row = await suggestion_of(uow, ticket.id)
    if row is None:
        return None
    reasons = Suggestion.reasons_from_json(row.reasons)
    intent_en: dict[str, str] = {}
    if any(r.kind == "intent" for rs in reasons.values() for r in rs):  # kept by its Chinese label
        rows = await uow.session.execute(select(Intent.label_zh, Intent.label_en))
        intent_en = {zh: en for zh, en in rows}
    return {
        "suggested": row,
        "rows": [
            ("f_type", row.type, ticket.type, reasons.get("type", ())),
            ("f_priority", row.priority, ticket.priority, reasons.get("priority", ())),
        ],
        "tag_reasons": reasons.get("tags", ()),
        "detail": _detail,
        "intent_en": intent_en,
    }
