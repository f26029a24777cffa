"""phone verifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 20:55:20.547035
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicedesk.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_verifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_phone_verifications_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verifications")),
    )
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_verifications_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_verifications_phone"), ["phone"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_verifications_phone"))
        batch_op.drop_index(batch_op.f("ix_phone_verifications_customer_id"))

    op.drop_table("phone_verifications")
