"""The tables. One module while the model is small; split by concept past ~400 lines.

Enumerated values are stored as their string value (no native enums) so a new value needs no
ALTER TYPE on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicedesk.domain.assistant import BotState, HandoffReason, Urgency
from servicedesk.domain.catalog import Channel, CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.delivery import DeliveryProblem, DeliveryState
from servicedesk.domain.knowledge import ContentStatus, ScriptScenario
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Role
from servicedesk.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def str_enum(cls: type[StrEnum]) -> SAEnum:
    return SAEnum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - read once by SQLAlchemy
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        TicketStatus: str_enum(TicketStatus),
        TicketType: str_enum(TicketType),
        Priority: str_enum(Priority),
        Channel: str_enum(Channel),
        CustomerTier: str_enum(CustomerTier),
        MessageKind: str_enum(MessageKind),
        Role: str_enum(Role),
        ContentStatus: str_enum(ContentStatus),
        ScriptScenario: str_enum(ScriptScenario),
        BotState: str_enum(BotState),
        HandoffReason: str_enum(HandoffReason),
        Urgency: str_enum(Urgency),
    }


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    tier: Mapped[int] = mapped_column(SmallInteger, default=1)  # L1 / L2 / L3 (R-HD-1)
    created_at: Mapped[datetime]


class User(Base):
    """A person who signs in: staff of any role, or a customer with a help-center account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    memberships: Mapped[list[TeamMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="raise"
    )
    # loaded on request (staff endpoints); signing in reads team ids with one query
    skills: Mapped[list[AgentSkill]] = relationship(cascade="all, delete-orphan", lazy="raise")


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship(back_populates="memberships")


class AgentSkill(Base):
    """The skill matrix of R-HD-2: skill name and level 1–5."""

    __tablename__ = "agent_skills"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, default=3)


class ApiToken(Base):
    """Bearer tokens for integrations; only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInFailure(Base):
    """One failed sign-in, under the account's and the caller's address's key ("email:…",
    "ip:…"): enough of them in a window locks that key for a while (`services.auth`)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "key", "failed_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(320))
    failed_at: Mapped[datetime]


class Customer(Base):
    """Relationships load only when asked for (`services.access.CUSTOMER_PROFILE`): a ticket
    list that shows the customer's name must not fetch their tags and identities."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18))
    tier: Mapped[CustomerTier] = mapped_column(default=CustomerTier.REGULAR)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    tags: Mapped[list[CustomerTag]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="CustomerTag.tag"
    )
    identities: Mapped[list[CustomerIdentity]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="CustomerIdentity.id"
    )


class CustomerMerge(Base):
    """One merge of two customer records (R-IN-3): what moved, so that undo moves exactly that
    back, and who did each."""

    __tablename__ = "customer_merges"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    moved: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(String(500))
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undone_at: Mapped[datetime | None]


class PhoneVerification(Base):
    """A one-time code sent to a phone number (R-IN-3); only its salted hash is kept."""

    __tablename__ = "phone_verifications"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    code_hash: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class CustomerIdentity(Base):
    """How a channel knows the customer: an email address, a WeChat openid, a phone number…"""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[Channel]
    external_id: Mapped[str] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    undeliverable_since: Mapped[datetime | None]  # a hard bounce: nothing more is sent here
    created_at: Mapped[datetime]


class Ticket(Base):
    """A case. Its number is its id (as in Zendesk), shown as #10001."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_team_status_updated", "team_id", "status", "updated_at"),
        Index("ix_tickets_assignee_status_updated", "assignee_id", "status", "updated_at"),
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
        Index("ix_tickets_created", "created_at"),
        # The inbox's default order, carrying every column lists and searches filter on: a
        # search walks it newest first, tests LIKE on the entry and reads the table only for
        # matches (a rare term at 100k tickets: 50 → 23 ms on SQLite). Subjects are capped at
        # 200 characters by the services, well inside PostgreSQL's index-row limit.
        Index(
            "ix_tickets_updated_covering",
            "updated_at",
            "id",
            "customer_id",
            "team_id",
            "assignee_id",
            "status",
            "subject",
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subject: Mapped[str] = mapped_column(String(1000))
    type: Mapped[TicketType]
    priority: Mapped[Priority]
    status: Mapped[TicketStatus]
    channel: Mapped[Channel]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    tags: Mapped[list[TicketTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TicketTag.tag"
    )
    customer: Mapped[Customer] = relationship(lazy="raise")
    team: Mapped[Team | None] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def number(self) -> str:
        return f"#{self.id}"


class TicketTag(Base):
    __tablename__ = "ticket_tags"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Conversation(Base):
    """One contact on one channel (a chat session, an email thread, a call).

    A customer has at most one open conversation with the bot per channel (no case, not ended):
    two of their first messages arriving together meet at this index instead of opening two."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "ux_conversations_open_bot", "customer_id", "channel", unique=True,
            sqlite_where=text("ticket_id IS NULL AND ended_at IS NULL"),
            postgresql_where=text("ticket_id IS NULL AND ended_at IS NULL"),
        ),
    )  # fmt: skip
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[Channel]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(254))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    customer: Mapped[Customer] = relationship(lazy="raise")
    ticket: Mapped[Ticket | None] = relationship(lazy="raise")


class Message(Base):
    """`external_id` is the channel's own id (Message-ID, WeChat MsgId…): unique per channel, so
    a retried delivery is stored once however often it arrives."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_ticket_created", "ticket_id", "created_at"),
        # a customer's latest messages: when they last wrote privately (a platform's reply window)
        Index("ix_messages_author_customer", "author_customer_id", "id"),
        UniqueConstraint("channel", "external_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[MessageKind]
    channel: Mapped[Channel]
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    body: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # what the channel said besides the text (recording link, transcript segments, media ids),
    # personal numbers masked; quality inspection reads it
    meta: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    # whether a message for the customer reached them (domain.delivery); None for what never
    # leaves: notes, the customer's own words, replies read where they live (help center, API)
    delivery: Mapped[DeliveryState | None] = mapped_column(str_enum(DeliveryState))
    delivery_problem: Mapped[DeliveryProblem | None] = mapped_column(str_enum(DeliveryProblem))
    delivery_detail: Mapped[str | None] = mapped_column(Text)  # the platform's own words, last failure
    delivered_at: Mapped[datetime | None]
    attachments: Mapped[list[Attachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Attachment.id"
    )
    conversation: Mapped[Conversation | None] = relationship(lazy="raise")
    ticket: Mapped[Ticket | None] = relationship(lazy="raise")

    @property
    def automatic(self) -> bool:
        """Written by the bot or the system (progress notices), not by a person."""
        meta = self.meta or {}
        return "system" in meta or "bot" in meta

    @property
    def counts_as_response(self) -> bool:
        """A person's public reply the customer can be taken to have (or soon to have): not one
        that could not be sent or that the outbox gave up on (`delivery_problem` set)."""
        return (
            self.kind is MessageKind.REPLY and self.author_user_id is not None and not self.automatic
            and self.delivery_problem is None
        )  # fmt: skip


class Attachment(Base):
    """File metadata; the bytes live in the attachment store under `storage_key`."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a dispatcher until `claimed_until`
    SENT = "sent"
    DEAD = "dead"  # a permanent failure, or out of attempts: an admin decides


class Outbox(Base):
    """Everything that leaves the platform, written in the transaction that caused it and
    delivered after commit by `jobs.outbox.Dispatcher`.

    `next_attempt_at` is the indexed deadline dispatchers claim from; a claim is a lease
    (`claimed_until`), so a dispatcher that dies mid-delivery only delays the message.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[Channel]
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Event(Base):
    """One change to anything that matters, written in the transaction that made it (R-AN-3).

    The audit trail and the raw material of every report: `before`/`after` hold only the
    fields that changed.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_subject", "subject_type", "subject_id", "id"),
        Index("ix_events_ticket", "ticket_id", "id"),
        Index("ix_events_action_occurred", "action", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    occurred_at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Id)
    ticket_id: Mapped[int | None] = mapped_column(Id)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


# the tables of the knowledge base and the assistant live in their own modules; importing them
# here registers them on `Base.metadata` for Alembic and the schema test
from servicedesk.store import (  # noqa: E402, F401
    approvals,
    assistant,
    classification,
    collaboration,
    incidents,
    knowledge,
    routing,
    sla,
)
