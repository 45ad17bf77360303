"""The tamper-evident audit log (审计日志) for administrators: entries, head, verification.

``GET /api/v1/audit`` lists the newest entries (an administrator of some counties sees
their lines only), ``GET /api/v1/audit/head`` the latest ``seq`` and hash, and
``GET /api/v1/audit/verify`` checks the whole chain: 200 with the count, or 409 (kind
``conflict``) naming the first entry that was changed, deleted, inserted or reordered.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.declared import AUDIT_HEAD
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.audit_chain import parse_head
from gridmgmt.policy import Action
from gridmgmt.services import audit
from gridmgmt.services.audit import AuditLine
from gridmgmt.services.bounds import MAX_REQUEST_INT

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERROR_RESPONSES)


class HeadOut(BaseModel):
    """The latest entry: its seq and hash, and both as ``SEQ:HASH``."""

    seq: int
    entry_hash: str
    head: str


class VerifyOut(HeadOut):
    """An intact chain: how many entries, and its head."""

    entries: int


@router.get("", dependencies=[allow(Action.READ_AUDIT)])
def audit_entries(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 50,
    before_seq: Annotated[
        int | None, Query(ge=1, le=MAX_REQUEST_INT, description="Older than this seq.")
    ] = None,
    county_code: Annotated[str | None, Query(description="Only this county.")] = None,
) -> list[AuditLine]:
    """The newest audit entries first (who, when, what, which county, from where)."""
    return audit.list_entries(
        session, actor, limit=limit, before_seq=before_seq, county_code=county_code
    )


@router.get("/head", dependencies=[allow(Action.READ_AUDIT)])
def audit_head(session: SessionDep, actor: CurrentActor) -> HeadOut:
    """The latest entry's seq and hash, to send to the province and check later."""
    head = audit.audit_head(session, actor)
    return HeadOut(seq=head.seq, entry_hash=head.entry_hash, head=str(head))


@router.get("/verify", dependencies=[allow(Action.READ_AUDIT)])
def audit_verify(
    session: SessionDep,
    actor: CurrentActor,
    expect_head: Annotated[
        str | None,
        Query(description="A head exported earlier, as SEQ:HASH.", json_schema_extra=AUDIT_HEAD),
    ] = None,
) -> VerifyOut:
    """Verify the whole hash chain; 409 names the first tampered entry."""
    expected = parse_head(expect_head) if expect_head is not None else None
    report = audit.verify_log(session, actor, expect_head=expected)
    return VerifyOut(
        entries=report.entries,
        seq=report.head.seq,
        entry_hash=report.head.entry_hash,
        head=str(report.head),
    )
