"""Counties the caller works for; others answer 404 as if they did not exist."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.deps import CurrentActor, SessionDep
from api.schemas import CountyDetail, CountyOut
from gridmgmt.services import records

router = APIRouter(prefix="/api/v1/counties", tags=["counties"])


@router.get("")
def list_counties(session: SessionDep, actor: CurrentActor) -> list[CountyOut]:
    """The caller's counties, by code."""
    return [CountyOut.of(county) for county in records.list_counties(session, actor)]


@router.get("/{code}")
def get_county(code: str, session: SessionDep, actor: CurrentActor) -> CountyDetail:
    """One of the caller's counties, with its boundary and retailer counts."""
    county = records.get_county(session, actor, code)
    if county is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="county not found")
    return CountyDetail(
        **CountyOut.of(county).model_dump(),
        retailers_by_status=records.retailer_counts(session, actor, code),
        boundary=county.boundary.__geo_interface__,
    )
