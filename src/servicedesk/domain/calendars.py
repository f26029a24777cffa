"""Business calendars: when a team is at work, so SLA clocks only run while someone can answer.

Opening hours are local wall-clock intervals in the calendar's time zone; durations are real
(absolute) time. One rule bridges the two, and the minute-by-minute reference in the tests
states it: an instant is open when its local wall-clock time lies in an interval of its local
date. So on a spring-forward day the skipped hour is simply never open (Europe/Berlin 01:00–04:00
lasts 2 hours), and on a fall-back day the repeated hour is open both times it happens (the same
interval lasts 4 hours) — every instant is judged by the clock on the wall, as a customer would.

Arithmetic steps day by day over intervals, never minute by minute: the SLA worker computes
deadlines for many thousands of tickets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[time, time]
Hours = tuple[Interval, ...]
Week = tuple[Hours, ...]
_Deltas = tuple[tuple[timedelta, timedelta], ...]
_Span = tuple[datetime, datetime]

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_MIDNIGHT = time(0)
_SEARCH_DAYS = 3660  # add/next_open give up after about ten years of closed days
_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ZH_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY: Hours = ((_MIDNIGHT, _MIDNIGHT),)
_DAYTIME: Week = (((time(8), time(22)),),) * 7  # R-IN-5: staffed 08:00–22:00 every day


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Weekly opening hours (Monday first; an end of 00:00 means 24:00) plus dated exceptions.

    A date in both `holidays` and `workdays` is a holiday: closing is the safe reading when two
    sources disagree, and callers that want a custom working day must drop it from the holidays.
    """

    time_zone: str = "Asia/Shanghai"
    week: Week = _DAYTIME
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days (调休上班)
    workday_hours: Hours | None = None  # hours on make-up days; None = Monday's
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _deltas: tuple[_Deltas, ...] = field(init=False, repr=False, compare=False)  # Mon..Sun, make-up
    _always: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError(f"a week has 7 days of hours (Monday first), got {len(self.week)}")
        week = tuple(_checked(hours, _NAMES[index]) for index, hours in enumerate(self.week))
        extra = None if self.workday_hours is None else _checked(self.workday_hours, "make-up days")
        made_up = week[0] if extra is None else extra
        if not any(week) and not (self.workdays and made_up):
            raise ValueError("the calendar is never open: give at least one opening interval")
        deltas = tuple(_deltas(hours) for hours in (*week, made_up))
        always = not self.holidays and all(h == _FULL_DAY for h in week) and made_up == _FULL_DAY
        for name, value in (
            ("week", week),
            ("workday_hours", extra),
            ("holidays", frozenset(self.holidays)),
            ("workdays", frozenset(self.workdays)),
            ("_zone", _zone(self.time_zone)),
            ("_deltas", deltas),
            ("_always", always),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def always(cls, time_zone: str = "Asia/Shanghai") -> BusinessCalendar:
        """Around the clock: SLA targets in plain elapsed time."""
        return cls(time_zone=time_zone, week=(_FULL_DAY,) * 7)

    @classmethod
    def parse(
        cls,
        spec: str,
        *,
        time_zone: str = "Asia/Shanghai",
        holidays: Iterable[date] = frozenset(),
        workdays: Iterable[date] = frozenset(),
        workday_hours: Hours | None = None,
    ) -> BusinessCalendar:
        """Read what an admin types, e.g. "mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00".

        Days not mentioned are closed; "daily" means all seven; ranges may wrap ("fri-mon");
        Chinese punctuation (；，：～) is accepted because that is what a Chinese keyboard types.
        """
        week: list[Hours | None] = [None] * 7
        for clause in filter(None, (part.strip() for part in _normalised(spec).split(";"))):
            days, hours = _parse_clause(clause)
            for day in days:
                if week[day] is not None:
                    raise ValueError(f"{_NAMES[day]} is given twice (in {clause!r})")
                week[day] = hours
        return cls(
            time_zone=time_zone,
            week=tuple(hours or () for hours in week),
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            workday_hours=workday_hours,
        )

    def spec(self) -> str:
        """The weekly hours in `parse`'s syntax (dated exceptions are stored apart)."""
        return "; ".join(
            f"{_days_text(days, 'daily', '-', ',', _NAMES)} {_hours_text(hours, '-', ',')}"
            for hours, days in self._groups()
        )

    def describe(self, locale: str = "zh") -> str:
        """A short line for customers and agents; any locale not starting with "zh" is English."""
        zh = locale.lower().startswith("zh")
        if all(hours == _FULL_DAY for hours in self.week):
            text = "全天 24 小时" if zh else "24/7"
        elif zh:
            text = "；".join(
                f"{_days_text(days, '每天', '至', '、', _ZH_NAMES)} {_hours_text(hours, '–', ', ')}"
                for hours, days in self._groups()
            )
        else:
            text = "; ".join(
                f"{_days_text(days, 'Daily', '–', ', ', _EN_NAMES)} {_hours_text(hours, '–', ', ')}"
                for hours, days in self._groups()
            )
        if not text:
            text = "不定期营业" if zh else "Open on listed days only"
        if self.holidays:
            text += "（节假日除外）" if zh else " (closed on holidays)"
        return text

    def hours_on(self, day: date) -> Hours:
        """The local opening intervals of one date, exceptions applied."""
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self.week[0] if self.workday_hours is None else self.workday_hours
        return self.week[day.weekday()]

    def is_open(self, at: datetime) -> bool:
        local = _utc(at).astimezone(self._zone)
        now = local.time()
        return any(
            start <= now and (now < end or end == _MIDNIGHT) for start, end in self.hours_on(local.date())
        )

    def next_open(self, at: datetime) -> datetime:
        """`at` itself (in UTC) when open, else the next opening; ValueError after ~10 closed years."""
        at = _utc(at)
        if self._always:
            return at
        for begin, _ in self._open_after(at, at.date() + timedelta(days=_SEARCH_DAYS)):
            return begin
        raise ValueError(f"the calendar does not open within {_SEARCH_DAYS} days of {at}")

    def next_start(self, at: datetime) -> datetime | None:
        """The next instant after `at` at which an opening begins, skipping the rest of one
        running at `at` (touching intervals are one opening); None when there is none within
        about ten years — a calendar open around the clock never opens again.

        For someone absent while their shift runs: the earliest they are expected is the next one.
        """
        at = _utc(at)
        if self._always:
            return None
        run_end = at if self.is_open(at) else None
        for begin, end in self._open_after(at, at.date() + timedelta(days=_SEARCH_DAYS)):
            if run_end is None:
                return begin
            if begin > run_end:
                return begin
            run_end = max(run_end, end)
        return None

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant (UTC) `t >= start` with `elapsed(start, t) == duration`.

        Earliest, so a target that is used up exactly at closing time falls due at closing,
        not at the next opening.
        """
        start = _utc(start)
        if duration < _ZERO:
            raise ValueError(f"a business duration cannot be negative, got {duration}")
        if not duration or self._always:
            return start + duration
        left = duration
        for begin, end in self._open_after(start, start.date() + timedelta(days=_SEARCH_DAYS)):
            if end - begin >= left:
                return begin + left
            left -= end - begin
        raise ValueError(f"{duration} of business time is not reached within {_SEARCH_DAYS} days")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end); zero when end <= start."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return _ZERO
        if self._always:
            return end - start
        total = _ZERO
        for begin, stop in self._open_after(start, end.date() + _DAY):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total

    def _groups(self) -> list[tuple[Hours, list[int]]]:
        """Weekdays sharing the same hours, in order of their first day; closed days left out."""
        groups: dict[Hours, list[int]] = {}
        for index, hours in enumerate(self.week):
            if hours:
                groups.setdefault(hours, []).append(index)
        return list(groups.items())

    def _open_after(self, start: datetime, last: date) -> Iterator[_Span]:
        """Open spans from `start` on, clipped to it; local dates up to `last`.

        A local date's intervals lie within a day either side of its UTC date (offsets are
        under 24 hours), so starting from the UTC date before `start` misses nothing.
        """
        for begin, end in self._spans(start.date() - _DAY, last):
            if end > start:
                yield max(begin, start), end

    def _spans(self, first: date, last: date) -> Iterator[_Span]:
        """Open spans of local dates first..last, in real-time order.

        A fall-back across midnight (America/Santiago) puts the end of one local date after the
        start of the next, so spans wait until no later date can yield an earlier one: a date's
        spans begin after its own midnight read as UTC minus one day.
        """
        pending: list[_Span] = []
        day = first
        while day <= last:
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            pending.extend(self._day_spans(day, midnight))
            pending.sort()
            while pending and pending[0][0] <= midnight:
                yield pending.pop(0)
            day += _DAY
        yield from pending

    def _day_spans(self, day: date, midnight: datetime) -> Iterator[_Span]:
        """One local date's intervals in real time; `midnight` is its wall-clock 00:00 labelled UTC.

        Around an offset change a wall-clock interval [a, b) is the instants before the change
        whose wall clock reads in [a, b) plus those after it that do — two pieces at most.
        """
        if day in self.holidays:
            return
        deltas = self._deltas[7 if day in self.workdays else day.weekday()]
        if not deltas:
            return
        before, change, after = _offsets(self._zone, day)
        for low, high in deltas:
            start, end = midnight + low, midnight + high
            if change is None:
                yield start - before, end - before
                continue
            if start - before < min(end - before, change):
                yield start - before, min(end - before, change)
            if max(start - after, change) < end - after:
                yield max(start - after, change), end - after


def china_official(years: Iterable[int] | None = None) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up workdays) of the State Council's calendar, per `chinese_calendar`.

    Years the package has no data for contribute nothing rather than failing: a calendar must
    keep working on 1 January of a year whose schedule is not yet published — the UI warns
    instead, using `china_official_years`.
    """
    import chinese_calendar  # type: ignore[import-untyped]  # loaded on first use: the module stays light

    wanted = None if years is None else frozenset(years)

    def pick(dates: Iterable[date]) -> frozenset[date]:
        return frozenset(day for day in dates if wanted is None or day.year in wanted)

    return pick(chinese_calendar.holidays), pick(chinese_calendar.workdays)


@cache
def china_official_years() -> range:
    """The years `china_official` has data for."""
    holidays, workdays = china_official()
    years = [day.year for day in holidays | workdays]
    return range(min(years), max(years) + 1)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"business calendars need an aware datetime, got naive {at}")
    return at.astimezone(UTC)


def _zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {key!r}") from error


@lru_cache(maxsize=8192)
def _offsets(zone: ZoneInfo, day: date) -> tuple[timedelta, datetime | None, timedelta]:
    """(offset before, instant of change or None, offset after) for wall-clock times on `day`.

    Those times are real instants within a day either side of the date, so the offsets at
    both ends of that three-day window decide: no zone in tzdata has changed offset twice within
    four days since 1970.
    """
    first = datetime(day.year, day.month, day.day, tzinfo=UTC) - _DAY
    last = first + 3 * _DAY
    before, after = _offset_at(zone, first), _offset_at(zone, last)
    if before == after:
        return before, None, after
    return before, _change(zone, first, last, before), after


def _change(zone: ZoneInfo, low: datetime, high: datetime, before: timedelta) -> datetime:
    """The first instant in (low, high] whose offset is not `before` (changes fall on whole seconds)."""
    low_s, high_s = 0, int((high - low).total_seconds())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if _offset_at(zone, low + timedelta(seconds=middle)) == before:
            low_s = middle
        else:
            high_s = middle
    return low + timedelta(seconds=high_s)


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset() or _ZERO


def _checked(hours: Iterable[Interval], where: str) -> Hours:
    """Whole-minute, sorted, non-overlapping intervals; touching ones are allowed."""
    checked = tuple((start, end) for start, end in hours)
    previous_end = 0
    for start, end in checked:
        for moment in (start, end):
            if (
                not isinstance(moment, time)
                or moment.tzinfo is not None
                or moment.second
                or moment.microsecond
            ):
                raise ValueError(f"{where}: opening times are naive whole minutes, got {moment!r}")
        low, high = _minutes(start), _minutes(end) or 24 * 60
        if low >= high:
            raise ValueError(f"{where}: {_hours_text(((start, end),), '-', ',')} ends before it starts")
        if low < previous_end:
            raise ValueError(f"{where}: intervals must be sorted and must not overlap")
        previous_end = high
    return checked


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _deltas(hours: Hours) -> _Deltas:
    return tuple(
        (timedelta(minutes=_minutes(start)), timedelta(minutes=_minutes(end) or 24 * 60))
        for start, end in hours
    )


# -- the admin's text form ---------------------------------------------------------------------

_PUNCTUATION = str.maketrans(
    {"；": ";", "，": ",", "、": ",", "：": ":", "–": "-", "—": "-", "~": "-", "～": "-"}
)
_CLAUSE = re.compile(r"(?P<days>[a-z][a-z,\s-]*?)\s+(?P<hours>\d.*)")
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def _normalised(spec: str) -> str:
    return spec.translate(_PUNCTUATION).lower()


def _parse_clause(clause: str) -> tuple[list[int], Hours]:
    match = _CLAUSE.fullmatch(clause)
    if match is None:
        raise ValueError(f"expected days then hours, like 'mon-fri 08:00-22:00', got {clause!r}")
    days = [day for part in match["days"].split(",") for day in _parse_days(part.strip(), clause)]
    intervals = [_parse_interval(part.strip(), clause) for part in match["hours"].split(",")]
    return days, _checked(intervals, repr(clause))


def _parse_days(text: str, clause: str) -> list[int]:
    if text == "daily":
        return list(range(7))
    first, _, last = (part.strip() for part in text.partition("-"))
    start = _day_index(first, clause)
    end = _day_index(last, clause) if last else start
    return [(start + step) % 7 for step in range((end - start) % 7 + 1)]


def _day_index(name: str, clause: str) -> int:
    for names in (_NAMES, _LONG_NAMES):
        if name in names:
            return names.index(name)
    raise ValueError(f"unknown day {name!r} in {clause!r} (use mon, tue, … sun or daily)")


def _parse_interval(text: str, clause: str) -> Interval:
    match = _INTERVAL.fullmatch(text)
    if match is None:
        raise ValueError(f"expected an interval like 08:00-12:00, got {text!r} in {clause!r}")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError(f"no such time in {text!r} (in {clause!r})")
    return time(start_h, start_m), time(end_h % 24, end_m)


def _days_text(days: list[int], every: str, through: str, sep: str, names: tuple[str, ...]) -> str:
    """Consecutive days as ranges ("mon-fri,sun"); all seven as `every`."""
    if len(days) == 7:
        return every
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return sep.join(
        names[run[0]] if len(run) == 1 else f"{names[run[0]]}{through}{names[run[-1]]}" for run in runs
    )


def _hours_text(hours: Hours, dash: str, sep: str) -> str:
    return sep.join(
        f"{start:%H:%M}{dash}{'24:00' if end == _MIDNIGHT else f'{end:%H:%M}'}" for start, end in hours
    )
