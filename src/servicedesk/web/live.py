"""Live updates for signed-in staff: each socket is kept with its principal, so a frame about a
case only reaches the people the visibility rule lets see it (`Principal.sees`), and with the
language its page is in, so a frame written for one person reads in their language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from servicedesk.domain.roles import Principal

log = logging.getLogger(__name__)
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class _Member:
    principal: Principal
    send: Send
    locale: str


class StaffHub:
    def __init__(self) -> None:
        self._members: dict[int, _Member] = {}

    def join(self, principal: Principal, send: Send, *, locale: str = "zh") -> int:
        key = id(send)
        self._members[key] = _Member(principal, send, locale)
        return key

    def leave(self, key: int) -> None:
        self._members.pop(key, None)

    def present(self) -> set[int]:
        """The people with at least one page open."""
        return {m.principal.user_id for m in self._members.values()}

    async def publish(
        self, frame: dict[str, Any], *, customer_id: int, team_id: int | None, assignee_id: int | None
    ) -> int:
        """Send `frame` to every member who may see a case with these facts; returns how many."""
        chosen = [
            m for m in list(self._members.values())
            if m.principal.sees(customer_id=customer_id, team_id=team_id, assignee_id=assignee_id)
        ]  # fmt: skip
        return await self._send(chosen, lambda _locale, _zone: frame)

    async def tell(self, user_id: int, frame_for: Callable[[str, str | None], dict[str, Any]]) -> int:
        """Send one person's frame, written for each of their pages' language and their time zone
        (None: the organisation's), to all their pages."""
        chosen = [m for m in list(self._members.values()) if m.principal.user_id == user_id]
        return await self._send(chosen, frame_for)

    @staticmethod
    async def _send(members: list[_Member], frame_for: Callable[[str, str | None], dict[str, Any]]) -> int:
        told = 0
        for member in members:
            try:
                await member.send(frame_for(member.locale, member.principal.time_zone))
                told += 1
            except Exception:  # a socket closing under us; its page reloads what it shows when it returns
                log.info("a staff socket went away during a send")
        return told
