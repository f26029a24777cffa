"""Tables of business calendars, SLA policies, the clocks they start, and staff notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.domain.sla import ClockState, SlaMetric
from servicedesk.store.models import Base, Id, str_enum


class CalendarRow(Base):
    """A business calendar as an admin edits it: `hours` is the weekly spec
    ("mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00"); `china_official` adds the State
    Council's make-up working days, and its holidays unless `holidays_staffed` says people work
    on public holidays as on any other day (R-IN-5's default for the service centre)."""

    __tablename__ = "business_calendars"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[str] = mapped_column(String(500))
    holidays: Mapped[list[str]]  # ISO dates, closed all day
    workdays: Mapped[list[str]]  # ISO dates, make-up working days
    china_official: Mapped[bool] = mapped_column(Boolean, default=True)
    holidays_staffed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SlaPolicyRow(Base):
    """Conditions select the policy (first match by `position`); `targets` maps a metric to
    minutes of business time. Empty condition lists match every case."""

    __tablename__ = "sla_policies"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))
    tiers: Mapped[list[str]]
    types: Mapped[list[str]]
    priorities: Mapped[list[str]]
    channels: Mapped[list[str]]
    tags: Mapped[list[str]]
    targets: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SlaClock(Base):
    """One target's clock on one case (or on one collaboration request, `ref`).

    `next_action_at` is the indexed deadline the SLA worker claims from: the next warning or
    escalation step, NULL when nothing is due (paused, stopped, ladder finished). A step is
    taken with a conditional update on `stage`, so two workers never take it twice.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (Index("ix_sla_clocks_next_action", "next_action_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    metric: Mapped[SlaMetric] = mapped_column(str_enum(SlaMetric))
    ref: Mapped[str | None] = mapped_column(String(64))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))
    target_seconds: Mapped[int] = mapped_column(Integer)
    state: Mapped[ClockState] = mapped_column(str_enum(ClockState))
    started_at: Mapped[datetime]
    run_started_at: Mapped[datetime | None]
    used_seconds: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    stage: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_action_at: Mapped[datetime | None]
    # the reply that stopped it: put back to running if that reply is never delivered
    stopped_by_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


class Notification(Base):
    """Something a member of staff must know (an SLA warning, an escalation, a request for
    approval): shown in their notification list until read."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
