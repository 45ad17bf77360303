"""counters: the last number handed out per series (ticket numbers without races)

Revision ID: 0014_counters
Revises: 0001
Create Date: 2026-12-04 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_counters"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("counters",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("series", sa.String(length=128), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_number_counters")),
    )


def downgrade() -> None:
    op.drop_table("number_counters")
