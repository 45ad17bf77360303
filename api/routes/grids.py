"""Grids (网格) of the caller's counties: list, design, assign, rebalance, staff, report, locate.

Every route answers for the caller's counties only; another county answers 404, as if it
did not exist. Writes (design, assign, rebalance, staff) need an officer or administrator.
Grid outlines come as GeoJSON in ``GET /api/v1/grids/{county}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import CurrentActor, SessionDep
from gridmgmt.services import grids as service
from gridmgmt.services.actor import AccessDeniedError
from gridmgmt.services.frames import frame_records

router = APIRouter(prefix="/api/v1/grids", tags=["grids"])


@contextmanager
def service_errors() -> Iterator[None]:
    """Service errors as HTTP answers: 404 not found (or not yours), 403 role, 409 a design
    exists, 422 bad input."""
    try:
        yield
    except service.GridNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except AccessDeniedError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from error
    except service.GridsExistError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error


class DesignIn(BaseModel):
    """A grid design request: a number of grids or a target workload per grid."""

    n_grids: int | None = Field(default=None, ge=1, description="Grids in total.")
    target_workload: float | None = Field(
        default=None, gt=0, description="Workload per grid (visit minutes)."
    )
    seed: int = Field(default=0, description="Seed; the same seed gives the same grids.")
    lock: list[str] = Field(default_factory=list, description="Stored grids to keep.")
    replace: bool = Field(default=False, description="Replace the stored design.")


class RebalanceIn(BaseModel):
    """Grids to leave alone in a rebalance (besides those stored as locked)."""

    lock: list[str] = Field(default_factory=list)


class StaffIn(BaseModel):
    """Staffing options."""

    allow_overload: bool = Field(default=False, description="Staff every grid, over capacity.")


@router.get("/locate")
def locate_point(
    session: SessionDep,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: Annotated[str, Query(description="wgs84, gcj02, bd09 or cgcs2000.")] = "wgs84",
) -> dict[str, Any]:
    """Which of your grids contains a location, and its staff; 404 when none does."""
    with service_errors():
        found = service.locate(session, actor, lon, lat, crs=crs)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail="the location is in none of your grids"
        )
    return asdict(found)


@router.get("/{county}")
def list_county_grids(county: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """The grids of one of your counties as a GeoJSON FeatureCollection."""
    with service_errors():
        grids = service.list_grids(session, actor, county)
    for column in grids.columns:
        if str(grids[column].dtype).startswith("datetime64"):
            grids[column] = grids[column].map(lambda t: t.isoformat())
    collection: dict[str, Any] = json.loads(grids.to_json(drop_id=True, na="null"))
    return collection


@router.post("/{county}/design", status_code=status.HTTP_201_CREATED)
def design(county: str, body: DesignIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Design the county's grids (409 when it has some, unless ``replace``)."""
    with service_errors():
        result = service.design_county_grids(
            session,
            actor,
            county,
            n_grids=body.n_grids,
            target_workload=body.target_workload,
            seed=body.seed,
            lock=body.lock,
            replace=body.replace,
        )
    return {"report": asdict(result.report), "grids": frame_records(result.grids, lonlat=False)}


@router.post("/{county}/assign")
def assign(county: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Put new and moved retailers into the grid that contains them."""
    with service_errors():
        report = service.assign_retailers(session, actor, county=county)
    figures = {k: v for k, v in asdict(report).items() if k != "changes"}
    return {**figures, "changes": frame_records(report.changes, lonlat=False)}


@router.post("/{county}/rebalance")
def rebalance(
    county: str, session: SessionDep, actor: CurrentActor, body: RebalanceIn | None = None
) -> dict[str, Any]:
    """Bring workloads back within tolerance; lists the retailers that moved."""
    with service_errors():
        result = service.rebalance_county_grids(
            session, actor, county, lock=body.lock if body else ()
        )
    return {"report": asdict(result.report), "moved": frame_records(result.moved, lonlat=False)}


@router.post("/{county}/staff")
def staff(
    county: str, session: SessionDep, actor: CurrentActor, body: StaffIn | None = None
) -> dict[str, Any]:
    """Post the three roles (三员) to every grid; unstaffed posts and overloads reported."""
    with service_errors():
        result = service.staff_county_grids(
            session, actor, county, allow_overload=body.allow_overload if body else False
        )
    return {
        "assignments": frame_records(result.assignments, lonlat=False),
        "unstaffed": frame_records(result.unstaffed, lonlat=False),
        "staff_load": frame_records(result.staff_load, lonlat=False),
        "overloaded": [str(s) for s in result.overloaded],
    }


@router.get("/{county}/report")
def report(county: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Figures, grids and the responsibility sheet (网格责任清单) of a county."""
    with service_errors():
        result = service.grid_report(session, actor, county)
    return {
        "figures": result.figures,
        "grids": frame_records(result.grids, lonlat=False),
        "sheet": frame_records(result.sheet, lonlat=False),
        "unstaffed": frame_records(result.unstaffed, lonlat=False),
    }
