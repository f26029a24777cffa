"""Demand as the desk's own records show it: arrivals per hour of day and handle times.

The staffing formulas need two figures per interval, how many cases arrive and how long each
keeps an agent busy. Arrivals are exact: a case arrives when its ticket is created (a chat that
the bot settles alone never becomes a ticket, so it never needs an agent either), counted per
local hour of day in the desk's time zone over whole days, so every hour of day is seen the same
number of times, optionally for one weekday only, and split by workload
(`routing_rules.workload_of`: live chats against tickets that wait in a list).

Handle time is not recorded anywhere — nobody clocks in and out of a case — so it is estimated
from message timestamps, differently for the two workloads, with every constant in `HandleRules`
(flags of `servicedesk staffing plan`):

- **Chats**: the time an agent spends in the live conversation. The messages of the case (bot
  and system messages left out) fall into *sessions*, runs where no silence lasts longer than
  `chat_gap`: a web chat that went quiet for ten minutes is over for the agent, and when the
  customer comes back the next day that is a new stretch of work. A session with messages by
  staff costs `chat_lead` (reading the case and typing the first answer, which happens before
  its timestamp and so cannot be seen) plus the time from the first to the last staff message in
  it, capped at `chat_cap` so that an agent who forgot to close a conversation does not count a
  whole afternoon. The sessions of a case are added up and the total is put at the case's
  arrival: the load (arrivals × handle) stays right, only the hour of a come-back is moved.
  Measuring "first reply to resolution" instead would count hours of waiting for the customer.
- **Tickets**: between two replies to an email there are hours in which the agent works on
  other things, so timestamps say nothing about effort. Each staff reply costs `ticket_reply`
  (a configurable effort per reply, five minutes by default, a usual figure for written
  answers); internal notes are left out, being a line for colleagues rather than an answer.

A case with no staff message yet arrived but has no handle time; the means are over the cases
that have one. Staff messages are replies and notes with a person as author; an inbound
message a person typed for the customer (a phone case written down) is the customer's side.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from servicedesk.domain.catalog import Channel, MessageKind, TicketType
from servicedesk.domain.routing_rules import DEFAULT_RULES, RoutingRules, Workload, workload_of
from servicedesk.planning.simulation import Arrival, CaseType, RoutingRule, SimulationResult, simulate
from servicedesk.planning.staffing import Experiment, HourlyDemand
from servicedesk.store.models import Message, Ticket
from servicedesk.store.uow import UnitOfWork

HOURS = 24
WEEKDAYS = 7


@dataclass(frozen=True)
class HandleRules:
    """The constants of the handle-time estimate (see the module docstring for why each)."""

    chat_gap: timedelta = timedelta(minutes=10)
    chat_lead: timedelta = timedelta(seconds=60)
    chat_cap: timedelta = timedelta(minutes=60)
    ticket_reply: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if (
            min(self.chat_gap, self.chat_cap, self.ticket_reply) <= timedelta()
            or self.chat_lead < timedelta()
        ):
            raise ValueError("the chat gap, cap and reply effort must be positive, the lead not negative")


DEFAULT_HANDLE = HandleRules()


class Said(NamedTuple):
    """One message as the estimate sees it: when, and whether a person on staff wrote it."""

    at: datetime
    by_staff: bool
    reply: bool


def chat_handle_seconds(messages: Sequence[Said], rules: HandleRules = DEFAULT_HANDLE) -> float | None:
    """Agent seconds in the live sessions of one chat (time-ordered messages), None when no
    staff member wrote in it."""
    total, staffed = 0.0, False
    first: datetime | None = None
    last: datetime | None = None
    previous: datetime | None = None
    for said in messages:
        if previous is not None and said.at - previous > rules.chat_gap:
            total += _session(first, last, rules)
            first = last = None
        if said.by_staff:
            first, last, staffed = first or said.at, said.at, True
        previous = said.at
    total += _session(first, last, rules)
    return total if staffed else None


def _session(first: datetime | None, last: datetime | None, rules: HandleRules) -> float:
    if first is None or last is None:
        return 0.0
    return min(rules.chat_lead + (last - first), rules.chat_cap).total_seconds()


def ticket_handle_seconds(messages: Sequence[Said], rules: HandleRules = DEFAULT_HANDLE) -> float | None:
    """The reply effort times the staff replies; None before the first one."""
    replies = sum(1 for said in messages if said.by_staff and said.reply)
    return replies * rules.ticket_reply.total_seconds() if replies else None


@dataclass(frozen=True)
class CaseRecord:
    arrived_at: datetime
    workload: Workload
    ticket_type: TicketType
    channel: Channel
    handle_seconds: float | None


@dataclass(frozen=True)
class History:
    """The cases that arrived in [start, end), whole local days in `time_zone`."""

    start: datetime
    end: datetime
    time_zone: str
    cases: tuple[CaseRecord, ...]
    handle_rules: HandleRules = field(default_factory=HandleRules)

    @property
    def days(self) -> int:
        return len(self._dates())

    def day_count(self, weekday: int | None = None) -> int:
        """Days of the window, or of one weekday (0 = Monday) in it."""
        return sum(1 for day in self._dates() if weekday is None or day.weekday() == weekday)

    def _dates(self) -> list[date]:
        first, last = self.start.date(), self.end.date()
        return [first + timedelta(days=n) for n in range((last - first).days)]

    def of(self, workload: Workload) -> list[CaseRecord]:
        return [case for case in self.cases if case.workload is workload]

    def arrivals_by_hour(self, workload: Workload, *, weekday: int | None = None) -> tuple[float, ...]:
        """Mean arrivals in each local hour of day 0–23, over the days (of `weekday`) in the
        window; a day without cases counts as a day with none."""
        zone, counts = ZoneInfo(self.time_zone), [0] * HOURS
        for case in self.of(workload):
            local = case.arrived_at.astimezone(zone)
            if weekday is None or local.weekday() == weekday:
                counts[local.hour] += 1
        days = self.day_count(weekday)
        return tuple(count / days if days else 0.0 for count in counts)

    def handle_seconds(self, workload: Workload, ticket_type: TicketType | None = None) -> float | None:
        """Mean over the cases with a measured handle time; None when there are none."""
        measured = self.measured(workload, ticket_type)
        return statistics.fmean(measured) if measured else None

    def measured(self, workload: Workload, ticket_type: TicketType | None = None) -> list[float]:
        return [
            case.handle_seconds
            for case in self.of(workload)
            if case.handle_seconds is not None and ticket_type in (None, case.ticket_type)
        ]

    def demand(
        self, workload: Workload, *, weekday: int | None = None, default_handle_seconds: float | None = None
    ) -> list[HourlyDemand]:
        """One typical day (of `weekday`), hour by hour, as `staffing.plan_staffing` takes it.
        Every hour gets the workload's mean handle time: a few cases an hour give too noisy a
        mean of their own, while the volume is what really changes through the day."""
        handle = _known(self.handle_seconds(workload), default_handle_seconds)
        if handle is None:
            raise ValueError(f"no {workload.value} case in the window has a handle time, and no default")
        rows = self.arrivals_by_hour(workload, weekday=weekday)
        return [HourlyDemand(f"{hour:02d}:00", arrivals, handle) for hour, arrivals in enumerate(rows)]


def window(until: date, days: int, time_zone: str) -> tuple[datetime, datetime]:
    """[midnight `days` days before `until`, midnight of `until`) in the zone: local midnights,
    so a day with a clock change is still one day."""
    if days < 1:
        raise ValueError("the history needs at least one day")
    zone = ZoneInfo(time_zone)
    return (
        datetime.combine(until - timedelta(days=days), time(), zone),
        datetime.combine(until, time(), zone),
    )


async def read_history(
    uow: UnitOfWork,
    *,
    days: int = 28,
    until: date | None = None,
    time_zone: str | None = None,
    handle_rules: HandleRules = DEFAULT_HANDLE,
    routing_rules: RoutingRules = DEFAULT_RULES,
) -> History:
    """The cases created in the `days` whole days before `until` (default: today in the zone,
    so the window ends at the last midnight), each with its handle time. Two queries, both
    walking indexes (tickets by creation, messages by ticket and time), streamed in batches."""
    zone_name = time_zone or uow.settings.default_time_zone
    zone = ZoneInfo(zone_name)
    start, end = window(until or uow.now().astimezone(zone).date(), days, zone_name)
    in_window = (Ticket.created_at >= start.astimezone(UTC), Ticket.created_at < end.astimezone(UTC))
    tickets = await uow.session.execute(
        select(Ticket.id, Ticket.created_at, Ticket.channel, Ticket.type).where(*in_window)
    )
    heads = {row.id: (row.created_at, row.channel, row.type) for row in tickets}
    kinds = {ticket_id: workload_of(channel, routing_rules) for ticket_id, (_, channel, _) in heads.items()}
    handles = await _handle_times(uow, in_window, kinds, handle_rules)
    cases = [
        CaseRecord(created_at, kinds[ticket_id], ticket_type, channel, handles.get(ticket_id))
        for ticket_id, (created_at, channel, ticket_type) in sorted(heads.items())
    ]
    return History(start, end, zone_name, tuple(cases), handle_rules)


async def _handle_times(
    uow: UnitOfWork, in_window: tuple[Any, ...], kinds: dict[int, Workload], rules: HandleRules
) -> dict[int, float | None]:
    """Each case's handle time from its messages, streamed in ticket order so that only one
    case's messages are held at a time, however long the window."""
    query = (
        select(Message.ticket_id, Message.kind, Message.author_user_id, Message.meta, Message.created_at)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(*in_window)
        .order_by(Message.ticket_id, Message.created_at, Message.id)
        .execution_options(yield_per=2000)
    )
    handles: dict[int, float | None] = {}
    current: int | None = None
    said: list[Said] = []

    def measure() -> None:
        if current is not None and current in kinds:
            chat = kinds[current] is Workload.CHAT
            handles[current] = (chat_handle_seconds if chat else ticket_handle_seconds)(said, rules)

    async for row in await uow.session.stream(query):
        if row.ticket_id != current:
            measure()
            current, said = row.ticket_id, []
        meta = row.meta if isinstance(row.meta, dict) else {}
        if "system" in meta or "bot" in meta:  # written by the platform, not by a person
            continue
        staff = row.author_user_id is not None and row.kind is not MessageKind.INBOUND
        said.append(Said(row.created_at, staff, row.kind is MessageKind.REPLY))
    measure()
    return handles


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Recorded:
    """One workload's cases as the simulation replays them: one case type per ticket type
    that occurred, arrivals in seconds from the window's start."""

    types: tuple[CaseType, ...]
    ticket_types: tuple[TicketType, ...]
    arrivals: tuple[Arrival, ...]
    seconds: float


def recorded(
    history: History, workload: Workload, *, default_handle_seconds: float | None = None
) -> Recorded:
    """A case without a measured handle time (not answered yet) gets the mean of its ticket
    type, else of its workload, else the default: it still took an agent's time."""
    cases = sorted(history.of(workload), key=lambda case: case.arrived_at)
    kinds = tuple(t for t in TicketType if any(case.ticket_type is t for case in cases))
    fallback = _known(history.handle_seconds(workload), default_handle_seconds)
    means = {t: _known(history.handle_seconds(workload, t), fallback) for t in kinds}
    if cases and any(mean is None for mean in means.values()):
        raise ValueError(f"no {workload.value} case in the window has a handle time, and no default")
    # in UTC: two times in one zone subtract as wall-clock times, 48 h over a 47-hour weekend
    seconds = (history.end.astimezone(UTC) - history.start.astimezone(UTC)).total_seconds()
    arrivals = tuple(
        Arrival(
            (case.arrived_at - history.start).total_seconds(),
            kinds.index(case.ticket_type),
            _handle(case, means),
        )
        for case in cases
    )
    types = tuple(
        CaseType(
            kind.value,
            sum(1 for a in arrivals if a.kind == k) / seconds,
            statistics.fmean(a.handle for a in arrivals if a.kind == k),
        )
        for k, kind in enumerate(kinds)
    )
    return Recorded(types, kinds, arrivals, seconds)


def _known(value: float | None, default: float | None) -> float | None:
    return default if value is None else value


def _handle(case: CaseRecord, means: dict[TicketType, float | None]) -> float:
    handle = case.handle_seconds if case.handle_seconds is not None else means[case.ticket_type]
    assert handle is not None  # checked by the caller
    return handle


@dataclass(frozen=True)
class ReplayExperiment(Experiment):
    """`Experiment` on the recorded arrivals instead of drawn ones, so `minimum_agents` and the
    report work unchanged. Without patience the replay is the same every time, so one run per
    staffing is kept and reused; with patience each replication draws new exponential
    patience for the recorded cases (seed + replication), the only thing left to chance."""

    recorded: Recorded | None = None
    _runs: dict[tuple[frozenset[int], ...], SimulationResult] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def once(self, skill_sets: Sequence[frozenset[int]], replication: int) -> SimulationResult:
        if self.recorded is None:
            raise ValueError("a replay needs the recorded cases")
        key = tuple(skill_sets)
        if self.patience_seconds is None and key in self._runs:
            return self._runs[key]
        result = simulate(
            self._arrivals(replication), skill_sets=skill_sets, kinds=len(self.types),
            within_seconds=self.within_seconds, count_until=self.recorded.seconds, rule=self.rule,
        )  # fmt: skip
        if self.patience_seconds is None:
            self._runs[key] = result
        return result

    def _arrivals(self, replication: int) -> Iterable[Arrival]:
        assert self.recorded is not None
        cases = self.recorded.arrivals
        if self.patience_seconds is None:
            return cases
        rng = np.random.default_rng([self.seed, replication])
        waits = rng.exponential(self.patience_seconds, len(cases)).tolist()
        return [case._replace(patience=wait) for case, wait in zip(cases, waits, strict=True)]


def replay_experiment(
    recording: Recorded,
    *,
    within_seconds: float,
    patience_seconds: float | None = None,
    replications: int = 4,
    max_replications: int = 32,
    seed: int = 2026,
    rule: RoutingRule | None = None,
) -> ReplayExperiment:
    """Without patience two identical replications (the least `Estimate` takes), with it as
    many as asked."""
    if patience_seconds is None:
        replications = max_replications = 2
    return ReplayExperiment(
        recording.types, within_seconds=within_seconds, patience_seconds=patience_seconds,
        replications=replications, max_replications=max(replications, max_replications), seed=seed,
        rule=rule, recorded=recording,
    )  # fmt: skip
