"""When a waiting case will be taken (R-IN-5: "queued with an honest expected-response time").

Places free up only while people are at work. Each agent who could take the case (`Helper`)
brings the places they have free when they are there — now if on duty, else from the start of
their next shift — and then frees `places` cases per mean handling time of *their* working
time: a chat queued at 21:55 behind a full floor that goes home at 22:00 is taken the next
morning, not at 22:03. The case at `position` is taken at the first instant the places freed
reach it. With every helper present from now on the same calendar this is the M/M/c mean wait
`position × handle ÷ places` counted in working time; a queue for a team off shift waits for the
next shift plus the cases ahead.

Nothing here reads a clock or a table: the service passes the helpers and `now`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.routing import AgentState, why_not
from servicedesk.domain.routing_rules import DEFAULT_RULES, CaseNeeds, Presence, RoutingRules

HORIZON = timedelta(days=62)  # no estimate past this: longer than any holiday plus its queue
_EPSILON = 1e-9
_Groups = dict[tuple[BusinessCalendar, datetime], list[int]]  # (calendar, arrival) → [places, free]


@dataclass(frozen=True, slots=True)
class Helper:
    """Someone who could take the case: their working calendar, their places for its workload,
    the places free when they are there, and from when they are there."""

    hours: BusinessCalendar
    places: int
    free: int
    there_from: datetime


def helper_of(
    agent: AgentState,
    hours: BusinessCalendar,
    needs: CaseNeeds,
    *,
    now: datetime,
    rules: RoutingRules = DEFAULT_RULES,
) -> Helper | None:
    """`agent` as a helper for the case: None when they could not take it even on duty with
    room (another team, work they do not take, the tier, a skill, excluded). On duty from now;
    off shift from their next shift; offline during their shift from the one after it — someone
    absent now is not promised back before then. Away is a break within the shift: present, but
    with no place free for work they do not take while away."""
    if why_not(replace(agent, presence=Presence.ONLINE, on_shift=True, load={}), needs, rules) is not None:
        return None
    places = agent.capacity.get(needs.kind, 0)
    try:
        if agent.presence is Presence.OFFLINE:
            there = hours.next_start(now) if hours.is_open(now) else hours.next_open(now)
        else:
            there = now if agent.on_shift else hours.next_open(now)
    except ValueError:  # never open again within the calendar's search: no help from them
        return None
    if there is None:
        return None
    free = places - agent.load.get(needs.kind, 0)
    if agent.presence is Presence.AWAY and needs.kind not in rules.away_takes:
        free = 0
    return Helper(hours, places, free, there)


def pickup_at(
    position: int, helpers: Iterable[Helper], *, now: datetime, mean_handle: timedelta | None
) -> datetime | None:
    """The instant the case at 1-based `position` is expected to be taken; None when nobody
    could take it within `HORIZON`, or when it must wait for cases to finish and no handling
    time is known (an invented figure would be a promise nobody keeps)."""
    if position < 1:
        raise ValueError(f"a queue position starts at 1, got {position}")
    groups = _grouped(helpers, now)
    if not groups:
        return None
    first = min(there for _, there in groups)
    rate = mean_handle.total_seconds() if mean_handle and mean_handle > timedelta(0) else None

    def freed(at: datetime) -> float:
        total = 0.0
        for (hours, there), (places, free) in groups.items():
            if there <= at:
                total += free
                if rate is not None:
                    total += places * hours.elapsed(there, at).total_seconds() / rate
        return total

    if freed(first) >= position - _EPSILON:
        return first
    if rate is None:
        return _first_free_enough(groups, position)
    if len(groups) == 1:  # exact: one calendar, one arrival
        [((hours, there), (places, free))] = groups.items()
        return hours.add(there, timedelta(seconds=(position - free) * rate / places))
    return _bisect(freed, position, first, first + HORIZON)


def _grouped(helpers: Iterable[Helper], now: datetime) -> _Groups:
    """Places and free places summed per (calendar, arrival): most floors share a few calendars,
    and each group costs one calendar walk per step of the search."""
    groups: _Groups = {}
    for helper in helpers:
        if helper.places <= 0 or helper.there_from - now > HORIZON:
            continue
        sums = groups.setdefault((helper.hours, max(helper.there_from, now)), [0, 0])
        sums[0] += helper.places
        sums[1] += max(min(helper.free, helper.places), 0)
    return groups


def _first_free_enough(groups: _Groups, position: int) -> datetime | None:
    """Without a handling time only free places count: the arrival that brings enough of them."""
    free = 0
    for there in sorted({there for _, there in groups}):
        free += sum(f for (_, at), (_, f) in groups.items() if at == there)
        if free >= position:
            return there
    return None


def _bisect(
    freed: Callable[[datetime], float], position: int, low: datetime, high: datetime
) -> datetime | None:
    """The first whole second in (low, high] at which `freed` (non-decreasing) reaches `position`."""
    if freed(high) < position - _EPSILON:
        return None
    low_s, high_s = 0, math.ceil((high - low).total_seconds())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if freed(low + timedelta(seconds=middle)) >= position - _EPSILON:
            high_s = middle
        else:
            low_s = middle
    return low + timedelta(seconds=high_s)
