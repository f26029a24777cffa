"""Notifications reach a signed-in person within seconds, over the staff socket every staff page
keeps open: an SLA warning at 80 % of a 5-minute target leaves one minute, less than the badge's
old one-minute poll.

Notifications are written by many hands — request handlers, the SLA worker's bulk inserts, other
processes, the CLI — so the bell does not hook any of them: it reads the notifications table
after the last id it saw, every `notification_push_interval_s`, and only while someone has a page
open (nobody connected costs nothing, and the cursor restarts at the newest row when someone
comes back: what came before is on the page they load). An id that commits after a higher one
was read is not pushed; the page's once-a-minute count catches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from sqlalchemy import func, select

from servicedesk.store.db import Database
from servicedesk.store.models import Ticket
from servicedesk.store.sla import Notification
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.live import StaffHub
from servicedesk.web.pages.notifications import notification_text

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class _News:
    """What one person gets: how many arrived, the newest in words, and their unread count."""

    newest: Notification
    subject: str
    new: int
    unread: int

    def frame(self, locale: str, zone: str | None, *, default_zone: str) -> dict[str, object]:
        n = self.newest
        text = notification_text(n, self.subject, locale, zone or default_zone)
        return {"type": "notification", "id": n.id, "unread": self.unread, "new": self.new, "kind": n.kind,
                "ticket_id": n.ticket_id, "text": text}  # fmt: skip


class Bell:
    def __init__(self, db: Database, hub: StaffHub, *, time_zone: str) -> None:
        self._db = db
        self._hub = hub
        self._tz = time_zone
        self._last_id: int | None = None

    async def ring_once(self) -> int:
        """Push what arrived since the last look; how many pages were told."""
        present = self._hub.present()
        if not present:
            self._last_id = None
            return 0
        told = 0
        for user_id, news in (await self._news(present)).items():
            told += await self._hub.tell(user_id, partial(news.frame, default_zone=self._tz))
        return told

    async def _news(self, present: set[int]) -> dict[int, _News]:
        async with UnitOfWork(self._db, write=False) as uow:
            if self._last_id is None:
                self._last_id = int(await uow.session.scalar(select(func.max(Notification.id))) or 0)
                return {}
            after = select(Notification).where(Notification.id > self._last_id)
            rows = list(await uow.session.scalars(after.order_by(Notification.id).limit(BATCH)))
            if not rows:
                return {}
            self._last_id = rows[-1].id
            fresh: dict[int, list[Notification]] = defaultdict(list)
            for n in rows:
                if n.user_id in present:
                    fresh[n.user_id].append(n)
            if not fresh:
                return {}
            unread = dict((await uow.session.execute(
                select(Notification.user_id, func.count())
                .where(Notification.user_id.in_(fresh), Notification.read_at.is_(None))
                .group_by(Notification.user_id)
            )).all())  # fmt: skip
            cases = {ns[-1].ticket_id for ns in fresh.values() if ns[-1].ticket_id is not None}
            subjects = dict(
                (
                    await uow.session.execute(select(Ticket.id, Ticket.subject).where(Ticket.id.in_(cases)))
                ).all()
            )
        return {
            user_id: _News(ns[-1], subjects.get(ns[-1].ticket_id or 0, ""), len(ns), unread.get(user_id, 0))
            for user_id, ns in fresh.items()
        }

    async def run_forever(self, stop: asyncio.Event, *, idle_s: float) -> None:
        while not stop.is_set():
            try:
                await self.ring_once()
            except Exception:  # a database hiccup: the next look catches up from the same cursor
                log.exception("notification push failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle_s)
