"""Tables of who can take work now (presence, capacity, working hours) and of the queue of
cases waiting for a person (R-HD-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.store.models import Base, Id


class Availability(Base):
    """One row per staff member who takes routed work. `presence` is online / away / offline;
    `working_hours` is a weekly spec in the person's own time zone ("mon-fri 09:00-18:00"),
    NULL meaning the service hours (`services.service_hours`). `last_assigned_at` drives round
    robin."""

    __tablename__ = "agent_availability"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    presence: Mapped[str] = mapped_column(String(16), default="offline")
    presence_changed_at: Mapped[datetime]
    chat_capacity: Mapped[int] = mapped_column(SmallInteger, default=3)
    ticket_capacity: Mapped[int] = mapped_column(SmallInteger, default=10)
    working_hours: Mapped[str | None] = mapped_column(String(500))
    last_assigned_at: Mapped[datetime | None]


class QueueEntry(Base):
    """A case waiting for a person. `rank` orders the bands (lower first: urgent, VIP, …) and
    `enqueued_at` orders within one; the row stays after the case leaves (`left_at`,
    `outcome` assigned / withdrawn) so waits can be measured. `expected_at` is when the queue
    expected a person to take it as it entered (None: nobody who could is expected at all) —
    what its customer was told."""

    __tablename__ = "queue_entries"
    __table_args__ = (Index("ix_queue_entries_waiting", "left_at", "rank", "enqueued_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    queue_key: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(SmallInteger)
    needs: Mapped[dict[str, Any]]
    enqueued_at: Mapped[datetime]
    expected_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
