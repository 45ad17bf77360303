"""Benchmark of the hash-chained audit log: the cost of an append, and of verification.

Prints one JSON line. For N appends on a fresh migrated SQLite file (or ``--db URL``):

- ``before``: the old ``record()`` (an ORM ``session.add`` of the line, flushed at commit:
  one INSERT, no lock, no hash), with placeholder chain columns;
- ``after``: the chained ``record()`` (lock and claim the head, hash, INSERT, update the head),

each with all N appends in one transaction and with one transaction per append, in ms per
append; then ``verify`` (the whole chain streamed, entries per second).

Usage::

    uv run python bench/audit.py            # N = 2000
    uv run python bench/audit.py --n 500 --db postgresql://...
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry

DETAIL = {"case_no": "X-001", "to_county": "140222", "fields": ["a", "b"]}


def _old_record(session: Session, seq: int) -> None:
    session.add(
        AuditEntry(
            username="alice",
            action="cases.share",
            kind="case",
            county_code="150924",
            detail=DETAIL,
            seq=seq,
            prev_hash="0" * 64,
            entry_hash="0" * 64,
        )
    )


def _new_record(session: Session, _seq: int) -> None:
    audit.record(session, SYSTEM, "cases.share", kind="case", county_code="150924", detail=DETAIL)


def _empty(url: str) -> None:
    with db.get_engine(url).begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
        connection.execute(text("DELETE FROM audit_head"))


def _timed(url: str, n: int, append: Callable[[Session, int], None], *, one_tx: bool) -> float:
    """Milliseconds per append."""
    _empty(url)
    start = time.perf_counter()
    if one_tx:
        with db.transaction(url) as session:
            for i in range(1, n + 1):
                append(session, i)
    else:
        for i in range(1, n + 1):
            with db.transaction(url) as session:
                append(session, i)
    return round((time.perf_counter() - start) * 1000 / n, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        db.upgrade(url)
        result: dict[str, object] = {"bench": "audit", "backend": url.split(":")[0], "n": args.n}
        for name, append in (("before", _old_record), ("after", _new_record)):
            result[f"{name}_one_tx_ms_per_append"] = _timed(url, args.n, append, one_tx=True)
            result[f"{name}_tx_each_ms_per_append"] = _timed(url, args.n, append, one_tx=False)
        start = time.perf_counter()
        with db.transaction(url) as session:
            report = audit.verify_log(session, SYSTEM)
        seconds = time.perf_counter() - start
        result["verify_entries"] = report.entries
        result["verify_entries_per_s"] = round(report.entries / seconds)
        db.dispose_engine(url)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
