from __future__ import annotations

from datetime import timedelta

import pytest

from servicedesk.domain.labels import duration_words


@pytest.mark.parametrize(
    ("minutes", "zh", "en"),
    [
        (0, "0分钟", "0 min"),
        (8, "8分钟", "8 min"),
        (1152, "19小时 12分钟", "19 h 12 min"),  # a long queue reads in hours, not 1,152 minutes
        (24 * 60 + 5, "1天 5分钟", "1 d 5 min"),
        (-90, "-1小时 30分钟", "-1 h 30 min"),  # overdue
    ],
)
def test_a_length_of_time_reads_as_people_say_it(minutes: int, zh: str, en: str) -> None:
    value = timedelta(minutes=minutes)
    assert (duration_words(value, "zh"), duration_words(value, "en")) == (zh, en)
