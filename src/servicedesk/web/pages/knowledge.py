"""Staff pages of the knowledge base (/agent/kb): articles with their history and diffs,
products, the script library; and the suggestions sidebar of the agent's ticket page.

Staff only: a customer gets "not found" anywhere below /agent/kb. Who may draft, publish or
restore is the services' decision; these pages show only the buttons a role can use, and a
refused or stale save comes back as the same form with the reason and the author's text kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.catalog import Channel
from servicedesk.domain.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.domain.knowledge import ContentStatus, ScriptScenario
from servicedesk.domain.labels import SUPPORTED_LOCALES
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import article_history
from servicedesk.services import knowledge as kb
from servicedesk.services import knowledge_index as search
from servicedesk.services import scripts as lib
from servicedesk.store.knowledge import Article, Script
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.forms import choice, optional_id, required_choice, split_tags
from servicedesk.web.pages.present import render_page, tr
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only

router = APIRouter(prefix="/agent/kb")

PAGE_SIZE = 25
SIDEBAR_SCRIPTS = 60  # the "all scripts" list under the suggestions
STALE_CHOICES = ("", "stale", "fresh")


def _writer(me: Principal) -> bool:
    return me.can(Permission.WRITE_KNOWLEDGE)


def _editor(me: Principal) -> bool:
    return me.can(Permission.PUBLISH_KNOWLEDGE)


@router.get("")
async def home(me: PagePrincipal) -> Response:
    staff_only(me)
    return RedirectResponse("/agent/kb/articles", status_code=303)


# --- the article list ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListParams:
    status: str = ""
    product: str = ""
    stale: str = ""
    q: str = ""
    offset: int = 0

    def to_filter(self) -> kb.ArticleFilter:
        stale = {"stale": True, "fresh": False}.get(self.stale)
        return kb.ArticleFilter(
            status=choice(ContentStatus, self.status, "status"),
            product=self.product.strip() or None,
            stale=stale,
            q=self.q.strip() or None,
        )

    def url(self, **overrides: Any) -> str:
        values = {"status": self.status, "product": self.product, "stale": self.stale, "q": self.q}
        values |= {"offset": self.offset} | overrides
        query = urlencode({k: v for k, v in values.items() if v})
        return f"/agent/kb/articles?{query}" if query else "/agent/kb/articles"

    @property
    def has_filters(self) -> bool:
        return any((self.status, self.product, self.stale, self.q))


@router.get("/articles")
async def article_list(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    status: Annotated[str, Query(max_length=20)] = "",
    product: Annotated[str, Query(max_length=kb.MAX_PRODUCT)] = "",
    stale: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    staff_only(me)
    if stale not in STALE_CHOICES:
        raise ValidationFailed("invalid choice", fields={"stale": "stale or fresh"})
    params = ListParams(status, product, stale, q, offset)
    async with uow(write=False) as u:
        page = await kb.list_articles(u, me, filters=params.to_filter(), limit=PAGE_SIZE, offset=offset)
        products = await kb.product_names_in_use(u)
    context = {
        "params": params,
        "views": page.items,
        "products": products,
        "statuses": list(ContentStatus),
        "next_url": params.url(offset=offset + PAGE_SIZE) if page.has_more else None,
        "prev_url": params.url(offset=max(offset - PAGE_SIZE, 0)) if offset else None,
        "can_write": _writer(me),
        "can_publish": _editor(me),
    }
    return render_page(request, "kb_articles.html", me, context)


# --- the article editor ---------------------------------------------------------------------


@dataclass
class ArticleForm:
    """The editor's fields as typed: kept as text so a refused save shows them unchanged."""

    title: str = ""
    body: str = ""
    questions: str = ""
    tags: str = ""
    product: str = ""
    product_version: str = ""
    locale: str = "zh"
    review_by: str = ""
    note: str = ""
    revision: str = ""
    translation_of: str = ""  # a new article: the source it is a language version of
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, a: Article) -> ArticleForm:
        return cls(
            title=a.title, body=a.body, questions="\n".join(a.questions), tags=", ".join(a.tags),
            product=a.product or "", product_version=a.product_version or "", locale=a.locale,
            review_by=a.review_by.isoformat() if a.review_by else "", revision=str(a.revision),
        )  # fmt: skip

    def content(self) -> kb.Content:
        """Parsed for the services; raises ValidationFailed naming the fields."""
        errors: dict[str, str] = {}
        review_by: date | None = None
        if self.review_by.strip():
            try:
                review_by = date.fromisoformat(self.review_by.strip())
            except ValueError:
                errors["review_by"] = "YYYY-MM-DD"
        tags: list[str] = []
        try:
            tags = split_tags(self.tags)
        except ValidationFailed as error:
            errors |= error.fields
        if self.locale not in SUPPORTED_LOCALES:
            errors["locale"] = " / ".join(SUPPORTED_LOCALES)
        try:
            content = kb.Content(
                title=self.title, body=self.body, questions=tuple(self.questions.splitlines()),
                tags=tuple(tags), product=self.product or None, product_version=self.product_version or None,
                locale=self.locale if "locale" not in errors else "zh", review_by=review_by,
            ).cleaned()  # fmt: skip
        except ValidationFailed as error:
            errors = error.fields | errors
        if errors:
            raise ValidationFailed("invalid article", fields=errors)
        return content


async def _editor_page(
    request: Request,
    u: UnitOfWork,
    me: Principal,
    form: ArticleForm,
    *,
    view: kb.ArticleView | None = None,
    notice: str | None = None,
    status_code: int = 200,
    source: Article | None = None,
) -> Response:
    article = view.article if view else None
    editable = _writer(me) and (article is None or article.status is ContentStatus.DRAFT or _editor(me))
    live = {v.locale for v in view.versions if v.status is not ContentStatus.ARCHIVED} if view else set()
    context = {
        "source": source,
        "versions": list(view.versions) if view else [],
        "missing_locales": [loc for loc in SUPPORTED_LOCALES if loc not in live] if _writer(me) else [],
        "form": form,
        "view": view,
        "article": article,
        "editable": editable,
        "can_publish": _editor(me),
        "products": await kb.product_names_in_use(u),
        "locales": SUPPORTED_LOCALES,
        "notice": notice,
        "stale_reasons": list(view.stale) if view else [],
    }
    return render_page(request, "kb_article.html", me, context, status_code)


@router.get("/articles/new")
async def new_article(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    translation_of: Annotated[int | None, Query(ge=1)] = None,
    locale: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """A blank draft, or — `translation_of` — the source's version in `locale`, with the
    source's product, version, tags and review date filled in and its text shown beside."""
    staff_only(me)
    if not _writer(me):
        raise Forbidden(tr(request, "forbidden"))
    async with uow(write=False) as u:
        if translation_of is None:
            return await _editor_page(request, u, me, ArticleForm())
        source = (await kb.get_article(u, me, translation_of)).article
        form = ArticleForm.of(source)
        form.title = form.body = form.questions = form.revision = ""
        form.locale = (
            locale if locale in SUPPORTED_LOCALES and locale != source.locale else _other(source.locale)
        )
        form.translation_of = str(source.id)
        return await _editor_page(request, u, me, form, source=source)


def _other(locale: str) -> str:
    return next(loc for loc in SUPPORTED_LOCALES if loc != locale)


async def _source_of(u: UnitOfWork, me: Principal, form: ArticleForm) -> Article | None:
    source_id = optional_id(form.translation_of, "translation_of")
    return (await kb.get_article(u, me, source_id)).article if source_id is not None else None


@router.post("/articles/new")
async def create_article(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=kb.MAX_TITLE * 4)] = "",
    body: Annotated[str, Form(max_length=kb.MAX_BODY)] = "",
    questions: Annotated[str, Form(max_length=kb.MAX_QUESTIONS * (kb.MAX_QUESTION + 2))] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    product: Annotated[str, Form(max_length=kb.MAX_PRODUCT)] = "",
    product_version: Annotated[str, Form(max_length=kb.MAX_VERSION)] = "",
    locale: Annotated[str, Form(max_length=8)] = "zh",
    review_by: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=kb.MAX_NOTE)] = "",
    translation_of: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    form = ArticleForm(
        title, body, questions, tags, product, product_version, locale, review_by, note,
        translation_of=translation_of,
    )  # fmt: skip
    try:
        content = form.content()
        async with uow() as u:
            article = await kb.create_article(
                u, me, content, note=note, translation_of=optional_id(translation_of, "translation_of")
            )
            article_id = article.id
    except (ValidationFailed, Conflict) as error:
        form.errors = error.fields
        conflict = isinstance(error, Conflict)
        notice = tr(request, "kb_version_exists") if conflict else tr(request, "fix_errors")
        async with uow(write=False) as u:
            source = await _source_of(u, me, form)
            return await _editor_page(
                request, u, me, form, notice=notice, status_code=409 if conflict else 422, source=source
            )
    return RedirectResponse(f"/agent/kb/articles/{article_id}?saved=1", status_code=303)


@router.get("/articles/{article_id}")
async def article_page(
    article_id: int, request: Request, me: PagePrincipal, uow: UowFactory, saved: str = ""
) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        view = await kb.get_article(u, me, article_id)
        notice = tr(request, "kb_saved") if saved else None
        return await _editor_page(request, u, me, ArticleForm.of(view.article), view=view, notice=notice)


@router.post("/articles/{article_id}")
async def save_article(
    article_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=kb.MAX_TITLE * 4)] = "",
    body: Annotated[str, Form(max_length=kb.MAX_BODY)] = "",
    questions: Annotated[str, Form(max_length=kb.MAX_QUESTIONS * (kb.MAX_QUESTION + 2))] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    product: Annotated[str, Form(max_length=kb.MAX_PRODUCT)] = "",
    product_version: Annotated[str, Form(max_length=kb.MAX_VERSION)] = "",
    locale: Annotated[str, Form(max_length=8)] = "zh",
    review_by: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=kb.MAX_NOTE)] = "",
    revision: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    form = ArticleForm(
        title, body, questions, tags, product, product_version, locale, review_by, note, revision
    )
    expected = optional_id(revision, "revision")
    if expected is None:
        raise ValidationFailed("the form lost its revision; reload", fields={"revision": "required"})
    notice, status_code = None, 200
    try:
        content = form.content()
        changes = {f: getattr(content, f) for f in kb.EDITABLE}
        async with uow() as u:
            await kb.update_article(u, me, article_id, changes=changes, expected_revision=expected, note=note)
    except ValidationFailed as error:
        form.errors, notice, status_code = error.fields, tr(request, "fix_errors"), 422
    except Conflict:
        notice, status_code = tr(request, "kb_conflict"), 409
    if notice is None:
        return RedirectResponse(f"/agent/kb/articles/{article_id}?saved=1", status_code=303)
    async with uow(write=False) as u:
        view = await kb.get_article(u, me, article_id)
        if status_code == 409:  # their text stays in the form, on top of the latest revision
            form.revision = str(view.article.revision)
        return await _editor_page(request, u, me, form, view=view, notice=notice, status_code=status_code)


@router.post("/articles/{article_id}/status")
async def change_status(
    article_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    revision: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=kb.MAX_NOTE)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    target = required_choice(ContentStatus, status, "status")
    try:
        async with uow() as u:
            await kb.set_article_status(
                u, me, article_id, target, expected_revision=optional_id(revision, "revision"), note=note
            )
    except (Conflict, ValidationFailed) as error:
        async with uow(write=False) as u:
            view = await kb.get_article(u, me, article_id)
            message = tr(request, "kb_conflict") if isinstance(error, Conflict) else error.message
            code = 409 if isinstance(error, Conflict) else 422
            return await _editor_page(
                request, u, me, ArticleForm.of(view.article), view=view, notice=message, status_code=code
            )
    return RedirectResponse(f"/agent/kb/articles/{article_id}?saved=1", status_code=303)


# --- history, diff, restore -----------------------------------------------------------------


@router.get("/articles/{article_id}/history")
async def history_page(
    article_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    a: Annotated[str, Query(max_length=10)] = "",
    b: Annotated[str, Query(max_length=10)] = "",
    mode: Annotated[str, Query(max_length=20)] = "side",
) -> Response:
    staff_only(me)
    if mode not in ("side", "unified"):
        raise ValidationFailed("invalid choice", fields={"mode": "side or unified"})
    async with uow(write=False) as u:
        view = await kb.get_article(u, me, article_id)
        revisions = await article_history.history(u, me, article_id)
        newest = revisions[0].revision.revision
        right = optional_id(b, "b") or newest
        left = optional_id(a, "a") or max(right - 1, 1)
        change = await article_history.diff(u, me, article_id, left, right) if revisions else None
    context = {
        "article": view.article,
        "revisions": revisions,
        "a": left,
        "b": right,
        "mode": mode,
        "change": change,
        "can_restore": _editor(me),
    }
    return render_page(request, "kb_history.html", me, context)


@router.post("/articles/{article_id}/restore")
async def restore(
    article_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    revision: Annotated[str, Form(max_length=20)] = "",
    expected_revision: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    old = optional_id(revision, "revision")
    if old is None:
        raise ValidationFailed("choose a revision", fields={"revision": "required"})
    async with uow() as u:
        await kb.restore_article(
            u, me, article_id, old, expected_revision=optional_id(expected_revision, "expected_revision")
        )
    return RedirectResponse(f"/agent/kb/articles/{article_id}/history", status_code=303)


@router.post("/from-ticket/{ticket_id}")
async def draft_from_ticket(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = ""
) -> Response:
    """R-KB-4 from the ticket page: a solved case becomes a draft to edit."""
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        article = await kb.draft_from_ticket(u, me, ticket_id)
        article_id = article.id
    return RedirectResponse(f"/agent/kb/articles/{article_id}?saved=1", status_code=303)


# --- products ----------------------------------------------------------------------------------


@router.get("/products")
async def products_page(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        products = await kb.list_products(u)
        registered = {p.name for p in products}
        unregistered = [n for n in await kb.product_names_in_use(u) if n not in registered]
    context = {"products": products, "unregistered": unregistered, "can_publish": _editor(me)}
    return render_page(request, "kb_products.html", me, context)


@router.post("/products")
async def set_product(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=kb.MAX_PRODUCT)] = "",
    current_version: Annotated[str, Form(max_length=kb.MAX_VERSION)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        await kb.set_product_version(u, me, name=name, current_version=current_version or None)
    return RedirectResponse("/agent/kb/products", status_code=303)


# --- scripts -----------------------------------------------------------------------------------


@router.get("/scripts")
async def script_list(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    scenario: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    locale: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    staff_only(me)
    chosen = choice(ScriptScenario, scenario, "scenario")
    wanted = choice(ContentStatus, status, "status")
    if locale and locale not in SUPPORTED_LOCALES:
        raise ValidationFailed("invalid choice", fields={"locale": " / ".join(SUPPORTED_LOCALES)})
    async with uow(write=False) as u:
        rows = await lib.list_scripts(u, me, scenario=chosen, status=wanted, locale=locale or None)
    groups: dict[ScriptScenario, list[Script]] = {}
    for s in rows:
        groups.setdefault(s.scenario, []).append(s)
    context = {
        "groups": groups,
        "scenarios": list(ScriptScenario),
        "statuses": list(ContentStatus),
        "locales": SUPPORTED_LOCALES,
        "params": {"scenario": scenario, "status": status, "locale": locale},
        "can_write": _writer(me),
    }
    return render_page(request, "kb_scripts.html", me, context)


@dataclass
class ScriptForm:
    scenario: str = ScriptScenario.GREETING.value
    title: str = ""
    body: str = ""
    compliance_note: str = ""
    channel: str = ""
    locale: str = "zh"
    version: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, s: Script) -> ScriptForm:
        return cls(
            s.scenario.value, s.title, s.body, s.compliance_note, s.channel.value if s.channel else "",
            s.locale, str(s.version),
        )  # fmt: skip

    def content(self) -> lib.ScriptContent:
        scenario = choice(ScriptScenario, self.scenario, "scenario") or ScriptScenario.OTHER
        channel = choice(Channel, self.channel, "channel")
        return lib.ScriptContent(
            scenario, self.title, self.body, self.compliance_note, channel, self.locale
        ).cleaned()


async def _script_page(
    request: Request,
    me: Principal,
    form: ScriptForm,
    *,
    script: Script | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    editable = _writer(me) and (script is None or script.status is ContentStatus.DRAFT or _editor(me))
    context = {
        "form": form,
        "script": script,
        "editable": editable,
        "can_publish": _editor(me),
        "scenarios": list(ScriptScenario),
        "channels": list(Channel),
        "locales": SUPPORTED_LOCALES,
        "variables": lib.script_variables(script) if script else (),
        "notice": notice,
    }
    return render_page(request, "kb_script.html", me, context, status_code)


@router.get("/scripts/new")
async def new_script(
    request: Request, me: PagePrincipal, scenario: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    staff_only(me)
    if not _writer(me):
        raise Forbidden(tr(request, "forbidden"))
    chosen = choice(ScriptScenario, scenario, "scenario") or ScriptScenario.GREETING
    return await _script_page(request, me, ScriptForm(scenario=chosen.value))


@router.post("/scripts/new")
async def create_script(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    scenario: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=lib.MAX_TITLE * 4)] = "",
    body: Annotated[str, Form(max_length=lib.MAX_BODY * 2)] = "",
    compliance_note: Annotated[str, Form(max_length=lib.MAX_NOTE * 2)] = "",
    channel: Annotated[str, Form(max_length=20)] = "",
    locale: Annotated[str, Form(max_length=8)] = "zh",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    form = ScriptForm(scenario, title, body, compliance_note, channel, locale)
    try:
        async with uow() as u:
            script = await lib.create_script(u, me, form.content())
            script_id = script.id
    except ValidationFailed as error:
        form.errors = error.fields
        return await _script_page(request, me, form, notice=tr(request, "fix_errors"), status_code=422)
    return RedirectResponse(f"/agent/kb/scripts/{script_id}?saved=1", status_code=303)


@router.get("/scripts/{script_id}")
async def script_page(
    script_id: int, request: Request, me: PagePrincipal, uow: UowFactory, saved: str = ""
) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        script = await lib.get_script(u, me, script_id)
    notice = tr(request, "kb_saved") if saved else None
    return await _script_page(request, me, ScriptForm.of(script), script=script, notice=notice)


@router.post("/scripts/{script_id}")
async def save_script(
    script_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    scenario: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=lib.MAX_TITLE * 4)] = "",
    body: Annotated[str, Form(max_length=lib.MAX_BODY * 2)] = "",
    compliance_note: Annotated[str, Form(max_length=lib.MAX_NOTE * 2)] = "",
    channel: Annotated[str, Form(max_length=20)] = "",
    locale: Annotated[str, Form(max_length=8)] = "zh",
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    form = ScriptForm(scenario, title, body, compliance_note, channel, locale, version)
    expected = optional_id(version, "version")
    if expected is None:
        raise ValidationFailed("the form lost its version; reload", fields={"version": "required"})
    notice, status_code = None, 200
    try:
        c = form.content()
        changes = {
            "scenario": c.scenario, "title": c.title, "body": c.body, "compliance_note": c.compliance_note,
            "channel": c.channel, "locale": c.locale,
        }  # fmt: skip
        async with uow() as u:
            await lib.update_script(u, me, script_id, changes=changes, expected_version=expected)
    except ValidationFailed as error:
        form.errors, notice, status_code = error.fields, tr(request, "fix_errors"), 422
    except Conflict:
        notice, status_code = tr(request, "kb_conflict"), 409
    if notice is None:
        return RedirectResponse(f"/agent/kb/scripts/{script_id}?saved=1", status_code=303)
    async with uow(write=False) as u:
        script = await lib.get_script(u, me, script_id)
    if status_code == 409:
        form.version = str(script.version)
    return await _script_page(request, me, form, script=script, notice=notice, status_code=status_code)


@router.post("/scripts/{script_id}/status")
async def script_status(
    script_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    target = required_choice(ContentStatus, status, "status")
    try:
        async with uow() as u:
            await lib.set_script_status(
                u, me, script_id, target, expected_version=optional_id(version, "version")
            )
    except Conflict:
        async with uow(write=False) as u:
            script = await lib.get_script(u, me, script_id)
        return await _script_page(
            request,
            me,
            ScriptForm.of(script),
            script=script,
            notice=tr(request, "kb_conflict"),
            status_code=409,
        )
    return RedirectResponse(f"/agent/kb/scripts/{script_id}?saved=1", status_code=303)


# --- the ticket page's sidebar --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SidebarScript:
    script: Script
    text: str  # rendered for this ticket; unfilled variables stay as {name}
    missing: tuple[str, ...]
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Sidebar:
    articles: list[search.ArticleHit]
    suggested: list[SidebarScript]
    scripts: dict[ScriptScenario, list[SidebarScript]]
    can_draft: bool  # the case is solved: it may become an article


async def kb_sidebar(u: UnitOfWork, me: Principal, ticket: Ticket) -> Sidebar:
    """What the agent's ticket page shows under "Suggested articles and scripts"."""
    found = await search.suggest_for_ticket(u, me, ticket.id)
    values = await lib.values_for_ticket(u, me, ticket.id)

    def filled(s: Script, confidence: float | None = None) -> SidebarScript:
        r = lib.render_script(s, values)
        return SidebarScript(s, r.text, r.missing, confidence)

    groups: dict[ScriptScenario, list[SidebarScript]] = {}
    for s in (await lib.list_scripts(u, me, channel=ticket.channel, status=ContentStatus.PUBLISHED))[
        :SIDEBAR_SCRIPTS
    ]:
        groups.setdefault(s.scenario, []).append(filled(s))
    return Sidebar(
        articles=found.articles,
        suggested=[filled(h.script, h.confidence) for h in found.scripts],
        scripts=groups,
        can_draft=ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and _writer(me),
    )
