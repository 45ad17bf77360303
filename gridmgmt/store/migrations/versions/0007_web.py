"""web: revoked browser sessions (logged out on the server)

Revision ID: 0007_web
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_web"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("web",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_revoked_sessions",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_web_revoked_sessions")),
    )
    op.create_index(
        op.f("ix_web_revoked_sessions_expires_at"),
        "web_revoked_sessions",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_web_revoked_sessions_expires_at"), table_name="web_revoked_sessions")
    op.drop_table("web_revoked_sessions")
