"""Response-time commitments (R-SLA-1 … R-SLA-3): which policy a case falls under, and the clock
of each target on a business calendar.

A clock counts business time, not wall time: `used` is the business time spent before the
current run, and a running clock's deadline is the instant the calendar reaches the target.
Waiting on the customer pauses it; the reply, the resolution or the answer it waits for stops
it, met or breached. After the deadline an escalation ladder runs: the assignee is told, then
the team's supervisor, then the case moves up a tier — each step at a business-time offset from
the breach, so nobody is paged at night for a calendar that is closed.

Everything here is pure: time and the calendar are arguments, so the maths is table-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Protocol

from servicedesk.domain.labels import register


class Calendar(Protocol):
    """What a clock needs of a business calendar (`domain.calendars.BusinessCalendar`)."""

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...


class SlaMetric(StrEnum):
    """The targets a policy can set; each starts and stops on its own events."""

    FIRST_RESPONSE = "first_response"  # case opened → first public reply by a person
    NEXT_REPLY = "next_reply"  # customer writes again → the next public reply
    RESOLUTION = "resolution"  # case opened → resolved (resumed on reopen)
    HANDOFF_CONTACT = "handoff_contact"  # the bot handed over → a person contacts the customer
    EXPERT_SOLUTION = "expert_solution"  # escalated to an expert tier → resolved
    COLLABORATION_REPLY = "collaboration_reply"  # a department is asked → it answers

    @property
    def stops_on_reply(self) -> bool:
        return self in (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_REPLY, SlaMetric.HANDOFF_CONTACT)

    @property
    def stops_on_resolution(self) -> bool:
        return self in (SlaMetric.RESOLUTION, SlaMetric.EXPERT_SOLUTION)


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # waiting on the customer
    STOPPED = "stopped"  # the target's event happened, or the case closed


class Stage(IntEnum):
    """How far the warning-and-escalation ladder has gone; the worker moves it one way only."""

    RUNNING = 0
    WARNED = 1
    BREACHED = 2  # the assignee is told
    SUPERVISOR = 3  # the team's supervisor is told
    NEXT_TIER = 4  # the case went up a tier; nothing follows


for _value, _zh, _en in [
    (SlaMetric.FIRST_RESPONSE, "首次响应", "First response"),
    (SlaMetric.NEXT_REPLY, "后续回复", "Next reply"),
    (SlaMetric.RESOLUTION, "解决", "Resolution"),
    (SlaMetric.HANDOFF_CONTACT, "转人工后联系", "Contact after bot hand-off"),
    (SlaMetric.EXPERT_SOLUTION, "专家解决", "Expert solution"),
    (SlaMetric.COLLABORATION_REPLY, "协作回复", "Collaboration reply"),
    (ClockState.RUNNING, "计时中", "Running"),
    (ClockState.PAUSED, "已暂停（等待客户）", "Paused (waiting on customer)"),
    (ClockState.STOPPED, "已停止", "Stopped"),
]:
    register(_value, _zh, _en)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What policy conditions look at; plain values so the domain needs no ticket object."""

    tier: str
    type: str
    priority: str
    channel: str
    tags: frozenset[str] = frozenset()


VIP = "vip"  # a tier condition that stands for every VIP level


@dataclass(frozen=True, slots=True)
class Conditions:
    """Every non-empty field must match (AND); within a field any value matches (OR). Empty
    conditions match every case — the catch-all policy at the end of the list."""

    tiers: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def matches(self, facts: CaseFacts) -> bool:
        return (
            self._tier_ok(facts.tier)
            and (not self.types or facts.type in self.types)
            and (not self.priorities or facts.priority in self.priorities)
            and (not self.channels or facts.channel in self.channels)
            and (not self.tags or bool(self.tags & facts.tags))
        )

    def _tier_ok(self, tier: str) -> bool:
        if not self.tiers:
            return True
        return tier in self.tiers or (VIP in self.tiers and tier.startswith("vip"))


@dataclass(frozen=True, slots=True)
class PolicyTerms:
    id: int
    name: str
    calendar_id: int
    conditions: Conditions = Conditions()
    targets: Mapping[SlaMetric, timedelta] = field(default_factory=dict)


def select_policy(policies: Sequence[PolicyTerms], facts: CaseFacts) -> PolicyTerms | None:
    """The first policy in order whose conditions match — an admin orders the list from the
    most specific (emergencies, VIP) to the catch-all, as in Zendesk."""
    return next((p for p in policies if p.conditions.matches(facts)), None)


@dataclass(frozen=True, slots=True)
class Ladder:
    """When to warn (a share of the target used) and when each escalation step follows the
    breach, in business time."""

    warn_ratio: float = 0.8
    supervisor_after: timedelta = timedelta(minutes=15)
    next_tier_after: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if not 0 < self.warn_ratio < 1:
            raise ValueError("warn_ratio must be between 0 and 1 (exclusive)")
        if not timedelta(0) <= self.supervisor_after <= self.next_tier_after:
            raise ValueError("the supervisor step must come before the next-tier step")


@dataclass(frozen=True, slots=True)
class Clock:
    """One target's clock. `run_started_at` is set only while running; `used` is the business
    time of earlier runs; `due_at` and `warn_at` describe the current run."""

    metric: SlaMetric
    target: timedelta
    started_at: datetime
    state: ClockState = ClockState.RUNNING
    run_started_at: datetime | None = None
    used: timedelta = timedelta(0)
    due_at: datetime | None = None
    warn_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    stage: Stage = Stage.RUNNING

    @classmethod
    def start(
        cls, metric: SlaMetric, target: timedelta, *, now: datetime, calendar: Calendar, ladder: Ladder
    ) -> Clock:
        if target <= timedelta(0):
            raise ValueError("an SLA target must be positive")
        return cls(metric, target, now)._run(now, calendar, ladder)

    def _run(self, now: datetime, calendar: Calendar, ladder: Ladder) -> Clock:
        """Plan the current run from `now`: the deadline, and the warning if still ahead."""
        left = self.target - self.used
        if left <= timedelta(0):  # resumed when already overdue: the breach instant stays
            due = self.due_at or now
            return replace(self, state=ClockState.RUNNING, run_started_at=now, due_at=due, warn_at=None)
        warn_left = self.target * ladder.warn_ratio - self.used
        warn = calendar.add(now, warn_left) if warn_left > timedelta(0) else now
        return replace(
            self, state=ClockState.RUNNING, run_started_at=now, due_at=calendar.add(now, left), warn_at=warn
        )

    def used_at(self, now: datetime, calendar: Calendar) -> timedelta:
        if self.state is not ClockState.RUNNING or self.run_started_at is None:
            return self.used
        return self.used + calendar.elapsed(self.run_started_at, now)

    def remaining(self, now: datetime, calendar: Calendar) -> timedelta:
        """Business time left; negative once overdue."""
        return self.target - self.used_at(now, calendar)

    def is_overdue(self, now: datetime, calendar: Calendar) -> bool:
        return self.breached_at is not None or self.remaining(now, calendar) < timedelta(0)

    def pause(self, now: datetime, calendar: Calendar) -> Clock:
        if self.state is not ClockState.RUNNING:
            return self
        marked = self._mark_breach(now)
        return replace(
            marked, state=ClockState.PAUSED, used=self.used_at(now, calendar), run_started_at=None,
            warn_at=None,
        )  # fmt: skip

    def resume(self, now: datetime, calendar: Calendar, ladder: Ladder) -> Clock:
        if self.state is not ClockState.PAUSED:
            return self
        return self._run(now, calendar, ladder)

    def stop(self, now: datetime, calendar: Calendar) -> Clock:
        """The target's event happened: met if it came no later than the deadline."""
        if self.state is ClockState.STOPPED:
            return self
        marked = self._mark_breach(now)
        return replace(
            marked, state=ClockState.STOPPED, used=self.used_at(now, calendar), run_started_at=None,
            warn_at=None, stopped_at=now,
        )  # fmt: skip

    def reopen(self, now: datetime, calendar: Calendar, ladder: Ladder) -> Clock:
        """A resolved case reopened: its resolution clock runs on from the time already used;
        a breach stays on record."""
        if self.state is not ClockState.STOPPED:
            return self
        return replace(self, stopped_at=None)._run(now, calendar, ladder)

    def restore(self, calendar: Calendar, ladder: Ladder) -> Clock:
        """Undo a stop that should not have counted (the reply that stopped it was never
        delivered): the clock runs again as if never stopped, so the time since the stop counts
        and a deadline passed meanwhile is a breach the ladder then acts on."""
        if self.state is not ClockState.STOPPED or self.stopped_at is None:
            return self
        return replace(self, stopped_at=None)._run(self.stopped_at, calendar, ladder)

    def retarget(self, target: timedelta, now: datetime, calendar: Calendar, ladder: Ladder) -> Clock:
        """The case changed (priority, tier, type) and its policy with it: the time used so far
        counts against the new target."""
        if target == self.target or self.state is ClockState.STOPPED:
            return self
        if target <= timedelta(0):
            raise ValueError("an SLA target must be positive")
        if self.state is ClockState.PAUSED:
            return replace(self, target=target)
        if self.run_started_at is None:
            raise ValueError("a running clock has a run start")
        used = self.used_at(now, calendar)
        if used <= target:  # still within the new target: plan afresh, the ladder starts over
            return replace(self, target=target, due_at=None, breached_at=None, stage=Stage.RUNNING)._run(
                self.run_started_at, calendar, ladder
            )
        # already past the new target: it was breached when the business time reached it
        into_run = target - self.used
        breach = (
            calendar.add(self.run_started_at, into_run) if into_run > timedelta(0) else self.run_started_at
        )
        return replace(self, target=target, due_at=breach, warn_at=None, breached_at=None)

    def _mark_breach(self, now: datetime) -> Clock:
        """The breach is the deadline itself, even when the worker had not noticed it yet."""
        if self.breached_at is None and self.due_at is not None and now > self.due_at:
            return replace(self, breached_at=self.due_at)
        return self

    @property
    def met(self) -> bool | None:
        """True/False once stopped; None while the outcome is open."""
        if self.state is not ClockState.STOPPED:
            return None
        return self.breached_at is None

    def next_step(self, calendar: Calendar, ladder: Ladder) -> tuple[Stage, datetime] | None:
        """The ladder step the worker takes next and when; None when nothing is left to do."""
        if self.state is not ClockState.RUNNING or self.due_at is None:
            return None
        if self.stage is Stage.RUNNING and self.warn_at is not None and self.warn_at < self.due_at:
            return Stage.WARNED, self.warn_at
        if self.stage < Stage.BREACHED:
            return Stage.BREACHED, self.due_at
        if self.stage is Stage.BREACHED:
            return Stage.SUPERVISOR, calendar.add(self.due_at, ladder.supervisor_after)
        if self.stage is Stage.SUPERVISOR:
            return Stage.NEXT_TIER, calendar.add(self.due_at, ladder.next_tier_after)
        return None

    def advance(self, stage: Stage) -> Clock:
        """The worker took step `stage`; a breach step records its exact instant."""
        if stage >= Stage.BREACHED and self.breached_at is None:
            return replace(self, stage=stage, breached_at=self.due_at)
        return replace(self, stage=stage)
