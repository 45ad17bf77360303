"""row versions: a version on tickets, inspection results and rule settings (no lost update)

Revision ID: 0019_row_versions
Revises: 0003_rules
Create Date: 2026-12-05 07:50:00

Rows stored before get version 1.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_row_versions"
down_revision: str | None = "0003_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("grid_tickets", "inspection_results", "rule_settings")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
