"""Read-only, county-scoped look-ups behind the API and the map pages.

Out-of-scope rows are reported exactly like missing ones (not found, or an empty page), so a
caller cannot learn whether another county's record exists. Rows leave as result models
(:class:`CountyInfo`, :class:`RetailerInfo`...), which the API answers as they are.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gridmgmt.domain import BusinessType, RetailerStatus, parse_enum
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.results import Result
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import County, Retailer

MAX_PAGE_SIZE = 1000
MAX_OFFSET = 1_000_000_000
"""Largest page start a list accepts (a database integer holds it; bigger is no page)."""
OVERVIEW_KINDS = ("counties", "retailers", "schools", "checkpoints")


class CountyInfo(Result):
    """A county (县) the caller works for."""

    code: str
    name: str
    province_code: str
    province: str
    city: str | None
    bbox: list[float] = Field(description="[min lon, min lat, max lon, max lat], WGS-84.")

    @classmethod
    def of(cls, county: County) -> CountyInfo:
        return cls(
            code=county.code,
            name=county.name,
            province_code=county.province_code,
            province=county.province.name,
            city=county.city,
            bbox=[round(float(v), 7) for v in county.boundary.bounds],
        )


class CountyDetail(CountyInfo):
    """A county with its boundary and retailer counts."""

    retailers_by_status: dict[str, int]
    boundary: dict[str, Any] = Field(description="GeoJSON MultiPolygon, WGS-84.")


class RetailerInfo(Result):
    """A licensed retailer (零售户), location in WGS-84."""

    licence_no: str
    name: str
    address: str | None
    county_code: str
    tier: int
    business_type: BusinessType
    status: RetailerStatus
    key_retailer: bool
    phone: str | None
    lon: float
    lat: float

    @classmethod
    def of(cls, retailer: Retailer) -> RetailerInfo:
        return cls(
            licence_no=retailer.licence_no,
            name=retailer.name,
            address=retailer.address,
            county_code=retailer.county_code,
            tier=retailer.tier,
            business_type=retailer.business_type,
            status=retailer.status,
            key_retailer=retailer.key_retailer,
            phone=retailer.phone,
            lon=retailer.location.x,
            lat=retailer.location.y,
        )


class RetailerPage(Result):
    """One page of retailers and the number of rows matching the filter in all pages."""

    total: int = Field(description="Retailers matching the filter, in all pages.")
    limit: int
    offset: int
    items: list[RetailerInfo]


@requires(Action.READ_BASE_DATA)
def county_codes(session: Session, actor: Actor) -> list[str]:
    """Codes of the counties the actor may see, sorted."""
    return list(session.scalars(scoped(select(County.code), County.code, actor).order_by("code")))


@requires(Action.READ_BASE_DATA)
def list_counties(session: Session, actor: Actor) -> list[CountyInfo]:
    """Counties the actor may see, by code."""
    stmt = select(County).options(selectinload(County.province)).order_by(County.code)
    return [CountyInfo.of(county) for county in session.scalars(scoped(stmt, County.code, actor))]


@requires(Action.READ_BASE_DATA)
def get_county(session: Session, actor: Actor, code: str) -> CountyDetail:
    """The county with ``code``, its boundary and retailer counts.

    Raises
    ------
    NotFoundError
        If there is no such county, or the actor may not see it (the same answer).
    """
    county = (
        session.get(County, code, options=[selectinload(County.province)])
        if actor.can_see(code)
        else None
    )
    if county is None:
        raise NotFoundError("county", code)
    return CountyDetail(
        **CountyInfo.of(county).model_dump(),
        retailers_by_status=retailer_counts(session, actor, code),
        boundary=county.boundary.__geo_interface__,
    )


@requires(Action.READ_BASE_DATA)
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


@requires(Action.READ_BASE_DATA)
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
    InvalidInputError
        If ``status`` is not a retailer status or the page bounds are out of range.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        msg = f"`limit` must be in [1, {MAX_PAGE_SIZE}] and `offset` >= 0"
        raise InvalidInputError(msg)
    stmt = scoped(select(Retailer), Retailer.county_code, actor)
    if county is not None:
        stmt = stmt.where(Retailer.county_code == county)
    if status is not None:
        stmt = stmt.where(Retailer.status == parse_enum(RetailerStatus, status))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Retailer.licence_no).limit(limit).offset(offset))
    items = [RetailerInfo.of(row) for row in rows]
    return RetailerPage(total=int(total), limit=limit, offset=offset, items=items)


@requires(Action.READ_BASE_DATA)
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
