"""SLA clocks on cases: started, paused, stopped and re-targeted as the case moves (R-SLA-1,
R-SLA-2). Called from the ticket write paths inside their transaction, so a clock never
disagrees with the case it measures; the ladder that follows a deadline is `jobs.sla`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from servicedesk.domain.calendars import BusinessCalendar, china_official
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.sla import (
    CaseFacts,
    Clock,
    ClockState,
    Conditions,
    Ladder,
    PolicyTerms,
    SlaMetric,
    Stage,
    select_policy,
)
from servicedesk.services import notifications
from servicedesk.store.models import Customer, Ticket
from servicedesk.store.sla import CalendarRow, SlaClock, SlaPolicyRow
from servicedesk.store.uow import UnitOfWork

# calendars rarely change and every clock operation needs one: kept per process, keyed by what
# defines the calendar, so an edit in any process is seen on the next read (`updated_at` is not
# enough: an edit within the same instant as the last one — a frozen test clock — kept the old)
_calendars: dict[int, tuple[tuple[object, ...], BusinessCalendar]] = {}


def build_calendar(row: CalendarRow) -> BusinessCalendar:
    """The row as a calendar: its own dates, plus the State Council's make-up working days and,
    unless people work on public holidays (`holidays_staffed`), its holidays."""
    holidays = {date.fromisoformat(d) for d in row.holidays}
    workdays = {date.fromisoformat(d) for d in row.workdays}
    if row.china_official:
        official_holidays, official_workdays = china_official()
        if row.holidays_staffed:
            official_holidays = frozenset()
        # a date the admin lists explicitly wins over the official calendar
        holidays |= official_holidays - workdays
        workdays |= official_workdays - holidays
    return BusinessCalendar.parse(
        row.hours, time_zone=row.time_zone, holidays=frozenset(holidays), workdays=frozenset(workdays)
    )


def calendar_of(row: CalendarRow) -> BusinessCalendar:
    """The row's calendar, built once per process and edit."""
    shape = (
        row.hours, row.time_zone, tuple(row.holidays), tuple(row.workdays), row.china_official,
        row.holidays_staffed,
    )  # fmt: skip
    cached = _calendars.get(row.id)
    if cached is not None and cached[0] == shape:
        return cached[1]
    calendar = build_calendar(row)
    _calendars[row.id] = (shape, calendar)
    return calendar


async def calendar_by_id(uow: UnitOfWork, calendar_id: int) -> BusinessCalendar:
    row = await uow.session.get(CalendarRow, calendar_id)
    if row is None:
        raise LookupError(f"no business calendar {calendar_id}")
    return calendar_of(row)


async def calendars_by_id(uow: UnitOfWork, calendar_ids: Iterable[int]) -> dict[int, BusinessCalendar]:
    """Several calendars with one read — for the worker's batches."""
    rows = await uow.session.scalars(select(CalendarRow).where(CalendarRow.id.in_(set(calendar_ids))))
    return {row.id: calendar_of(row) for row in rows}


def terms_of(row: SlaPolicyRow) -> PolicyTerms:
    conditions = Conditions(
        tiers=frozenset(row.tiers), types=frozenset(row.types), priorities=frozenset(row.priorities),
        channels=frozenset(row.channels), tags=frozenset(row.tags),
    )  # fmt: skip
    targets = {SlaMetric(k): timedelta(minutes=int(v)) for k, v in row.targets.items() if v}
    return PolicyTerms(row.id, row.name, row.calendar_id, conditions, targets)


async def active_policies(uow: UnitOfWork) -> list[PolicyTerms]:
    rows = await uow.session.scalars(
        select(SlaPolicyRow)
        .where(SlaPolicyRow.active.is_(True))
        .order_by(SlaPolicyRow.position, SlaPolicyRow.id)
    )
    return [terms_of(r) for r in rows]


async def facts_of(uow: UnitOfWork, ticket: Ticket) -> CaseFacts:
    customer = await uow.session.get(Customer, ticket.customer_id)
    tier = customer.tier.value if customer is not None else "regular"
    tags = frozenset(t.tag for t in ticket.tags)
    return CaseFacts(tier, ticket.type.value, ticket.priority.value, ticket.channel.value, tags)


async def policy_for(uow: UnitOfWork, ticket: Ticket) -> PolicyTerms | None:
    return select_policy(await active_policies(uow), await facts_of(uow, ticket))


def clock_of(row: SlaClock) -> Clock:
    return Clock(
        metric=row.metric, target=timedelta(seconds=row.target_seconds), started_at=row.started_at,
        state=row.state, run_started_at=row.run_started_at, used=timedelta(seconds=row.used_seconds),
        due_at=row.due_at, warn_at=row.warn_at, breached_at=row.breached_at, stopped_at=row.stopped_at,
        stage=Stage(row.stage),
    )  # fmt: skip


def write_clock(row: SlaClock, clock: Clock, calendar: BusinessCalendar, ladder: Ladder) -> None:
    """Copy the clock onto its row, with the worker's next deadline."""
    row.target_seconds = int(clock.target.total_seconds())
    row.state, row.run_started_at = clock.state, clock.run_started_at
    row.used_seconds = int(clock.used.total_seconds())
    row.due_at, row.warn_at, row.breached_at = clock.due_at, clock.warn_at, clock.breached_at
    row.stopped_at, row.stage = clock.stopped_at, int(clock.stage)
    step = clock.next_step(calendar, ladder)
    row.next_action_at = step[1] if step else None


async def _open_clocks(uow: UnitOfWork, ticket_id: int, metrics: Iterable[SlaMetric]) -> Sequence[SlaClock]:
    rows = await uow.session.scalars(
        select(SlaClock)
        .where(SlaClock.ticket_id == ticket_id, SlaClock.metric.in_(list(metrics)))
        .where(SlaClock.state != ClockState.STOPPED)
        .order_by(SlaClock.id)
    )
    return rows.all()


async def start_metric(
    uow: UnitOfWork,
    ticket: Ticket,
    metric: SlaMetric,
    *,
    policy: PolicyTerms | None = None,
    ref: str | None = None,
) -> SlaClock | None:
    """Start `metric` on the case if its policy sets a target for it; None when none does."""
    policy = policy or await policy_for(uow, ticket)
    if policy is None or metric not in policy.targets:
        return None
    calendar, ladder, now = await calendar_by_id(uow, policy.calendar_id), uow.settings.sla_ladder, uow.now()
    clock = Clock.start(metric, policy.targets[metric], now=now, calendar=calendar, ladder=ladder)
    row = SlaClock(
        ticket_id=ticket.id, metric=metric, ref=ref, policy_id=policy.id, calendar_id=policy.calendar_id,
        started_at=now,
    )  # fmt: skip
    write_clock(row, clock, calendar, ladder)
    uow.session.add(row)
    return row


async def start_clocks(uow: UnitOfWork, ticket: Ticket, *, handoff: bool = False) -> None:
    """A new case: first response and resolution run from now; a bot hand-off also promises a
    person's contact (R-BOT-5)."""
    policy = await policy_for(uow, ticket)
    if policy is None:
        return
    metrics = [SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION]
    for metric in [*metrics, SlaMetric.HANDOFF_CONTACT] if handoff else metrics:
        await start_metric(uow, ticket, metric, policy=policy)
    await uow.session.flush()


Move = Callable[[Clock, datetime, BusinessCalendar, Ladder], Clock]
STOP: Move = lambda clock, now, calendar, _ladder: clock.stop(now, calendar)  # noqa: E731
PAUSE: Move = lambda clock, now, calendar, _ladder: clock.pause(now, calendar)  # noqa: E731
RESUME: Move = lambda clock, now, calendar, ladder: clock.resume(now, calendar, ladder)  # noqa: E731
REOPEN: Move = lambda clock, now, calendar, ladder: clock.reopen(now, calendar, ladder)  # noqa: E731


async def _change(uow: UnitOfWork, rows: Iterable[SlaClock], move: Move) -> None:
    ladder, now = uow.settings.sla_ladder, uow.now()
    for row in rows:
        calendar = await calendar_by_id(uow, row.calendar_id)
        write_clock(row, move(clock_of(row), now, calendar, ladder), calendar, ladder)


async def on_reply(uow: UnitOfWork, ticket: Ticket, *, by: int | None = None) -> None:
    """A person answered the customer in public: the reply targets are met (or late). `by`
    (the reply's id) is kept on each clock it stops, for `services.delivery` to put the clock
    back should that reply never reach the customer."""
    rows = await _open_clocks(uow, ticket.id, [m for m in SlaMetric if m.stops_on_reply])
    await _change(uow, rows, STOP)
    for row in rows:
        row.stopped_by_message_id = by


async def on_customer_message(uow: UnitOfWork, ticket: Ticket) -> None:
    """After the first response, each customer message that nobody has answered yet starts the
    next-reply clock; a second message before the answer does not restart it."""
    if ticket.first_response_at is None:
        return
    if not await _open_clocks(uow, ticket.id, [SlaMetric.NEXT_REPLY]):
        await start_metric(uow, ticket, SlaMetric.NEXT_REPLY)


async def on_status(uow: UnitOfWork, ticket: Ticket, before: TicketStatus, after: TicketStatus) -> None:
    """Waiting on the customer pauses the case's clocks; resolving stops every clock; a reopened
    case runs its resolution clock on from the time already used."""
    every = list(SlaMetric)
    # a department's answer (`ref`) is owed to us, not by the customer: it runs on while we wait
    ours = [r for r in await _open_clocks(uow, ticket.id, every) if r.ref is None]
    if after is TicketStatus.PENDING:
        await _change(uow, ours, PAUSE)
    elif after in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        await _change(uow, await _open_clocks(uow, ticket.id, every), STOP)
    elif before is TicketStatus.PENDING:
        await _change(uow, ours, RESUME)
    elif before is TicketStatus.RESOLVED:
        await _change(uow, await _last_resolution(uow, ticket.id), REOPEN)


async def _last_resolution(uow: UnitOfWork, ticket_id: int) -> list[SlaClock]:
    row = await uow.session.scalar(
        select(SlaClock)
        .where(SlaClock.ticket_id == ticket_id, SlaClock.metric == SlaMetric.RESOLUTION)
        .order_by(SlaClock.id.desc())
        .limit(1)
    )
    return [row] if row is not None else []


async def on_changed(uow: UnitOfWork, ticket: Ticket) -> None:
    """Priority, type, tags or tier changed: the policy may change with them, and each open
    clock takes the new target, keeping the business time already used (R-SLA-1)."""
    policy = await policy_for(uow, ticket)
    if policy is None:
        return
    ladder, now = uow.settings.sla_ladder, uow.now()
    for row in await _open_clocks(uow, ticket.id, list(SlaMetric)):
        if row.ref is not None:  # a request's due time was agreed when it was asked
            continue
        target = policy.targets.get(row.metric)
        if target is None:  # the new policy has no such target: keep the promise already made
            continue
        calendar = await calendar_by_id(uow, row.calendar_id)
        write_clock(row, clock_of(row).retarget(target, now, calendar, ladder), calendar, ladder)
        row.policy_id = policy.id


@dataclass(frozen=True, slots=True)
class ClockView:
    """A clock as the ticket page and the API show it; `remaining` is business time."""

    id: int
    metric: SlaMetric
    state: ClockState
    target: timedelta
    started_at: datetime
    due_at: datetime | None
    remaining: timedelta
    breached_at: datetime | None
    stopped_at: datetime | None
    met: bool | None
    stage: Stage
    policy: str | None
    calendar: str

    @property
    def overdue(self) -> bool:
        return self.breached_at is not None or self.remaining < timedelta(0)


@dataclass(frozen=True, slots=True)
class NextDue:
    """The case's own commitment that falls due first (a list shows it to work in order)."""

    metric: SlaMetric
    due_at: datetime


async def next_due(uow: UnitOfWork, ticket_ids: Iterable[int]) -> dict[int, NextDue]:
    """Per case, its running clock due soonest; one read for a page of cases. Department
    requests' own clocks (`ref`) are theirs, not the case's, and paused clocks wait on the
    customer, so neither counts."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = await uow.session.execute(
        select(SlaClock.ticket_id, SlaClock.metric, SlaClock.due_at)
        .where(SlaClock.ticket_id.in_(ids), SlaClock.state == ClockState.RUNNING)
        .where(SlaClock.ref.is_(None), SlaClock.due_at.is_not(None))
        .order_by(SlaClock.ticket_id, SlaClock.due_at)
    )
    found: dict[int, NextDue] = {}
    for ticket_id, metric, due_at in rows:
        if due_at is not None:  # filtered above; the column itself may be empty
            found.setdefault(ticket_id, NextDue(metric, due_at))
    return found


async def clocks_of(uow: UnitOfWork, ticket_id: int) -> list[ClockView]:
    rows = await uow.session.execute(
        select(SlaClock, SlaPolicyRow.name, CalendarRow.name)
        .join(CalendarRow, CalendarRow.id == SlaClock.calendar_id)
        .outerjoin(SlaPolicyRow, SlaPolicyRow.id == SlaClock.policy_id)
        .where(SlaClock.ticket_id == ticket_id)
        .order_by(SlaClock.id)
    )
    now, views = uow.now(), []
    for row, policy, calendar_name in rows:
        clock = clock_of(row)
        left = clock.remaining(now, await calendar_by_id(uow, row.calendar_id))
        views.append(
            ClockView(
                row.id,
                row.metric,
                row.state,
                clock.target,
                row.started_at,
                row.due_at,
                left,
                row.breached_at,
                row.stopped_at,
                clock.met,
                clock.stage,
                policy,
                calendar_name,
            )
        )
    return views


async def stop_ref(uow: UnitOfWork, ticket_id: int, metric: SlaMetric, ref: str) -> list[SlaClock]:
    """Stop the clock of one request on the case (a collaboration request's, `ref` its id) when
    it is answered or withdrawn: met if no later than its deadline. The case's other clocks run on."""
    rows = await uow.session.scalars(
        select(SlaClock)
        .where(SlaClock.ticket_id == ticket_id, SlaClock.metric == metric, SlaClock.ref == ref)
        .where(SlaClock.state != ClockState.STOPPED)
    )
    found = list(rows)
    await _change(uow, found, STOP)
    return found


async def warn_if_late(uow: UnitOfWork, ticket: Ticket, expected_at: datetime | None) -> list[SlaClock]:
    """A waiting case the queue cannot hand to a person before a deadline (`expected_at` past it,
    or None: nobody who could take it is expected at all) climbs its ladder from now instead of
    waiting silently: the warning step is taken at once and tells the people who hand cases out
    when a person is expected; breach, supervisor and next tier follow at their times
    (`jobs.sla`). Clocks already warned or further up are left to the ladder. Not committed."""
    late = [
        row
        for row in await _open_clocks(uow, ticket.id, list(SlaMetric))
        if row.ref is None and row.state is ClockState.RUNNING and row.stage == Stage.RUNNING
        and row.due_at is not None and (expected_at is None or expected_at > row.due_at)
    ]  # fmt: skip
    if not late:
        return []
    ladder = uow.settings.sla_ladder
    for row in late:
        calendar = await calendar_by_id(uow, row.calendar_id)
        write_clock(row, clock_of(row).advance(Stage.WARNED), calendar, ladder)
    first = min(late, key=lambda r: (r.due_at or r.started_at, r.id))
    data = {
        "metric": first.metric.value, "due_at": first.due_at.isoformat() if first.due_at else None,
        "expected_at": expected_at.isoformat() if expected_at else None, "clock_id": first.id,
    }  # fmt: skip
    uow.record(
        None, "sla.warned", subject_type="sla_clock", subject_id=first.id, ticket_id=ticket.id,
        after=data | {"reason": "queued_past_due"},
    )  # fmt: skip
    to = await notifications.leads_of(uow, ticket.team_id)
    notifications.notify(uow, to, "sla.queue_late", ticket_id=ticket.id, data=data)
    return late
