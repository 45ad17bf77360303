"""Read-only, county-scoped look-ups behind the API and the map pages.

Out-of-scope rows are reported exactly like missing ones (``None`` or an empty page), so a
caller cannot learn whether another county's record exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gridmgmt.domain import RetailerStatus, parse_enum
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import County, Retailer

MAX_PAGE_SIZE = 1000
OVERVIEW_KINDS = ("counties", "retailers", "schools", "checkpoints")


@dataclass(frozen=True)
class RetailerPage:
    """One page of retailers and the number of rows matching the filter in all pages."""

    total: int
    limit: int
    offset: int
    items: list[Retailer]


def county_codes(session: Session, actor: Actor) -> list[str]:
    """Codes of the counties the actor may see, sorted."""
    return list(session.scalars(scoped(select(County.code), County.code, actor).order_by("code")))


def list_counties(session: Session, actor: Actor) -> list[County]:
    """Counties the actor may see, by code, with their province loaded."""
    stmt = select(County).options(selectinload(County.province)).order_by(County.code)
    return list(session.scalars(scoped(stmt, County.code, actor)))


def get_county(session: Session, actor: Actor, code: str) -> County | None:
    """The county with ``code`` if the actor may see it, else None (as if it did not exist)."""
    if not actor.can_see(code):
        return None
    return session.get(County, code, options=[selectinload(County.province)])


def retailer_counts(session: Session, actor: Actor, code: str) -> dict[str, int]:
    """Number of retailers per status in one county (all statuses, zeros included)."""
    counts = dict.fromkeys((status.value for status in RetailerStatus), 0)
    if not actor.can_see(code):
        return counts
    stmt = (
        select(Retailer.status, func.count())
        .where(Retailer.county_code == code)
        .group_by(Retailer.status)
    )
    for status, count in session.execute(stmt):
        counts[RetailerStatus(status).value] = int(count)
    return counts


def list_retailers(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> RetailerPage:
    """A page of the retailers the actor may see, ordered by licence number.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose county scope applies.
    county
        Only this county; a county outside the actor's scope gives an empty page.
    status
        Only this licence status (``active``, ``正常``...).
    limit, offset
        Page size (1 to :data:`MAX_PAGE_SIZE`) and start.

    Raises
    ------
    ValueError
        If ``status`` is not a retailer status or the page bounds are out of range.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        msg = f"`limit` must be in [1, {MAX_PAGE_SIZE}] and `offset` >= 0"
        raise ValueError(msg)
    stmt = scoped(select(Retailer), Retailer.county_code, actor)
    if county is not None:
        stmt = stmt.where(Retailer.county_code == county)
    if status is not None:
        stmt = stmt.where(Retailer.status == parse_enum(RetailerStatus, status))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Retailer.licence_no).limit(limit).offset(offset))
    return RetailerPage(total=int(total), limit=limit, offset=offset, items=list(rows))


def overview_frames(
    session: Session, actor: Actor, *, county_codes: list[str] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Counties, retailers, schools and checkpoints the actor may see, for the overview map.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose county scope applies.
    county_codes
        Restrict further to these counties.

    Returns
    -------
    dict
        GeoDataFrames in WGS-84 keyed by :data:`OVERVIEW_KINDS`.
    """
    return {
        kind: load_frame(session, kind, actor, county_codes=county_codes) for kind in OVERVIEW_KINDS
    }
