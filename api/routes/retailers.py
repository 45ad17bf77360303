"""Retailers of the caller's counties, as JSON pages or GeoJSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse

from api.deps import CurrentActor, SessionDep
from api.schemas import RetailerFeature, RetailerFeatureCollection, RetailerOut, RetailerPageOut
from gridmgmt.services import records

router = APIRouter(prefix="/api/v1/retailers", tags=["retailers"])
GEOJSON = "application/geo+json"


@router.get(
    "",
    response_model=RetailerPageOut | RetailerFeatureCollection,
    responses={200: {"content": {GEOJSON: {}}}},
)
def list_retailers(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county (6-digit code).")] = None,
    status_: Annotated[
        str | None,
        Query(alias="status", description="Only this status: active, suspended or closed."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=records.MAX_PAGE_SIZE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    format_: Annotated[
        Literal["json", "geojson"],
        Query(alias="format", description="`geojson` for a FeatureCollection."),
    ] = "json",
) -> RetailerPageOut | JSONResponse:
    """A page of the caller's retailers, ordered by licence number."""
    try:
        page = records.list_retailers(
            session, actor, county=county, status=status_, limit=limit, offset=offset
        )
    except ValueError as error:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)
        ) from error
    if format_ == "geojson":
        collection = RetailerFeatureCollection(
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            features=[RetailerFeature.of(r) for r in page.items],
        )
        return JSONResponse(collection.model_dump(mode="json"), media_type=GEOJSON)
    return RetailerPageOut(
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        items=[RetailerOut.of(r) for r in page.items],
    )
