"""The queue's honest estimate (`domain.waiting`): places free up only in working time, an
agent off shift helps from the start of their next shift, and nobody who could take a case
means no estimate rather than an invented one. Monday 2 March 2026 in Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.routing import AgentState
from servicedesk.domain.routing_rules import CaseNeeds, Presence, Workload
from servicedesk.domain.waiting import Helper, helper_of, pickup_at

SERVICE = BusinessCalendar.parse("daily 08:00-22:00")
LATE = BusinessCalendar.parse("mon-fri 11:00-18:00")
MINUTES = timedelta(minutes=1)


def local(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOW = local(10)


def present(places: int, free: int = 0, hours: BusinessCalendar = SERVICE, there: datetime = NOW) -> Helper:
    return Helper(hours, places, free, there)


@pytest.mark.parametrize(
    ("position", "helpers", "handle", "expected"),
    [
        # everyone present, all busy: the M/M/c mean wait, position × handle ÷ places
        (1, [present(6)], 10 * MINUTES, NOW + timedelta(seconds=100)),
        (3, [present(2), present(4)], 10 * MINUTES, NOW + timedelta(seconds=300)),
        (2, [present(3, free=2)], 10 * MINUTES, NOW),  # a free place takes it at once
        (1, [], 10 * MINUTES, None),  # nobody who could take it: unknown, not a guess
        (2, [present(3, free=1)], None, None),  # must wait for work to finish, no handling time
        (1, [present(3, free=1)], None, NOW),  # ... unless a place is free
        # a team off shift: its next shift, then the cases ahead
        (1, [present(1, free=1, hours=LATE, there=local(11))], 8 * MINUTES, local(11)),
        (3, [present(1, free=1, hours=LATE, there=local(11))], 8 * MINUTES, local(11, 16)),
        # the floor goes home at 22:00: what is left of the wait comes the next morning
        (1, [present(1, there=local(21, 55))], 8 * MINUTES, local(8, 3, day=3)),
        # one agent busy now, another with a free place from 11:00 (mean 90 minutes): the second
        # case is taken when both have freed enough — 75 minutes of the first, 15 of the second
        (1, [present(1), present(1, free=1, hours=LATE, there=local(11))], 90 * MINUTES, local(11)),
        (2, [present(1), present(1, free=1, hours=LATE, there=local(11))], 90 * MINUTES, local(11, 15)),
    ],
)
def test_it_expects_the_case_when_places_free_up_in_working_time(
    position: int, helpers: list[Helper], handle: timedelta | None, expected: datetime | None
) -> None:
    assert pickup_at(position, helpers, now=NOW, mean_handle=handle) == expected


def test_a_position_counts_from_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        pickup_at(0, [present(1)], now=NOW, mean_handle=MINUTES)


CHAT = CaseNeeds(kind=Workload.CHAT, team_id=7)


def agent(
    presence: Presence = Presence.ONLINE, *, on_shift: bool = True, load: int = 0, **kw: object
) -> AgentState:
    fields: dict[str, object] = {"capacity": {Workload.CHAT: 3}, "team_ids": frozenset({7})} | kw
    return AgentState(1, presence, on_shift, load={Workload.CHAT: load}, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "hours", "expected"),
    [
        (agent(load=1), SERVICE, Helper(SERVICE, 3, 2, NOW)),  # on duty: from now, two places free
        (agent(on_shift=False), LATE, Helper(LATE, 3, 3, local(11))),  # off shift: from her shift
        (agent(Presence.OFFLINE), SERVICE, Helper(SERVICE, 3, 3, local(8, day=3))),  # absent: next shift
        (agent(Presence.AWAY, load=1), SERVICE, Helper(SERVICE, 3, 0, NOW)),  # a break: no chat place free
        (agent(team_ids=frozenset({8})), SERVICE, None),  # another team's agent never takes it
        (agent(capacity={Workload.CHAT: 0}), SERVICE, None),  # takes no chats
        (agent(Presence.OFFLINE), BusinessCalendar.always(), None),  # absent from a shift that never ends
    ],
)
def test_it_counts_who_could_take_the_case_and_from_when(
    state: AgentState, hours: BusinessCalendar, expected: Helper | None
) -> None:
    assert helper_of(state, hours, CHAT, now=NOW) == expected


HELPERS = st.lists(
    st.builds(
        Helper,
        st.sampled_from([SERVICE, LATE]),
        st.integers(0, 4),
        st.integers(-1, 4),
        st.sampled_from([NOW, local(11), local(21, 50), local(8, day=3)]),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(HELPERS, st.integers(1, 12), st.sampled_from([None, 5 * MINUTES, 47 * MINUTES]))
def test_a_later_place_in_the_queue_is_never_expected_earlier(
    helpers: list[Helper], position: int, handle: timedelta | None
) -> None:
    here = pickup_at(position, helpers, now=NOW, mean_handle=handle)
    behind = pickup_at(position + 1, helpers, now=NOW, mean_handle=handle)
    if here is None:
        assert behind is None
    elif behind is not None:
        assert NOW <= here <= behind
