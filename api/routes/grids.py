"""Grids (网格) of the caller's counties: list, design, assign, rebalance, staff, report, locate.

Every route answers for the caller's counties only; another county answers 404, as if it
did not exist. Writes (design, assign, rebalance, staff) need an officer or administrator.
Grid outlines come as GeoJSON in ``GET /api/v1/grids/{county}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.deps import CurrentActor, SessionDep, allow
from gridmgmt.errors import NotFoundError
from gridmgmt.policy import Action
from gridmgmt.services import grids as service

router = APIRouter(prefix="/api/v1/grids", tags=["grids"])
READ = [allow(Action.READ_GRIDS)]
CHANGE = [allow(Action.CHANGE_GRIDS)]


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


@router.get("/locate", dependencies=READ)
def locate_point(
    session: SessionDep,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: Annotated[str, Query(description="wgs84, gcj02, bd09 or cgcs2000.")] = "wgs84",
) -> service.GridLocation:
    """Which of your grids contains a location, and its staff; 404 when none does."""
    found = service.locate(session, actor, lon, lat, crs=crs)
    if found is None:
        raise NotFoundError("grid", message="the location is in none of your grids")
    return found


@router.get("/{county}", dependencies=READ)
def list_county_grids(county: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """The grids of one of your counties as a GeoJSON FeatureCollection."""
    return service.grids_geojson(service.list_grids(session, actor, county))


@router.post("/{county}/design", status_code=status.HTTP_201_CREATED, dependencies=CHANGE)
def design(
    county: str, body: DesignIn, session: SessionDep, actor: CurrentActor
) -> service.DesignSummary:
    """Design the county's grids (409 when it has some, unless ``replace``)."""
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
    return service.DesignSummary.of(result)


@router.post("/{county}/assign", dependencies=CHANGE)
def assign(county: str, session: SessionDep, actor: CurrentActor) -> service.AssignmentSummary:
    """Put new and moved retailers into the grid that contains them."""
    return service.AssignmentSummary.of(service.assign_retailers(session, actor, county=county))


@router.post("/{county}/rebalance", dependencies=CHANGE)
def rebalance(
    county: str, session: SessionDep, actor: CurrentActor, body: RebalanceIn | None = None
) -> service.RebalanceSummary:
    """Bring workloads back within tolerance; lists the retailers that moved."""
    lock = body.lock if body else ()
    return service.RebalanceSummary.of(
        service.rebalance_county_grids(session, actor, county, lock=lock)
    )


@router.post("/{county}/staff", dependencies=CHANGE)
def staff(
    county: str, session: SessionDep, actor: CurrentActor, body: StaffIn | None = None
) -> service.StaffingSummary:
    """Post the three roles (三员) to every grid; unstaffed posts and overloads reported."""
    overload = body.allow_overload if body else False
    return service.StaffingSummary.of(
        service.staff_county_grids(session, actor, county, allow_overload=overload)
    )


@router.get("/{county}/report", dependencies=READ)
def report(county: str, session: SessionDep, actor: CurrentActor) -> service.ReportSummary:
    """Figures, grids and the responsibility sheet (网格责任清单) of a county."""
    return service.ReportSummary.of(service.grid_report(session, actor, county))
