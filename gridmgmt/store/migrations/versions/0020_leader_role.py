"""leader_role: the leaders' role (局领导) and the link of a login to its staff record

Revision ID: 0020_leader_role
Revises: 0001
Create Date: 2026-12-05 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_leader_role"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("leader_role",)
depends_on: str | Sequence[str] | None = None

_BEFORE = ("officer", "dispatcher", "liaison", "admin")
_AFTER = (*_BEFORE, "leader")


def _roles(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def _set_roles(roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_user_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_user_role"), _roles(roles))


def upgrade() -> None:
    _set_roles(_AFTER)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_no", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_users_staff_no"), ["staff_no"])
        batch_op.create_foreign_key(
            op.f("fk_users_staff_no_staff"),
            "staff",
            ["staff_no"],
            ["staff_no"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_users_staff_no_staff"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_users_staff_no"), type_="unique")
        batch_op.drop_column("staff_no")
    op.execute(sa.text("UPDATE users SET role = 'admin' WHERE role = 'leader'"))
    _set_roles(_BEFORE)
