"""Tables of the work around a case that is more than one person's: collaboration requests to
other departments (R-HD-5) and the complex-case track (R-HD-4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.store.models import Base, Id


class CollaborationRequest(Base):
    """Internal: never shown to the customer. Its clock is an SLA clock with `ref` = this id."""

    __tablename__ = "collaboration_requests"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / answered / cancelled
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ComplexCase(Base):
    """The track of R-HD-4: assess → task group → plan → approval → implement → monitor →
    acceptance → lessons learned; `stage` is where the case stands now."""

    __tablename__ = "complex_cases"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    stage: Mapped[str] = mapped_column(String(32), default="assess")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessment: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    monitoring: Mapped[str] = mapped_column(Text, default="")
    acceptance: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ComplexCaseMember(Base):
    """The task group."""

    __tablename__ = "complex_case_members"
    case_id: Mapped[int] = mapped_column(ForeignKey("complex_cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    duty: Mapped[str] = mapped_column(String(100), default="")


class ComplexCaseStep(Base):
    """A step of the plan, with an owner and a due date."""

    __tablename__ = "complex_case_steps"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complex_cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
