"""routes: stored delivery plans (配送计划) per depot, date and version; fixed delivery weekdays

Revision ID: 0005_routes
Revises: 0001
Create Date: 2026-11-23 09:12:40.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_routes"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("routes",)
depends_on: str | Sequence[str] | None = None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def upgrade() -> None:
    with op.batch_alter_table("retailers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_weekday",
                sa.Enum(
                    *WEEKDAYS,
                    name="weekday",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
    op.create_table(
        "route_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("depot_code", sa.String(length=32), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "plan",
                "replan",
                "week",
                name="route_plan_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=True),
        sa.Column("max_iterations", sa.Integer(), nullable=True),
        sa.Column("closure_mode", sa.String(length=16), nullable=False),
        sa.Column("closures", sa.JSON(), nullable=False),
        sa.Column("order_changes", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("km", sa.Float(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("orders_served", sa.Integer(), nullable=False),
        sa.Column("orders_unserved", sa.Integer(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_route_plans_version_positive")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_route_plans_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["depot_code"],
            ["depots.code"],
            name=op.f("fk_route_plans_depot_code_depots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_plans")),
        sa.UniqueConstraint(
            "depot_code", "delivery_date", "version", name=op.f("uq_route_plans_depot_code")
        ),
    )
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_route_plans_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(
            "uq_route_plans_current",
            ["depot_code", "delivery_date"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )


def downgrade() -> None:
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_route_plans_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_route_plans_county_code"))

    op.drop_table("route_plans")
    with op.batch_alter_table("retailers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_retailers_weekday"), type_="check")
        batch_op.drop_column("delivery_weekday")
