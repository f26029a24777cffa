"""The SLA worker: take the warning and escalation steps whose time has come (R-SLA-3).

It reads only the clocks whose indexed `next_action_at` has passed — never every open case —
and takes each step with a conditional update on the clock's `stage`: of two workers that
picked the same clock, one changes the row and acts, the other sees no row changed and moves
on. On PostgreSQL the candidate rows are also locked `SKIP LOCKED`, so workers in several
processes share the work instead of queueing on it. A step's notifications, audit event and
escalation commit with the stage change, or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.sla import Stage
from servicedesk.services import notifications, sla, tiers
from servicedesk.store.db import Database
from servicedesk.store.models import Ticket
from servicedesk.store.sla import SlaClock
from servicedesk.store.uow import UnitOfWork

log = logging.getLogger(__name__)

NOTICE = {Stage.WARNED: "sla.warning", Stage.BREACHED: "sla.breached", Stage.SUPERVISOR: "sla.supervisor"}


@dataclass
class Sweep:
    taken: dict[str, int] = field(default_factory=dict)
    lost: int = 0  # steps another worker took first

    def count(self, stage: Stage) -> None:
        self.taken[stage.name.lower()] = self.taken.get(stage.name.lower(), 0) + 1

    @property
    def total(self) -> int:
        return sum(self.taken.values())


class SlaWorker:
    def __init__(self, db: Database, *, worker_id: str, batch: int = 500) -> None:
        self.db, self.worker_id, self.batch = db, worker_id, batch

    async def run_once(self, now: datetime | None = None) -> Sweep:
        """One sweep of the clocks due by `now`, in batches until none is left."""
        now = now or self.db.clock()
        sweep = Sweep()
        while True:
            taken_before = sweep.total
            if not await self._batch(now, sweep) or sweep.total == taken_before:
                return sweep  # none due, or only re-planned or taken by another worker

    async def _batch(self, now: datetime, sweep: Sweep) -> int:
        due = (
            select(SlaClock)
            .where(SlaClock.next_action_at <= now)
            .order_by(SlaClock.next_action_at, SlaClock.id)
            .limit(self.batch)
        )
        async with UnitOfWork(self.db) as uow:
            if uow.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = list(await uow.session.scalars(due))
            for row in rows:
                await self._step(uow, row, now, sweep)
            await uow.commit()
        return len(rows)

    async def _step(self, uow: UnitOfWork, row: SlaClock, now: datetime, sweep: Sweep) -> None:
        calendar, ladder = await sla.calendar_by_id(uow, row.calendar_id), uow.settings.sla_ladder
        clock = sla.clock_of(row)
        step = clock.next_step(calendar, ladder)
        seen_stage = row.stage
        if step is None or step[1] > now:  # re-planned since it was written: store the new time
            row.next_action_at = step[1] if step else None
            return
        advanced = clock.advance(step[0])
        following = advanced.next_step(calendar, ladder)
        claimed = await uow.session.execute(
            update(SlaClock)
            .where(SlaClock.id == row.id, SlaClock.stage == seen_stage)
            .values(
                stage=int(advanced.stage),
                breached_at=advanced.breached_at,
                next_action_at=following[1] if following else None,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            sweep.lost += 1
            return
        await self._act(uow, row, step[0])
        sweep.count(step[0])

    async def _act(self, uow: UnitOfWork, row: SlaClock, stage: Stage) -> None:
        ticket = await uow.session.get(Ticket, row.ticket_id)
        assert ticket is not None  # a clock's case is never deleted
        data = {
            "metric": row.metric.value, "due_at": row.due_at.isoformat() if row.due_at else None,
            "clock_id": row.id,
        }  # fmt: skip
        uow.record(
            None, f"sla.{stage.name.lower()}", subject_type="sla_clock", subject_id=row.id,
            ticket_id=ticket.id, after=data,
        )  # fmt: skip
        if stage is Stage.NEXT_TIER:
            await self._next_tier(uow, ticket, row)
            return
        people = (
            await notifications.leads_of(uow, ticket.team_id)
            if stage is Stage.SUPERVISOR
            else await notifications.on_duty_for(uow, ticket)
        )
        notifications.notify(uow, people, NOTICE[stage], ticket_id=ticket.id, data=data)

    async def _next_tier(self, uow: UnitOfWork, ticket: Ticket, row: SlaClock) -> None:
        try:  # refuses before it changes anything
            await tiers.escalate(uow, None, ticket, reason=f"SLA {row.metric.value} breached")
        except ValidationFailed:  # already at the top tier: the supervisors must act
            people = await notifications.supervisors(uow)
            notifications.notify(
                uow, people, "sla.top_tier", ticket_id=ticket.id, data={"metric": row.metric.value}
            )

    async def run_forever(self, stop: asyncio.Event, *, idle_s: float = 10.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a database hiccup must not end the ladder for good
                log.exception("sla worker %s: sweep failed", self.worker_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle_s)
