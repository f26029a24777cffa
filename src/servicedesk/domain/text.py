"""Free text as people type it into forms and API bodies: trimmed, checked for length, refused
with the field named — one rule for titles, reasons, notes and answers everywhere."""

from __future__ import annotations

from servicedesk.domain.errors import ValidationFailed


def one_line(value: str, field: str, limit: int, *, required: bool = True, message: str | None = None) -> str:
    """Runs of whitespace (newlines too) become one space. Optional text may come back empty."""
    cleaned = " ".join(value.split())
    return _checked(cleaned, field, limit, required, message)


def paragraph(value: str, field: str, limit: int, *, message: str | None = None) -> str:
    """Line breaks kept, only the ends trimmed; must say something."""
    return _checked(value.strip(), field, limit, True, message)


def _checked(cleaned: str, field: str, limit: int, required: bool, message: str | None) -> str:
    if required and (not cleaned or len(cleaned) > limit):
        raise ValidationFailed(message or f"invalid {field}", fields={field: f"1 to {limit} characters"})
    if len(cleaned) > limit:
        raise ValidationFailed(message or f"{field} too long", fields={field: f"at most {limit} characters"})
    return cleaned
