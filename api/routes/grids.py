"""Grids (网格) of the caller's counties: list, design, assign, rebalance, staff, report, locate.

Every route answers for the caller's counties only; another county answers 404, as if it
did not exist. Writes (design, assign, rebalance, staff) need an officer or administrator.
Grid outlines come as GeoJSON in ``GET /api/v1/grids/{county}``.

Design and rebalance are long: they answer ``202 Accepted`` at once with a job (follow it at
``GET /api/v1/jobs/{id}``, cancel at ``POST /api/v1/jobs/{id}/cancel``) after the request is
checked (404, 409, and 422 for an absurd number of grids); the grids are stored when the job
succeeds, and nothing when it fails or is cancelled.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.cached import cached_json
from api.declared import CrsQuery
from api.deps import CurrentActor, SessionDep, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from api.routes.jobs import accepted
from gridmgmt import jobs
from gridmgmt.errors import NotFoundError
from gridmgmt.jobs import JobView
from gridmgmt.policy import Action
from gridmgmt.services import grid_jobs
from gridmgmt.services import grids as service
from gridmgmt.services.data_version import data_version, database_key

router = APIRouter(prefix="/api/v1/grids", tags=["grids"], responses=ERROR_RESPONSES)
READ = [allow(Action.READ_GRIDS)]
CHANGE = [allow(Action.CHANGE_GRIDS)]


class DesignIn(grid_jobs.DesignParams):
    """A grid design request: a number of grids or a target workload per grid."""

    county_code: str = Field(default="", description="Filled in from the path.")


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
    crs: CrsQuery = "wgs84",
) -> service.GridLocation:
    """Which of your grids contains a location, and its staff; 404 when none does."""
    found = service.locate(session, actor, lon, lat, crs=crs)
    if found is None:
        raise NotFoundError("grid", message="the location is in none of your grids")
    return found


GRID_KINDS: Final = ("grids", "staff_grids", "staff")
"""What a county's grid outlines are built from (their data version)."""


@router.get("/{county}", dependencies=READ, response_model=dict[str, Any])
def list_county_grids(county: str, session: SessionDep, actor: CurrentActor) -> Response:
    """The grids of one of your counties as a GeoJSON FeatureCollection.

    Built once per county and data version in each app process (then a lookup).
    """
    service.require_county(session, actor, county)
    key = ("grid outlines", database_key(session), county)
    version = data_version(session, [county], GRID_KINDS)
    return cached_json(
        key, version, lambda: service.grids_geojson(service.list_grids(session, actor, county))
    )


@router.post(
    "/{county}/design",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    dependencies=CHANGE,
)
def design(
    county: str,
    body: DesignIn,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
) -> JobView:
    """Design the county's grids as a job (409 when it has some, unless ``replace``; 422
    for more grids than retailers to visit or than the ``max_grids`` setting)."""
    params = body.model_copy(update={"county_code": county})
    options = params.model_dump(exclude={"county_code", "seed"})
    service.check_design(session, actor, county, max_grids=settings.max_grids, **options)
    return accepted(jobs.submit(grid_jobs.DESIGN, params, actor=actor, settings=settings), response)


@router.post("/{county}/assign", dependencies=CHANGE)
def assign(county: str, session: SessionDep, actor: CurrentActor) -> service.AssignmentSummary:
    """Put new and moved retailers into the grid that contains them."""
    return service.AssignmentSummary.of(service.assign_retailers(session, actor, county=county))


@router.post(
    "/{county}/rebalance",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    dependencies=CHANGE,
)
def rebalance(
    county: str,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
    body: RebalanceIn | None = None,
) -> JobView:
    """Bring workloads back within tolerance, as a job; its result lists who moved."""
    service.check_rebalance(session, actor, county)
    params = grid_jobs.RebalanceParams(county_code=county, lock=body.lock if body else [])
    return accepted(
        jobs.submit(grid_jobs.REBALANCE, params, actor=actor, settings=settings), response
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
