"""Data versions (数据版本): a cheap stamp of the stored rows a cached result was built from.

A stamp is, for each kind of row of some counties, the row count and the latest change
time (``updated_at``, or ``assigned_at`` for grid posts), read in one query of a few
aggregates. Every insert and update sets the time (the ORM's defaults, the bulk importer
and Core inserts alike) and a delete changes the count, so an added, changed or removed row
gives a new stamp. Each app process checks the stamp before using what it cached, so
several workers stay correct without telling each other anything.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from gridmgmt.store.models import Checkpoint, County, Retailer, School, Staff
from gridmgmt.store.models.grids import GridRecord, RetailerGrid, StaffGrid
from gridmgmt.store.models.rules import RuleSettingsRecord

__all__ = ["KINDS", "data_version", "database_key"]


@dataclass(frozen=True)
class _Tracked:
    """Where a kind's county and change time are."""

    model: Any
    county: Any
    changed: Any


KINDS: Final = {
    "retailers": _Tracked(Retailer, Retailer.county_code, Retailer.updated_at),
    "schools": _Tracked(School, School.county_code, School.updated_at),
    "checkpoints": _Tracked(Checkpoint, Checkpoint.county_code, Checkpoint.updated_at),
    "staff": _Tracked(Staff, Staff.county_code, Staff.updated_at),
    "grids": _Tracked(GridRecord, GridRecord.county_code, GridRecord.updated_at),
    "retailer_grids": _Tracked(RetailerGrid, RetailerGrid.county_code, RetailerGrid.assigned_at),
    "staff_grids": _Tracked(StaffGrid, StaffGrid.county_code, StaffGrid.assigned_at),
    "rule_settings": _Tracked(
        RuleSettingsRecord, RuleSettingsRecord.county_code, RuleSettingsRecord.updated_at
    ),
    "counties": _Tracked(County, County.code, County.updated_at),
}
"""The kinds a stamp can cover."""


def data_version(
    session: Session,
    codes: Sequence[str] | None,
    kinds: Iterable[str],
    *,
    everywhere: Iterable[str] = (),
) -> tuple[Any, ...]:
    """The stamp of ``kinds`` in the counties ``codes`` (``None``: every county) and of
    ``everywhere`` in every county, in one query.

    Raises
    ------
    KeyError
        For a kind not in :data:`KINDS` (a programming error).
    """
    query = _stamp_query(tuple(kinds), tuple(everywhere), scoped=codes is not None)
    params = {"codes": list(codes)} if codes is not None else {}
    return tuple(session.execute(query, params).one())


@lru_cache(maxsize=64)
def _stamp_query(kinds: tuple[str, ...], everywhere: tuple[str, ...], *, scoped: bool) -> Any:
    """The stamp's query, built once per shape (the county codes are its one parameter)."""
    codes: Any = bindparam("codes", expanding=True)
    wanted = [(kind, scoped) for kind in kinds] + [(kind, False) for kind in everywhere]
    columns: list[ColumnElement[Any]] = []
    for kind, in_counties in wanted:
        tracked = KINDS[kind]
        count = select(func.count()).select_from(tracked.model)
        latest = select(func.max(tracked.changed))
        if in_counties:
            count = count.where(tracked.county.in_(codes))
            latest = latest.where(tracked.county.in_(codes))
        columns += [count.scalar_subquery(), latest.scalar_subquery()]
    return select(*columns)


def database_key(session: Session) -> Hashable:
    """The database a session reads (password hidden): part of every cache key, so two
    databases served by one process never share an entry."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)
