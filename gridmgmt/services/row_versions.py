"""Row versions (行版本): two people changing one row never lose a change.

A versioned row (a ticket, an inspection result, a county's rule settings) carries an
integer ``version``, 1 when first stored and one more on every change (a case carries a
token that changes on every write instead). A change is made
from the version its author read (``base_version``; by default the one loaded when the
change starts) and takes the row with a compare-and-set::

    UPDATE t SET version = read + 1 WHERE <key> AND version = read

which holds the row (PostgreSQL: its lock; SQLite: the database's write lock) until the
transaction ends. A writer who read an older version matches no row and gets a
:class:`~gridmgmt.errors.ConflictError` carrying the current state, never a success whose
change the other writer then overwrites. A first row (no version yet, read as 0) is
inserted with ``ON CONFLICT DO NOTHING``: of two concurrent first writes, one inserts and
the other conflicts instead of failing on the unique key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, inspect, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import set_committed_value

from gridmgmt.errors import ConflictError

__all__ = ["Versioned", "check_base_version", "claim_version", "dialect_insert", "insert_first"]


class Versioned(Protocol):
    """A mapped row with a ``version`` (an integer, or a token that changes on every write)."""

    version: Any


def dialect_insert(session: Session) -> Any:
    """The ``insert`` construct of the session's dialect (it has ``on_conflict_do_*``)."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def _changed(what: str, current: Callable[[], Any]) -> ConflictError:
    msg = f"{what} was changed by someone else meanwhile; reload it and try again"
    return ConflictError(msg, current=current())


def check_base_version(
    base_version: object | None, read: object, *, what: str, current: Callable[[], Any]
) -> None:
    """Refuse a change made from ``base_version`` when ``read`` is the version stored now.

    Raises
    ------
    ConflictError
        If ``base_version`` is given and is not ``read`` (``current``: the state now).
    """
    if base_version is not None and base_version != read:
        raise _changed(what, current)


def claim_version(
    session: Session,
    row: Versioned,
    *,
    base_version: Any = None,
    new_version: Any = None,
    what: str,
    current: Callable[[], Any],
) -> Any:
    """Take ``row`` from the version it was loaded at to the next (compare-and-set).

    Parameters
    ----------
    session
        The caller's transaction: the row stays held until it ends.
    row
        A loaded, mapped row with a ``version``.
    base_version
        The version the change was made from; by default the one loaded.
    new_version
        The version to store; by default one more than the one read.
    what
        The row as a person names it (``ticket 140222-20261116-001``).
    current
        The row's current state for the conflict's answer (called after the row is
        reloaded).

    Returns
    -------
    Any
        The row's new version (also set on ``row``, which is not marked changed by it).

    Raises
    ------
    ConflictError
        If the row is no longer at ``base_version`` (someone changed it since).
    """
    read = row.version
    check_base_version(base_version, read, what=what, current=current)
    following = read + 1 if new_version is None else new_version
    state = inspect(row)
    mapper = state.mapper
    table: Table = mapper.local_table  # type: ignore[assignment]
    key = mapper.primary_key_from_instance(row)
    where = and_(*(column == value for column, value in zip(mapper.primary_key, key, strict=True)))
    claim = update(table).where(where, table.c.version == read).values(version=following)
    if session.execute(claim.returning(table.c.version)).first() is None:
        session.expire(row)  # ``current`` reads the row as the other writer left it
        raise _changed(what, current)
    set_committed_value(row, "version", following)
    return following


def insert_first(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    what: str,
    current: Callable[[], Any],
) -> None:
    """Insert a row of ``model`` at version 1 unless another writer stored it first.

    Raises
    ------
    ConflictError
        If a row with the same ``key`` columns exists (``current``: its state).
    """
    table = cast(Table, model.__table__)
    statement = (
        dialect_insert(session)(table)
        .values({**values, "version": 1})
        .on_conflict_do_nothing(index_elements=[table.c[name] for name in key])
        .returning(table.c.version)
    )
    # RETURNING, not rowcount: psycopg answers -1 for an INSERT ... ON CONFLICT.
    if session.execute(statement).first() is None:
        raise _changed(what, current)
