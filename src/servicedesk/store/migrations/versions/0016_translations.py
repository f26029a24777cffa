"""Answers in the customer's language: articles and scripts link their translations, intents
get an English answer template

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for table in ("kb_articles", "scripts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("translation_of_id", ID, nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_translation_of_id"), ["translation_of_id"], unique=False
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_translation_of_id_{table}"), table, ["translation_of_id"], ["id"]
            )
    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_en", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.drop_column("answer_en")
    for table in ("scripts", "kb_articles"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_translation_of_id_{table}"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_translation_of_id"))
            batch_op.drop_column("translation_of_id")
