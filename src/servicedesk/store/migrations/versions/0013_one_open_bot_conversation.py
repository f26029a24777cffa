"""One open bot conversation per customer and channel

Two first messages of one customer arriving together used to open two bot conversations; the
partial unique index makes the second writer retry and find the first. Duplicates an older
version may have left are ended (all but the newest) before the index is built.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "ticket_id IS NULL AND ended_at IS NULL"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE conversations SET ended_at = started_at"
            " WHERE ticket_id IS NULL AND ended_at IS NULL AND id < ("
            "  SELECT MAX(newer.id) FROM conversations AS newer"
            "  WHERE newer.customer_id = conversations.customer_id AND newer.channel = conversations.channel"
            "  AND newer.ticket_id IS NULL AND newer.ended_at IS NULL)"
        )
    )
    op.create_index(
        "ux_conversations_open_bot", "conversations", ["customer_id", "channel"], unique=True,
        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ux_conversations_open_bot", table_name="conversations")
