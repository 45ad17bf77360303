"""grids: grid polygons, retailer grids, three-role staff posts

Revision ID: 0002_grids
Revises: 0001
Create Date: 2026-11-21 08:18:25.386884
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridmgmt.store.types

revision: str = "0002_grids"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("grids",)
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column(
            "geometry", gridmgmt.store.types.Geometry("MULTIPOLYGON", srid=4326), nullable=False
        ),
        sa.Column("workload", sa.Float(), nullable=False),
        sa.Column("n_retailers", sa.Integer(), nullable=False),
        sa.Column("n_key_retailers", sa.Integer(), nullable=False),
        sa.Column("area_km2", sa.Float(), nullable=False),
        sa.Column("polsby_popper", sa.Float(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("design_seed", sa.Integer(), nullable=True),
        sa.Column("designed_at", sa.DateTime(), nullable=False),
        sa.Column("designed_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_grids_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
        sa.UniqueConstraint("county_code", "grid_id", name=op.f("uq_grids_county_code")),
    )
    with op.batch_alter_table("grids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grids_county_code"), ["county_code"], unique=False)

    op.create_table(
        "retailer_grids",
        sa.Column("retailer_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code", "grid_id"],
            ["grids.county_code", "grids.grid_id"],
            name=op.f("fk_retailer_grids_county_code_grids"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["retailer_id"],
            ["retailers.id"],
            name=op.f("fk_retailer_grids_retailer_id_retailers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("retailer_id", name=op.f("pk_retailer_grids")),
    )
    with op.batch_alter_table("retailer_grids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retailer_grids_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "staff_grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "monopoly_officer",
                "account_manager",
                "deliverer",
                name="staff_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code", "grid_id"],
            ["grids.county_code", "grids.grid_id"],
            name=op.f("fk_staff_grids_county_code_grids"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_grids_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_grids")),
        sa.UniqueConstraint(
            "county_code", "grid_id", "role", name=op.f("uq_staff_grids_county_code")
        ),
    )
    with op.batch_alter_table("staff_grids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_grids_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_grids_staff_id"), ["staff_id"], unique=False)

    if _is_postgresql():
        op.create_index("ix_grids_geometry_gist", "grids", ["geometry"], postgresql_using="gist")


def downgrade() -> None:
    if _is_postgresql():
        op.drop_index("ix_grids_geometry_gist", table_name="grids")
    with op.batch_alter_table("staff_grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_grids_staff_id"))
        batch_op.drop_index(batch_op.f("ix_staff_grids_county_code"))

    op.drop_table("staff_grids")
    with op.batch_alter_table("retailer_grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retailer_grids_county_code"))

    op.drop_table("retailer_grids")
    with op.batch_alter_table("grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grids_county_code"))

    op.drop_table("grids")
