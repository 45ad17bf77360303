"""The audit log: every write a service makes leaves a line here, in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gridmgmt.services.actor import Actor
from gridmgmt.store.models import AuditEntry


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    kind: str | None = None,
    county_code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit line to the session (committed with the change it describes)."""
    entry = AuditEntry(
        username=actor.username,
        action=action,
        kind=kind,
        county_code=county_code,
        detail=detail or {},
    )
    session.add(entry)
    return entry
