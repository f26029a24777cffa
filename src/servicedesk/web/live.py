"""Live updates for signed-in staff: each socket is kept with its principal, so a frame about a
case only reaches the people the visibility rule lets see it (`Principal.sees`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from servicedesk.domain.roles import Principal

log = logging.getLogger(__name__)
Send = Callable[[dict[str, Any]], Awaitable[None]]


class StaffHub:
    def __init__(self) -> None:
        self._members: dict[int, tuple[Principal, Send]] = {}

    def join(self, principal: Principal, send: Send) -> int:
        key = id(send)
        self._members[key] = (principal, send)
        return key

    def leave(self, key: int) -> None:
        self._members.pop(key, None)

    async def publish(
        self, frame: dict[str, Any], *, customer_id: int, team_id: int | None, assignee_id: int | None
    ) -> int:
        """Send `frame` to every member who may see a case with these facts; returns how many."""
        told = 0
        for principal, send in list(self._members.values()):
            if not principal.sees(customer_id=customer_id, team_id=team_id, assignee_id=assignee_id):
                continue
            try:
                await send(frame)
                told += 1
            except Exception:  # a socket closing under us; its page reloads the list when it returns
                log.info("a staff socket went away during a publish")
        return told
