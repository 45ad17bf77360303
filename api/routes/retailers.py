"""Retailers of the caller's counties, as JSON pages or GeoJSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.declared import one_of
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from api.schemas import RetailerFeatureCollection
from gridmgmt.domain import RetailerStatus
from gridmgmt.policy import Action
from gridmgmt.services import records
from gridmgmt.services.records import RetailerPage

router = APIRouter(prefix="/api/v1/retailers", tags=["retailers"], responses=ERROR_RESPONSES)
GEOJSON = "application/geo+json"


@router.get(
    "",
    response_model=RetailerPage | RetailerFeatureCollection,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[allow(Action.READ_BASE_DATA)],
)
def list_retailers(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county (6-digit code).")] = None,
    status_: Annotated[
        str | None,
        Query(
            alias="status",
            description="Only this status: active, suspended or closed.",
            json_schema_extra=one_of(s.value for s in RetailerStatus),
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=records.MAX_PAGE_SIZE)] = 100,
    offset: Annotated[int, Query(ge=0, le=records.MAX_OFFSET)] = 0,
    format_: Annotated[
        Literal["json", "geojson"],
        Query(alias="format", description="`geojson` for a FeatureCollection."),
    ] = "json",
) -> RetailerPage | JSONResponse:
    """A page of the caller's retailers, ordered by licence number."""
    page = records.list_retailers(
        session, actor, county=county, status=status_, limit=limit, offset=offset
    )
    if format_ == "geojson":
        collection = RetailerFeatureCollection.of(page)
        return JSONResponse(collection.model_dump(mode="json"), media_type=GEOJSON)
    return page
