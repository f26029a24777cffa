"""Tables of the knowledge base (R-KB-1) and the script library (R-KB-3)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.domain.catalog import Channel
from servicedesk.domain.knowledge import ContentStatus, ScriptScenario
from servicedesk.store.models import Base, Id


class Product(Base):
    """A product and its current version: an article written for an older one is stale."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    current_version: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[datetime]


class Article(Base):
    """The current state of an article; every saved state is also an `ArticleRevision`.

    `questions` are other ways customers ask what the article answers; the bot and the search
    match on them first. `revision` counts saves and doubles as the optimistic version.
    `translation_of_id` makes it another language's version of that (source) article: one
    answer in several languages, each with its own revisions and status.
    """

    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_status_updated", "status", "updated_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]]
    tags: Mapped[list[str]]
    product: Mapped[str | None] = mapped_column(String(100), index=True)
    product_version: Mapped[str | None] = mapped_column(String(50))
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[ContentStatus]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_by: Mapped[date | None] = mapped_column(Date)
    source_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    translation_of_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"), index=True)


class ArticleRevision(Base):
    """One saved state of an article: who saved it, when and why; diff and restore read these."""

    __tablename__ = "kb_article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]]
    tags: Mapped[list[str]]
    product: Mapped[str | None] = mapped_column(String(100))
    product_version: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[ContentStatus]
    review_by: Mapped[date | None] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]


class Script(Base):
    """An approved reply (话术) for a scenario, with `{variables}`; `channel` set on a welcome
    script makes it that channel's welcome (R-IN-4); `translation_of_id` makes it another
    language's version of that script."""

    __tablename__ = "scripts"
    __table_args__ = (Index("ix_scripts_scenario_status", "scenario", "status"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scenario: Mapped[ScriptScenario]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    compliance_note: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[Channel | None]
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[ContentStatus]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    translation_of_id: Mapped[int | None] = mapped_column(ForeignKey("scripts.id"), index=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
