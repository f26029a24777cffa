"""The outbox dispatcher: claim due messages, deliver them, record the outcome.

Claims are leases: `claimed_until` is set in the same UPDATE that picks the rows (with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so dispatchers in several processes never pick the same
row; SQLite serialises writers anyway). A dispatcher that dies after claiming only delays the
message until its lease runs out; then another one delivers it. The outcome is written with a
conditional update that only the lease holder can make.

Delivery is at-least-once: the single window for a duplicate is a crash after the transport
accepted the message and before the outcome commits. Transports make that harmless where they
can (email keeps its Message-ID, so clients collapse a repeat).

The outcome reaches the message on the case in the same transaction (`services.delivery`): sent,
still trying, or given up — which takes back the response it counted as and tells the case's
owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem
from servicedesk.services.delivery import settle
from servicedesk.services.outbox import from_payload
from servicedesk.store.db import Database
from servicedesk.store.models import Outbox, OutboxStatus
from servicedesk.store.uow import UnitOfWork

log = logging.getLogger(__name__)


class Transport(Protocol):
    async def send(self, message: OutboundMessage) -> None:
        """Deliver or raise TransportError (permanent or retryable)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    message: OutboundMessage
    attempts: int


@dataclass(frozen=True, slots=True)
class RunResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0  # outcomes refused because the lease had passed to another dispatcher


@dataclass(frozen=True, slots=True)
class Policy:
    lease: timedelta = timedelta(minutes=5)
    batch: int = 50
    max_attempts: int = 8
    first_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def backoff(self, attempts: int) -> timedelta:
        """30 s, 1 min, 2 min … capped at an hour."""
        delay: timedelta = self.first_backoff * (2 ** max(attempts - 1, 0))
        return min(delay, self.max_backoff)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        transports: Mapping[Channel, Transport],
        *,
        worker_id: str,
        policy: Policy = Policy(),
    ) -> None:
        self.db, self.transports, self.worker_id, self.policy = db, transports, worker_id, policy

    async def claim(self, now: datetime) -> list[Delivery]:
        due = (
            select(Outbox.id)
            .where(
                Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                Outbox.next_attempt_at <= now,
                or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now),
            )
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(self.policy.batch)
        )
        async with UnitOfWork(self.db) as uow:
            if uow.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            claimed = (
                update(Outbox)
                .where(Outbox.id.in_(due.scalar_subquery()))
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_by=self.worker_id,
                    claimed_until=now + self.policy.lease,
                    attempts=Outbox.attempts + 1,
                )
                .returning(Outbox.id, Outbox.payload, Outbox.attempts)
                .execution_options(synchronize_session=False)
            )
            rows = (await uow.session.execute(claimed)).all()
            await uow.commit()
        return [Delivery(r.id, from_payload(r.payload), r.attempts) for r in sorted(rows, key=lambda r: r.id)]

    async def deliver(self, delivery: Delivery) -> TransportError | None:
        transport = self.transports.get(delivery.message.channel)
        if transport is None:
            return TransportError(
                f"no transport for channel {delivery.message.channel}",
                permanent=True, problem=DeliveryProblem.NOT_CONFIGURED,
            )  # fmt: skip
        try:
            await transport.send(delivery.message)
        except TransportError as error:
            return error
        except Exception as error:  # an unexpected failure is worth another try, with its reason
            log.exception("outbox %s: unexpected transport failure", delivery.id)
            return TransportError(f"{type(error).__name__}: {error}", permanent=False)
        return None

    async def finish(self, delivery: Delivery, error: TransportError | None, *, now: datetime) -> str:
        """Record the outcome if our lease still holds; returns sent / retried / dead / lost."""
        values: dict[str, Any] = {"claimed_until": None, "claimed_by": None}
        if error is None:
            outcome = "sent"
            values |= {"status": OutboxStatus.SENT, "sent_at": now, "last_error": None}
        elif error.permanent or delivery.attempts >= self.policy.max_attempts:
            outcome = "dead"
            values |= {"status": OutboxStatus.DEAD, "last_error": error.reason}
        else:
            outcome = "retried"
            retry_at = now + self.policy.backoff(delivery.attempts)
            values |= {
                "status": OutboxStatus.PENDING,
                "next_attempt_at": retry_at,
                "last_error": error.reason,
            }
        async with UnitOfWork(self.db) as uow:
            result = await uow.session.execute(
                update(Outbox)
                .where(
                    Outbox.id == delivery.id,
                    Outbox.claimed_by == self.worker_id,
                    Outbox.status == OutboxStatus.SENDING,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            held = getattr(result, "rowcount", 0) == 1
            if held:
                await self._settle(uow, delivery, outcome, error)
            await uow.commit()
        return outcome if held else "lost"

    async def _settle(
        self, uow: UnitOfWork, delivery: Delivery, outcome: str, error: TransportError | None
    ) -> None:
        """The outcome on the case's message, in a savepoint: should that fail, the outbox's own
        outcome still commits, so the message is never sent twice for it."""
        try:
            async with uow.session.begin_nested():
                await settle(uow, delivery.message, outcome, error)
        except Exception:
            log.exception("outbox %s: the outcome could not be applied to its message", delivery.id)

    async def run_once(self, now: datetime | None = None) -> RunResult:
        counts = {"sent": 0, "retried": 0, "dead": 0, "lost": 0}
        for delivery in await self.claim(now or self.db.clock()):
            error = await self.deliver(delivery)
            counts[await self.finish(delivery, error, now=self.db.clock())] += 1
        return RunResult(**counts)

    async def run_forever(self, stop: asyncio.Event, *, idle_s: float = 1.0) -> None:
        """Deliver until `stop` is set, polling every `idle_s` seconds when there is nothing to do."""
        while not stop.is_set():
            try:
                result = await self.run_once()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("outbox dispatcher %s: run failed", self.worker_id)
                result = RunResult()
            if result.sent + result.retried + result.dead == 0:
                await self._idle(stop, idle_s)

    async def _idle(self, stop: asyncio.Event, idle_s: float) -> None:
        """Until new work is committed in this process, `stop` is set, or `idle_s` passes."""
        ready = self.db.outbox_ready
        waiters = [asyncio.ensure_future(ready.wait()), asyncio.ensure_future(stop.wait())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        ready.clear()
