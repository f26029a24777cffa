"""An article's history: every saved state with its author, and what changed between two of them.

Split from `services.knowledge` (which writes the revisions) because reading and comparing them
is its own concern: line diffs per field, unified and side by side, for the editor's history
page and the API.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import select

from servicedesk.domain.errors import NotFound
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.domain.roles import Principal
from servicedesk.services.knowledge import content_fields, reads_drafts, revision_of
from servicedesk.services.staff import names_of
from servicedesk.store.knowledge import Article, ArticleRevision
from servicedesk.store.uow import UnitOfWork

DIFFED = ("title", "questions", "body", "tags", "product", "product_version", "review_by", "status")


@dataclass(frozen=True, slots=True)
class RevisionView:
    revision: ArticleRevision
    author_name: str | None


async def _staff_article(uow: UnitOfWork, principal: Principal, article_id: int) -> Article:
    """History is an editing tool: for the people who write knowledge."""
    article = await uow.session.get(Article, article_id)
    if article is None or not reads_drafts(principal):
        raise NotFound(f"article {article_id} not found")
    return article


async def history(uow: UnitOfWork, principal: Principal, article_id: int) -> list[RevisionView]:
    """Every saved state, newest first, with who saved it and why."""
    await _staff_article(uow, principal, article_id)
    rows = list(
        await uow.session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article_id)
            .order_by(ArticleRevision.revision.desc())
        )
    )
    names = await names_of(uow, (r.author_id for r in rows))
    return [RevisionView(r, names.get(r.author_id or 0)) for r in rows]


LineKind = Literal["equal", "changed", "added", "removed"]


@dataclass(frozen=True, slots=True)
class SideBySideRow:
    """One line of a two-column diff; a number is None where that side has no line."""

    kind: LineKind
    left_no: int | None
    left: str
    right_no: int | None
    right: str


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    before: str
    after: str
    unified: list[str]
    rows: list[SideBySideRow]

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class ArticleDiff:
    article_id: int
    a: int
    b: int
    fields: list[FieldDiff] = field(default_factory=list)

    @property
    def changed(self) -> list[FieldDiff]:
        return [f for f in self.fields if f.changed]


def _as_text(value: Any) -> str:
    """Lists one item per line (a phrasing added is a line added), dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, ContentStatus):
        return value.value
    return str(value)


def side_by_side(before: Sequence[str], after: Sequence[str]) -> list[SideBySideRow]:
    rows: list[SideBySideRow] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                SideBySideRow("equal", i + 1, before[i], j + 1, after[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        left, right = list(range(i1, i2)), list(range(j1, j2))
        for n in range(max(len(left), len(right))):
            li = left[n] if n < len(left) else None
            rj = right[n] if n < len(right) else None
            kind: LineKind = (
                "changed" if li is not None and rj is not None else ("removed" if li is not None else "added")
            )
            rows.append(SideBySideRow(
                kind, li + 1 if li is not None else None, before[li] if li is not None else "",
                rj + 1 if rj is not None else None, after[rj] if rj is not None else "",
            ))  # fmt: skip
    return rows


def field_diff(name: str, before: Any, after: Any, *, a: int, b: int, context: int = 3) -> FieldDiff:
    old, new = _as_text(before), _as_text(after)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    unified = list(
        difflib.unified_diff(old_lines, new_lines, f"{name}@{a}", f"{name}@{b}", n=context, lineterm="")
    )
    return FieldDiff(name, old, new, unified, side_by_side(old_lines, new_lines))


async def diff(
    uow: UnitOfWork, principal: Principal, article_id: int, a: int, b: int, *, context: int = 3
) -> ArticleDiff:
    """What changed from revision `a` to revision `b`, field by field, line by line."""
    await _staff_article(uow, principal, article_id)
    old, new = await revision_of(uow, article_id, a), await revision_of(uow, article_id, b)
    before, after = content_fields(old), content_fields(new)
    fields = [field_diff(n, before[n], after[n], a=a, b=b, context=context) for n in DIFFED]
    return ArticleDiff(article_id, a, b, fields)
