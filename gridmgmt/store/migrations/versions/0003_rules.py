"""rules: rule settings, inspection draws, targets and results, grid supervision tickets

Revision ID: 0003_rules
Revises: 0001
Create Date: 2026-11-21 07:34:09.436279
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridmgmt.store.types


revision: str = "0003_rules"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("rules",)
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "inspection_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("population_size", sa.Integer(), nullable=False),
        sa.Column("population_hash", sa.String(length=64), nullable=False),
        sa.Column("officers_hash", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("draw_json", sa.Text(), nullable=False),
        sa.Column("drawn_by", sa.String(length=64), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("replace_reason", sa.Text(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("quota >= 0", name=op.f("ck_inspection_draws_quota_non_negative")),
        sa.CheckConstraint("seed >= 0", name=op.f("ck_inspection_draws_seed_non_negative")),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_inspection_draws_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["inspection_draws.id"],
            name=op.f("fk_inspection_draws_replaces_id_inspection_draws"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_draws")),
        sa.UniqueConstraint(
            "county_code", "period", "revision", name=op.f("uq_inspection_draws_county_code")
        ),
    )
    with op.batch_alter_table("inspection_draws", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_draws_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(
            "uq_inspection_draws_current",
            ["county_code", "period"],
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )

    op.create_table(
        "rule_settings",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("preset", sa.String(length=32), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("roads_file", sa.String(length=500), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_rule_settings_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_rule_settings")),
    )
    op.create_table(
        "grid_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_no", sa.String(length=32), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("grid_id", sa.String(length=64), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "violation",
                "complaint",
                "market_info",
                name="ticket_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "collected",
                "assigned",
                "responded",
                "handled",
                "fed_back",
                name="ticket_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("retailer_id", sa.Integer(), nullable=True),
        sa.Column("location", gridmgmt.store.types.Geometry("POINT", srid=4326), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("fed_back_at", sa.DateTime(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_grid_tickets_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["retailers.id"], name=op.f("fk_grid_tickets_retailer_id_retailers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_tickets")),
        sa.UniqueConstraint("ticket_no", name=op.f("uq_grid_tickets_ticket_no")),
    )
    with op.batch_alter_table("grid_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grid_tickets_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grid_tickets_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_grid_tickets_grid_id"), ["grid_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_grid_tickets_retailer_id"), ["retailer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grid_tickets_state"), ["state"], unique=False)

    op.create_table(
        "inspection_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retailer_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("grid_id", sa.String(length=64), nullable=True),
        sa.Column("key_retailer", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_inspection_targets_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["inspection_draws.id"],
            name=op.f("fk_inspection_targets_draw_id_inspection_draws"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["retailer_id"],
            ["retailers.id"],
            name=op.f("fk_inspection_targets_retailer_id_retailers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_targets")),
        sa.UniqueConstraint("draw_id", "retailer_id", name=op.f("uq_inspection_targets_draw_id")),
    )
    with op.batch_alter_table("inspection_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_targets_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_targets_draw_id"), ["draw_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_targets_retailer_id"), ["retailer_id"], unique=False
        )

    op.create_table(
        "grid_ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "collected",
                "assigned",
                "responded",
                "handled",
                "fed_back",
                name="ticket_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["grid_tickets.id"],
            name=op.f("fk_grid_ticket_events_ticket_id_grid_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_ticket_events")),
    )
    with op.batch_alter_table("grid_ticket_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grid_ticket_events_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "inspection_assignments",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_inspection_assignments_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["inspection_targets.id"],
            name=op.f("fk_inspection_assignments_target_id_inspection_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("target_id", "staff_id", name=op.f("pk_inspection_assignments")),
    )
    op.create_table(
        "inspection_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "compliant",
                "violation",
                "not_open",
                "not_found",
                name="inspection_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "violations >= 0", name=op.f("ck_inspection_results_violations_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_inspection_results_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["inspection_draws.id"],
            name=op.f("fk_inspection_results_draw_id_inspection_draws"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["inspection_targets.id"],
            name=op.f("fk_inspection_results_target_id_inspection_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_results")),
        sa.UniqueConstraint("target_id", name=op.f("uq_inspection_results_target_id")),
    )
    with op.batch_alter_table("inspection_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_results_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_results_draw_id"), ["draw_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_results_inspected_on"), ["inspected_on"], unique=False
        )

    if _is_postgresql():
        op.create_index(
            "ix_grid_tickets_location_gist", "grid_tickets", ["location"], postgresql_using="gist"
        )


def downgrade() -> None:
    if _is_postgresql():
        op.drop_index("ix_grid_tickets_location_gist", table_name="grid_tickets")
    with op.batch_alter_table("inspection_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_results_inspected_on"))
        batch_op.drop_index(batch_op.f("ix_inspection_results_draw_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_results_county_code"))

    op.drop_table("inspection_results")
    op.drop_table("inspection_assignments")
    with op.batch_alter_table("grid_ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_ticket_events_ticket_id"))

    op.drop_table("grid_ticket_events")
    with op.batch_alter_table("inspection_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_targets_retailer_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_targets_draw_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_targets_county_code"))

    op.drop_table("inspection_targets")
    with op.batch_alter_table("grid_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_tickets_state"))
        batch_op.drop_index(batch_op.f("ix_grid_tickets_retailer_id"))
        batch_op.drop_index(batch_op.f("ix_grid_tickets_grid_id"))
        batch_op.drop_index(batch_op.f("ix_grid_tickets_due_at"))
        batch_op.drop_index(batch_op.f("ix_grid_tickets_county_code"))

    op.drop_table("grid_tickets")
    op.drop_table("rule_settings")
    with op.batch_alter_table("inspection_draws", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_inspection_draws_current",
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_inspection_draws_county_code"))

    op.drop_table("inspection_draws")
