"""jobs: background jobs (后台任务) with progress, cancel, result or error, and their counties

Revision ID: 0008_jobs
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_jobs"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("jobs",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                "cancelled",
                name="job_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_message", sa.String(length=2000), nullable=True),
        sa.Column("error_kind", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_jobs_progress_fraction")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_jobs_requested_by_created_at", ["requested_by", "created_at"], unique=False
        )
    op.create_table(
        "job_counties",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_job_counties_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_counties_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "county_code", name=op.f("pk_job_counties")),
    )
    with op.batch_alter_table("job_counties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_counties_county_code"), ["county_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("job_counties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_counties_county_code"))
    op.drop_table("job_counties")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_requested_by_created_at")
        batch_op.drop_index(batch_op.f("ix_jobs_state"))
    op.drop_table("jobs")
