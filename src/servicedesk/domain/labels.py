"""Human labels for every enumerated value, in Simplified Chinese and English.

Kept apart from the enums so that adding a language touches one table, not every class.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

Locale = str
SUPPORTED_LOCALES: tuple[Locale, ...] = ("zh", "en")
DEFAULT_LOCALE: Locale = "zh"

_LABELS: dict[str, tuple[str, str]] = {}


def register(value: StrEnum, zh: str, en: str) -> None:
    _LABELS[f"{type(value).__name__}.{value.value}"] = (zh, en)


def label(value: StrEnum, locale: Locale = DEFAULT_LOCALE) -> str:
    """The label of `value` in `locale`, falling back to the raw value if none is registered."""
    pair = _LABELS.get(f"{type(value).__name__}.{value.value}")
    if pair is None:
        return value.value
    return pair[1] if locale == "en" else pair[0]


def duration_words(value: timedelta, locale: Locale = DEFAULT_LOCALE) -> str:
    """A length of time as people say it, to the minute: 1天 2小时 5分钟 / 1 d 2 h 5 min;
    negative is overdue. For staff pages and for what customers are told alike (a wait of 1,152
    minutes reads as 19小时 12分钟)."""
    minutes = abs(int(value.total_seconds())) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = ("d", "h", "min") if locale == "en" else ("天", "小时", "分钟")
    sep = " " if locale == "en" else ""
    parts = [f"{n}{sep}{u}" for n, u in zip((days, hours, mins), units, strict=True) if n]
    text = " ".join(parts) or f"0{sep}{units[2]}"
    return f"-{text}" if value < timedelta(0) else text
