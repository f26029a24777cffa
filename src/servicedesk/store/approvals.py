"""Tables of service actions with money attached (refund, compensation, free shipping,
reship…) and the authority limits that decide which need a supervisor's approval (R-HD-6)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.store.models import Base, Id


class AuthorityLimit(Base):
    """The most a role may grant alone for an action kind ("*" = any kind); NULL = no limit."""

    __tablename__ = "authority_limits"
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    max_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime]


class ServiceAction(Base):
    """One requested action: who asked, what, how much, on what written basis, who approved,
    and what the business connector answered when it ran."""

    __tablename__ = "service_actions"
    __table_args__ = (Index("ix_service_actions_status_requested", "status", "requested_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    basis: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(24))  # pending / approved / rejected / executed / failed
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    limit_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # the requester's, at the time
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    executed_at: Mapped[datetime | None]
    connector_ref: Mapped[str | None] = mapped_column(String(100))
    failure: Mapped[str | None] = mapped_column(Text)
