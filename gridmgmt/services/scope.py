"""County scoping of queries: a user of county A never sees county B's rows unless shared."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from gridmgmt.services.actor import Actor
from gridmgmt.store.models import Share

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def scoped(
    stmt: S,
    county_column: InstrumentedAttribute[str],
    actor: Actor,
    *,
    share_kind: str | None = None,
    key_column: InstrumentedAttribute[Any] | None = None,
) -> S:
    """Restrict ``stmt`` to the actor's counties, plus rows explicitly shared with them.

    Parameters
    ----------
    stmt
        A select over a county-owned table.
    county_column
        The table's ``county_code`` column.
    actor
        Whose scope applies; an actor with ``counties=None`` sees everything.
    share_kind, key_column
        When given, rows whose ``key_column`` was shared (as ``share_kind``) with one of the
        actor's counties are visible too. A key names a row within its county (two counties
        may both have a case 12): a share matches on the sharing county and the key.
    """
    if actor.counties is None:
        return stmt
    own = county_column.in_(sorted(actor.counties))
    if share_kind is None or key_column is None:
        return stmt.where(own)
    shared = (
        select(Share.id)
        .where(
            Share.kind == share_kind,
            Share.to_county.in_(sorted(actor.counties)),
            Share.from_county == county_column,
            Share.object_key == key_column,
        )
        .exists()
    )
    return stmt.where(or_(own, shared))
