"""What the page templates need beyond the rows themselves: the signed-in person on every page,
readable audit events, and who wrote each message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from servicedesk.domain.approvals import ActionKind, ActionStatus
from servicedesk.domain.assistant import HandoffReason, Urgency
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.classification import Suggested
from servicedesk.domain.delivery import DeliveryProblem
from servicedesk.domain.errors import DomainError
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal
from servicedesk.domain.routing_rules import RoutingPolicy
from servicedesk.domain.sla import SlaMetric
from servicedesk.store.models import Event, Message, Ticket
from servicedesk.web.i18n import locale_of, translate
from servicedesk.web.templating import render

_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "status": TicketStatus,
    "priority": Priority,
    "type": TicketType,
    "channel": Channel,
    "kind": MessageKind,
    "metric": SlaMetric,
    "action_kind": ActionKind,
    "action_status": ActionStatus,
    "routing_policy": RoutingPolicy,
    "handoff_reason": HandoffReason,
    "urgency": Urgency,
    "problem": DeliveryProblem,
}
_HIDDEN = frozenset({"clock_id", "routing_reasons"})  # internal ids a reader of the trail has no use for
# a bot hand-off's detail (R-BOT-5) as the trail shows it, under its own names; the intent's code,
# its confidence and the slots are for the hand-off panel
_HANDOFF_FIELDS = {
    "reason": "handoff_reason", "intent_label": "handoff_intent", "type": "type", "priority": "priority",
    "urgency": "urgency", "keywords": "keywords", "rating": "rating",
}  # fmt: skip
_EDITS = frozenset({"ticket.updated", "ticket.status_changed"})


def render_page(
    request: Request,
    name: str,
    me: Principal | None,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """`render` with the signed-in person, whom base.html shows with the sign-out button."""
    return render(request, name, {"me": me} | (context or {}), status_code)


def tr(request: Request, key: str) -> str:
    """A message in the request's language, for text composed in Python."""
    return translate(key, locale_of(request))


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: Any
    after: Any
    diff: bool  # show "before → after" (an edit) or only the value (a creation, a message)


@dataclass(frozen=True, slots=True)
class EventRow:
    action: str
    actor: str
    occurred_at: datetime
    changes: list[Change]


def _display(field: str, value: Any, names: Mapping[int, str], teams: Mapping[int, str]) -> Any:
    if value is None or value == []:
        return "—"
    if field.endswith("_at") and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    if field == "overrides_suggestion" and isinstance(value, list):
        return [Suggested(v) for v in value if v in set(Suggested)]
    if field in _ENUM_FIELDS and isinstance(value, str):
        try:
            return _ENUM_FIELDS[field](value)
        except ValueError:
            return value
    if field == "team_id" and isinstance(value, int):
        return teams.get(value, f"#{value}")
    if field == "assignee_id" and isinstance(value, int):
        return names.get(value, f"#{value}")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def event_rows(
    events: Iterable[Event], ticket: Ticket, names: Mapping[int, str], teams: Mapping[int, str]
) -> list[EventRow]:
    """The audit trail, newest first, with ids turned into names and values into labels."""
    rows = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        if event.action == "bot.handoff":
            after = {
                _HANDOFF_FIELDS[k]: v for k, v in after.items() if k in _HANDOFF_FIELDS and v is not None
            }
        if event.action == "ticket.created":
            fields = ["status", "priority", "type", "channel", "team_id", "assignee_id"]
            before = {}
        else:
            fields = list(dict.fromkeys([*before, *after]))
        is_edit = event.action in _EDITS
        changes = [
            Change(
                f,
                _display(f, before.get(f), names, teams),
                _display(f, after.get(f), names, teams),
                diff=is_edit and f not in ("reason", "overrides_suggestion"),
            )
            for f in fields
            if (f in before or f in after) and f not in _HIDDEN
        ]
        rows.append(EventRow(event.action, actor_name(event, ticket, names), event.occurred_at, changes))
    return rows[::-1]


def actor_name(event: Event, ticket: Ticket, names: Mapping[int, str]) -> str:
    if event.actor_role == "customer":
        return ticket.customer.name
    if event.actor_user_id is None:
        return "—"
    return names.get(event.actor_user_id, f"#{event.actor_user_id}")


def author_name(message: Message, ticket: Ticket, names: Mapping[int, str], staff_label: str) -> str:
    """The customer for their own messages; the staff member by name, or `staff_label` when
    the reader may not see staff names (the help center)."""
    if message.kind is MessageKind.INBOUND:
        return ticket.customer.name
    bot = (message.meta or {}).get("bot")
    if bot:
        return f"{bot}（机器人）"
    if message.author_user_id is None:
        return staff_label
    return names.get(message.author_user_id, staff_label)


def problem_text(error: DomainError) -> str:
    """A refused form's error as the page shows it: what is wrong with each field, else why."""
    return "; ".join(error.fields.values()) if error.fields else error.message
