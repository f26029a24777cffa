"""Side panels of the agent's ticket page, contributed by the features that own them.

A feature registers a loader with `@panel("_its_template.html", order=…)`; the ticket page
calls every loader inside its read transaction and includes each template that got a context
(as `panel`). So routing, approvals, incidents and collaboration each keep their panel, its
queries and its forms in their own modules instead of growing one view function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from servicedesk.domain.roles import Principal
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork

# None: nothing to show on this case (or not for this person)
Loader = Callable[[UnitOfWork, Principal, Ticket], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class Panel:
    template: str
    order: int
    load: Loader


_PANELS: list[Panel] = []


def panel(template: str, *, order: int = 50) -> Callable[[Loader], Loader]:
    def register(load: Loader) -> Loader:
        _PANELS.append(Panel(template, order, load))
        _PANELS.sort(key=lambda p: p.order)
        return load

    return register


async def panels_for(uow: UnitOfWork, me: Principal, ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for p in _PANELS:
        context = await p.load(uow, me, ticket)
        if context is not None:
            shown.append((p.template, context))
    return shown
