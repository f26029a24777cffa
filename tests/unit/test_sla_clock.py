"""The SLA clock and policy selection as pure functions, on real business calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.sla import (
    VIP,
    CaseFacts,
    ClockState,
    Conditions,
    Ladder,
    PolicyTerms,
    SlaMetric,
    Stage,
    select_policy,
)
from servicedesk.domain.sla import Clock as SlaClock

DAY = BusinessCalendar.parse("daily 08:00-22:00")  # Asia/Shanghai
LADDER = Ladder()
M = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """8 October 2026 onwards, Shanghai wall time, as UTC."""
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def start(minutes: int, when: datetime) -> SlaClock:
    return SlaClock.start(SlaMetric.FIRST_RESPONSE, minutes * M, now=when, calendar=DAY, ladder=LADDER)


def test_it_plans_the_warning_at_the_share_of_the_target() -> None:
    clock = start(60, at(8, 9))
    assert (clock.due_at, clock.warn_at) == (at(8, 10), at(8, 9, 48))
    assert clock.next_step(DAY, LADDER) == (Stage.WARNED, at(8, 9, 48))


def test_it_carries_a_deadline_over_the_closed_night() -> None:
    clock = start(60, at(8, 21, 30))
    assert clock.due_at == at(9, 8, 30)
    assert clock.remaining(at(9, 8, 0), DAY) == 30 * M


def test_the_ladder_follows_the_breach_in_business_time() -> None:
    clock = start(15, at(8, 21, 50)).advance(Stage.WARNED).advance(Stage.BREACHED)
    assert clock.breached_at == at(9, 8, 5)
    assert clock.next_step(DAY, LADDER) == (Stage.SUPERVISOR, at(9, 8, 20))
    assert clock.advance(Stage.SUPERVISOR).next_step(DAY, LADDER) == (Stage.NEXT_TIER, at(9, 8, 35))
    assert clock.advance(Stage.NEXT_TIER).next_step(DAY, LADDER) is None


def test_pausing_keeps_the_business_time_used_and_resuming_plans_afresh() -> None:
    paused = start(60, at(8, 9)).pause(at(8, 9, 20), DAY)
    assert (paused.state, paused.used, paused.next_step(DAY, LADDER)) == (ClockState.PAUSED, 20 * M, None)
    resumed = paused.resume(at(8, 14), DAY, LADDER)
    assert (resumed.due_at, resumed.warn_at) == (at(8, 14, 40), at(8, 14, 28))


@pytest.mark.parametrize(("stopped", "met"), [(at(8, 10), True), (at(8, 10, 1), False)])
def test_a_stop_at_the_deadline_is_met_and_a_minute_later_is_not(stopped: datetime, met: bool) -> None:
    clock = start(60, at(8, 9)).stop(stopped, DAY)
    assert clock.met is met
    assert clock.breached_at == (None if met else at(8, 10))


def test_a_clock_resumed_when_already_overdue_keeps_its_breach() -> None:
    late = start(10, at(8, 9)).pause(at(8, 9, 30), DAY)
    assert late.breached_at == at(8, 9, 10)
    again = late.resume(at(8, 11), DAY, LADDER)
    assert (again.due_at, again.warn_at, again.is_overdue(at(8, 11), DAY)) == (at(8, 9, 10), None, True)


def test_a_shorter_target_counts_the_time_already_used() -> None:
    clock = start(60, at(8, 9)).retarget(15 * M, at(8, 9, 5), DAY, LADDER)
    assert (clock.due_at, clock.stage) == (at(8, 9, 15), Stage.RUNNING)
    overdue = start(60, at(8, 9)).retarget(15 * M, at(8, 9, 40), DAY, LADDER)
    assert overdue.due_at == at(8, 9, 15)  # breached when the new target was reached
    assert overdue.next_step(DAY, LADDER) == (Stage.BREACHED, at(8, 9, 15))


def test_a_reopened_clock_runs_on_from_the_time_used() -> None:
    done = start(60, at(8, 9)).stop(at(8, 9, 45), DAY)
    reopened = done.reopen(at(9, 10), DAY, LADDER)
    assert (reopened.state, reopened.stopped_at, reopened.due_at) == (ClockState.RUNNING, None, at(9, 10, 15))


def test_targets_must_be_positive_and_ladders_ordered() -> None:
    with pytest.raises(ValueError, match="positive"):
        start(0, at(8, 9))
    with pytest.raises(ValueError, match="before"):
        Ladder(supervisor_after=timedelta(hours=1), next_tier_after=timedelta(minutes=30))


POLICIES = [
    PolicyTerms(1, "特急", 1, Conditions(priorities=frozenset({"high"}))),
    PolicyTerms(2, "VIP", 1, Conditions(tiers=frozenset({VIP}))),
    PolicyTerms(3, "投诉", 1, Conditions(tags=frozenset({"投诉", "complaint"}))),
    PolicyTerms(4, "邮件", 2, Conditions(channels=frozenset({"email"}))),
    PolicyTerms(5, "普通", 1),
]


@pytest.mark.parametrize(
    ("tier", "priority", "channel", "tags", "expected"),
    [
        ("vip2", "high", "email", set(), "特急"),
        ("vip1", "medium", "email", set(), "VIP"),
        ("regular", "medium", "web_chat", {"投诉"}, "投诉"),
        ("regular", "low", "email", {"发票"}, "邮件"),
        ("regular", "medium", "wechat", set(), "普通"),
    ],
)
def test_the_first_matching_policy_in_order_applies(
    tier: str, priority: str, channel: str, tags: set[str], expected: str
) -> None:
    facts = CaseFacts(tier, "consultation", priority, channel, frozenset(tags))
    chosen = select_policy(POLICIES, facts)
    assert chosen is not None and chosen.name == expected
