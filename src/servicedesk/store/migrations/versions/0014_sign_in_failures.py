"""Failed sign-ins, counted to lock an account (or an address) after repeated guesses

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 03:37:10.197742
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicedesk.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("failed_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index("ix_sign_in_failures_key_at", ["key", "failed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_failures_key_at")

    op.drop_table("sign_in_failures")
