"""What the platform suggested for a case's type, priority and tags, and why (R-CL-1, R-CL-2);
an agent's override is an audit event with its reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.domain.catalog import Priority, TicketType
from servicedesk.store.models import Base


class Classification(Base):
    __tablename__ = "ticket_classifications"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    type: Mapped[TicketType]
    priority: Mapped[Priority]
    tags: Mapped[list[str]]
    reasons: Mapped[dict[str, Any]]  # field → [reason, …] in words a person reads
    created_at: Mapped[datetime]
