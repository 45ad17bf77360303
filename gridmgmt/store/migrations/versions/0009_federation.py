"""federation: neighbours' bundles of keyed hashes (联查数据包) and this server's ref secret

Revision ID: 0009_federation
Revises: 0001
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_federation"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("federation",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "federation_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_bundles")),
        sa.UniqueConstraint("county_code", name=op.f("uq_federation_bundles_county_code")),
    )
    op.create_table(
        "federation_hashes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["federation_bundles.id"],
            name=op.f("fk_federation_hashes_bundle_id_federation_bundles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_hashes")),
    )
    with op.batch_alter_table("federation_hashes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_hashes_bundle_id"), ["bundle_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_federation_hashes_digest"), ["digest"], unique=False)
    op.create_table(
        "federation_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_federation_secrets")),
    )


def downgrade() -> None:
    op.drop_table("federation_secrets")
    with op.batch_alter_table("federation_hashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_hashes_digest"))
        batch_op.drop_index(batch_op.f("ix_federation_hashes_bundle_id"))
    op.drop_table("federation_hashes")
    op.drop_table("federation_bundles")
