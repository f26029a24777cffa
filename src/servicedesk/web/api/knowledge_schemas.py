"""Request and response bodies of the knowledge API (/api/v1/kb). Requests forbid unknown
fields; limits mirror the services' so a too-long field is a 422 naming it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from servicedesk.domain.catalog import Channel
from servicedesk.domain.knowledge import ContentStatus, Rendered, ScriptScenario, StaleReason
from servicedesk.services import article_history
from servicedesk.services import knowledge as kb
from servicedesk.services import scripts as lib
from servicedesk.services.knowledge_index import ArticleHit, ScriptHit
from servicedesk.store.knowledge import Article, ArticleRevision, Product, Script
from servicedesk.web.api.schemas import Input, Tags

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=kb.MAX_TITLE)]
ArticleBody = Annotated[str, StringConstraints(max_length=kb.MAX_BODY)]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=kb.MAX_QUESTION)]
Questions = Annotated[list[Question], Field(max_length=kb.MAX_QUESTIONS)]
ProductName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=kb.MAX_PRODUCT)]
Version = Annotated[str, StringConstraints(strip_whitespace=True, max_length=kb.MAX_VERSION)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=kb.MAX_NOTE)]
Locale = Literal["zh", "en"]
SNIPPET = 160


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"


# --- articles ----------------------------------------------------------------------------------


class ArticleCreate(Input):
    title: Title
    body: ArticleBody = ""
    questions: Questions = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    product: ProductName | None = None
    product_version: Version | None = None
    locale: Locale = "zh"
    review_by: date | None = None
    note: Note = ""
    translation_of: int | None = Field(
        None, description="an article this one translates: it becomes that article's `locale` version"
    )

    def content(self) -> kb.Content:
        return kb.Content(
            title=self.title, body=self.body, questions=tuple(self.questions), tags=tuple(self.tags),
            product=self.product, product_version=self.product_version, locale=self.locale,
            review_by=self.review_by,
        )  # fmt: skip


class ArticleUpdate(Input):
    """Only the fields sent change; `null` clears product, version or review date."""

    title: Title | None = None
    body: ArticleBody | None = None
    questions: Questions | None = None
    tags: Tags | None = None
    product: ProductName | None = None
    product_version: Version | None = None
    locale: Locale | None = None
    review_by: date | None = None
    revision: int = Field(description="the revision you edited; 409 if someone saved since")
    note: Note = ""


class StatusChange(Input):
    revision: int | None = Field(None, description="the revision you read; 409 if it changed")
    note: Note = ""


class RestoreRequest(Input):
    revision: int = Field(ge=1, description="the old revision whose content comes back")
    expected_revision: int | None = Field(None, description="the current revision you read")
    note: Note = ""


class ArticleSummary(BaseModel):
    id: int
    title: str
    tags: list[str]
    product: str | None
    product_version: str | None
    locale: str
    status: ContentStatus
    revision: int
    review_by: date | None
    stale: list[StaleReason]
    owner_name: str | None
    updated_at: datetime
    published_at: datetime | None
    snippet: str
    translation_of: int | None = Field(description="the source article when this is a translation")

    @classmethod
    def of(cls, view: kb.ArticleView) -> ArticleSummary:
        a = view.article
        return cls(
            id=a.id, title=a.title, tags=list(a.tags), product=a.product, product_version=a.product_version,
            locale=a.locale, status=a.status, revision=a.revision, review_by=a.review_by,
            stale=list(view.stale), owner_name=view.owner_name, updated_at=a.updated_at,
            published_at=a.published_at, snippet=snippet(a.body), translation_of=a.translation_of_id,
        )  # fmt: skip


class VersionOut(BaseModel):
    """One language version of an article."""

    id: int
    locale: str
    status: ContentStatus
    title: str
    is_source: bool


class ArticleOut(ArticleSummary):
    """Owner and source ticket are for staff; customers get them as null."""

    body: str
    questions: list[str]
    owner_id: int | None
    source_ticket_id: int | None
    created_at: datetime
    versions: list[VersionOut] = Field(description="its versions in every language you may read, itself too")

    @classmethod
    def full(cls, view: kb.ArticleView, *, staff: bool) -> ArticleOut:
        a = view.article
        versions = [
            VersionOut(
                id=v.id,
                locale=v.locale,
                status=v.status,
                title=v.title,
                is_source=v.translation_of_id is None,
            )
            for v in view.versions
        ]
        return cls(
            **ArticleSummary.of(view).model_dump(),
            body=a.body, questions=list(a.questions), created_at=a.created_at, versions=versions,
            owner_id=a.owner_id if staff else None, source_ticket_id=a.source_ticket_id if staff else None,
        )  # fmt: skip


class ArticleList(BaseModel):
    items: list[ArticleSummary]
    next_offset: int | None


class RevisionOut(BaseModel):
    revision: int
    title: str
    body: str
    questions: list[str]
    tags: list[str]
    product: str | None
    product_version: str | None
    status: ContentStatus
    review_by: date | None
    author_id: int | None
    author_name: str | None
    note: str
    created_at: datetime

    @classmethod
    def of(cls, view: article_history.RevisionView) -> RevisionOut:
        r: ArticleRevision = view.revision
        return cls(
            revision=r.revision, title=r.title, body=r.body, questions=list(r.questions), tags=list(r.tags),
            product=r.product, product_version=r.product_version, status=r.status, review_by=r.review_by,
            author_id=r.author_id, author_name=view.author_name, note=r.note, created_at=r.created_at,
        )  # fmt: skip


class DiffRowOut(BaseModel):
    kind: Literal["equal", "changed", "added", "removed"]
    left_no: int | None
    left: str
    right_no: int | None
    right: str


class FieldDiffOut(BaseModel):
    field: str
    changed: bool
    unified: list[str] | None = Field(None, description="unified diff lines (mode unified or both)")
    rows: list[DiffRowOut] | None = Field(None, description="side-by-side rows (mode side_by_side or both)")


class DiffOut(BaseModel):
    article_id: int
    a: int
    b: int
    fields: list[FieldDiffOut]

    @classmethod
    def of(cls, d: article_history.ArticleDiff, mode: str, *, only_changed: bool) -> DiffOut:
        fields = d.changed if only_changed else d.fields
        return cls(
            article_id=d.article_id, a=d.a, b=d.b,
            fields=[
                FieldDiffOut(
                    field=f.field, changed=f.changed,
                    unified=f.unified if mode in ("unified", "both") else None,
                    rows=[DiffRowOut.model_validate(r, from_attributes=True) for r in f.rows]
                    if mode in ("side_by_side", "both") else None,
                )
                for f in fields
            ],
        )  # fmt: skip


# --- products -------------------------------------------------------------------------------------


class ProductIn(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=kb.MAX_PRODUCT)]
    current_version: Version | None = None


class ProductOut(BaseModel):
    id: int
    name: str
    current_version: str | None
    updated_at: datetime

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        return cls(id=p.id, name=p.name, current_version=p.current_version, updated_at=p.updated_at)


# --- scripts ---------------------------------------------------------------------------------------

ScriptTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=lib.MAX_TITLE)]
ScriptBody = Annotated[str, StringConstraints(min_length=1, max_length=lib.MAX_BODY)]
Compliance = Annotated[str, StringConstraints(max_length=lib.MAX_NOTE)]


class ScriptCreate(Input):
    scenario: ScriptScenario
    title: ScriptTitle
    body: ScriptBody
    compliance_note: Compliance = ""
    channel: Channel | None = Field(None, description="only for a welcome script: that channel's welcome")
    locale: Locale = "zh"
    translation_of: int | None = Field(
        None, description="a script this one translates (same scenario): its version in `locale`"
    )

    def content(self) -> lib.ScriptContent:
        return lib.ScriptContent(
            self.scenario, self.title, self.body, self.compliance_note, self.channel, self.locale
        )


class ScriptUpdate(Input):
    scenario: ScriptScenario | None = None
    title: ScriptTitle | None = None
    body: ScriptBody | None = None
    compliance_note: Compliance | None = None
    channel: Channel | None = None
    locale: Locale | None = None
    version: int = Field(description="the version you edited; 409 if someone saved since")


class ScriptStatusChange(Input):
    version: int | None = Field(None, description="the version you read; 409 if it changed")


VarName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$", max_length=64)]
VarValue = Annotated[str, StringConstraints(max_length=1000)]


class RenderIn(Input):
    values: Annotated[dict[VarName, VarValue], Field(max_length=50)] = Field(default_factory=dict)
    ticket_id: int | None = Field(None, description="fill customer_name, agent_name and ticket_no from it")


class RenderOut(BaseModel):
    text: str
    missing: list[str]
    variables: list[str]

    @classmethod
    def of(cls, rendered: Rendered, script: Script) -> RenderOut:
        return cls(
            text=rendered.text, missing=list(rendered.missing), variables=list(lib.script_variables(script))
        )


class ScriptOut(BaseModel):
    id: int
    scenario: ScriptScenario
    title: str
    body: str
    compliance_note: str
    channel: Channel | None
    locale: str
    status: ContentStatus
    owner_id: int | None
    version: int
    variables: list[str]
    created_at: datetime
    updated_at: datetime
    translation_of: int | None

    @classmethod
    def of(cls, s: Script) -> ScriptOut:
        return cls(
            id=s.id, scenario=s.scenario, title=s.title, body=s.body, compliance_note=s.compliance_note,
            channel=s.channel, locale=s.locale, status=s.status, owner_id=s.owner_id, version=s.version,
            variables=list(lib.script_variables(s)), created_at=s.created_at, updated_at=s.updated_at,
            translation_of=s.translation_of_id,
        )  # fmt: skip


class ScriptList(BaseModel):
    items: list[ScriptOut]


# --- search and suggestions ----------------------------------------------------------------------


class ArticleHitOut(BaseModel):
    id: int
    title: str
    status: ContentStatus
    locale: str
    snippet: str
    confidence: float
    score: float
    matched: str

    @classmethod
    def of(cls, h: ArticleHit) -> ArticleHitOut:
        a: Article = h.article
        return cls(
            id=a.id, title=a.title, status=a.status, locale=a.locale, snippet=snippet(a.body),
            confidence=round(h.confidence, 4), score=round(h.score, 4), matched=h.matched,
        )  # fmt: skip


class ScriptHitOut(BaseModel):
    id: int
    title: str
    scenario: ScriptScenario
    compliance_note: str
    confidence: float
    score: float
    matched: str
    text: str = Field(description="rendered with what the context knows; unfilled variables stay visible")
    missing: list[str]

    @classmethod
    def of(cls, h: ScriptHit, values: dict[str, str] | None = None) -> ScriptHitOut:
        s = h.script
        rendered = lib.render_script(s, values or {})
        return cls(
            id=s.id, title=s.title, scenario=s.scenario, compliance_note=s.compliance_note,
            confidence=round(h.confidence, 4), score=round(h.score, 4), matched=h.matched,
            text=rendered.text, missing=list(rendered.missing),
        )  # fmt: skip


class SearchOut(BaseModel):
    articles: list[ArticleHitOut]
    scripts: list[ScriptHitOut]


class SuggestionsOut(SearchOut):
    query: str
