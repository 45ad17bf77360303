"""Route planning as background jobs, and the dispatcher's view of a day.

``POST /api/v1/routes/jobs/plan|replan|week`` (and ``POST /api/v1/routes/week``) answer
``202 Accepted`` at once with the job
(follow it at ``GET /api/v1/jobs/{id}``, cancel at ``POST /api/v1/jobs/{id}/cancel``); the
plan is stored when the job succeeds, and nothing when it fails or is cancelled. A solver
budget over the ``max_solver_seconds`` setting is refused at once (422).
``GET /api/v1/routes/day`` is the depot's day (plan in force with shop names, indicators,
versions) and ``GET /api/v1/routes/plans/compare`` two versions side by side.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.deps import CurrentActor, SessionDep, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from api.routes.jobs import accepted
from gridmgmt import jobs
from gridmgmt.jobs import JobView
from gridmgmt.policy import Action
from gridmgmt.services.bounds import MAX_REQUEST_INT
from gridmgmt.services.routes import day_view as view
from gridmgmt.services.routes import jobs as route_jobs
from gridmgmt.services.routes.requests import PlanRequest, WeekRequest

router = APIRouter(prefix="/api/v1/routes", tags=["routes"], responses=ERROR_RESPONSES)
PLAN = [allow(Action.PLAN_ROUTES)]
READ = [allow(Action.READ_ROUTES)]
DepotQuery = Annotated[str, Query(description="The depot's code.")]
DateQuery = Annotated[dt.date, Query(description="Delivery date.")]


class ReplanBody(route_jobs.ReplanDayParams):
    """Drop (``cancel``) or move (``moves``: route id by licence number) stops of the stored
    plan, optionally with closures, and re-optimise."""

    county_code: str = Field(default="", description="Filled in from the depot.")


def _submit(
    kind: str, body: Any, session: Any, actor: Any, settings: Any, response: Response
) -> JobView:
    body.check_budget(settings.max_solver_seconds)
    county = route_jobs.depot_county(session, actor, body.depot_code)
    params = {**body.model_dump(mode="json"), "county_code": county}
    return accepted(jobs.submit(kind, params, actor=actor, settings=settings), response)


@router.post("/jobs/plan", dependencies=PLAN, status_code=202, response_model=JobView)
def submit_plan_day(
    body: PlanRequest,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
) -> JobView:
    """Plan the depot's day as a job; the plan is stored as the day's current version."""
    return _submit(route_jobs.PLAN_DAY, body, session, actor, settings, response)


@router.post("/jobs/replan", dependencies=PLAN, status_code=202, response_model=JobView)
def submit_replan_day(
    body: ReplanBody,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
) -> JobView:
    """Re-optimise the stored current plan after drops, moves or closures, as a job."""
    return _submit(route_jobs.REPLAN_DAY, body, session, actor, settings, response)


@router.post("/week", dependencies=PLAN, status_code=202, response_model=JobView)
@router.post("/jobs/week", dependencies=PLAN, status_code=202, response_model=JobView)
def submit_plan_week(
    body: WeekRequest,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
) -> JobView:
    """Plan the depot's week as a job; each day's plan is stored (``/week`` and
    ``/jobs/week`` are the same action; a week blocks no request)."""
    return _submit(route_jobs.PLAN_WEEK, body, session, actor, settings, response)


@router.get("/day", dependencies=READ)
def depot_day(
    session: SessionDep, actor: CurrentActor, depot: DepotQuery, date: DateQuery
) -> view.DayView:
    """The depot's day: vehicles, orders, the plan in force with shop names and stops in
    order, the dispatcher's indicators and the stored versions."""
    return view.day_view(session, actor, depot_code=depot, day=date)


@router.get("/plans/compare", dependencies=READ)
def compare_plans(
    session: SessionDep,
    actor: CurrentActor,
    depot: DepotQuery,
    date: DateQuery,
    a: Annotated[int, Query(ge=1, le=MAX_REQUEST_INT, description="A version.")],
    b: Annotated[int, Query(ge=1, le=MAX_REQUEST_INT, description="Another version.")],
) -> view.PlanComparison:
    """Two versions of the depot's day: their totals and the orders that changed route."""
    return view.compare_versions(session, actor, depot_code=depot, day=date, a=a, b=b)
