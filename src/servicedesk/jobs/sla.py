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
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.labels import label
from servicedesk.domain.sla import Stage
from servicedesk.services import collaboration, notifications, sla, tiers
from servicedesk.store.db import Database
from servicedesk.store.models import Event, Ticket
from servicedesk.store.sla import Notification, SlaClock
from servicedesk.store.uow import UnitOfWork

log = logging.getLogger(__name__)

NOTICE = {Stage.WARNED: "sla.warning", Stage.BREACHED: "sla.breached", Stage.SUPERVISOR: "sla.supervisor"}
# the ladder's reason is written like a person's, in the organisation's language (it is kept as text
# on the case's history and in the notification)
BREACH_REASON = {"zh": "{metric}超时，自动升级", "en": "{metric} breached: escalated automatically"}


@dataclass
class Sweep:
    taken: dict[str, int] = field(default_factory=dict)
    lost: int = 0  # steps another worker took first

    def count(self, stage: Stage) -> None:
        self.taken[stage.name.lower()] = self.taken.get(stage.name.lower(), 0) + 1

    @property
    def total(self) -> int:
        return sum(self.taken.values())


@dataclass
class _Step:
    row: SlaClock
    stage: Stage
    breached_at: datetime | None
    following: datetime | None


class _People:
    """Team leads and supervisors read once per batch: a thousand warnings to one team are one query."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow, self._leads = uow, dict[int | None, list[int]]()
        self._supervisors: list[int] | None = None

    async def leads_of(self, team_id: int | None) -> list[int]:
        if team_id not in self._leads:
            self._leads[team_id] = await notifications.leads_of(self.uow, team_id)
        return self._leads[team_id]

    async def supervisors(self) -> list[int]:
        if self._supervisors is None:
            self._supervisors = await notifications.supervisors(self.uow)
        return self._supervisors


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
            if rows:
                with uow.session.no_autoflush:  # the batch's writes go out together at commit
                    await self._steps(uow, rows, now, sweep)
                await uow.commit()
        return len(rows)

    async def _steps(self, uow: UnitOfWork, rows: list[SlaClock], now: datetime, sweep: Sweep) -> None:
        """Plan every row's step, claim them all, then act — a few statements per batch, not per step."""
        calendars = await sla.calendars_by_id(uow, {r.calendar_id for r in rows})
        ladder = uow.settings.sla_ladder
        planned: dict[tuple[int, int], list[_Step]] = defaultdict(list)
        for row in rows:
            clock = sla.clock_of(row)
            step = clock.next_step(calendars[row.calendar_id], ladder)
            if step is None or step[1] > now:  # re-planned since it was written: store the new time
                row.next_action_at = step[1] if step else None
                continue
            advanced = clock.advance(step[0])
            following = advanced.next_step(calendars[row.calendar_id], ladder)
            planned[(row.stage, int(advanced.stage))].append(
                _Step(row, step[0], advanced.breached_at, following[1] if following else None)
            )
        claimed = await self._claim(uow, planned)
        sweep.lost += sum(len(steps) for steps in planned.values()) - len(claimed)
        if not claimed:
            return
        # the cases are read once; `session.get` in the actions then finds them in the session
        read = await uow.session.scalars(
            select(Ticket).where(Ticket.id.in_({s.row.ticket_id for s in claimed}))
        )
        tickets = {t.id: t for t in read}  # held: the session's identity map keeps rows weakly
        people = _People(uow)
        written = [
            {
                "id": t.row.id,
                "stage": int(t.stage),
                "breached_at": t.breached_at,
                "next_action_at": t.following,
            }
            for t in claimed
        ]
        await uow.session.execute(update(SlaClock), written)  # one executemany by primary key
        for taken, values in zip(claimed, written, strict=True):
            for key in ("stage", "breached_at", "next_action_at"):  # so the session agrees, unflushed
                set_committed_value(taken.row, key, values[key])
        for taken in claimed:
            await self._act(uow, taken.row, tickets[taken.row.ticket_id], taken.stage, people)
            sweep.count(taken.stage)
        await uow.insert_pending(Event, Notification)

    async def _claim(self, uow: UnitOfWork, planned: dict[tuple[int, int], list[_Step]]) -> list[_Step]:
        """Compare-and-swap on `stage`, one UPDATE per (seen, next) stage pair: of two workers that
        read the same clock, only the one whose UPDATE still finds the seen stage gets it back."""
        claimed: list[_Step] = []
        for (seen, following), steps in planned.items():
            by_id = {s.row.id: s for s in steps}
            won = await uow.session.scalars(
                update(SlaClock)
                .where(SlaClock.id.in_(list(by_id)), SlaClock.stage == seen)
                .values(stage=following)
                .returning(SlaClock.id)
                .execution_options(synchronize_session=False)
            )
            claimed.extend(by_id[i] for i in won)
        claimed.sort(key=lambda s: (s.row.next_action_at or datetime.min, s.row.id))
        return claimed

    async def _act(
        self, uow: UnitOfWork, row: SlaClock, ticket: Ticket, stage: Stage, people: _People
    ) -> None:
        data = {
            "metric": row.metric.value, "due_at": row.due_at.isoformat() if row.due_at else None,
            "clock_id": row.id,
        }  # fmt: skip
        uow.record(
            None, f"sla.{stage.name.lower()}", subject_type="sla_clock", subject_id=row.id,
            ticket_id=ticket.id, after=data,
        )  # fmt: skip
        if row.ref is not None:  # a department's late answer: its lead hears; the case stays put
            to, about = await collaboration.late_notice(uow, int(row.ref))
            kind = "collaboration.warning" if stage is Stage.WARNED else "collaboration.breached"
            if stage >= Stage.SUPERVISOR:
                kind, to = "collaboration.overdue", [*await notifications.supervisors(uow), *to]
            notifications.notify(uow, to, kind, ticket_id=None, data=data | about | {"case": ticket.id})
            return
        if stage is Stage.NEXT_TIER:
            await self._next_tier(uow, ticket, row)
            return
        if stage is Stage.SUPERVISOR:
            to = await people.leads_of(ticket.team_id)
            if ticket.assignee_id is None:  # its leads had the warning and the breach: now those above
                to = [*to, *await people.supervisors()]
        else:
            to = (
                [ticket.assignee_id]
                if ticket.assignee_id is not None
                else await people.leads_of(ticket.team_id)
            )
        notifications.notify(uow, to, NOTICE[stage], ticket_id=ticket.id, data=data)

    async def _next_tier(self, uow: UnitOfWork, ticket: Ticket, row: SlaClock) -> None:
        if await tiers.tier_of(uow, ticket) < uow.settings.sla_auto_escalate_max_tier:
            try:  # refuses before it changes anything
                locale = uow.settings.default_locale
                reason = BREACH_REASON[locale].format(metric=label(row.metric, locale))
                await tiers.escalate(uow, None, ticket, reason=reason)
                return
            except ValidationFailed:  # no team of a higher tier
                pass
        # as high as the ladder goes by itself: the supervisors must act
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
