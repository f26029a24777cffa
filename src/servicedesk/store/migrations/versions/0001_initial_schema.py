"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 19:30:56.263531
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicedesk.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "customer",
                "agent",
                "expert",
                "supervisor",
                "department_lead",
                "quality_inspector",
                "admin",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["users.id"], name=op.f("fk_departments_lead_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "agent_skills",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agent_skills_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "skill", name=op.f("pk_agent_skills")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column(
            "tier",
            sa.Enum("regular", "vip1", "vip2", "vip3", name="customertier", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("advisor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["advisor_id"], ["users.id"], name=op.f("fk_customers_advisor_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_customers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_customers_user_id")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_phone"), ["phone"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_events_actor_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_action_occurred", ["action", "occurred_at"], unique=False)
        batch_op.create_index("ix_events_subject", ["subject_type", "subject_id", "id"], unique=False)
        batch_op.create_index("ix_events_ticket", ["ticket_id", "id"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_teams_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "customer_identities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web_chat",
                "web_form",
                "email",
                "phone",
                "wechat",
                "weibo",
                "douyin",
                "api",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=254), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_identities_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_customer_identities_channel")),
    )
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_identities_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customer_tags",
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_tags_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", "tag", name=op.f("pk_customer_tags")),
    )
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users")),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "product_quality",
                "service_quality",
                "technical",
                "consultation",
                "other",
                name="tickettype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum("high", "medium", "low", name="priority", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "open",
                "pending",
                "resolved",
                "closed",
                name="ticketstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "web_chat",
                "web_form",
                "email",
                "phone",
                "wechat",
                "weibo",
                "douyin",
                "api",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("assignee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_tickets_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_assignee_status_updated",
            ["assignee_id", "status", "updated_at"],
            unique=False,
        )
        batch_op.create_index("ix_tickets_created", ["created_at"], unique=False)
        batch_op.create_index("ix_tickets_customer_created", ["customer_id", "created_at"], unique=False)
        batch_op.create_index("ix_tickets_status_updated", ["status", "updated_at"], unique=False)
        batch_op.create_index(
            "ix_tickets_team_status_updated", ["team_id", "status", "updated_at"], unique=False
        )
        batch_op.create_index("ix_tickets_updated", ["updated_at"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web_chat",
                "web_form",
                "email",
                "phone",
                "wechat",
                "weibo",
                "douyin",
                "api",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("external_ref", sa.String(length=254), nullable=True),
        sa.Column("started_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_conversations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_conversations_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_tags",
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_tags_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("ticket_id", "tag", name=op.f("pk_ticket_tags")),
    )
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("inbound", "reply", "note", name="messagekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "web_chat",
                "web_form",
                "email",
                "phone",
                "wechat",
                "weibo",
                "douyin",
                "api",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("author_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "author_customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_customer_id"],
            ["customers.id"],
            name=op.f("fk_messages_author_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_messages_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_messages_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_messages_ticket_created", ["ticket_id", "created_at"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_message_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_ticket_created")
        batch_op.drop_index(batch_op.f("ix_messages_conversation_id"))

    op.drop_table("messages")
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_tags_tag"))

    op.drop_table("ticket_tags")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_customer_id"))

    op.drop_table("conversations")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_updated")
        batch_op.drop_index("ix_tickets_team_status_updated")
        batch_op.drop_index("ix_tickets_status_updated")
        batch_op.drop_index("ix_tickets_customer_created")
        batch_op.drop_index("ix_tickets_created")
        batch_op.drop_index("ix_tickets_assignee_status_updated")

    op.drop_table("tickets")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_user_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_tags_tag"))

    op.drop_table("customer_tags")
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_identities_customer_id"))

    op.drop_table("customer_identities")
    op.drop_table("teams")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_ticket")
        batch_op.drop_index("ix_events_subject")
        batch_op.drop_index("ix_events_action_occurred")

    op.drop_table("events")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_phone"))
        batch_op.drop_index(batch_op.f("ix_customers_name"))
        batch_op.drop_index(batch_op.f("ix_customers_email"))

    op.drop_table("customers")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("agent_skills")
    op.drop_table("users")
    op.drop_table("departments")
