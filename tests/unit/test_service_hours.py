from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.domain.service_hours import ServiceHours

DAY = ServiceHours()  # 08:00–22:00 Asia/Shanghai
NIGHT = ServiceHours(opens=time(20, 0), closes=time(2, 0))


def shanghai(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("hour", "minute", "open_"), [(7, 59, False), (8, 0, True), (21, 59, True), (22, 0, False)]
)
def test_it_knows_the_daily_window(hour: int, minute: int, open_: bool) -> None:
    assert DAY.is_open(shanghai(hour, minute)) is open_


def test_it_names_the_next_opening_in_local_time() -> None:
    late = DAY.next_opening(shanghai(23, 30))
    assert (late.day, late.hour, late.minute) == (23, 8, 0)
    early = DAY.next_opening(shanghai(6, 15))
    assert (early.day, early.hour) == (22, 8)


def test_a_window_may_run_past_midnight() -> None:
    assert NIGHT.is_open(shanghai(1, 0)) and NIGHT.is_open(shanghai(21, 0))
    assert not NIGHT.is_open(shanghai(12, 0))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        DAY.is_open(datetime(2026, 11, 22, 9, 0))


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
       st.sampled_from([DAY, NIGHT]))  # fmt: skip
def test_the_next_opening_is_open_and_nothing_earlier_is(at: datetime, hours: ServiceHours) -> None:
    opening = hours.next_opening(at)
    assert opening >= at and hours.is_open(opening)
    step = at
    while step + timedelta(minutes=30) < opening:  # no open half-hour was skipped
        step += timedelta(minutes=30)
        assert not hours.is_open(step)
