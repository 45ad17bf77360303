"""cases: tobacco cases (涉烟案件) and the entities they mention, raw and normalised

Revision ID: 0006_cases
Revises: 0001
Create Date: 2026-11-21 07:58:25.069168
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridmgmt.store.types


revision: str = "0006_cases"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("cases",)
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "counterfeit",
                "smuggled",
                "genuine_outflow",
                "unlicensed_sale",
                "courier_shipment",
                name="case_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "investigating",
                "transferred",
                "closed",
                name="case_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("location", gridmgmt.store.types.Geometry("POINT", srid=4326), nullable=True),
        sa.Column("seized_cartons", sa.Float(), nullable=True),
        sa.Column("value_yuan", sa.Float(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "seized_cartons IS NULL OR seized_cartons >= 0",
            name=op.f("ck_cases_cartons_non_negative"),
        ),
        sa.CheckConstraint(
            "value_yuan IS NULL OR value_yuan >= 0", name=op.f("ck_cases_value_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_cases_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_no", name=op.f("uq_cases_case_no")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_opened_on"), ["opened_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "case_mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "person",
                "id_number",
                "phone",
                "plate",
                "waybill",
                "address",
                "licence_no",
                "bank_account",
                "company",
                name="entity_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("id_number", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("normalised", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_mentions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_case_mentions_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_mentions")),
        sa.UniqueConstraint("case_id", "position", name=op.f("uq_case_mentions_case_id")),
    )
    with op.batch_alter_table("case_mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_mentions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_mentions_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_mentions_entity_id"), ["entity_id"], unique=False)
    if _is_postgresql():
        op.create_index("ix_cases_location_gist", "cases", ["location"], postgresql_using="gist")


def downgrade() -> None:
    if _is_postgresql():
        op.drop_index("ix_cases_location_gist", table_name="cases")
    with op.batch_alter_table("case_mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_mentions_entity_id"))
        batch_op.drop_index(batch_op.f("ix_case_mentions_county_code"))
        batch_op.drop_index(batch_op.f("ix_case_mentions_case_id"))

    op.drop_table("case_mentions")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_opened_on"))
        batch_op.drop_index(batch_op.f("ix_cases_county_code"))

    op.drop_table("cases")
