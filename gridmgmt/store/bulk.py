"""Bulk writes on PostgreSQL with ``COPY`` (psycopg 3), not row ``INSERT``s.

Two operations, both inside the caller's transaction (so an import stays all-or-nothing):

- :func:`copy_insert` streams new rows straight into their table with ``COPY ... FROM STDIN``;
- :func:`copy_update` streams changed rows into a temporary staging table (dropped at commit)
  and applies them with one ``UPDATE ... FROM`` joined on the primary key.

Values arrive as the Python objects the ORM would bind (geometries as shapely objects,
enums as their values); defaults and ``onupdate`` values that SQLAlchemy computes in Python
(``updated_at`` and the like) are filled in here, since ``COPY`` bypasses them. Columns with
a server default are left to the server.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import JSON, Column, Table
from sqlalchemy.orm import Session

from gridmgmt.store.types import Geometry

__all__ = ["copy_insert", "copy_update", "supports_copy"]

Progress = Callable[[int], None]
_CHUNK = 20_000


def supports_copy(session: Session) -> bool:
    """Whether the session's database takes ``COPY`` from the client (PostgreSQL via psycopg)."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


def copy_insert(
    session: Session, table: Table, frame: pd.DataFrame, progress: Progress | None = None
) -> None:
    """Insert every row of ``frame`` (columns named as ``table``'s) with one ``COPY``."""
    if frame.empty:
        return
    filled = _with_python_defaults(table, frame, onupdate=False)
    _copy(session, table.name, table, filled, progress)


def copy_update(
    session: Session,
    table: Table,
    frame: pd.DataFrame,
    key: str,
    progress: Progress | None = None,
) -> None:
    """Update the rows of ``table`` whose ``key`` is in ``frame`` to ``frame``'s other columns."""
    if frame.empty:
        return
    filled = _with_python_defaults(table, frame, onupdate=True)
    columns = list(filled.columns)
    stage = f"_stage_{table.name}"
    quoted = ", ".join(_quote(name) for name in columns)
    cursor = _driver_connection(session).cursor()
    cursor.execute(f"DROP TABLE IF EXISTS {_quote(stage)}")
    cursor.execute(
        f"CREATE TEMP TABLE {_quote(stage)} ON COMMIT DROP AS "
        f"SELECT {quoted} FROM {_quote(table.name)} WITH NO DATA"
    )
    _copy(session, stage, table, filled, progress)
    cursor.execute(f"ANALYZE {_quote(stage)}")
    assignments = ", ".join(f"{_quote(c)} = s.{_quote(c)}" for c in columns if c != key)
    cursor.execute(
        f"UPDATE {_quote(table.name)} AS t SET {assignments} "
        f"FROM {_quote(stage)} AS s WHERE t.{_quote(key)} = s.{_quote(key)}"
    )


def _copy(
    session: Session, target: str, table: Table, frame: pd.DataFrame, progress: Progress | None
) -> None:
    columns = list(frame.columns)
    encoders = [_encoder(table.c[name]) for name in columns]
    statement = f"COPY {_quote(target)} ({', '.join(_quote(name) for name in columns)}) FROM STDIN"
    cursor = _driver_connection(session).cursor()
    done = 0
    with cursor.copy(statement) as copy:
        for start in range(0, len(frame), _CHUNK):
            chunk = frame.iloc[start : start + _CHUNK]
            encoded = [
                encode(chunk[name].to_numpy(dtype=object))
                for name, encode in zip(columns, encoders, strict=True)
            ]
            for row in zip(*encoded, strict=True):
                copy.write_row(row)
            done += len(chunk)
            if progress is not None:
                progress(done)


def _encoder(column: Column[Any]) -> Callable[[np.ndarray], Sequence[Any]]:
    """How one column's values become what ``COPY`` takes (``None`` is NULL)."""
    if isinstance(column.type, Geometry):
        srid = column.type.srid

        def geometries(values: np.ndarray) -> Sequence[Any]:
            present = np.array([isinstance(v, shapely.Geometry) for v in values], dtype=bool)
            out: list[Any] = [None] * len(values)
            if present.any():
                shapes = shapely.set_srid(values[present], srid)
                hexes = shapely.to_wkb(shapes, hex=True, include_srid=True)
                for index, text in zip(np.flatnonzero(present), hexes, strict=True):
                    out[index] = text
            return out

        return geometries
    if isinstance(column.type, JSON):
        return lambda values: [None if v is None else json.dumps(v) for v in values]
    return _plain


def _plain(values: np.ndarray) -> Sequence[Any]:
    out: list[Any] = []
    for value in values:
        if value is None or (not isinstance(value, (str, bytes, dict, list)) and pd.isna(value)):
            out.append(None)
        elif isinstance(value, enum.Enum):
            out.append(value.value)
        elif isinstance(value, np.generic):
            out.append(value.item())
        elif isinstance(value, pd.Timestamp):
            out.append(value.to_pydatetime())
        else:
            out.append(value)
    return out


def _with_python_defaults(table: Table, frame: pd.DataFrame, *, onupdate: bool) -> pd.DataFrame:
    """``frame`` plus the columns SQLAlchemy would have filled in Python for this write."""
    filled = frame.copy()
    for column in table.columns:
        default = column.onupdate if onupdate else column.default
        if default is None or column.name in filled.columns:
            continue
        value = _default_value(default)
        if value is not _SKIP:
            filled[column.name] = [value] * len(filled)
    return filled


_SKIP = object()


def _default_value(default: Any) -> Any:
    if getattr(default, "is_scalar", False):
        return default.arg
    if getattr(default, "is_callable", False):
        return default.arg(None)  # SQLAlchemy wraps plain callables to take a context
    return _SKIP  # SQL expressions: the server default (or NULL) applies


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
