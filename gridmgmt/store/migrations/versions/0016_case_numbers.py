"""case numbers: unique per county (两个县局都可以有12号案件), shares keyed by county and number

A case number (案件编号) is unique within its county, not across counties: the unique key of
``cases`` becomes (county_code, case_no). A share of a case (``shares``, kind ``case``) names
the case by its number *and* the county that shared it (``from_county``, always the case's
county), so its unique key becomes (kind, from_county, object_key, to_county). Existing rows
satisfy both new keys (numbers were unique over all counties), so no data changes.

Revision ID: 0016_case_numbers
Revises: 0006_cases
Create Date: 2026-12-05 07:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_case_numbers"
down_revision: str | None = "0006_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_cases_case_no"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_cases_county_code"), ["county_code", "case_no"]
        )
        batch_op.create_index(batch_op.f("ix_cases_case_no"), ["case_no"], unique=False)
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shares_kind"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_shares_kind"), ["kind", "from_county", "object_key", "to_county"]
        )


def downgrade() -> None:
    # Fails (as it must) once two counties hold the same case number.
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shares_kind"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_shares_kind"), ["kind", "object_key", "to_county"]
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_case_no"))
        batch_op.drop_constraint(batch_op.f("uq_cases_county_code"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_cases_case_no"), ["case_no"])
