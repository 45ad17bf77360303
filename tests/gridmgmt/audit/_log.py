"""Helpers for the audit tests: fill a log, tamper with it by direct SQL, verify it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, text

from gridmgmt.audit_chain import ChainEntry, ChainReport
from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry

OFFICER = Actor(username="alice", role=SYSTEM.role, counties=None, remote_addr="10.0.0.7")


def fill(url: str, count: int, *, per_transaction: int = 1) -> None:
    """Append ``count`` entries, ``per_transaction`` in each transaction."""
    done = 0
    while done < count:
        with db.transaction(url) as session:
            for _ in range(min(per_transaction, count - done)):
                done += 1
                audit.record(
                    session,
                    OFFICER,
                    "test.write",
                    kind="thing",
                    county_code="150924",
                    detail={"n": done, "名": "兴和", "nested": {"b": 1, "a": [1, 2]}},
                )


def sql(url: str, statement: str, **params: Any) -> None:
    """Run raw SQL in its own transaction (what a tamperer with database access does)."""
    with db.get_engine(url).begin() as connection:
        connection.execute(text(statement), params)


def verify(url: str, **kwargs: Any) -> ChainReport:
    with db.transaction(url) as session:
        return audit.verify_log(session, SYSTEM, **kwargs)


def seqs(url: str) -> list[int]:
    with db.get_engine(url).connect() as connection:
        return list(connection.execute(text("SELECT seq FROM audit_log ORDER BY seq")).scalars())


def stored(url: str, seq: int) -> ChainEntry:
    """The entry stored at ``seq``, with its columns typed as the chain sees them."""
    table: Table = AuditEntry.__table__  # type: ignore[assignment]
    columns = [table.c[name] for name in ChainEntry.__dataclass_fields__]
    with db.get_engine(url).connect() as connection:
        row = connection.execute(select(*columns).where(table.c.seq == seq)).one()
    return ChainEntry(**row._asdict())
