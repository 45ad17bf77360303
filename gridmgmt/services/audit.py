"""The audit log: every write, login and cross-county read leaves a line here, hash-chained.

Every write a service makes calls :func:`record` in the same transaction; logins (success
and failure, with the username tried and the client's address) are recorded by
:func:`gridmgmt.services.users.authenticate`; a read of another county's data calls
:func:`record_read`. Today :func:`gridmgmt.services.cases.get_case` does, for a case shared
with the reader. Where it must still be called (once per other county's object shown): the
case list (:func:`gridmgmt.services.cases.list_cases`, shared cases on the page), network
views and exports that include shared cases, and every service of the cooperation work
(leads, joint cases) that shows another county's rows.

Each line is appended to a hash chain (:mod:`gridmgmt.audit_chain`, which says what that
guarantees and what it does not). Appenders are serialised for the rest of their
transaction, so two writers never fork the chain:

- the one-row ``audit_head`` table (latest ``seq`` and ``entry_hash``) is updated *before*
  the tail is read: on SQLite that write takes the database's write lock (what ``BEGIN
  IMMEDIATE`` would), so a second appender waits until the first commits or rolls back;
- on PostgreSQL ``pg_advisory_xact_lock`` is taken first, and the row lock on the head
  serialises as well;
- ``audit_log.seq`` is unique, the last line of defence.

A rolled-back transaction rolls back its lines and the head with it: ``seq`` has no gaps.
Appending takes the write lock early in the transaction, and holds it until the commit.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from contextlib import closing
from typing import Any, Final, cast

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.orm import Session

from gridmgmt.audit_chain import (
    GENESIS_HASH,
    ChainEntry,
    ChainHead,
    ChainReport,
    canonical_at,
    canonical_detail,
    check_end,
    entry_hash,
    verify_chain,
)
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result
from gridmgmt.store.models import AuditEntry
from gridmgmt.store.models.audit import AuditHead
from gridmgmt.store.models.base import _utcnow

__all__ = [
    "READ_OTHER_COUNTY",
    "AuditLine",
    "audit_head",
    "list_entries",
    "record",
    "record_read",
    "verify_log",
]

LOCK_KEY: Final = 0x67726964_61756474
"""The PostgreSQL advisory lock key serialising appenders ("gridaudt")."""
HEAD_ID: Final = 1
READ_OTHER_COUNTY: Final = "read.other_county"
"""The action of a line written by :func:`record_read`."""
STREAM_BATCH: Final = 1000

_LOG: Final = cast(Table, AuditEntry.__table__)
_HEAD: Final = cast(Table, AuditHead.__table__)


def _lock_head(connection: Connection) -> tuple[int, str]:
    """Serialise appenders and claim the next ``seq``; return it and the previous hash."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    claimed = connection.execute(
        _HEAD.update()
        .where(_HEAD.c.id == HEAD_ID)
        .values(seq=_HEAD.c.seq + 1)
        .returning(_HEAD.c.seq, _HEAD.c.entry_hash)
    ).one_or_none()
    if claimed is not None:
        return int(claimed.seq), str(claimed.entry_hash)
    # No head row (a database emptied table by table): start it from the log's tail.
    tail = connection.execute(
        select(_LOG.c.seq, _LOG.c.entry_hash).order_by(_LOG.c.seq.desc()).limit(1)
    ).one_or_none()
    seq, prev_hash = (0, GENESIS_HASH) if tail is None else (int(tail.seq), str(tail.entry_hash))
    connection.execute(_HEAD.insert().values(id=HEAD_ID, seq=seq + 1, entry_hash=prev_hash))
    return seq + 1, prev_hash


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    kind: str | None = None,
    county_code: str | None = None,
    detail: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEntry:
    """Append an audit line to the chain (committed with the change it describes).

    ``remote_addr`` defaults to the actor's. Returns a copy of the stored line, not attached
    to the session.
    """
    connection = session.connection()
    seq, prev_hash = _lock_head(connection)
    entry = ChainEntry(
        id=None,
        seq=seq,
        at=_utcnow(),
        username=actor.username,
        action=action,
        kind=kind,
        county_code=county_code,
        # Stored as it is hashed: JSON round-tripped (tuples become lists, keys strings).
        detail=json.loads(canonical_detail(detail)),
        remote_addr=remote_addr if remote_addr is not None else actor.remote_addr,
        prev_hash=prev_hash,
        entry_hash="",
    )
    values = {
        "seq": entry.seq,
        "at": entry.at,
        "username": entry.username,
        "action": entry.action,
        "kind": entry.kind,
        "county_code": entry.county_code,
        "detail": entry.detail,
        "remote_addr": entry.remote_addr,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry_hash(entry),
    }
    connection.execute(_LOG.insert().values(**values))
    connection.execute(
        _HEAD.update().where(_HEAD.c.id == HEAD_ID).values(entry_hash=values["entry_hash"])
    )
    return AuditEntry(**values)


def record_read(
    session: Session, actor: Actor, kind: str, county_code: str, key: str
) -> AuditEntry | None:
    """Record that ``actor`` read ``kind`` ``key`` of another county (``county_code``).

    A read inside the actor's own counties is not recorded (returns ``None``): call it for
    every object a service shows that the actor sees only through a share, lead or joint case.
    """
    if actor.can_see(county_code):
        return None
    return record(
        session, actor, READ_OTHER_COUNTY, kind=kind, county_code=county_code, detail={"key": key}
    )


class AuditLine(Result):
    """One audit log entry as the faces show it."""

    seq: int
    at: str
    username: str | None
    action: str
    kind: str | None
    county_code: str | None
    detail: dict[str, Any]
    remote_addr: str | None
    entry_hash: str


def _read_head(session: Session) -> ChainHead:
    row = session.execute(
        select(_HEAD.c.seq, _HEAD.c.entry_hash).where(_HEAD.c.id == HEAD_ID)
    ).one_or_none()
    return ChainHead(0, GENESIS_HASH) if row is None else ChainHead(row.seq, row.entry_hash)


def _stream(session: Session) -> Generator[ChainEntry, None, None]:
    """Every entry in ``seq`` order, fetched a batch at a time (a server-side cursor on PG)."""
    columns = [_LOG.c[name] for name in ChainEntry.__dataclass_fields__]
    result = session.execute(
        select(*columns).order_by(_LOG.c.seq).execution_options(yield_per=STREAM_BATCH)
    )
    try:
        for row in result:
            yield ChainEntry(**row._asdict())
    finally:
        result.close()  # a verification that stops early closes the cursor at once


@requires(Action.READ_AUDIT)
def audit_head(session: Session, actor: Actor) -> ChainHead:
    """The latest entry's ``seq`` and hash, to write down or send out (``SEQ:HASH``)."""
    return _read_head(session)


@requires(Action.READ_AUDIT)
def verify_log(
    session: Session, actor: Actor, *, expect_head: ChainHead | None = None
) -> ChainReport:
    """Verify the whole chain, streamed in ``seq`` order; optionally against an exported head.

    The head row is read before the stream (entries up to it must all be there) and after it
    (nothing may lie beyond it), so appends running meanwhile are no false alarm.

    Raises
    ------
    AuditTamperedError
        Naming the first entry that was changed, deleted, inserted or reordered.
    """
    before = _read_head(session)
    with closing(_stream(session)) as entries:
        report = verify_chain(entries, checkpoints=(before, expect_head))
    return check_end(report, _read_head(session))


@requires(Action.READ_AUDIT)
def list_entries(
    session: Session,
    actor: Actor,
    *,
    limit: int = 50,
    before_seq: int | None = None,
    county_code: str | None = None,
) -> list[AuditLine]:
    """The newest entries first, ``limit`` at most, older than ``before_seq`` if given.

    An actor with counties sees the lines of those counties only (lines without a county,
    such as logins, only an actor of every county sees).
    """
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    if county_code is not None:
        stmt = stmt.where(AuditEntry.county_code == county_code)
    if actor.counties is not None:
        stmt = stmt.where(AuditEntry.county_code.in_(sorted(actor.counties)))
    return [
        AuditLine(
            seq=row.seq,
            at=canonical_at(row.at),
            username=row.username,
            action=row.action,
            kind=row.kind,
            county_code=row.county_code,
            detail=row.detail,
            remote_addr=row.remote_addr,
            entry_hash=row.entry_hash,
        )
        for row in session.scalars(stmt)
    ]
