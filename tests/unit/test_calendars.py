from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.domain.calendars import BusinessCalendar, Hours, china_official, china_official_years

MINUTE = timedelta(minutes=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOLIDAYS_2026, WORKDAYS_2026 = china_official([2026])
DAYTIME = BusinessCalendar.parse("daily 08:00-22:00", holidays=HOLIDAYS_2026, workdays=WORKDAYS_2026)
OFFICE = BusinessCalendar.parse("mon-fri 08:00-22:00", holidays=HOLIDAYS_2026, workdays=WORKDAYS_2026)
SPLIT = BusinessCalendar.parse("mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00")


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=fold)


# -- table tests on a frozen clock --------------------------------------------------------------


def test_it_resumes_after_national_day() -> None:
    eve = at(date(2026, 9, 30), 21, 55)  # Wednesday; 1–7 October are holidays
    assert DAYTIME.add(eve, timedelta(minutes=15)) == at(date(2026, 10, 8), 8, 10)
    assert DAYTIME.elapsed(eve, at(date(2026, 10, 8), 8, 10)) == timedelta(minutes=15)


def test_it_opens_on_a_make_up_saturday() -> None:
    friday_night = at(date(2026, 10, 9), 21, 55)
    assert OFFICE.add(friday_night, timedelta(minutes=15)) == at(date(2026, 10, 10), 8, 10)
    assert OFFICE.is_open(at(date(2026, 9, 20), 9))  # the make-up Sunday before Mid-Autumn
    assert not OFFICE.is_open(at(date(2026, 10, 17), 9))  # an ordinary Saturday
    assert OFFICE.hours_on(date(2026, 10, 10)) == OFFICE.week[0]


def test_it_uses_the_make_up_hours_when_given() -> None:
    short = BusinessCalendar.parse(
        "mon-fri 08:00-22:00", workdays={date(2026, 10, 10)}, workday_hours=((time(9), time(17)),)
    )
    assert short.elapsed(at(date(2026, 10, 10), 0), at(date(2026, 10, 11), 0)) == timedelta(hours=8)


def test_it_closes_on_a_holiday_that_is_also_listed_as_a_workday() -> None:
    both = BusinessCalendar(
        holidays=frozenset({date(2026, 10, 10)}), workdays=frozenset({date(2026, 10, 10)})
    )
    assert both.hours_on(date(2026, 10, 10)) == ()


def test_it_skips_the_lunch_gap() -> None:
    monday = date(2026, 11, 23)
    assert SPLIT.add(at(monday, 11, 50), timedelta(minutes=30)) == at(monday, 13, 20)
    assert SPLIT.elapsed(at(monday, 11), at(monday, 14)) == timedelta(hours=2)
    assert SPLIT.next_open(at(monday, 12, 30)) == at(monday, 13)


def test_it_carries_friday_night_over_the_weekend() -> None:
    friday = date(2026, 11, 20)
    assert OFFICE.add(at(friday, 21), timedelta(hours=2)) == at(date(2026, 11, 23), 9)
    assert OFFICE.elapsed(at(friday, 21), at(date(2026, 11, 23), 9)) == timedelta(hours=2)


def test_it_falls_due_at_closing_not_at_the_next_opening() -> None:
    monday = date(2026, 11, 23)
    assert OFFICE.add(at(monday, 21), timedelta(hours=1)) == at(monday, 22)


def test_it_returns_the_start_for_no_duration_even_when_closed() -> None:
    night = at(date(2026, 11, 23), 3)
    assert OFFICE.add(night, timedelta(0)) == night
    assert OFFICE.add(night, timedelta(0)).tzinfo is UTC


def test_it_answers_in_utc() -> None:
    due = OFFICE.add(at(date(2026, 11, 23), 9), timedelta(hours=1))
    assert due.tzinfo is UTC and due == datetime(2026, 11, 23, 2, tzinfo=UTC)


def test_it_counts_nothing_when_the_end_is_not_after_the_start() -> None:
    monday = date(2026, 11, 23)
    assert OFFICE.elapsed(at(monday, 12), at(monday, 10)) == timedelta(0)
    assert OFFICE.elapsed(at(monday, 12), at(monday, 12)) == timedelta(0)


@pytest.mark.parametrize(
    ("zone", "day", "spec", "open_for"),
    [
        ("Asia/Shanghai", date(2026, 3, 29), "daily 01:00-04:00", timedelta(hours=3)),
        ("Europe/Berlin", date(2026, 3, 29), "daily 01:00-04:00", timedelta(hours=2)),  # spring forward
        ("Europe/Berlin", date(2026, 10, 25), "daily 01:00-04:00", timedelta(hours=4)),  # 02:00–03:00 twice
        ("America/New_York", date(2026, 3, 8), "daily 00:00-24:00", timedelta(hours=23)),
        ("America/New_York", date(2026, 11, 1), "daily 00:00-24:00", timedelta(hours=25)),
        ("America/New_York", date(2026, 11, 1), "daily 01:00-03:00", timedelta(hours=3)),
        ("America/Santiago", date(2026, 4, 4), "sat 22:00-24:00", timedelta(hours=3)),  # back across midnight
    ],
)
def test_it_measures_real_time_on_daylight_saving_days(
    zone: str, day: date, spec: str, open_for: timedelta
) -> None:
    calendar = BusinessCalendar.parse(spec, time_zone=zone)
    local = ZoneInfo(zone)
    assert calendar.elapsed(at(day, 0, zone=local), at(day + timedelta(days=1), 0, zone=local)) == open_for


def test_it_continues_the_next_night_after_spring_forward() -> None:
    nights = BusinessCalendar.parse("daily 01:00-03:00", time_zone="America/New_York")
    start = at(date(2026, 3, 8), 1, 30, NEW_YORK)  # 02:00–03:00 does not exist tonight
    assert nights.add(start, timedelta(hours=1)) == at(date(2026, 3, 9), 1, 30, NEW_YORK)


def test_it_counts_the_repeated_hour_after_fall_back() -> None:
    nights = BusinessCalendar.parse("daily 01:00-03:00", time_zone="America/New_York")
    first = at(date(2026, 11, 1), 1, 30, NEW_YORK)
    # 01:30 again, an hour later: compared in UTC, as Python never equates a fold=1 time across zones
    assert nights.add(first, timedelta(hours=1)) == at(date(2026, 11, 1), 1, 30, NEW_YORK, fold=1).astimezone(
        UTC
    )


def test_it_keeps_real_time_order_when_fall_back_crosses_midnight() -> None:
    """St John's fell back from 00:01 to 23:01 the evening before (2010), so the first minute of
    Sunday came between Saturday's two last hours; the four pieces add up to 01:30–04:30 UTC."""
    nights = BusinessCalendar.parse("sat 23:00-24:00; sun 00:00-01:00", time_zone="America/St_Johns")
    start = datetime(2010, 11, 7, 1, 30, tzinfo=UTC)  # Saturday 23:00 NDT
    assert nights.elapsed(start, start + timedelta(hours=4)) == timedelta(hours=3)
    assert nights.add(start, timedelta(hours=2)) == start + timedelta(hours=2)


def test_it_opens_at_the_jump_when_the_opening_time_is_skipped() -> None:
    late = BusinessCalendar.parse("daily 02:30-05:00", time_zone="Europe/Berlin")
    assert late.next_open(at(date(2026, 3, 29), 1, 59, BERLIN)) == at(date(2026, 3, 29), 3, 0, BERLIN)


def test_it_runs_to_midnight_and_on_into_the_next_day() -> None:
    late = BusinessCalendar.parse("fri 18:00-24:00; sat 00:00-02:00")
    friday = date(2026, 11, 20)
    assert late.is_open(datetime(2026, 11, 20, 23, 59, 59, tzinfo=SHANGHAI))
    assert late.add(at(friday, 23, 30), timedelta(hours=1)) == at(date(2026, 11, 21), 0, 30)
    assert late.week[4] == ((time(18), time(0)),)
    assert late.spec() == "fri 18:00-24:00; sat 00:00-02:00"


def test_it_is_always_open_around_the_clock() -> None:
    always = BusinessCalendar.always("America/New_York")
    start = datetime(
        2026, 10, 30, 16, tzinfo=UTC
    )  # UTC: New York wall-clock arithmetic would skip the fall-back hour
    assert always.add(start, timedelta(days=30)) == start + timedelta(days=30)
    assert always.elapsed(start, start + timedelta(days=3)) == timedelta(days=3)
    assert always == BusinessCalendar.parse("daily 00:00-24:00", time_zone="America/New_York")


def test_it_gives_up_after_ten_closed_years() -> None:
    long_ago = BusinessCalendar(
        week=((),) * 7, workdays=frozenset({date(2020, 1, 6)}), workday_hours=((time(9), time(17)),)
    )
    with pytest.raises(ValueError, match="within"):
        long_ago.add(at(date(2026, 1, 1), 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="within"):
        long_ago.next_open(at(date(2026, 1, 1), 9))


# -- the admin's text form and descriptions -----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "spec"),
    [
        (
            "mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00",
            "mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00",
        ),
        ("Daily 08:00-22:00", "daily 08:00-22:00"),
        ("Mon - Wed 8:00 – 12:00 ， 13:00-24:00", "mon-wed 08:00-12:00,13:00-24:00"),
        ("fri-mon 20:00-24:00", "mon,fri-sun 20:00-24:00"),
        ("sun 10:00-16:00; monday 09:00-17:00；wed 09:00-17:00", "mon,wed 09:00-17:00; sun 10:00-16:00"),
        ("mon 22:00-00:00", "mon 22:00-24:00"),
    ],
)
def test_it_reads_what_an_admin_types(typed: str, spec: str) -> None:
    assert BusinessCalendar.parse(typed).spec() == spec


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("mon-fri", "mon-fri"),
        ("xyz 08:00-12:00", "xyz"),
        ("mon 08:00-25:00", "08:00-25:00"),
        ("mon 08:00-noon", "08:00-noon"),
        ("mon 12:00-08:00", "12:00-08:00"),
        ("mon 08:00-12:00,11:00-13:00", "overlap"),
        ("mon 08:00-12:00; mon-tue 13:00-14:00", "mon is given twice"),
        ("", "never open"),
    ],
)
def test_it_names_the_part_it_cannot_read(typed: str, names: str) -> None:
    with pytest.raises(ValueError, match=names):
        BusinessCalendar.parse(typed)


def test_it_describes_itself_for_people() -> None:
    assert SPLIT.describe() == "周一至周五 08:00–12:00, 13:00–22:00；周六 09:00–18:00"
    assert SPLIT.describe("en") == "Mon–Fri 08:00–12:00, 13:00–22:00; Sat 09:00–18:00"
    assert DAYTIME.describe("zh-CN") == "每天 08:00–22:00（节假日除外）"
    assert BusinessCalendar.always().describe("en") == "24/7"


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"week": (((time(8), time(22)),),) * 6}, "7 days"),
        ({"week": ((),) * 7}, "never open"),
        ({"week": ((),) * 7, "workdays": frozenset({date(2026, 10, 10)}), "workday_hours": ()}, "never open"),
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"week": (((time(8, 0, 30), time(22)),),) * 7}, "whole minutes"),
        ({"week": (((time(13), time(22)), (time(8), time(12))),) * 7}, "sorted"),
    ],
)
def test_it_refuses_a_calendar_that_makes_no_sense(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_it_refuses_naive_times_and_negative_durations() -> None:
    with pytest.raises(ValueError, match="aware"):
        OFFICE.is_open(datetime(2026, 11, 23, 9))
    with pytest.raises(ValueError, match="aware"):
        OFFICE.elapsed(datetime(2026, 11, 23, 9), at(date(2026, 11, 23), 10))
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(at(date(2026, 11, 23), 9), timedelta(minutes=-1))


def test_it_knows_which_years_china_has_published() -> None:
    years = china_official_years()
    assert 2004 in years and 2026 in years
    assert china_official([years.stop]) == (frozenset(), frozenset())
    assert {date(2026, 10, 1), date(2026, 10, 7)} <= HOLIDAYS_2026
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= WORKDAYS_2026
    assert all(day.year == 2026 for day in HOLIDAYS_2026 | WORKDAYS_2026)


# -- properties against a minute-by-minute reference --------------------------------------------

ZONES = [
    "Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "America/St_Johns",
]  # fmt: skip
ANCHORS = [  # daylight-saving changes in the zones above, and Chinese holidays with make-up days
    date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 9, 6), date(2026, 10, 4),
    date(2026, 10, 25), date(2026, 11, 1), date(2026, 9, 30), date(2026, 2, 14), date(2010, 11, 7),
]  # fmt: skip
EDGES = [0, 60, 90, 120, 150, 180, 240, 480, 720, 780, 1320, 1380, 1410, 1440]  # minutes of the day


def as_hours(edges: frozenset[int]) -> Hours:
    """Distinct minutes of the day, paired in order: sorted, non-overlapping intervals."""
    ordered = sorted(edges)
    pairs = zip(ordered[::2], ordered[1::2], strict=False)
    return tuple((time(low // 60, low % 60), time(high // 60 % 24, high % 60)) for low, high in pairs)


HOURS = st.frozensets(st.sampled_from(EDGES) | st.integers(0, 1440), max_size=6).map(as_hours)
POOLS = st.lists(HOURS, min_size=1, max_size=3).filter(any)
WEEKDAYS = st.tuples(*[st.integers(0, 2)] * 7)
SHIFTS = st.frozensets(st.integers(-3, 3), max_size=3)


@st.composite
def weeks(draw: st.DrawFn) -> tuple[Hours, ...]:
    """Few distinct days, as real calendars have, which also keeps generation fast."""
    pool = draw(POOLS)
    week = tuple(pool[index % len(pool)] for index in draw(WEEKDAYS))
    return week if any(week) else (next(hours for hours in pool if hours), *week[1:])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    """A calendar and a start near a daylight-saving change or a holiday, on a whole minute."""
    anchor = draw(st.sampled_from(ANCHORS))
    calendar = BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        week=draw(weeks()),
        holidays=frozenset(anchor + timedelta(days=shift) for shift in draw(SHIFTS)),
        workdays=frozenset(anchor + timedelta(days=shift) for shift in draw(SHIFTS)),
        workday_hours=draw(st.none() | HOURS),
    )
    minutes = draw(st.integers(-2 * 1440, 2 * 1440))
    return calendar, datetime.combine(anchor, time(0), tzinfo=UTC) + minutes * MINUTE


def brute_elapsed(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    steps = max(0, (end - start) // MINUTE)
    return MINUTE * sum(calendar.is_open(start + step * MINUTE) for step in range(steps))


def brute_add(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, limit: int
) -> datetime | None:
    """The end of the minute that completes `duration`, or None if not within `limit` minutes."""
    left = duration // MINUTE
    for step in range(limit):
        if not left:
            return start + step * MINUTE
        left -= calendar.is_open(start + step * MINUTE)
    return start + limit * MINUTE if not left else None


@settings(max_examples=80, deadline=None)
@given(scenarios(), st.integers(-60, 3 * 1440))
def test_it_agrees_with_the_reference_on_elapsed(
    scenario: tuple[BusinessCalendar, datetime], minutes: int
) -> None:
    calendar, start = scenario
    end = start + minutes * MINUTE
    assert calendar.elapsed(start, end) == brute_elapsed(calendar, start, end)


@settings(max_examples=80, deadline=None)
@given(scenarios(), st.integers(0, 1440))
def test_it_agrees_with_the_reference_on_add(
    scenario: tuple[BusinessCalendar, datetime], minutes: int
) -> None:
    calendar, start = scenario
    limit = 4 * 1440
    expected = brute_add(calendar, start, minutes * MINUTE, limit)
    due = calendar.add(start, minutes * MINUTE)
    if expected is None:
        assert due > start + limit * MINUTE
    else:
        assert due == expected


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(0, 10**6 * 3600 * 24 * 5), st.integers(0, 10**6 * 3600 * 6))
def test_it_adds_back_what_elapsed(
    scenario: tuple[BusinessCalendar, datetime], span: int, extra: int
) -> None:
    """Off whole minutes too: the arithmetic is exact to the microsecond."""
    calendar, start = scenario
    end = start + timedelta(microseconds=span)
    assert calendar.add(start, calendar.elapsed(start, end)) <= end
    duration = timedelta(microseconds=extra)
    assert calendar.elapsed(start, calendar.add(start, duration)) == duration


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(0, 10**6 * 60))
def test_it_finds_the_next_opening(scenario: tuple[BusinessCalendar, datetime], jitter: int) -> None:
    calendar, start = scenario
    moment = start + timedelta(microseconds=jitter)
    opening = calendar.next_open(moment)
    assert calendar.is_open(opening)
    assert calendar.elapsed(moment, opening) == timedelta(0)
    assert (opening == moment) is calendar.is_open(moment)


@settings(max_examples=100)
@given(weeks(), st.sampled_from(ZONES))
def test_it_reads_back_what_it_writes(week: tuple[Hours, ...], zone: str) -> None:
    calendar = BusinessCalendar(time_zone=zone, week=week)
    assert BusinessCalendar.parse(calendar.spec(), time_zone=zone) == calendar


def brute_next_start(calendar: BusinessCalendar, start: datetime, limit: int) -> datetime | None:
    """The first minute after `start` that is open when the minute before it was not."""
    for step in range(1, limit):
        moment = start + step * MINUTE
        if calendar.is_open(moment) and not calendar.is_open(moment - MINUTE):
            return moment
    return None


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_it_finds_the_start_of_the_next_opening(scenario: tuple[BusinessCalendar, datetime]) -> None:
    """Someone absent during a shift is expected at the next one: the rest of the current opening
    is skipped, touching intervals (and a spring-forward jump between them) count as one."""
    calendar, start = scenario
    limit = 4 * 1440
    expected = brute_next_start(calendar, start, limit)
    found = calendar.next_start(start)
    if expected is None:
        assert found is None or found >= start + (limit - 1) * MINUTE
    else:
        assert found == expected


def test_the_next_start_skips_the_shift_under_way() -> None:
    monday = date(2026, 11, 23)
    assert DAYTIME.next_start(at(monday, 10)) == at(date(2026, 11, 24), 8)
    assert DAYTIME.next_start(at(monday, 7)) == at(monday, 8)
    assert SPLIT.next_start(at(monday, 9)) == at(monday, 13)  # after lunch
    assert DAYTIME.next_start(at(date(2026, 9, 30), 21)) == at(date(2026, 10, 8), 8)  # National Day
    assert BusinessCalendar.always().next_start(at(monday, 9)) is None  # never closes, never reopens
