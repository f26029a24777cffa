"""Human labels for every enumerated value, in Simplified Chinese and English.

Kept apart from the enums so that adding a language touches one table, not every class.
"""

from __future__ import annotations

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
