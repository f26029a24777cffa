"""Whether each message reached the customer, which reply stopped each SLA clock (so a reply
that is never delivered can put its clock back), and a customer's messages by author

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:50:54.720737
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicedesk.store.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery",
                sa.Enum("pending", "sent", "failed", name="deliverystate", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "delivery_problem",
                sa.Enum(
                    "not_configured",
                    "no_address",
                    "address_bounced",
                    "window_closed",
                    "no_target",
                    "recipient",
                    "content",
                    "credentials",
                    "gave_up",
                    "refused",
                    name="deliveryproblem",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("delivery_detail", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("delivered_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_messages_author_customer", ["author_customer_id", "id"], unique=False)

    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stopped_by_message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sla_clocks_stopped_by_message_id_messages"),
            "messages",
            ["stopped_by_message_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sla_clocks_stopped_by_message_id_messages"), type_="foreignkey"
        )
        batch_op.drop_column("stopped_by_message_id")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_author_customer")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("delivery_detail")
        batch_op.drop_column("delivery_problem")
        batch_op.drop_column("delivery")
