"""The audit log's head: one row holding the latest entry's ``seq`` and ``entry_hash``.

Appenders update this row first (on SQLite that write takes the database's write lock, on
PostgreSQL they hold an advisory lock too), so appends are serialised and reading the tail
costs one row; the verifier compares the log's last entry with it.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridmgmt.store.models.base import Base

__all__ = ["AuditHead"]


class AuditHead(Base):
    """The one row (``id`` 1) naming the audit log's latest entry (seq 0 when empty)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
