"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 06:48:37.777481
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridmgmt.store.types


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SPATIAL_INDEXES = {
    "counties": "boundary",
    "retailers": "location",
    "schools": "location",
    "checkpoints": "location",
    "depots": "location",
}


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_county_code"), ["county_code"], unique=False)

    op.create_table(
        "provinces",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_provinces")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=64), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "officer",
                "dispatcher",
                "liaison",
                "admin",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "counties",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column(
            "boundary", gridmgmt.store.types.Geometry("MULTIPOLYGON", srid=4326), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_counties_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_counties")),
    )
    with op.batch_alter_table("counties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counties_province_code"), ["province_code"], unique=False
        )

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "highway_exit",
                "toll_station",
                "national_road",
                "logistics_hub",
                "rail_station",
                name="checkpoint_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("location", gridmgmt.store.types.Geometry("POINT", srid=4326), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_checkpoints_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
        sa.UniqueConstraint("county_code", "name", name=op.f("uq_checkpoints_county_code")),
    )
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkpoints_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "depots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("location", gridmgmt.store.types.Geometry("POINT", srid=4326), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_depots_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depots")),
        sa.UniqueConstraint("code", name=op.f("uq_depots_code")),
    )
    with op.batch_alter_table("depots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_depots_county_code"), ["county_code"], unique=False)

    op.create_table(
        "retailers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_no", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column(
            "business_type",
            sa.Enum(
                "grocery",
                "convenience",
                "supermarket",
                "tobacco_liquor",
                "entertainment",
                "restaurant",
                "other",
                name="business_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "closed",
                name="retailer_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("key_retailer", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("location", gridmgmt.store.types.Geometry("POINT", srid=4326), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("tier BETWEEN 1 AND 30", name=op.f("ck_retailers_tier_range")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_retailers_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retailers")),
        sa.UniqueConstraint("licence_no", name=op.f("uq_retailers_licence_no")),
    )
    with op.batch_alter_table("retailers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retailers_county_code"), ["county_code"], unique=False)

    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "kindergarten",
                "primary",
                "middle",
                name="school_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("location", gridmgmt.store.types.Geometry("POINT", srid=4326), nullable=False),
        sa.Column(
            "campus", gridmgmt.store.types.Geometry("MULTIPOLYGON", srid=4326), nullable=True
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_schools_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("county_code", "name", name=op.f("uq_schools_county_code")),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schools_county_code"), ["county_code"], unique=False)

    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("object_key", sa.String(length=64), nullable=False),
        sa.Column("from_county", sa.String(length=6), nullable=False),
        sa.Column("to_county", sa.String(length=6), nullable=False),
        sa.Column("shared_by", sa.String(length=64), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_county"], ["counties.code"], name=op.f("fk_shares_from_county_counties")
        ),
        sa.ForeignKeyConstraint(
            ["to_county"], ["counties.code"], name=op.f("fk_shares_to_county_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("kind", "object_key", "to_county", name=op.f("uq_shares_kind")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shares_to_county"), ["to_county"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_no", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
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
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("capacity", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_staff_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("staff_no", name=op.f("uq_staff_staff_no")),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_county_code"), ["county_code"], unique=False)

    op.create_table(
        "user_counties",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_user_counties_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_counties_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "county_code", name=op.f("pk_user_counties")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retailer_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("cartons", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("cartons > 0", name=op.f("ck_orders_cartons_positive")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_orders_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["retailers.id"], name=op.f("fk_orders_retailer_id_retailers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("retailer_id", "order_date", name=op.f("uq_orders_retailer_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_order_date"), ["order_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_retailer_id"), ["retailer_id"], unique=False)

    op.create_table(
        "vehicles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("capacity_cartons", sa.Integer(), nullable=False),
        sa.Column("shift_start", sa.Time(), nullable=False),
        sa.Column("shift_end", sa.Time(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("capacity_cartons > 0", name=op.f("ck_vehicles_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_vehicles_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depots.id"], name=op.f("fk_vehicles_depot_id_depots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("plate", name=op.f("uq_vehicles_plate")),
    )
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicles_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicles_depot_id"), ["depot_id"], unique=False)

    if _is_postgresql():
        for table, column in SPATIAL_INDEXES.items():
            op.create_index(f"ix_{table}_{column}_gist", table, [column], postgresql_using="gist")


def downgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicles_depot_id"))
        batch_op.drop_index(batch_op.f("ix_vehicles_county_code"))

    op.drop_table("vehicles")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_retailer_id"))
        batch_op.drop_index(batch_op.f("ix_orders_order_date"))
        batch_op.drop_index(batch_op.f("ix_orders_county_code"))

    op.drop_table("orders")
    op.drop_table("user_counties")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_county_code"))

    op.drop_table("staff")
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shares_to_county"))

    op.drop_table("shares")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_county_code"))

    op.drop_table("schools")
    with op.batch_alter_table("retailers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retailers_county_code"))

    op.drop_table("retailers")
    with op.batch_alter_table("depots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depots_county_code"))

    op.drop_table("depots")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoints_county_code"))

    op.drop_table("checkpoints")
    with op.batch_alter_table("counties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counties_province_code"))

    op.drop_table("counties")
    op.drop_table("users")
    op.drop_table("provinces")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_county_code"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
