"""undeliverable identities

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 21:10:27.688238
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicedesk.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "undeliverable_since", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_since")
