"""Route planning as background jobs (后台任务): a day, a replan, a week.

Each job plans first (reads and the solver, with progress reported while the solver runs and
cancel seen between steps), then stores in the job's unit of work, so a failed or cancelled
job stores nothing. The params are the services' requests plus the depot's county (the job's
scope); the face fills it in with :func:`depot_county`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from pydantic import Field
from sqlalchemy.orm import Session

from gridmgmt.errors import ConflictError
from gridmgmt.jobs import JobContext, job, progress_while
from gridmgmt.policy import Action, requires
from gridmgmt.routing.closures import ClosurePolicy
from gridmgmt.routing.manifest import day_totals
from gridmgmt.routing.moves import move_stops
from gridmgmt.services.actor import Actor
from gridmgmt.services.bounds import Version
from gridmgmt.services.results import Result
from gridmgmt.services.routes.planning import depot_and_county, plan_depot_day, roads_file
from gridmgmt.services.routes.requests import (
    Closures,
    PlanRequest,
    ReplanRequest,
    SolverOptions,
    WeekRequest,
)
from gridmgmt.services.routes.stored import (
    PlanVersion,
    current_plan,
    plan_and_store_week,
    replan_and_store_day,
    store_day_plan,
)

__all__ = [
    "PLAN_DAY",
    "PLAN_WEEK",
    "REPLAN_DAY",
    "DayJobResult",
    "PlanDayParams",
    "PlanWeekParams",
    "ReplanDayParams",
    "WeekJobResult",
    "depot_county",
]

PLAN_DAY: Final = "routes.plan_day"
REPLAN_DAY: Final = "routes.replan_day"
PLAN_WEEK: Final = "routes.plan_week"
SETUP_S: Final = 3.0
"""Seconds of loading, snapping and matrices expected before the solver starts."""


@requires(Action.READ_ROUTES)
def depot_county(session: Session, actor: Actor, depot_code: str) -> str:
    """The county of a depot the actor may see (NotFoundError otherwise): the job's scope."""
    return depot_and_county(session, actor, depot_code)[1]


class PlanDayParams(PlanRequest):
    """:class:`PlanRequest` of a job, with its depot's county."""

    county_code: str


class PlanWeekParams(WeekRequest):
    """:class:`WeekRequest` of a job, with its depot's county."""

    county_code: str


class ReplanDayParams(SolverOptions):
    """Replan the stored current plan of a day: orders dropped, stops moved, closures added.

    Closures and their mode default to the stored plan's.
    """

    depot_code: str = Field(min_length=1)
    date: dt.date
    county_code: str
    time_limit: float | None = Field(default=5.0, gt=0, le=600)
    cancel: tuple[str, ...] = Field(default=(), description="Licence numbers dropped.")
    moves: dict[str, str] = Field(
        default_factory=dict, description="Target route id by licence number."
    )
    closures: Closures | None = None
    closure_mode: ClosurePolicy | None = None
    base_version: Version | None = Field(
        default=None,
        ge=1,
        description="The plan version the edits were made on (`version` of the day's plan "
        "read). If another plan of the day was stored since, the job fails as a conflict and "
        "stores nothing. Default: the version in force when the job starts.",
    )


class DayJobResult(Result):
    """A stored day plan: its version and totals."""

    depot_code: str
    date: dt.date
    plan_version: int
    km: float
    vehicles: int
    orders_served: int
    orders_unserved: int
    moved: list[str] = Field(default_factory=list)


class WeekJobResult(Result):
    """A stored week: the version and totals of each day."""

    depot_code: str
    week_of: dt.date
    versions: dict[str, int]
    days: dict[str, dict[str, Any]]
    weekday: dict[str, int] = Field(
        default_factory=dict, description="Delivery weekday (0 = Monday) by licence number."
    )


def _day_result(version: PlanVersion, moved: list[str] | None = None) -> DayJobResult:
    return DayJobResult(
        depot_code=version.depot_code,
        date=version.day,
        plan_version=version.version,
        km=version.km,
        vehicles=version.vehicles,
        orders_served=version.orders_served,
        orders_unserved=version.orders_unserved,
        moved=moved or [],
    )


def _solver_s(options: SolverOptions) -> float:
    return SETUP_S + (options.time_limit or 10.0)


@job(PLAN_DAY, params=PlanDayParams, action=Action.PLAN_ROUTES)
def plan_day_job(ctx: JobContext, session: Session, params: PlanDayParams) -> DayJobResult:
    """Plan a depot's day and store it as the current version."""
    params.check_budget(ctx.settings.max_solver_seconds)
    with progress_while(ctx, 0.02, 0.95, _solver_s(params), "solving"):
        plan = plan_depot_day(session, ctx.actor, params, roads=roads_file(ctx.settings))
    ctx.progress(0.97, "storing")
    return _day_result(store_day_plan(session, ctx.actor, plan=plan, request=params))


def _replan_request(session: Session, actor: Actor, params: ReplanDayParams) -> ReplanRequest:
    values: dict[str, Any] = {
        "depot_code": params.depot_code,
        "date": params.date,
        "time_limit": params.time_limit,
        "seed": params.seed,
        "max_iterations": params.max_iterations,
        "cancel": params.cancel,
        "closures": params.closures,
        "closure_mode": params.closure_mode,
        "base_version": params.base_version,
    }
    if params.moves:
        # A hand-edited start: the stored plan's closures, mode and order changes still apply.
        stored = current_plan(session, actor, depot_code=params.depot_code, day=params.date)
        read = stored.version.version
        if params.base_version is not None and params.base_version != read:
            # The moves were made on another version: refuse before moving stops of this one.
            msg = (
                f"another plan of depot {params.depot_code!r} for {params.date.isoformat()} "
                f"was stored since version {params.base_version} was read (version {read} is "
                "in force); nothing was stored: reload the plan in force and try again"
            )
            raise ConflictError(msg, current=stored.version.to_json())
        day = params.date.isoformat()
        moves = {f"{lic}@{day}": route for lic, route in params.moves.items()}
        changes = stored.order_changes
        values.update(
            plan=move_stops(stored.plan, moves),
            closures=stored.closures if params.closures is None else params.closures,
            closure_mode=params.closure_mode or stored.version.closure_mode,
            add=dict(changes.add),
            cancel=tuple(dict.fromkeys((*changes.cancel, *params.cancel))),
            change=dict(changes.change),
        )
    return ReplanRequest.of(**values)


@job(REPLAN_DAY, params=ReplanDayParams, action=Action.PLAN_ROUTES)
def replan_day_job(ctx: JobContext, session: Session, params: ReplanDayParams) -> DayJobResult:
    """Drop or move stops, add closures, re-optimise and store the new current version."""
    params.check_budget(ctx.settings.max_solver_seconds)
    request = _replan_request(session, ctx.actor, params)
    with progress_while(ctx, 0.02, 0.95, _solver_s(request), "re-optimising"):
        stored = replan_and_store_day(session, ctx.actor, request, roads=roads_file(ctx.settings))
    return _day_result(stored.version, list(stored.changes.get("moved", [])))


@job(PLAN_WEEK, params=PlanWeekParams, action=Action.PLAN_ROUTES)
def plan_week_job(ctx: JobContext, session: Session, params: PlanWeekParams) -> WeekJobResult:
    """Plan the depot's week and store each day's plan."""
    params.check_budget(ctx.settings.max_solver_seconds)
    expected = SETUP_S + 7 * (params.time_limit or 10.0)
    with progress_while(ctx, 0.02, 0.97, expected, "planning the week"):
        week = plan_and_store_week(session, ctx.actor, params, roads=roads_file(ctx.settings))
    return WeekJobResult(
        depot_code=params.depot_code,
        week_of=params.monday,
        versions={d.isoformat(): v.version for d, v in week.versions.items()},
        days={d.isoformat(): day_totals(p) for d, p in week.week.days.items()},
        weekday={str(k): int(v) for k, v in week.week.assignment.weekday.items()},
    )
