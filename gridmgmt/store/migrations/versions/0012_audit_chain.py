"""audit_chain: hash-chain the audit log (seq, prev_hash, entry_hash, remote_addr; audit_head)

Existing entries are numbered in the order they were written (by id) and chained, so the
log verifies from its first entry.

Revision ID: 0012_audit_chain
Revises: 0001
Create Date: 2026-12-04 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_audit_chain"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("audit_chain",)
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("username", sa.String()),
    sa.column("action", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("county_code", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("seq", sa.Integer()),
    sa.column("remote_addr", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)


def _backfill(connection: sa.Connection) -> tuple[int, str]:
    """Number and chain the existing entries by id, a batch at a time; return the head."""
    from gridmgmt.audit_chain import GENESIS_HASH, ChainEntry, entry_hash

    seq, prev_hash, last_id = 0, GENESIS_HASH, None
    while True:
        stmt = sa.select(_log).order_by(_log.c.id).limit(BATCH)
        if last_id is not None:
            stmt = stmt.where(_log.c.id > last_id)
        rows = connection.execute(stmt).mappings().all()
        if not rows:
            return seq, prev_hash
        for row in rows:
            seq += 1
            entry = ChainEntry(
                id=row["id"],
                seq=seq,
                at=row["at"],
                username=row["username"],
                action=row["action"],
                kind=row["kind"],
                county_code=row["county_code"],
                detail=row["detail"] or {},
                remote_addr=None,
                prev_hash=prev_hash,
                entry_hash="",
            )
            prev_hash = entry_hash(entry)
            connection.execute(
                _log.update()
                .where(_log.c.id == row["id"])
                .values(seq=seq, prev_hash=entry.prev_hash, entry_hash=prev_hash)
            )
            last_id = row["id"]


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("remote_addr", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    head_seq, head_hash = _backfill(op.get_bind())
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": head_seq, "entry_hash": head_hash}])


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("remote_addr")
        batch_op.drop_column("seq")
