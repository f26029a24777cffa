"""Search over the knowledge base and the script library, for the help center, the agent's
sidebar and the bot.

The API, all of it taking an open unit of work:

- `search_articles(uow, principal, query, k=5, locale=None, include_drafts=False)` → ranked
  `ArticleHit`s (the `Article` row, `confidence` in [0, 1], `score`, `matched` field). With
  `principal` None (the bot, an anonymous visitor) or a customer, only published articles are
  searched, whatever is asked; `include_drafts` is honoured for staff who write knowledge.
- `search_scripts(uow, principal, query, k=5, locale=None)` → `ScriptHit`s, published scripts
  only (they are what an agent may send), staff only.
- `suggest_for_ticket(uow, principal, ticket_id)` → `Suggestions` (articles and scripts for the
  ticket's subject and latest customer messages): the agent's sidebar.

How it stays current. One `HybridIndex` per database per process holds published and draft
articles and scripts (archived ones are removed), tagged with `status` and `locale` so a search
can be narrowed with `where`. It is built from the database on first use. The services that
save articles and scripts call `refresh_after_commit`, which updates this process's index once
the transaction commits (never for a rollback). Other processes (`serve --workers N`) notice
changes by a one-row query — count and latest `updated_at` of both tables — at most every
`CHECK_SECONDS`, and then re-read the rows changed since (with a window for transactions that
committed out of order). Every hit is re-read from the database before it is returned, so a hit
the index still has but the database no longer shows to this caller is dropped.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.errors import NotFound
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.domain.labels import SUPPORTED_LOCALES, label
from servicedesk.domain.roles import Permission, Principal
from servicedesk.nlp.embeddings import Encoder
from servicedesk.nlp.retrieval import Document, HybridIndex
from servicedesk.services.access import access_ticket_by_id
from servicedesk.store.knowledge import Article, Script
from servicedesk.store.models import Message
from servicedesk.store.uow import UnitOfWork

ARTICLE, SCRIPT = "article", "script"
CHECK_SECONDS = 2.0  # how stale another process's change may be in this one
LATE_COMMIT_WINDOW = timedelta(seconds=30)  # rows re-read behind the newest seen updated_at
SUGGEST_MESSAGES = 3  # the latest customer messages that, with the subject, make the query
SUGGEST_CHARS = 600
# A ticket's text is long, so even a fitting article covers a small share of it (0.05–0.4, less
# in a young knowledge base where every article shares the same few words, so idf is low).
# Suggestions keep hits above a floor (one shared "订单" or "怎么" scores ~0.01) and within
# SUGGEST_NEAR_BEST of the best hit of their kind, so a clear answer is not buried in noise.
SUGGEST_FLOOR = 0.01
SUGGEST_NEAR_BEST = 0.25


def article_document(article: Article) -> Document | None:
    """What the index knows of an article; None when it must not be found (archived)."""
    if article.status is ContentStatus.ARCHIVED:
        return None
    filters = {"status": article.status.value, "locale": article.locale}
    if article.product:
        filters["product"] = article.product
    return Document(
        id=f"{ARTICLE}:{article.id}",
        title=article.title,
        questions=tuple(article.questions),
        body=article.body,
        tags=tuple(article.tags),
        kind=ARTICLE,
        filters=filters,
    )


def script_document(script: Script) -> Document | None:
    if script.status is ContentStatus.ARCHIVED:
        return None
    filters = {"status": script.status.value, "locale": script.locale, "scenario": script.scenario.value}
    if script.channel is not None:
        filters["channel"] = script.channel.value
    # the scenario's names are words an agent's case uses ("退款", "refund")
    tags = tuple(label(script.scenario, loc) for loc in SUPPORTED_LOCALES)
    return Document(
        id=f"{SCRIPT}:{script.id}",
        title=script.title,
        body=script.body,
        tags=tags,
        kind=SCRIPT,
        filters=filters,
    )


def _parse_id(doc_id: str) -> tuple[str, int]:
    kind, _, number = doc_id.partition(":")
    return kind, int(number)


@dataclass
class _Mark:
    """How far this process has read a table: its size and newest change."""

    count: int = 0
    newest: datetime | None = None


class KnowledgeIndex:
    """One process's index of one database's articles and scripts; see the module doc."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder
        self.index = HybridIndex(encoder)
        self.loaded = False
        self._loading = False
        self._lock = asyncio.Lock()
        self._checked_at = 0.0
        self._marks = {ARTICLE: _Mark(), SCRIPT: _Mark()}
        self._early: list[Article | Script] = []  # committed while the first load was running

    def apply(self, rows: Iterable[Article | Script]) -> None:
        """Upsert or remove the documents of rows as they are now."""
        upserts: list[Document] = []
        for row in rows:
            doc = article_document(row) if isinstance(row, Article) else script_document(row)
            if doc is None:
                self.index.remove(f"{ARTICLE if isinstance(row, Article) else SCRIPT}:{row.id}")
            else:
                upserts.append(doc)
        self.index.upsert_many(upserts)

    def committed(self, rows: Sequence[Article | Script]) -> None:
        """A change of this process, just committed. Before the first load there is nothing to
        update (the load reads it); during the load it is kept to apply after."""
        if self._loading:
            self._early.extend(rows)
        elif self.loaded:
            self.apply(rows)

    async def ready(self, uow: UnitOfWork) -> KnowledgeIndex:
        """Load on first use; afterwards, at most every CHECK_SECONDS, catch up with changes
        made by other processes."""
        if self.loaded and time.monotonic() - self._checked_at < CHECK_SECONDS:
            return self
        async with self._lock:
            if not self.loaded:
                await self._load(uow)
            elif time.monotonic() - self._checked_at >= CHECK_SECONDS:
                await self._catch_up(uow)
        return self

    async def _marks_now(self, uow: UnitOfWork) -> dict[str, _Mark]:
        a = (await uow.session.execute(select(func.count(Article.id), func.max(Article.updated_at)))).one()
        s = (await uow.session.execute(select(func.count(Script.id), func.max(Script.updated_at)))).one()
        return {ARTICLE: _Mark(int(a[0] or 0), a[1]), SCRIPT: _Mark(int(s[0] or 0), s[1])}

    async def _load(self, uow: UnitOfWork) -> None:
        self._loading = True
        try:
            await self._build(uow)
        finally:
            self._loading = False
        early, self._early = self._early, []
        self.apply(early)

    async def _build(self, uow: UnitOfWork) -> None:
        marks = await self._marks_now(uow)
        articles = list(
            await uow.session.scalars(select(Article).where(Article.status != ContentStatus.ARCHIVED))
        )
        scripts = list(
            await uow.session.scalars(select(Script).where(Script.status != ContentStatus.ARCHIVED))
        )
        docs = [
            d for d in (*map(article_document, articles), *map(script_document, scripts)) if d is not None
        ]
        fresh = HybridIndex(self.encoder)  # built aside: searches meanwhile use the old one
        await asyncio.to_thread(fresh.upsert_many, docs)  # 100k articles: seconds of CPU
        self.index = fresh
        self._marks, self._checked_at, self.loaded = marks, time.monotonic(), True

    async def _catch_up(self, uow: UnitOfWork) -> None:
        marks = await self._marks_now(uow)
        self._checked_at = time.monotonic()
        for kind, model in ((ARTICLE, Article), (SCRIPT, Script)):
            seen, now = self._marks[kind], marks[kind]
            if (seen.count, seen.newest) == (now.count, now.newest):
                continue
            if now.count < seen.count or seen.newest is None:  # rows went away: start again
                self.loaded = False
                await self._load(uow)
                return
            since = seen.newest - LATE_COMMIT_WINDOW
            changed: Sequence[Any] = list(
                await uow.session.scalars(select(model).where(model.updated_at >= since))
            )
            self.apply(changed)
        self._marks = marks


_indexes: weakref.WeakKeyDictionary[Any, KnowledgeIndex] = weakref.WeakKeyDictionary()
_encoder: Encoder | None = None


def use_encoder(encoder: Encoder | None) -> None:
    """Fuse dense embeddings into indexes built from now on (issue 4: optional, local only)."""
    global _encoder
    _encoder = encoder
    _indexes.clear()


def index_of(uow: UnitOfWork) -> KnowledgeIndex:
    """This process's index of the database `uow` talks to (one per engine, so two test
    databases, or two apps in one process, never share one)."""
    engine = uow.session.bind
    found = _indexes.get(engine)
    if found is None:
        found = _indexes[engine] = KnowledgeIndex(_encoder)
    return found


def refresh_after_commit(
    uow: UnitOfWork, *, articles: Sequence[Article] = (), scripts: Sequence[Script] = ()
) -> None:
    """Update this process's index with these rows once `uow` commits. Call it from every
    service that changes an article or a script, before committing."""
    rows: list[Article | Script] = [*articles, *scripts]
    if not rows:
        return
    target = index_of(uow)

    async def hook() -> None:
        target.committed(rows)

    uow.after_commit(hook)


# --- searching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleHit:
    article: Article
    confidence: float  # [0, 1]: how much of the question the article covers; threshold this
    score: float
    matched: str  # "title", "question", "tags" or "body"


@dataclass(frozen=True, slots=True)
class ScriptHit:
    script: Script
    confidence: float
    score: float
    matched: str


H = TypeVar("H", ArticleHit, ScriptHit)


@dataclass(frozen=True, slots=True)
class Suggestions:
    query: str
    articles: list[ArticleHit]
    scripts: list[ScriptHit]


def _drafts_allowed(principal: Principal | None) -> bool:
    return principal is not None and principal.can(Permission.WRITE_KNOWLEDGE)


def _where(status: ContentStatus | None, locale: str | None) -> dict[str, str] | None:
    where = {}
    if status is not None:
        where["status"] = status.value
    if locale:
        where["locale"] = locale
    return where or None


async def search_articles(
    uow: UnitOfWork,
    principal: Principal | None,
    query: str,
    *,
    k: int = 5,
    locale: str | None = None,
    include_drafts: bool = False,
    min_confidence: float = 0.0,
) -> list[ArticleHit]:
    """The best articles for `query`, best first. Published only unless the caller writes
    knowledge and asks for drafts too."""
    if not query.strip() or k <= 0:
        return []
    drafts = include_drafts and _drafts_allowed(principal)
    index = (await index_of(uow).ready(uow)).index
    where = _where(None if drafts else ContentStatus.PUBLISHED, locale)
    hits = [h for h in index.search(query, k=k, kind=ARTICLE, where=where) if h.confidence >= min_confidence]
    ids = [_parse_id(h.id)[1] for h in hits]
    allowed = (ContentStatus.PUBLISHED, ContentStatus.DRAFT) if drafts else (ContentStatus.PUBLISHED,)
    rows = {
        a.id: a
        for a in await uow.session.scalars(
            select(Article).where(Article.id.in_(ids), Article.status.in_(allowed))
        )
    }
    return [
        ArticleHit(rows[i], h.confidence, h.score, h.matched)
        for i, h in zip(ids, hits, strict=True)
        if i in rows
    ]


async def search_scripts(
    uow: UnitOfWork,
    principal: Principal,
    query: str,
    *,
    k: int = 5,
    locale: str | None = None,
    min_confidence: float = 0.0,
) -> list[ScriptHit]:
    """Approved (published) scripts for `query`, for staff."""
    if not principal.role.is_staff:
        raise NotFound("not found")
    if not query.strip() or k <= 0:
        return []
    index = (await index_of(uow).ready(uow)).index
    hits = [
        h
        for h in index.search(query, k=k, kind=SCRIPT, where=_where(ContentStatus.PUBLISHED, locale))
        if h.confidence >= min_confidence
    ]
    ids = [_parse_id(h.id)[1] for h in hits]
    rows = {
        s.id: s
        for s in await uow.session.scalars(
            select(Script).where(Script.id.in_(ids), Script.status == ContentStatus.PUBLISHED)
        )
    }
    return [
        ScriptHit(rows[i], h.confidence, h.score, h.matched)
        for i, h in zip(ids, hits, strict=True)
        if i in rows
    ]


async def ticket_query(uow: UnitOfWork, ticket_id: int, subject: str) -> str:
    """What a ticket is about: its subject and the customer's latest messages."""
    latest = list(
        await uow.session.scalars(
            select(Message.body)
            .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.INBOUND)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(SUGGEST_MESSAGES)
        )
    )
    return "\n".join([subject, *reversed(latest)])[:SUGGEST_CHARS]


async def suggest_for_ticket(
    uow: UnitOfWork, principal: Principal, ticket_id: int, *, k: int = 5, locale: str | None = None
) -> Suggestions:
    """Published articles and scripts relevant to a ticket the caller (staff) may see."""
    if not principal.role.is_staff:
        raise NotFound(f"ticket {ticket_id} not found")
    ticket = await access_ticket_by_id(uow, principal, ticket_id)
    query = await ticket_query(uow, ticket.id, ticket.subject)
    floor = SUGGEST_FLOOR
    articles = await search_articles(uow, principal, query, k=k, locale=locale, min_confidence=floor)
    scripts = await search_scripts(uow, principal, query, k=k, locale=locale, min_confidence=floor)
    return Suggestions(query, _near_best(articles), _near_best(scripts))


def _near_best(hits: list[H]) -> list[H]:
    best = max((h.confidence for h in hits), default=0.0)
    return [h for h in hits if h.confidence >= best * SUGGEST_NEAR_BEST]
