"""Live updates for signed-in staff: each socket is kept with its principal, so a frame about a
case only reaches the people the visibility rule lets see it (`Principal.sees`), and with the
language its page is in, so a frame written for one person reads in their language."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from servicedesk.domain.assistant import Action
from servicedesk.domain.roles import Principal
from servicedesk.services.intake import Intake
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, Ticket
from servicedesk.store.uow import UnitOfWork

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
        self._keys = itertools.count()

    def join(self, principal: Principal, send: Send, *, locale: str = "zh") -> int:
        """A page joins; the key it leaves with (one per join, even for the same callable)."""
        key = next(self._keys)
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


async def tell_staff(hub: StaffHub, db: Database, result: Intake, body: str) -> None:
    """Staff watching see a customer's words as soon as they are stored: while the bot has the
    conversation, with the bot's answer on its pane for those who watch the bot
    (`services.bot_chats`); otherwise on their case's pane of the live-chats page."""
    if result.duplicate or not hub.present():  # nobody is watching: not even a read
        return
    try:
        await _tell(hub, db, result, body)
    except Exception:  # the message is stored and answered; a watcher's page catches up on reload
        log.exception("could not tell the staff about a customer's message")


async def _tell(hub: StaffHub, db: Database, result: Intake, body: str) -> None:
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, result.ticket_id) if result.ticket_id else None
        customer = await uow.session.get(Customer, result.customer_id) if result.bot else None
    if result.bot is not None and customer is not None:
        lines = [{"from": "visitor", "body": body}, *({"from": "bot", "body": r} for r in result.bot.replies)]
        frame = {"type": "bot_chat", "conversation_id": result.conversation_id, "customer": customer.name,
                 "lines": lines, "handed_off": result.bot.action is Action.HANDOFF}  # fmt: skip
        await hub.publish(frame, customer_id=customer.id, team_id=None, assignee_id=None)
    if ticket is not None:
        frame = {"type": "chat", "ticket_id": ticket.id, "subject": ticket.subject, "body": body}
        await hub.publish(
            frame, customer_id=ticket.customer_id, team_id=ticket.team_id, assignee_id=ticket.assignee_id
        )
