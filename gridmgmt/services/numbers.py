"""Numbers handed out without races: one atomic upsert of a counter row per number.

``INSERT ... ON CONFLICT (series) DO UPDATE SET last = last + 1 RETURNING last`` takes the
row's write lock (SQLite: the database's; PostgreSQL: the row's) until the transaction
ends, so two concurrent writers never read the same value, and a rolled-back writer gives
its number back. Works on SQLite (3.35+) and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import Session

from gridmgmt.services.row_versions import dialect_insert
from gridmgmt.store.models.counters import NumberCounter

__all__ = ["take_number"]


def take_number(session: Session, series: str, *, first: int = 1) -> int:
    """The next number of ``series``: ``first`` for a new series, then one more each call.

    Parameters
    ----------
    session
        The caller's transaction (the number is taken for good when it commits).
    series
        The series' name, e.g. ``ticket:140222-20261116-``.
    first
        The number a series not seen before starts at (e.g. one more than the numbers
        already used before counters existed).
    """
    table: Table = NumberCounter.__table__  # type: ignore[assignment]
    statement = (
        dialect_insert(session)(table)
        .values(series=series, last=first)
        .on_conflict_do_update(index_elements=[table.c.series], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    return int(session.execute(statement).scalar_one())
