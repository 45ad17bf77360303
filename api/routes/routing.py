"""Delivery routes (卷烟配送线路) for the caller's depots: plan, replan, list, manifests.

Plans are stored: POST /plan, /replan and /week store each day's plan as the new current
version for its depot and date (older versions are kept); GET /plans lists the versions,
GET /plans/current returns the plan in force and GET /manifest is written from it. A
depot of another county answers 404, as if it did not exist; a failed request stores
nothing. The road network is the configured one (``GRIDMGMT_ROADS_FILE``), else the demo
region's.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CurrentActor, SessionDep
from gridmgmt.routing.manifest import day_totals, route_table, stop_table
from gridmgmt.routing.model import DayPlan
from gridmgmt.services import routes as service
from gridmgmt.services.frames import frame_records

router = APIRouter(prefix="/api/v1/routes", tags=["routes"])

MANIFEST_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@contextmanager
def service_errors() -> Iterator[None]:
    """Service errors as HTTP answers: 404 for an unknown (or not yours) depot or a plan not
    stored, 409 when another plan of the day was stored at the same moment, 422 for bad
    input."""
    try:
        yield
    except (service.DepotNotFoundError, service.PlanNotFoundError) as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except service.PlanConflictError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error


CLOSURES_HELP = (
    "Closures (封控区, 施工路段) as GeoJSON features in WGS-84: (Multi)Polygons with "
    "optional properties id, start, end (dates or datetimes) and reason."
)
CLOSURE_MODE_HELP = (
    "Retailers inside a closure: skipped with the reason, or served at a handoff point on "
    "its edge (约时约地)."
)


class DayIn(BaseModel):
    """A depot's delivery day and the solver settings."""

    depot_code: str = Field(description="The depot's code.")
    date: dt.date = Field(description="Delivery date.")
    time_limit: float = Field(default=30.0, gt=0, le=600, description="Solver seconds.")
    seed: int = Field(default=0, description="Solver seed.")


class PlanIn(DayIn):
    """A day to plan for one depot."""

    closures: list[dict[str, Any]] = Field(default_factory=list, description=CLOSURES_HELP)
    closure_mode: Literal["skip", "handoff"] = Field(default="skip", description=CLOSURE_MODE_HELP)


class WeekIn(BaseModel):
    """A week to plan for one depot."""

    depot_code: str = Field(description="The depot's code.")
    week_of: dt.date = Field(description="Any date of the week.")
    time_limit: float = Field(default=30.0, gt=0, le=600, description="Solver seconds per day.")
    seed: int = Field(default=0, description="Solver seed.")
    closures: list[dict[str, Any]] = Field(default_factory=list, description=CLOSURES_HELP)
    closure_mode: Literal["skip", "handoff"] = Field(default="skip", description=CLOSURE_MODE_HELP)


class ReplanIn(DayIn):
    """Changes to a planned day, re-optimised from the current plan."""

    time_limit: float = Field(default=10.0, gt=0, le=600, description="Solver seconds.")
    plan: dict[str, Any] | None = Field(
        default=None,
        description="Start from this plan (`plan` of POST /routes/plan) instead of the "
        "stored current plan.",
    )
    closures: list[dict[str, Any]] | None = Field(
        default=None, description=CLOSURES_HELP + " Default: the stored plan's."
    )
    closure_mode: Literal["skip", "handoff"] | None = Field(
        default=None, description=CLOSURE_MODE_HELP + " Default: the stored plan's."
    )
    add: dict[str, int] = Field(
        default_factory=dict, description="New orders: cartons by licence number."
    )
    cancel: list[str] = Field(default_factory=list, description="Licence numbers cancelling.")
    change: dict[str, int] = Field(
        default_factory=dict, description="Changed orders: new cartons by licence number."
    )


def _plan_out(
    depot_code: str, plan: DayPlan, version: service.PlanVersion | None = None
) -> dict[str, Any]:
    out = {
        "depot_code": depot_code,
        "date": plan.day.isoformat(),
        "totals": json.loads(json.dumps(day_totals(plan), default=str)),
        "routes": frame_records(route_table(plan), lonlat=False),
        "stops": frame_records(stop_table(plan), lonlat=False),
        "unserved": [
            {"order_id": u.order_id, "reason": str(u.reason), "detail": u.detail}
            for u in plan.unserved
        ],
        "plan": service.plan_to_json(plan),
    }
    if version is not None:
        out |= {"plan_version": version.version, "stored": version.to_json()}
    return out


@router.post("/plan")
def plan_day(body: PlanIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Plan the depot's routes for the day: stops in order with arrival times, load, km.

    The plan is stored as the day's new current version (``plan_version``); older versions
    are kept. ``plan`` in the answer is the plan itself.
    """
    with service_errors():
        closures = service.closures_from_features(body.closures)
        stored = service.plan_and_store_day(
            session,
            actor,
            depot_code=body.depot_code,
            day=body.date,
            roads=service.default_roads(),
            time_limit=body.time_limit,
            seed=body.seed,
            closures=closures,
            closure_mode=body.closure_mode,
        )
    return _plan_out(body.depot_code, stored.plan, stored.version)


@router.get("/plans")
def list_plans(
    session: SessionDep,
    actor: CurrentActor,
    depot: Annotated[str, Query(description="The depot's code.")],
    date: Annotated[dt.date | None, Query(description="Only this delivery date.")] = None,
) -> dict[str, Any]:
    """The depot's stored plans: every version by date, with who made it, how and totals."""
    with service_errors():
        versions = service.plan_versions(session, actor, depot_code=depot, day=date)
    return {
        "depot_code": depot,
        "date": date.isoformat() if date is not None else None,
        "versions": [v.to_json() for v in versions],
    }


@router.get("/plans/current")
def current_plan(
    session: SessionDep,
    actor: CurrentActor,
    depot: Annotated[str, Query(description="The depot's code.")],
    date: Annotated[dt.date, Query(description="Delivery date.")],
) -> dict[str, Any]:
    """The stored plan in force for the depot's day (as POST /plan answers); 404 if none."""
    with service_errors():
        stored = service.current_plan(session, actor, depot_code=depot, day=date)
    if stored is None:
        detail = f"no plan of depot {depot!r} for {date.isoformat()} is stored"
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=detail)
    return {
        **_plan_out(depot, stored.plan, stored.version),
        "order_changes": stored.order_changes.to_json(),
    }


@router.post("/replan")
def replan_day(body: ReplanIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Add, cancel or change orders of a planned day and re-optimise from the current plan.

    The start is the stored current plan (its earlier order changes, closures and closure
    mode still apply unless given), or ``plan`` when given. The new plan is stored as the
    day's current version; the orders are not changed. ``changes`` lists the orders added,
    cancelled, changed and moved between routes.
    """
    with service_errors():
        closures = None if body.closures is None else service.closures_from_features(body.closures)
        current = None if body.plan is None else service.plan_from_json(body.plan)
        stored = service.replan_and_store_day(
            session,
            actor,
            depot_code=body.depot_code,
            day=body.date,
            roads=service.default_roads(),
            current=current,
            add=body.add,
            cancel=body.cancel,
            change=body.change,
            time_limit=body.time_limit,
            seed=body.seed,
            closures=closures,
            closure_mode=body.closure_mode,
        )
    return {
        **_plan_out(body.depot_code, stored.result.plan, stored.version),
        "changes": stored.changes,
    }


def _week_out(
    depot_code: str,
    week: service.WeekPlan,
    versions: dict[dt.date, service.PlanVersion] | None = None,
) -> dict[str, Any]:
    out = {
        "depot_code": depot_code,
        "weekday": dict(sorted(week.assignment.weekday.items())),
        "changes": [
            {
                "retailer": c.retailer_id,
                "from": c.old_weekday,
                "to": c.new_weekday,
                "reason": c.reason,
            }
            for c in week.assignment.changes
        ],
        "days": {
            d.isoformat(): json.loads(json.dumps(day_totals(p), default=str))
            for d, p in week.days.items()
        },
    }
    if versions is not None:
        out["plan_versions"] = {d.isoformat(): v.version for d, v in versions.items()}
    return out


@router.get("/week")
def preview_week(
    session: SessionDep,
    actor: CurrentActor,
    depot: Annotated[str, Query(description="The depot's code.")],
    week_of: Annotated[dt.date, Query(description="Any date of the week.")],
    time_limit: Annotated[float, Query(gt=0, le=600, description="Solver seconds per day.")] = 30.0,
    seed: Annotated[int, Query(description="Solver seed.")] = 0,
) -> dict[str, Any]:
    """Preview the week: retailers' delivery weekdays and each day's totals; stores nothing.

    POST /week plans the week (with closures) and stores each day's plan.
    """
    with service_errors():
        week = service.plan_week(
            session,
            actor,
            depot_code=depot,
            week_of=week_of,
            roads=service.default_roads(),
            time_limit=time_limit,
            seed=seed,
        )
    return _week_out(depot, week)


@router.post("/week")
def plan_week_with_closures(
    body: WeekIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Plan the depot's week avoiding closures and store each day's plan (``plan_versions``).

    Retailers keep their current weekday unless balance or compactness gains enough;
    ``changes`` lists those that move.
    """
    with service_errors():
        closures = service.closures_from_features(body.closures)
        stored = service.plan_and_store_week(
            session,
            actor,
            depot_code=body.depot_code,
            week_of=body.week_of,
            roads=service.default_roads(),
            time_limit=body.time_limit,
            seed=body.seed,
            closures=closures,
            closure_mode=body.closure_mode,
        )
    return _week_out(body.depot_code, stored.week, stored.versions)


@router.get("/manifest")
def manifest(
    session: SessionDep,
    actor: CurrentActor,
    depot: Annotated[str, Query(description="The depot's code.")],
    date: Annotated[dt.date, Query(description="Delivery date.")],
    format: Annotated[Literal["csv", "html", "xlsx"], Query()] = "html",
) -> Response:
    """The driver manifest (配送清单) of the depot's day as CSV, Excel or a printable page.

    It is the day's stored current plan (POST /plan, /replan or /week store one); 404 when
    none is stored. The answer's ``X-Plan-Version`` header names the version.
    """
    with service_errors():
        stored = service.current_plan(session, actor, depot_code=depot, day=date)
    if stored is None:
        detail = f"no plan of depot {depot} for {date.isoformat()} is stored: plan the day first"
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=detail)
    with tempfile.TemporaryDirectory() as folder:
        path = service.write_manifest(
            stored.plan,
            Path(folder) / f"manifest.{format}",
            fmt=format,
            title=f"{depot} {date}",
        )
        content = path.read_bytes()
    filename = f"manifest-{depot}-{date.isoformat()}.{format}"
    disposition = "inline" if format == "html" else f'attachment; filename="{filename}"'
    headers = {
        "Content-Disposition": disposition,
        "X-Plan-Version": str(stored.version.version),
    }
    return Response(content, media_type=MANIFEST_TYPES[format], headers=headers)
