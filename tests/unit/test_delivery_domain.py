"""The delivery rule's pure parts: the platforms' reply windows, and a clock put back when the
reply that stopped it never reached the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.channels.message import TransportError
from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem, window_closes_at
from servicedesk.domain.labels import label
from servicedesk.domain.sla import Clock, ClockState, Ladder, SlaMetric, Stage

DAY = BusinessCalendar.parse("daily 08:00-22:00")  # Asia/Shanghai
LADDER = Ladder()
M = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """October 2026, Shanghai wall time, as UTC."""
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("channel", "source", "hours"),
    [
        (Channel.WECHAT, None, 48),
        (Channel.WEIBO, "private_message", 48),
        (Channel.DOUYIN, "private_message", 24),
    ],
)
def test_a_private_message_may_be_answered_within_the_platforms_window(
    channel: Channel, source: str | None, hours: int
) -> None:
    assert window_closes_at(channel, source, at(12, 10)) == at(12, 10) + timedelta(hours=hours)


def test_comments_email_and_chat_have_no_window() -> None:
    assert window_closes_at(Channel.WEIBO, "comment", at(12, 10)) is None
    assert window_closes_at(Channel.EMAIL, None, at(12, 10)) is None
    assert window_closes_at(Channel.WEB_CHAT, None, at(12, 10)) is None
    assert window_closes_at(Channel.WECHAT, None, None) is None  # nothing known, nothing claimed


def test_every_problem_reads_in_both_languages() -> None:
    for problem in DeliveryProblem:
        assert label(problem, "zh") != problem.value and label(problem, "en") != problem.value


def test_a_transport_error_says_what_the_agent_is_told() -> None:
    assert TransportError("x", permanent=True).final_problem is DeliveryProblem.REFUSED
    assert TransportError("x", permanent=False).final_problem is DeliveryProblem.GAVE_UP
    tagged = TransportError("x", permanent=True, problem=DeliveryProblem.CONTENT)
    assert tagged.final_problem is DeliveryProblem.CONTENT


def test_a_restored_clock_runs_as_if_it_had_never_stopped() -> None:
    clock = Clock.start(SlaMetric.FIRST_RESPONSE, 60 * M, now=at(12, 10), calendar=DAY, ladder=LADDER)
    stopped = clock.stop(at(12, 10, 20), DAY)
    restored = stopped.restore(DAY, LADDER)
    assert (restored.state, restored.stopped_at, restored.due_at) == (ClockState.RUNNING, None, at(12, 11))
    assert restored.remaining(at(12, 10, 50), DAY) == 10 * M  # the time since the stop counts
    assert restored.next_step(DAY, LADDER) == (Stage.WARNED, at(12, 10, 48))


def test_a_restored_clock_that_was_already_late_keeps_its_breach_for_the_ladder() -> None:
    clock = Clock.start(SlaMetric.FIRST_RESPONSE, 60 * M, now=at(12, 10), calendar=DAY, ladder=LADDER)
    late = clock.stop(at(12, 11, 30), DAY)
    assert late.breached_at == at(12, 11)
    restored = late.restore(DAY, LADDER)
    assert (restored.state, restored.breached_at, restored.due_at) == (
        ClockState.RUNNING,
        at(12, 11),
        at(12, 11),
    )
    assert restored.next_step(DAY, LADDER) == (Stage.BREACHED, at(12, 11))  # the assignee is told now
    assert restored.stop(at(12, 12), DAY).met is False


def test_only_a_stopped_clock_is_restored() -> None:
    running = Clock.start(SlaMetric.NEXT_REPLY, 30 * M, now=at(12, 10), calendar=DAY, ladder=LADDER)
    assert running.restore(DAY, LADDER) == running
