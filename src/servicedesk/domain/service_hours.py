"""When staffed channels are open (R-IN-5: 08:00–22:00 every day by default), and when they next
open — so a customer writing at night is told honestly when to expect a person.

Business calendars with holidays and make-up days (issue 5) will refine this; the daily window
in the service's time zone is what every channel needs from day one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class ServiceHours:
    opens: time = time(8, 0)
    closes: time = time(22, 0)
    time_zone: str = "Asia/Shanghai"

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("service hours need an aware datetime")
        return at.astimezone(ZoneInfo(self.time_zone))

    def is_open(self, at: datetime) -> bool:
        now = self._local(at).time()
        if self.opens == self.closes:
            return True  # around the clock
        if self.opens < self.closes:
            return self.opens <= now < self.closes
        return now >= self.opens or now < self.closes  # a window past midnight (e.g. 20:00–02:00)

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when open; otherwise the next moment the window opens (aware, local)."""
        local = self._local(at)
        if self.is_open(at):
            return local
        today = local.replace(hour=self.opens.hour, minute=self.opens.minute, second=0, microsecond=0)
        return today if today > local else today + timedelta(days=1)

    def describe(self) -> str:
        if self.opens == self.closes:
            return "00:00–24:00"  # around the clock, not the empty-looking 00:00–00:00
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"
