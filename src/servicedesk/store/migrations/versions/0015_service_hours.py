"""One truth for service hours: whether a calendar's people work on public holidays, and the
queue's estimate kept on each waiting case

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 09:00:00

Existing calendars keep closing on public holidays (`holidays_staffed` false): an admin chose
them. The one exception is the default service calendar (客服中心) as `install_defaults` left it
— never saved since (`updated_at` equals `created_at`) — which moves to R-IN-5's default, open
every day including public holidays. Its `updated_at` stays as it was, so it still reads as never
edited. Clocks already running keep the deadline they were given; new ones use the new hours.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicedesk.store.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE_CALENDAR = "客服中心"  # services.sla_defaults.SERVICE_CALENDAR, as that version named it


def upgrade() -> None:
    with op.batch_alter_table("business_calendars", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("holidays_staffed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expected_at", servicedesk.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    calendars = sa.table(
        "business_calendars",
        sa.column("name", sa.String),
        sa.column("holidays_staffed", sa.Boolean),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    op.execute(
        calendars.update()
        .where(calendars.c.name == SERVICE_CALENDAR, calendars.c.updated_at == calendars.c.created_at)
        .values(holidays_staffed=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.drop_column("expected_at")
    with op.batch_alter_table("business_calendars", schema=None) as batch_op:
        batch_op.drop_column("holidays_staffed")
