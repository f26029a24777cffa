"""Tables of the assistant: intents, what the bot remembers per conversation, and every turn it
took — the turns are both the audit of its answers and the learning queue (R-BOT-7)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.domain.assistant import BotState, HandoffReason, Urgency
from servicedesk.domain.catalog import TicketType
from servicedesk.store.models import Base, Id, str_enum


class Intent(Base):
    """An admin-defined intent: examples train the classifier; the answer is an article or a
    script; `slots` are what the answer needs (order_no…); `handoff` sends it to a person."""

    __tablename__ = "intents"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label_zh: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    examples: Mapped[list[str]]
    slots: Mapped[list[str]]
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    script_id: Mapped[int | None] = mapped_column(ForeignKey("scripts.id"))
    answer: Mapped[str] = mapped_column(Text, default="")  # a template with {slots}, for connector answers
    answer_en: Mapped[str] = mapped_column(Text, default="")  # the same in English; "" = none yet
    connector: Mapped[str | None] = mapped_column(String(64))  # business lookup that fills the answer
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    ticket_type: Mapped[TicketType | None]
    urgency: Mapped[Urgency] = mapped_column(default=Urgency.NORMAL)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BotSession(Base):
    """The bot's memory of one conversation (`domain.assistant.Memory`) and, once it handed
    over, why and to which ticket."""

    __tablename__ = "bot_sessions"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    state: Mapped[BotState]
    misses: Mapped[int] = mapped_column(SmallInteger, default=0)
    pending_intent: Mapped[str | None] = mapped_column(String(64))
    handoff_reason: Mapped[HandoffReason | None]
    urgency: Mapped[Urgency | None]
    handoff_detail: Mapped[dict[str, Any] | None]  # intent, keywords, confidence: shown to the agent
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReviewStatus(StrEnum):
    PENDING = "pending"  # a miss or a low rating waiting for a knowledge editor
    RESOLVED = "resolved"  # a phrasing was added or a draft opened
    DISMISSED = "dismissed"


class BotTurn(Base):
    """One customer message the bot handled and what it did with it."""

    __tablename__ = "bot_turns"
    __table_args__ = (
        Index("ix_bot_turns_review", "review_status", "created_at"),
        Index("ix_bot_turns_conversation", "conversation_id", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    action: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    script_id: Mapped[int | None] = mapped_column(ForeignKey("scripts.id"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)  # the 1–5 the customer gave this answer
    review_status: Mapped[ReviewStatus | None] = mapped_column(str_enum(ReviewStatus))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DemoOrder(Base):
    """The demo shop's orders, behind the built-in demo order connector: what a real
    deployment reads from its own order system through a connector of its own."""

    __tablename__ = "demo_orders"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    items: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    carrier: Mapped[str | None] = mapped_column(String(50))
    tracking_no: Mapped[str | None] = mapped_column(String(50))
    placed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    eta: Mapped[date | None] = mapped_column(Date)
