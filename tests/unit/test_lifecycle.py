from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.domain.errors import InvalidTransition
from servicedesk.domain.labels import label
from servicedesk.domain.lifecycle import ALLOWED, Lifecycle, TicketStatus, refusal

S = TicketStatus
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_it_walks_the_standard_track() -> None:
    state = Lifecycle()
    for step, target in enumerate([S.OPEN, S.PENDING, S.OPEN, S.RESOLVED, S.CLOSED]):
        state = state.move_to(target, now=T0 + timedelta(hours=step))
    assert state.status is S.CLOSED
    assert state.resolved_at == T0 + timedelta(hours=3)
    assert state.closed_at == T0 + timedelta(hours=4)
    assert state.violations() == []


def test_it_reopens_a_resolved_ticket_and_counts_it() -> None:
    state = Lifecycle().move_to(S.RESOLVED, now=T0).move_to(S.OPEN, now=T0)
    assert state.status is S.OPEN
    assert state.resolved_at is None
    assert state.reopened_count == 1


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        (S.CLOSED, S.OPEN, "a closed ticket is final"),
        (S.OPEN, S.CLOSED, "only a resolved ticket can be closed"),
        (S.PENDING, S.NEW, "cannot go back to new"),
        (S.OPEN, S.OPEN, "already open"),
    ],
)
def test_it_refuses_with_a_clear_reason(current: S, target: S, reason: str) -> None:
    with pytest.raises(InvalidTransition, match=reason) as caught:
        Lifecycle(status=current).move_to(target, now=T0)
    assert caught.value.fields == {"status": caught.value.message}


def test_it_agrees_with_its_table() -> None:
    for current in S:
        for target in S:
            assert (refusal(current, target) is None) == (target in ALLOWED[current])


def test_it_labels_states_in_both_languages() -> None:
    assert label(S.PENDING) == "待客户回复"
    assert label(S.PENDING, "en") == "Pending"


@given(st.lists(st.sampled_from(list(S)), max_size=40), st.integers(0, 10_000))
def test_no_sequence_of_transitions_reaches_an_impossible_state(targets: list[S], start_minute: int) -> None:
    state = Lifecycle()
    now = T0 + timedelta(minutes=start_minute)
    for target in targets:
        now += timedelta(minutes=7)
        try:
            moved = state.move_to(target, now=now)
        except InvalidTransition:
            assert target not in ALLOWED[state.status]
            continue
        assert target in ALLOWED[state.status]
        assert moved.reopened_count >= state.reopened_count
        state = moved
        assert state.violations() == [], (targets, state)
    if state.status is S.CLOSED:
        for target in S:
            with pytest.raises(InvalidTransition):
                state.move_to(target, now=now)
