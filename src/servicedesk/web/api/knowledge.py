"""The knowledge base and the script library under /api/v1/kb.

Reading published articles and searching them needs no sign-in (the help center and the bot
use the same data); everything else needs a signed-in staff member, and the services decide
per role: drafts for those who write knowledge, publishing for editors. Stale revisions and
versions are 409s naming the current one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from servicedesk.domain.catalog import Channel
from servicedesk.domain.knowledge import ContentStatus, ScriptScenario
from servicedesk.services import article_history
from servicedesk.services import knowledge as kb
from servicedesk.services import knowledge_index as search
from servicedesk.services import scripts as lib
from servicedesk.web.api.knowledge_schemas import (
    ArticleCreate,
    ArticleHitOut,
    ArticleList,
    ArticleOut,
    ArticleSummary,
    ArticleUpdate,
    DiffOut,
    ProductIn,
    ProductOut,
    RenderIn,
    RenderOut,
    RestoreRequest,
    RevisionOut,
    ScriptCreate,
    ScriptHitOut,
    ScriptList,
    ScriptOut,
    ScriptStatusChange,
    ScriptUpdate,
    SearchOut,
    StatusChange,
    SuggestionsOut,
)
from servicedesk.web.api.schemas import json_response
from servicedesk.web.deps import CurrentPrincipal, MaybePrincipal, UowFactory

router = APIRouter(prefix="/kb", tags=["knowledge"])
Q = Annotated[str, Query(min_length=1, max_length=500)]


async def _article(
    uow: UowFactory, principal: MaybePrincipal, article_id: int, status_code: int = 200
) -> Response:
    async with uow(write=False) as u:
        view = await kb.get_article(u, principal, article_id)
    return json_response(ArticleOut.full(view, staff=kb.reads_drafts(principal)), status_code)


# --- articles -------------------------------------------------------------------------------


@router.get("/articles", response_model=ArticleList)
async def list_articles(
    principal: MaybePrincipal,
    uow: UowFactory,
    status: ContentStatus | None = None,
    product: Annotated[str | None, Query(max_length=kb.MAX_PRODUCT)] = None,
    stale: bool | None = None,
    locale: Literal["zh", "en"] | None = None,
    q: Annotated[str | None, Query(max_length=200, description="words in the title or body")] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> Response:
    """Newest change first. Without WRITE_KNOWLEDGE (customers, anonymous) only published ones."""
    filters = kb.ArticleFilter(status=status, product=product, stale=stale, locale=locale, q=q)
    async with uow(write=False) as u:
        page = await kb.list_articles(u, principal, filters=filters, limit=limit, offset=offset)
    items = [ArticleSummary.of(v) for v in page.items]
    return json_response(ArticleList(items=items, next_offset=offset + limit if page.has_more else None))


@router.post("/articles", response_model=ArticleOut, status_code=201)
async def create_article(body: ArticleCreate, principal: CurrentPrincipal, uow: UowFactory) -> Response:
    """A new draft; the answer carries its `Location`. With `translation_of` it is that
    article's version in `locale` (one per language: 409 naming the existing one)."""
    async with uow() as u:
        article = await kb.create_article(
            u, principal, body.content(), note=body.note, translation_of=body.translation_of
        )
    answer = await _article(uow, principal, article.id, 201)
    answer.headers["Location"] = f"/api/v1/kb/articles/{article.id}"
    return answer


@router.get("/articles/{article_id}", response_model=ArticleOut)
async def get_article(article_id: int, principal: MaybePrincipal, uow: UowFactory) -> Response:
    return await _article(uow, principal, article_id)


@router.patch("/articles/{article_id}", response_model=ArticleOut)
async def update_article(
    article_id: int, body: ArticleUpdate, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    changes = body.model_dump(exclude_unset=True, exclude={"revision", "note"})
    async with uow() as u:
        await kb.update_article(
            u, principal, article_id, changes=changes, expected_revision=body.revision, note=body.note
        )
    return await _article(uow, principal, article_id)


async def _set_status(
    uow: UowFactory, principal: CurrentPrincipal, article_id: int, status: ContentStatus, body: StatusChange
) -> Response:
    async with uow() as u:
        await kb.set_article_status(
            u, principal, article_id, status, expected_revision=body.revision, note=body.note
        )
    return await _article(uow, principal, article_id)


@router.post("/articles/{article_id}/publish", response_model=ArticleOut)
async def publish(
    article_id: int, body: StatusChange, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    """Knowledge editors only; an article needs a body to be published."""
    return await _set_status(uow, principal, article_id, ContentStatus.PUBLISHED, body)


@router.post("/articles/{article_id}/archive", response_model=ArticleOut)
async def archive(
    article_id: int, body: StatusChange, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    return await _set_status(uow, principal, article_id, ContentStatus.ARCHIVED, body)


@router.post("/articles/{article_id}/unpublish", response_model=ArticleOut)
async def unpublish(
    article_id: int, body: StatusChange, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    """Back to draft: off the help center and the bot until published again."""
    return await _set_status(uow, principal, article_id, ContentStatus.DRAFT, body)


@router.post("/articles/{article_id}/restore", response_model=ArticleOut)
async def restore(
    article_id: int, body: RestoreRequest, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    """The old revision's content as a new revision; the history is never rewritten."""
    async with uow() as u:
        await kb.restore_article(
            u, principal, article_id, body.revision, expected_revision=body.expected_revision, note=body.note
        )
    return await _article(uow, principal, article_id)


@router.get("/articles/{article_id}/history", response_model=list[RevisionOut])
async def history(article_id: int, principal: CurrentPrincipal, uow: UowFactory) -> list[RevisionOut]:
    """Every saved state, newest first."""
    async with uow(write=False) as u:
        return [RevisionOut.of(r) for r in await article_history.history(u, principal, article_id)]


@router.get("/articles/{article_id}/diff", response_model=DiffOut)
async def diff(
    article_id: int,
    principal: CurrentPrincipal,
    uow: UowFactory,
    a: Annotated[int, Query(ge=1, description="the older revision")],
    b: Annotated[int, Query(ge=1, description="the newer revision")],
    mode: Literal["unified", "side_by_side", "both"] = "both",
    context: Annotated[int, Query(ge=0, le=50)] = 3,
    only_changed: bool = True,
) -> Response:
    async with uow(write=False) as u:
        d = await article_history.diff(u, principal, article_id, a, b, context=context)
    return json_response(DiffOut.of(d, mode, only_changed=only_changed))


@router.post("/tickets/{ticket_id}/draft-article", response_model=ArticleOut, status_code=201)
async def draft_from_ticket(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> Response:
    """R-KB-4: a solved ticket becomes a draft (subject → title, first message → a phrasing,
    staff replies → body)."""
    async with uow() as u:
        article = await kb.draft_from_ticket(u, principal, ticket_id)
    answer = await _article(uow, principal, article.id, 201)
    answer.headers["Location"] = f"/api/v1/kb/articles/{article.id}"
    return answer


# --- search ----------------------------------------------------------------------------------


@router.get("/search", response_model=SearchOut)
async def search_kb(
    principal: MaybePrincipal,
    uow: UowFactory,
    q: Q,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    kind: Literal["article", "script", "all"] = "article",
    locale: Literal["zh", "en"] | None = None,
    include_drafts: bool = False,
) -> Response:
    """Hybrid (words + character bigrams, BM25) search with a confidence in [0, 1]. Anyone gets
    published articles; scripts are for staff; drafts only for those who write knowledge."""
    async with uow(write=False) as u:
        articles = []
        if kind in ("article", "all"):
            found = await search.search_articles(
                u, principal, q, k=k, locale=locale, include_drafts=include_drafts
            )
            articles = [ArticleHitOut.of(h) for h in found]
        scripts = []
        if kind in ("script", "all") and principal is not None and principal.role.is_staff:
            scripts = [
                ScriptHitOut.of(h) for h in await search.search_scripts(u, principal, q, k=k, locale=locale)
            ]
        elif kind == "script":
            return json_response(SearchOut(articles=[], scripts=[]))
    return json_response(SearchOut(articles=articles, scripts=scripts))


@router.get("/tickets/{ticket_id}/suggestions", response_model=SuggestionsOut)
async def suggestions(
    ticket_id: int,
    principal: CurrentPrincipal,
    uow: UowFactory,
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Response:
    """For the agent reading a ticket: published articles and approved scripts about it, the
    scripts rendered with the customer's name, the agent's and the ticket number."""
    async with uow(write=False) as u:
        found = await search.suggest_for_ticket(u, principal, ticket_id, k=k)
        values = await lib.values_for_ticket(u, principal, ticket_id)
    return json_response(
        SuggestionsOut(
            query=found.query,
            articles=[ArticleHitOut.of(h) for h in found.articles],
            scripts=[ScriptHitOut.of(h, values) for h in found.scripts],
        )
    )


# --- products ------------------------------------------------------------------------------


@router.get("/products", response_model=list[ProductOut])
async def list_products(principal: CurrentPrincipal, uow: UowFactory) -> list[ProductOut]:
    async with uow(write=False) as u:
        return [ProductOut.of(p) for p in await kb.list_products(u)]


@router.put("/products", response_model=ProductOut)
async def set_product(body: ProductIn, principal: CurrentPrincipal, uow: UowFactory) -> ProductOut:
    """Create a product or set its current version (editors): older articles turn stale."""
    async with uow() as u:
        product = await kb.set_product_version(
            u, principal, name=body.name, current_version=body.current_version
        )
        return ProductOut.of(product)


# --- scripts --------------------------------------------------------------------------------


@router.get("/scripts", response_model=ScriptList)
async def list_scripts(
    principal: CurrentPrincipal,
    uow: UowFactory,
    scenario: ScriptScenario | None = None,
    channel: Channel | None = None,
    locale: Literal["zh", "en"] | None = None,
    status: ContentStatus | None = None,
) -> Response:
    async with uow(write=False) as u:
        rows = await lib.list_scripts(
            u, principal, scenario=scenario, channel=channel, locale=locale, status=status
        )
    return json_response(ScriptList(items=[ScriptOut.of(s) for s in rows]))


@router.post("/scripts", response_model=ScriptOut, status_code=201)
async def create_script(body: ScriptCreate, principal: CurrentPrincipal, uow: UowFactory) -> Response:
    async with uow() as u:
        script = await lib.create_script(u, principal, body.content(), translation_of=body.translation_of)
    answer = json_response(ScriptOut.of(script), 201)
    answer.headers["Location"] = f"/api/v1/kb/scripts/{script.id}"
    return answer


@router.get("/scripts/{script_id}", response_model=ScriptOut)
async def get_script(script_id: int, principal: CurrentPrincipal, uow: UowFactory) -> Response:
    async with uow(write=False) as u:
        return json_response(ScriptOut.of(await lib.get_script(u, principal, script_id)))


@router.patch("/scripts/{script_id}", response_model=ScriptOut)
async def update_script(
    script_id: int, body: ScriptUpdate, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    async with uow() as u:
        script = await lib.update_script(
            u, principal, script_id, changes=changes, expected_version=body.version
        )
    return json_response(ScriptOut.of(script))


async def _script_status(
    uow: UowFactory,
    principal: CurrentPrincipal,
    script_id: int,
    status: ContentStatus,
    body: ScriptStatusChange,
) -> Response:
    async with uow() as u:
        script = await lib.set_script_status(u, principal, script_id, status, expected_version=body.version)
    return json_response(ScriptOut.of(script))


@router.post("/scripts/{script_id}/publish", response_model=ScriptOut)
async def approve_script(
    script_id: int, body: ScriptStatusChange, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    """Approve: the script reaches reply boxes (and, for a welcome, its channels)."""
    return await _script_status(uow, principal, script_id, ContentStatus.PUBLISHED, body)


@router.post("/scripts/{script_id}/archive", response_model=ScriptOut)
async def archive_script(
    script_id: int, body: ScriptStatusChange, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    return await _script_status(uow, principal, script_id, ContentStatus.ARCHIVED, body)


@router.post("/scripts/{script_id}/unpublish", response_model=ScriptOut)
async def unpublish_script(
    script_id: int, body: ScriptStatusChange, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    return await _script_status(uow, principal, script_id, ContentStatus.DRAFT, body)


@router.post("/scripts/{script_id}/render", response_model=RenderOut)
async def render_script(
    script_id: int, body: RenderIn, principal: CurrentPrincipal, uow: UowFactory
) -> RenderOut:
    """Fill the variables: the values sent win over those taken from `ticket_id`; the ones
    still without a value stay in the text as `{name}` and are listed in `missing`."""
    async with uow(write=False) as u:
        script = await lib.get_script(u, principal, script_id)
        known = await lib.values_for_ticket(u, principal, body.ticket_id) if body.ticket_id else {}
    return RenderOut.of(lib.render_script(script, known | body.values), script)
