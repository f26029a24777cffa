"""Moving articles in and out (R-KB-1): CSV, JSON, and a folder of Markdown files.

Every format carries the same fields (`FIELDS`). CSV is written with a byte-order mark so
Excel on a Chinese Windows opens it as UTF-8; lists (tags, questions) are one item per line
inside their cell. A Markdown file is a front matter block — one `key: value` per line, each
value written as JSON (which is also valid YAML), so any string survives — then the body. Hand-
written files may use bare values and `- item` lists too; no YAML library is needed.

Importing is idempotent: a record matches an article by `id`, else by title and locale; an
unchanged match is skipped, a changed one gets a new revision (noted "imported from …"), an
unmatched one is created. A bad record is reported with its row or file and never stops the
others.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select

from servicedesk.domain.errors import DomainError
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.services import knowledge as kb
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article
from servicedesk.store.uow import UnitOfWork

FIELDS = (
    "id",
    "title",
    "locale",
    "status",
    "product",
    "product_version",
    "review_by",
    "tags",
    "questions",
    "body",
)
LISTS = ("tags", "questions")
BATCH = 200  # records per transaction: a failed commit is reported for these rows only
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')
_FRONT = "---"


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    MD = "md"


def detect(path: Path) -> Format:
    """A folder is Markdown; a file is what its suffix says."""
    if path.is_dir():
        return Format.MD
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "json", "md"):
        return Format(suffix)
    raise ValueError(f"cannot tell the format of {path.name}; pass --format csv, json or md")


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One article as read from a file, not yet validated."""

    where: str  # "row 3", "faq/0007-发票.md"
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RowError:
    where: str
    message: str


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [line.strip() for line in str(value).splitlines() if line.strip()]


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"review_by: not a date (YYYY-MM-DD): {str(value)[:40]!r}") from None


def _as_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"id: not a number: {text[:20]!r}")
    return int(text)


def _optional(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value)


def parse_record(record: Record) -> tuple[int | None, kb.Content, ContentStatus]:
    """The record as service input; ValueError or ValidationFailed names what is wrong."""
    v = record.values
    unknown = sorted(set(v) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    status_text = str(v.get("status") or ContentStatus.DRAFT.value).strip()
    try:
        status = ContentStatus(status_text)
    except ValueError:
        raise ValueError(f"status: one of draft, published, archived, not {status_text[:20]!r}") from None
    content = kb.Content(
        title=str(v.get("title") or ""),
        body=str(v.get("body") or ""),
        questions=tuple(_as_list(v.get("questions"))),
        tags=tuple(t for item in _as_list(v.get("tags")) for t in item.split(",")),
        product=_optional(v.get("product")),
        product_version=_optional(v.get("product_version")),
        locale=str(v.get("locale") or "zh").strip(),
        review_by=_as_date(v.get("review_by")),
    ).cleaned()
    if status is ContentStatus.PUBLISHED and not content.body:
        raise ValueError("body: a published article needs a body")
    return _as_id(v.get("id")), content, status


def as_values(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "locale": article.locale,
        "status": article.status.value,
        "product": article.product,
        "product_version": article.product_version,
        "review_by": article.review_by.isoformat() if article.review_by else None,
        "tags": list(article.tags),
        "questions": list(article.questions),
        "body": article.body,
    }


# --- reading files ----------------------------------------------------------------------------


def read_csv(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=2):  # row 1 is the header
            values = {k.strip(): v for k, v in row.items() if k is not None and (v or "").strip() != ""}
            if None in row:
                values["_extra"] = row[None]
            yield Record(f"row {number}", values)


def read_json(path: Path) -> Iterator[Record]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    items = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError('expected a list of articles, or {"articles": [...]}')
    for number, item in enumerate(items, start=1):
        yield Record(f"item {number}", item if isinstance(item, dict) else {"_not_an_object": item})


def _scalar(raw: str) -> Any:
    raw = raw.strip()
    if raw == "":
        return ""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # a bare value written by hand


def parse_markdown(text: str) -> dict[str, Any]:
    """Front matter (`key: value` lines, JSON or bare values, `- item` lists) and the body."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _FRONT:
        return {"body": text.strip()}
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FRONT)
    except StopIteration:
        raise ValueError("front matter is not closed with ---") from None
    values: dict[str, Any] = {}
    key: str | None = None
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s*-\s+(.*)$", line)
        if item and key is not None:
            current = values.get(key)
            values[key] = [*(current if isinstance(current, list) else []), _scalar(item.group(1))]
            continue
        name, sep, raw = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"line {number}: expected 'key: value'")
        key = name.strip()
        values[key] = _scalar(raw)
    values["body"] = "\n".join(lines[end + 1 :]).strip()
    return values


def read_markdown(folder: Path) -> Iterator[Record]:
    for path in sorted(folder.glob("*.md")):
        where = path.name
        try:
            yield Record(where, parse_markdown(path.read_text(encoding="utf-8")))
        except (ValueError, UnicodeDecodeError) as error:
            yield Record(where, {"_unreadable": str(error)})


def read_records(path: Path, fmt: Format | None = None) -> list[Record]:
    """All records of a file or folder; raises ValueError when the file itself is unreadable."""
    fmt = fmt or detect(path)
    if fmt is Format.MD:
        if not path.is_dir():
            raise ValueError(f"{path} is not a folder of .md files")
        return list(read_markdown(path))
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    try:
        return list(read_csv(path) if fmt is Format.CSV else read_json(path))
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"cannot read {path.name}: {error}") from error


# --- writing files ----------------------------------------------------------------------------


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in LISTS:
        return "\n".join(value)
    return str(value)


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(k, row.get(k)) for k in FIELDS})


def write_json(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    path.write_text(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def to_markdown(row: Mapping[str, Any]) -> str:
    head = [f"{k}: {json.dumps(row.get(k), ensure_ascii=False)}" for k in FIELDS if k != "body"]
    return "\n".join([_FRONT, *head, _FRONT, "", str(row.get("body") or ""), ""])


def markdown_name(row: Mapping[str, Any]) -> str:
    slug = _UNSAFE_NAME.sub("-", str(row.get("title") or "")).strip("-.")[:40] or "article"
    return f"{int(row['id']):05d}-{slug}.md" if row.get("id") else f"{slug}.md"


def write_markdown(folder: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (folder / markdown_name(row)).write_text(to_markdown(row), encoding="utf-8")


def write(
    path: Path, fmt: Format, rows: Sequence[Mapping[str, Any]], progress: Callable[[int], None] | None = None
) -> None:
    def counted() -> Iterator[Mapping[str, Any]]:
        for row in rows:
            yield row
            if progress:
                progress(1)

    {Format.CSV: write_csv, Format.JSON: write_json, Format.MD: write_markdown}[fmt](path, counted())


# --- the database side ------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.skipped + len(self.errors)


def _message(error: Exception) -> str:
    if isinstance(error, DomainError):
        details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        return f"{error.message} ({details})" if details else error.message
    return str(error)


async def _match(uow: UnitOfWork, article_id: int | None, content: kb.Content) -> Article | None:
    if article_id is not None:
        found = await uow.session.get(Article, article_id)
        if found is not None:
            return found
    return await uow.session.scalar(
        select(Article)
        .where(Article.title == content.title, Article.locale == content.locale)
        .order_by(Article.id)
        .limit(1)
    )


async def _import_one(uow: UnitOfWork, record: Record, note: str) -> str:
    """'created', 'updated' or 'skipped'; raises for a bad record before changing anything."""
    for marker in ("_unreadable", "_not_an_object", "_extra"):
        if marker in record.values:
            raise ValueError({"_extra": "more cells than columns"}.get(marker, str(record.values[marker])))
    article_id, content, status = parse_record(record)
    existing = await _match(uow, article_id, content)
    if existing is None:
        await kb.add_article(uow, None, content, status=status, note=note)
        return "created"
    changed = await kb.revise(uow, None, existing, content, status=status, note=note)
    return "updated" if changed else "skipped"


async def import_records(
    db: Database,
    records: Sequence[Record],
    *,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create, update or skip each record as the system (no user): the operator's tool."""
    report = ImportReport()
    note = f"imported from {source}"[: kb.MAX_NOTE]
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        outcomes: list[str] = []
        async with UnitOfWork(db) as uow:
            for record in batch:
                try:
                    outcomes.append(await _import_one(uow, record, note))
                except (DomainError, ValueError) as error:
                    report.errors.append(RowError(record.where, _message(error)))
            try:
                await uow.commit()
            except DomainError as error:
                report.errors.extend(RowError(r.where, f"not saved: {_message(error)}") for r in batch)
                outcomes = []
        report.created += outcomes.count("created")
        report.updated += outcomes.count("updated")
        report.skipped += outcomes.count("skipped")
        if progress:
            progress(len(batch))
    return report


async def export_rows(
    db: Database, statuses: Sequence[ContentStatus] = tuple(ContentStatus)
) -> list[dict[str, Any]]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Article).where(Article.status.in_(list(statuses))).order_by(Article.id)
        )
        return [as_values(a) for a in rows]
