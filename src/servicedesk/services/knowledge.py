"""Knowledge articles (R-KB-1, R-KB-4): drafting, publishing, the version history, stale flags.

Every save — an edit, a status change, a restore — adds an `ArticleRevision` and an audit event
in the same transaction, so the history is complete and never rewritten: restoring an old
revision writes a new one equal to it. `Article.revision` is the optimistic version: a writer
states the revision it edited and loses with a Conflict if someone saved in between.

Who may do what (domain.roles): anyone, signed in or not, reads published articles; staff with
WRITE_KNOWLEDGE draft and read drafts; PUBLISH_KNOWLEDGE publishes, archives, restores, edits
what is already live, and sets product versions. Drafts and archived articles are "not found"
for everybody else, so an id reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, or_, select, update

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.knowledge import ContentStatus, StaleReason, stale_reasons
from servicedesk.domain.labels import SUPPORTED_LOCALES
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import translations
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.services.knowledge_index import refresh_after_commit
from servicedesk.services.staff import names_of
from servicedesk.services.tickets import normalize_tags
from servicedesk.store.knowledge import Article, ArticleRevision, Product
from servicedesk.store.models import Message, TicketTag
from servicedesk.store.search import contains
from servicedesk.store.uow import UnitOfWork

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_QUESTIONS = 50
MAX_QUESTION = 200
MAX_NOTE = 500
MAX_PRODUCT = 100
MAX_VERSION = 50
MAX_TAGS = 30
EDITABLE = ("title", "body", "questions", "tags", "product", "product_version", "locale", "review_by")
# the fields a revision keeps and a diff compares (status too: a publish is a save)
SOLVED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


# --- reading rules -------------------------------------------------------------------------


def reads_drafts(principal: Principal | None) -> bool:
    """Drafts and archived articles are for the people who write them."""
    return principal is not None and principal.can(Permission.WRITE_KNOWLEDGE)


def _visible(article: Article | None, principal: Principal | None) -> bool:
    return article is not None and (article.status is ContentStatus.PUBLISHED or reads_drafts(principal))


def visible_statuses(principal: Principal | None) -> tuple[ContentStatus, ...]:
    if reads_drafts(principal):
        return tuple(ContentStatus)
    return (ContentStatus.PUBLISHED,)


# --- cleaning input ------------------------------------------------------------------------


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned or len(cleaned) > MAX_TITLE:
        raise ValidationFailed("invalid title", fields={"title": f"1 to {MAX_TITLE} characters"})
    return cleaned


def clean_body(body: str) -> str:
    if len(body) > MAX_BODY:
        raise ValidationFailed("article too long", fields={"body": f"at most {MAX_BODY} characters"})
    return body.strip()


def clean_questions(questions: Iterable[str]) -> list[str]:
    """Other phrasings of the question, one per entry: blanks dropped, repeats kept once."""
    cleaned = list(dict.fromkeys(" ".join(q.split()) for q in questions if q and q.strip()))
    if len(cleaned) > MAX_QUESTIONS or any(len(q) > MAX_QUESTION for q in cleaned):
        raise ValidationFailed(
            "too many or too long questions",
            fields={"questions": f"at most {MAX_QUESTIONS} phrasings of {MAX_QUESTION} characters"},
        )
    return cleaned


def clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = normalize_tags(tags)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed("too many tags", fields={"tags": f"at most {MAX_TAGS} tags"})
    return cleaned


def _optional_text(value: str | None, name: str, max_len: int) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) > max_len:
        raise ValidationFailed(f"{name} too long", fields={name: f"at most {max_len} characters"})
    return cleaned or None


def clean_locale(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        raise ValidationFailed("unknown locale", fields={"locale": " or ".join(SUPPORTED_LOCALES)})
    return locale


def clean_note(note: str) -> str:
    cleaned = " ".join(note.split())
    if len(cleaned) > MAX_NOTE:
        raise ValidationFailed("note too long", fields={"note": f"at most {MAX_NOTE} characters"})
    return cleaned


@dataclass(frozen=True, slots=True)
class Content:
    """What an author writes: the article without its bookkeeping."""

    title: str
    body: str = ""
    questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    product: str | None = None
    product_version: str | None = None
    locale: str = "zh"
    review_by: date | None = None

    def cleaned(self) -> Content:
        product = _optional_text(self.product, "product", MAX_PRODUCT)
        version = _optional_text(self.product_version, "product_version", MAX_VERSION)
        if version and not product:
            raise ValidationFailed("a version needs a product", fields={"product_version": "set product"})
        return Content(
            title=clean_title(self.title),
            body=clean_body(self.body),
            questions=tuple(clean_questions(self.questions)),
            tags=tuple(clean_tags(self.tags)),
            product=product,
            product_version=version,
            locale=clean_locale(self.locale),
            review_by=self.review_by,
        )


def content_fields(article: Article | ArticleRevision) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "questions": list(article.questions),
        "tags": list(article.tags),
        "product": article.product,
        "product_version": article.product_version,
        "review_by": article.review_by,
        "status": article.status,
    }


def _event_value(name: str, value: Any) -> Any:
    """Audit events keep short values; a body is recorded by its length, not copied."""
    if name == "body":
        return {"length": len(value or "")}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, ContentStatus):
        return value.value
    return value


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return [k for k in after if before.get(k) != after[k]]


# --- saving --------------------------------------------------------------------------------


def _snapshot(uow: UnitOfWork, article: Article, actor: Principal | None, note: str) -> ArticleRevision:
    return ArticleRevision(
        article_id=article.id,
        revision=article.revision,
        title=article.title,
        body=article.body,
        questions=list(article.questions),
        tags=list(article.tags),
        product=article.product,
        product_version=article.product_version,
        status=article.status,
        review_by=article.review_by,
        author_id=actor.user_id if actor else None,
        note=note,
        created_at=uow.now(),
    )


async def _claim_revision(uow: UnitOfWork, article: Article, expected: int | None) -> None:
    """Move the article to its next revision only if nobody else did: a conditional UPDATE, so
    two writers that both read revision N cannot both save N+1 (on PostgreSQL the second waits
    for the first's row lock, then finds the revision moved)."""
    current = article.revision
    if expected is not None and expected != current:
        raise Conflict(
            f"article {article.id} was changed by someone else (revision {current}, you edited "
            f"{expected}); reload and try again",
            fields={"revision": f"current revision is {current}"},
        )
    claimed = await uow.session.execute(
        update(Article)
        .where(Article.id == article.id, Article.revision == current)
        .values(revision=current + 1)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], claimed).rowcount != 1:
        raise Conflict(
            f"article {article.id} was changed by someone else just now; reload and try again",
            fields={"revision": "changed concurrently"},
        )
    article.revision = current + 1


def _record(
    uow: UnitOfWork,
    actor: Principal | None,
    action: str,
    article: Article,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    note: str,
) -> None:
    changed = _changes(before, after)
    extra: dict[str, Any] = {"revision": article.revision}
    if note:
        extra["note"] = note
    uow.record(
        actor, action, subject_type="article", subject_id=article.id,
        before={k: _event_value(k, before.get(k)) for k in changed} or None,
        after={k: _event_value(k, after[k]) for k in changed} | extra,
    )  # fmt: skip


async def create_article(
    uow: UnitOfWork,
    actor: Principal,
    content: Content,
    *,
    note: str = "",
    source_ticket_id: int | None = None,
    translation_of: int | None = None,
) -> Article:
    """A new draft at revision 1, owned by its author; with `translation_of`, that article's
    version in `content.locale` (`services.translations`)."""
    require(actor, Permission.WRITE_KNOWLEDGE)
    content = content.cleaned()
    source = None
    if translation_of is not None:
        found = await uow.session.get(Article, translation_of)
        if not _visible(found, actor):
            raise ValidationFailed(
                "unknown article", fields={"translation_of": f"no article {translation_of}"}
            )
        assert found is not None
        source = await translations.source_for(uow, found, content.locale)
    article = await add_article(
        uow, actor, content, note=clean_note(note), source_ticket_id=source_ticket_id, translation_of=source
    )
    await uow.commit()
    return article


async def add_article(
    uow: UnitOfWork,
    actor: Principal | None,
    content: Content,
    *,
    status: ContentStatus = ContentStatus.DRAFT,
    note: str = "",
    source_ticket_id: int | None = None,
    translation_of: Article | None = None,
) -> Article:
    """The insert behind `create_article` and the importer — cleaned content, no permission
    check, not committed. `actor` None is the system (the command line). `translation_of` is
    a checked source (`translations.source_for`)."""
    now = uow.now()
    article = Article(
        title=content.title, body=content.body, questions=list(content.questions),
        tags=list(content.tags), product=content.product, product_version=content.product_version,
        locale=content.locale, status=status, owner_id=actor.user_id if actor else None,
        review_by=content.review_by, source_ticket_id=source_ticket_id, revision=1,
        created_at=now, updated_at=now, published_at=now if status is ContentStatus.PUBLISHED else None,
        translation_of_id=translation_of.id if translation_of is not None else None,
    )  # fmt: skip
    uow.session.add(article)
    await uow.session.flush()
    uow.session.add(_snapshot(uow, article, actor, note))
    created = content_fields(article) | {"locale": article.locale}
    if translation_of is not None:
        created["translation_of"] = translation_of.id
    _record(uow, actor, "article.created", article, {}, created, note)
    refresh_after_commit(uow, articles=[article])
    return article


async def _load_for_write(uow: UnitOfWork, actor: Principal, article_id: int) -> Article:
    article = await uow.session.get(Article, article_id)
    if not _visible(article, actor):
        raise NotFound(f"article {article_id} not found")
    assert article is not None
    return article


def _may_edit(actor: Principal, article: Article) -> None:
    """Drafts are anyone's who writes knowledge; what is live or retired is the editors'."""
    require(actor, Permission.WRITE_KNOWLEDGE)
    if article.status is not ContentStatus.DRAFT and not actor.can(Permission.PUBLISH_KNOWLEDGE):
        raise Forbidden(
            f"only a knowledge editor may change a {article.status.value} article; "
            "ask an expert or a supervisor, or propose the change in a note"
        )


async def update_article(
    uow: UnitOfWork,
    actor: Principal,
    article_id: int,
    *,
    changes: Mapping[str, Any],
    expected_revision: int,
    note: str = "",
) -> Article:
    """Change any of EDITABLE, as of `expected_revision` (the revision the author edited)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed("unknown fields", fields={f: "not editable" for f in sorted(unknown)})
    article = await _load_for_write(uow, actor, article_id)
    _may_edit(actor, article)
    merged = _merge(content_of(article), changes).cleaned()
    _check_revision(article, expected_revision)
    await translations.check_locale_change(uow, article, merged.locale)
    if await revise(uow, actor, article, merged, expected_revision=expected_revision, note=clean_note(note)):
        await uow.commit()
    return article


def content_of(article: Article) -> Content:
    return Content(
        title=article.title, body=article.body, questions=tuple(article.questions),
        tags=tuple(article.tags), product=article.product, product_version=article.product_version,
        locale=article.locale, review_by=article.review_by,
    )  # fmt: skip


async def revise(
    uow: UnitOfWork,
    actor: Principal | None,
    article: Article,
    content: Content,
    *,
    status: ContentStatus | None = None,
    expected_revision: int | None = None,
    note: str = "",
) -> bool:
    """Save cleaned `content` (and `status`) as the article's next revision, with its audit
    event — no permission check, not committed; False when nothing would change. The core of
    `update_article` and of the importer (`actor` None: the command line)."""
    status = status or article.status
    if status is ContentStatus.PUBLISHED and not content.body:
        raise ValidationFailed("a published article needs a body", fields={"body": "required"})
    before = content_fields(article) | {"locale": article.locale}
    _apply(article, content)
    article.status = status
    after = content_fields(article) | {"locale": article.locale}
    if after == before:
        return False
    await _claim_revision(uow, article, expected_revision)
    now = uow.now()
    article.updated_at = now
    if status is ContentStatus.PUBLISHED and before["status"] is not ContentStatus.PUBLISHED:
        article.published_at = now
    uow.session.add(_snapshot(uow, article, actor, note))
    _record(uow, actor, "article.updated", article, before, after, note)
    refresh_after_commit(uow, articles=[article])
    return True


def _check_revision(article: Article, expected: int | None) -> None:
    if expected is not None and expected != article.revision:
        raise Conflict(
            f"article {article.id} was changed by someone else (revision {article.revision}, "
            f"you edited {expected}); reload and try again",
            fields={"revision": f"current revision is {article.revision}"},
        )


def _merge(current: Content, changes: Mapping[str, Any]) -> Content:
    values: dict[str, Any] = {
        "title": current.title, "body": current.body, "questions": current.questions,
        "tags": current.tags, "product": current.product, "product_version": current.product_version,
        "locale": current.locale, "review_by": current.review_by,
    }  # fmt: skip
    for name, value in changes.items():
        if name in ("title", "body", "locale", "questions", "tags") and value is None:
            raise ValidationFailed("required field", fields={name: "may not be null"})
        values[name] = tuple(value) if name in ("questions", "tags") else value
    return Content(**values)


def _apply(article: Article, content: Content) -> None:
    article.title, article.body = content.title, content.body
    article.questions, article.tags = list(content.questions), list(content.tags)
    article.product, article.product_version = content.product, content.product_version
    article.locale, article.review_by = content.locale, content.review_by


_STATUS_ACTIONS = {
    ContentStatus.PUBLISHED: "article.published",
    ContentStatus.ARCHIVED: "article.archived",
    ContentStatus.DRAFT: "article.unpublished",
}


async def set_article_status(
    uow: UnitOfWork,
    actor: Principal,
    article_id: int,
    status: ContentStatus,
    *,
    expected_revision: int | None = None,
    note: str = "",
) -> Article:
    """Publish, archive, or take back to draft: an editor's decision, saved as a revision."""
    article = await _load_for_write(uow, actor, article_id)
    require(actor, Permission.PUBLISH_KNOWLEDGE)
    note = clean_note(note)
    _check_revision(article, expected_revision)
    if article.status is status:
        return article
    if status is ContentStatus.PUBLISHED and not article.body.strip():
        raise ValidationFailed("write the answer before publishing", fields={"body": "required"})
    before = content_fields(article)
    await _claim_revision(uow, article, expected_revision)
    now = uow.now()
    article.status, article.updated_at = status, now
    if status is ContentStatus.PUBLISHED:
        article.published_at = now
    uow.session.add(_snapshot(uow, article, actor, note))
    _record(uow, actor, _STATUS_ACTIONS[status], article, before, content_fields(article), note)
    refresh_after_commit(uow, articles=[article])
    await uow.commit()
    return article


async def restore_article(
    uow: UnitOfWork,
    actor: Principal,
    article_id: int,
    revision: int,
    *,
    expected_revision: int | None = None,
    note: str = "",
) -> Article:
    """Bring back the content of an old revision as a new revision; the status stays as it is,
    so restoring wording never quietly unpublishes (or publishes) an article."""
    article = await _load_for_write(uow, actor, article_id)
    require(actor, Permission.PUBLISH_KNOWLEDGE)
    old = await revision_of(uow, article_id, revision)
    note = clean_note(note) or f"restored revision {revision}"
    _check_revision(article, expected_revision)
    if article.status is ContentStatus.PUBLISHED and not old.body.strip():
        raise ValidationFailed("that revision has no body to publish", fields={"revision": "empty body"})
    before = content_fields(article)
    await _claim_revision(uow, article, expected_revision)
    article.title, article.body = old.title, old.body
    article.questions, article.tags = list(old.questions), list(old.tags)
    article.product, article.product_version = old.product, old.product_version
    article.review_by = old.review_by
    article.updated_at = uow.now()
    uow.session.add(_snapshot(uow, article, actor, note))
    _record(uow, actor, "article.restored", article, before, content_fields(article), note)
    refresh_after_commit(uow, articles=[article])
    await uow.commit()
    return article


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article with what a list or page shows beside it; `versions` (the article's page
    only) are its language versions the reader may see, itself included."""

    article: Article
    stale: tuple[StaleReason, ...]
    owner_name: str | None = None
    versions: tuple[Article, ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    status: ContentStatus | None = None
    product: str | None = None
    stale: bool | None = None  # True: only stale ones; False: only fresh ones
    locale: str | None = None
    q: str | None = None  # words in the title or the body, as written


@dataclass(frozen=True, slots=True)
class ArticlePage:
    items: list[ArticleView]
    has_more: bool


def today(uow: UnitOfWork) -> date:
    return uow.now().date()


async def product_versions(uow: UnitOfWork) -> dict[str, str | None]:
    rows = await uow.session.execute(select(Product.name, Product.current_version))
    return {name: version for name, version in rows}


def stale_of(article: Article, products: Mapping[str, str | None], on: date) -> tuple[StaleReason, ...]:
    return stale_reasons(
        today=on,
        review_by=article.review_by,
        covers_version=article.product_version,
        current_version=products.get(article.product) if article.product else None,
    )


def _filtered(principal: Principal | None, f: ArticleFilter, dialect: str) -> Select[Article]:
    allowed = visible_statuses(principal)
    if f.status is not None and f.status not in allowed:
        allowed = ()
    elif f.status is not None:
        allowed = (f.status,)
    stmt = select(Article).where(Article.status.in_(allowed))
    if f.product:
        stmt = stmt.where(Article.product == f.product)
    if f.locale:
        stmt = stmt.where(Article.locale == f.locale)
    if f.q and f.q.strip():
        term = " ".join(f.q.split())[:200]
        stmt = stmt.where(
            or_(contains(Article.title, term, dialect=dialect), contains(Article.body, term, dialect=dialect))
        )
    if f.stale:  # a cheap superset; the version rule (2.10 > 2.9) is decided in Python
        stmt = stmt.where(or_(Article.review_by.is_not(None), Article.product_version.is_not(None)))
    return stmt


async def list_articles(
    uow: UnitOfWork,
    principal: Principal | None,
    *,
    filters: ArticleFilter | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ArticlePage:
    """Newest change first. Customers and anonymous readers get published articles only,
    whatever they ask for."""
    f = filters or ArticleFilter()
    stmt = _filtered(principal, f, uow.dialect).order_by(Article.updated_at.desc(), Article.id.desc())
    products, on = await product_versions(uow), today(uow)
    if f.stale is None:
        rows = list(await uow.session.scalars(stmt.offset(offset).limit(limit + 1)))
        views = [ArticleView(a, stale_of(a, products, on)) for a in rows]
    else:
        everything = [ArticleView(a, stale_of(a, products, on)) for a in await uow.session.scalars(stmt)]
        chosen = [v for v in everything if bool(v.stale) == f.stale]
        views = chosen[offset : offset + limit + 1]
    names = await names_of(uow, (v.article.owner_id for v in views)) if reads_drafts(principal) else {}
    items = [ArticleView(v.article, v.stale, names.get(v.article.owner_id or 0)) for v in views[:limit]]
    return ArticlePage(items=items, has_more=len(views) > limit)


async def get_article(uow: UnitOfWork, principal: Principal | None, article_id: int) -> ArticleView:
    article = await uow.session.get(Article, article_id)
    if not _visible(article, principal):
        raise NotFound(f"article {article_id} not found")
    assert article is not None
    names = await names_of(uow, [article.owner_id]) if reads_drafts(principal) else {}
    stale = stale_of(article, await product_versions(uow), today(uow))
    versions = tuple(v for v in await translations.versions(uow, article) if _visible(v, principal))
    return ArticleView(article, stale, names.get(article.owner_id or 0), versions)


async def articles_by_ids(
    uow: UnitOfWork, principal: Principal | None, ids: Sequence[int]
) -> dict[int, Article]:
    """The visible ones among `ids` (the search index may be a moment behind the database)."""
    if not ids:
        return {}
    rows = await uow.session.scalars(
        select(Article).where(Article.id.in_(list(ids)), Article.status.in_(visible_statuses(principal)))
    )
    return {a.id: a for a in rows}


async def revision_of(uow: UnitOfWork, article_id: int, revision: int) -> ArticleRevision:
    row = await uow.session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article_id, ArticleRevision.revision == revision
        )
    )
    if row is None:
        raise NotFound(
            f"article {article_id} has no revision {revision}", fields={"revision": "no such revision"}
        )
    return row


# --- products --------------------------------------------------------------------------------


async def list_products(uow: UnitOfWork) -> list[Product]:
    return list(await uow.session.scalars(select(Product).order_by(Product.name)))


async def set_product_version(
    uow: UnitOfWork, actor: Principal, *, name: str, current_version: str | None
) -> Product:
    """Record a product's current version (creating the product if new): articles written for
    an older version turn stale at once."""
    require(actor, Permission.PUBLISH_KNOWLEDGE)
    product_name = _optional_text(name, "name", MAX_PRODUCT)
    if not product_name:
        raise ValidationFailed("name the product", fields={"name": "required"})
    version = _optional_text(current_version, "current_version", MAX_VERSION)
    product = await uow.session.scalar(select(Product).where(Product.name == product_name))
    before = {"current_version": product.current_version} if product else {}
    if product is None:
        product = Product(name=product_name, current_version=version, updated_at=uow.now())
        uow.session.add(product)
        await uow.session.flush()
    elif product.current_version == version:
        return product
    product.current_version, product.updated_at = version, uow.now()
    uow.record(
        actor, "product.version_set", subject_type="product", subject_id=product.id,
        before=before or None, after={"name": product.name, "current_version": version},
    )  # fmt: skip
    await uow.commit()
    return product


async def product_names_in_use(uow: UnitOfWork) -> list[str]:
    """Products that articles name, registered or not (the editor's suggestions)."""
    registered = select(Product.name)
    used = select(Article.product).where(Article.product.is_not(None)).distinct()
    names = {n for n in await uow.session.scalars(registered)} | {
        n for n in await uow.session.scalars(used) if n
    }
    return sorted(names)


# --- from a solved ticket (R-KB-4) ----------------------------------------------------------


async def draft_from_ticket(uow: UnitOfWork, actor: Principal, ticket_id: int) -> Article:
    """A draft answer from a solved case: its subject is the question, the customer's first
    message a phrasing of it, the staff replies the body to edit into an answer."""
    require(actor, Permission.WRITE_KNOWLEDGE)
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    if ticket.status not in SOLVED:
        raise ValidationFailed(
            "only a solved case can become an article",
            fields={"ticket_id": "resolve or close the ticket first"},
        )
    messages = list(
        await uow.session.scalars(
            select(Message)
            .where(Message.ticket_id == ticket.id, Message.kind.in_((MessageKind.INBOUND, MessageKind.REPLY)))
            .order_by(Message.created_at, Message.id)
        )
    )
    first = next((m.body for m in messages if m.kind is MessageKind.INBOUND), "")
    phrasing = " ".join(first.split())[:MAX_QUESTION]
    replies = "\n\n".join(m.body.strip() for m in messages if m.kind is MessageKind.REPLY and not m.automatic)
    tags = await uow.session.scalars(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id))
    content = Content(
        title=ticket.subject[:MAX_TITLE], body=replies[:MAX_BODY],
        questions=(phrasing,) if phrasing else (), tags=tuple(list(tags)[:MAX_TAGS]),
    )  # fmt: skip
    return await create_article(
        uow, actor, content, note=f"drafted from ticket #{ticket.id}", source_ticket_id=ticket.id
    )


async def count_articles(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.count()).select_from(Article)) or 0)
