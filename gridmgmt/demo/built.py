"""Whether a database holds a finished demo (演示数据已生成): the mark the demo leaves last.

``gridmgmt demo`` appends a ``demo.built`` line to the audit log when every step has run;
``gridmgmt serve --demo`` serves a database with that line at once and builds one without
it first. A build cut short leaves no mark, so it is built again (every step is
idempotent: what is stored is kept or refreshed).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select

from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.audit import record
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry

__all__ = ["BUILT_ACTION", "is_built", "mark_built"]

BUILT_ACTION: Final = "demo.built"
"""The audit action that marks a finished demo."""


def mark_built(url: str, counts: dict[str, int]) -> None:
    """Record that the demo in ``url`` is complete, with its counts."""
    with db.transaction(url) as session:
        record(session, SYSTEM, BUILT_ACTION, kind="demo", detail={"counts": counts})


def is_built(url: str) -> bool:
    """Whether the database at ``url`` (migrated) holds a finished demo."""
    with db.transaction(url) as session:
        found = session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == BUILT_ACTION).limit(1)
        )
    return found is not None
