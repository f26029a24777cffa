"""One answer in several languages: the versions of an article or a script (R-KB-1, R-BOT-2).

A translation is an ordinary article (or script) in another language whose `translation_of_id`
names the source, so it has its own revisions, history, status and owner, and editors work on
it with every tool they already have. Versions form a flat family — the source and its
translations; a translation of a translation joins the source — with at most one live
(not archived) version per language, so "the English version" always means one row.

The bot and the help center ask `version_in` for the published version in the reader's
language and fall back to the one they found, saying so (`services.assistant`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import or_, select

from servicedesk.domain.errors import Conflict, ValidationFailed
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.store.knowledge import Article, Script
from servicedesk.store.uow import UnitOfWork

Row = TypeVar("Row", Article, Script)


def root_id(row: Article | Script) -> int:
    return row.translation_of_id if row.translation_of_id is not None else row.id


async def source_for(uow: UnitOfWork, row: Row, locale: str, *, field: str = "translation_of") -> Row:
    """The source a new `locale` version of `row` hangs from, checked: another language than
    the source's, and none live in that language yet (409 naming it). The source row is locked
    on PostgreSQL so two editors adding the same language at once cannot both succeed."""
    model = type(row)
    stmt = select(model).where(model.id == root_id(row))
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    source = await uow.session.scalar(stmt)
    assert source is not None  # a foreign key
    if source.locale == locale:
        raise ValidationFailed(
            "a translation is in another language", fields={"locale": f"the source is already {locale}"}
        )
    taken = await _live_in(uow, source, locale)
    if taken is not None:
        raise Conflict(
            f"{model.__name__.lower()} {source.id} already has a {locale} version: {taken.id}",
            fields={field: f"the {locale} version is {taken.id}"},
        )
    return source


async def check_locale_change(uow: UnitOfWork, row: Row, locale: str) -> None:
    """Moving a version to another language must not give its family two of one language."""
    if locale == row.locale:
        return
    others = [
        v for v in await versions(uow, row) if v.id != row.id and v.status is not ContentStatus.ARCHIVED
    ]
    if any(v.locale == locale for v in others):
        kind = type(row).__name__.lower()
        raise ValidationFailed(
            f"this {kind} already has a {locale} version",
            fields={"locale": f"another version is already {locale}"},
        )


async def _live_in(uow: UnitOfWork, source: Row, locale: str) -> Row | None:
    model = type(source)
    return await uow.session.scalar(
        select(model)
        .where(model.translation_of_id == source.id, model.locale == locale)
        .where(model.status != ContentStatus.ARCHIVED)
        .order_by(model.id)
        .limit(1)
    )


async def versions(uow: UnitOfWork, row: Row) -> list[Row]:
    """The whole family, the source first, then by language."""
    model = type(row)
    source = root_id(row)
    rows = list(
        await uow.session.scalars(
            select(model).where(or_(model.id == source, model.translation_of_id == source))
        )
    )
    return sorted(rows, key=lambda r: (r.id != source, r.locale, r.id))


async def version_in(uow: UnitOfWork, row: Row, locale: str) -> Row | None:
    """The published version of `row` in `locale` (`row` itself when it is that), or None."""
    if row.locale == locale and row.status is ContentStatus.PUBLISHED:
        return row
    model = type(row)
    source = root_id(row)
    return await uow.session.scalar(
        select(model)
        .where(or_(model.id == source, model.translation_of_id == source))
        .where(model.locale == locale, model.status == ContentStatus.PUBLISHED)
        .order_by(model.updated_at.desc(), model.id.desc())
        .limit(1)
    )


async def in_reader_language(uow: UnitOfWork, rows: Sequence[Row], locale: str) -> list[Row]:
    """One entry per family, in the order of first appearance, each the published version in
    `locale` where there is one (a help-center list shows "Returns" to an English reader, not
    "Returns" beside "退换货政策"). One read for the whole list."""
    if not rows:
        return []
    model = type(rows[0])
    roots = list(dict.fromkeys(root_id(r) for r in rows))
    wanted = {
        root_id(v): v
        for v in await uow.session.scalars(
            select(model)
            .where(or_(model.id.in_(roots), model.translation_of_id.in_(roots)))
            .where(model.locale == locale, model.status == ContentStatus.PUBLISHED)
        )
    }
    first: dict[int, Row] = {}
    for row in rows:
        first.setdefault(root_id(row), row)
    return [wanted.get(root) or first[root] for root in roots]
