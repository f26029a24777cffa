"""The ticket state machine: new → open → pending → resolved → closed, reopen from resolved.

`Lifecycle` holds only the fields the states constrain, so the rules can be checked (and
property-tested) without a database; the service copies the result onto the stored ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from servicedesk.domain.errors import InvalidTransition
from servicedesk.domain.labels import register


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        """Active cases are the backlog: somebody still owes the customer something."""
        return self in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


for _value, _zh, _en in [
    (TicketStatus.NEW, "新建", "New"),
    (TicketStatus.OPEN, "处理中", "Open"),
    (TicketStatus.PENDING, "待客户回复", "Pending"),
    (TicketStatus.RESOLVED, "已解决", "Resolved"),
    (TicketStatus.CLOSED, "已关闭", "Closed"),
]:
    register(_value, _zh, _en)

_S = TicketStatus
ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    _S.NEW: frozenset({_S.OPEN, _S.PENDING, _S.RESOLVED}),
    _S.OPEN: frozenset({_S.PENDING, _S.RESOLVED}),
    _S.PENDING: frozenset({_S.OPEN, _S.RESOLVED}),
    _S.RESOLVED: frozenset({_S.OPEN, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}


def refusal(current: TicketStatus, target: TicketStatus) -> str | None:
    """Why `current → target` is not allowed, or None when it is."""
    if target in ALLOWED[current]:
        return None
    if current is target:
        return f"the ticket is already {current.value}"
    if current is _S.CLOSED:
        return "a closed ticket is final; open a new ticket that refers to it instead"
    if target is _S.CLOSED:
        return f"only a resolved ticket can be closed; this one is {current.value}"
    if target is _S.NEW:
        return "a ticket cannot go back to new"
    return f"a {current.value} ticket cannot move to {target.value}"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    status: TicketStatus = _S.NEW
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0

    def move_to(self, target: TicketStatus, *, now: datetime) -> Lifecycle:
        reason = refusal(self.status, target)
        if reason is not None:
            raise InvalidTransition(reason, fields={"status": reason})
        if target is _S.RESOLVED:
            return replace(self, status=target, resolved_at=now)
        if target is _S.CLOSED:
            return replace(self, status=target, closed_at=now)
        if self.status is _S.RESOLVED:  # reopen
            return replace(self, status=target, resolved_at=None, reopened_count=self.reopened_count + 1)
        return replace(self, status=target)

    def violations(self) -> list[str]:
        """Invariants every reachable state keeps; empty for a sound state."""
        found: list[str] = []
        resolved_like = self.status in (_S.RESOLVED, _S.CLOSED)
        if resolved_like != (self.resolved_at is not None):
            found.append("resolved_at must be set exactly when resolved or closed")
        if (self.status is _S.CLOSED) != (self.closed_at is not None):
            found.append("closed_at must be set exactly when closed")
        if self.closed_at and self.resolved_at and self.closed_at < self.resolved_at:
            found.append("closed before resolved")
        if self.reopened_count < 0:
            found.append("negative reopen count")
        return found


_CONFIRMING = (
    "确认解决",
    "已解决",
    "解决了",
    "没问题了",
    "可以了",
    "confirm",
    "confirmed",
    "solved",
    "resolved",
)
_DENYING = ("没解决", "未解决", "没有解决", "不能", "还是", "仍然", "not ", "n't", "no ", "still")
CONFIRMATION_MAX = 20  # characters: a longer message says more than "yes" and reopens the case


def confirms_resolution(text: str) -> bool:
    """Does the customer's reply to a resolved case confirm it (确认解决, R-HD-7)? Only a short
    reply with a confirming phrase and no denial does; anything else reopens the case, so a
    customer who still has a problem is never closed on by mistake."""
    folded = " ".join(text.lower().split()).strip(" 。.!！~～")
    if not folded or len(folded) > CONFIRMATION_MAX:
        return False
    return any(p in folded for p in _CONFIRMING) and not any(d in f"{folded} " for d in _DENYING)
