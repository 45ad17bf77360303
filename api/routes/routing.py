"""Delivery routes (卷烟配送线路) for the caller's depots: plan a day, fetch a manifest.

A depot of another county answers 404, as if it did not exist. The road network is the
configured one (``GRIDMGMT_ROADS_FILE``), else the demo region's.
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
    """Service errors as HTTP answers: 404 for an unknown (or not yours) depot, 422 bad input."""
    try:
        yield
    except service.DepotNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error


class PlanIn(BaseModel):
    """A day to plan for one depot."""

    depot_code: str = Field(description="The depot's code.")
    date: dt.date = Field(description="Delivery date.")
    time_limit: float = Field(default=30.0, gt=0, le=600, description="Solver seconds.")
    seed: int = Field(default=0, description="Solver seed.")
    closures: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "Closures (封控区, 施工路段) as GeoJSON features in WGS-84: (Multi)Polygons with "
            "optional properties id, start, end (dates or datetimes) and reason."
        ),
    )
    closure_mode: Literal["skip", "handoff"] = Field(
        default="skip",
        description="Retailers inside a closure: skipped with the reason, or served at a "
        "handoff point on its edge (约时约地).",
    )


class ReplanIn(PlanIn):
    """Changes to a planned day, re-optimised from the current plan."""

    time_limit: float = Field(default=10.0, gt=0, le=600, description="Solver seconds.")
    plan: dict[str, Any] = Field(description="The current plan: `plan` of POST /routes/plan.")
    add: dict[str, int] = Field(
        default_factory=dict, description="New orders: cartons by licence number."
    )
    cancel: list[str] = Field(default_factory=list, description="Licence numbers cancelling.")
    change: dict[str, int] = Field(
        default_factory=dict, description="Changed orders: new cartons by licence number."
    )


def _plan(
    session: SessionDep, actor: CurrentActor, depot: str, day: dt.date, **options: Any
) -> DayPlan:
    with service_errors():
        return service.plan_depot_day(
            session, actor, depot_code=depot, day=day, roads=service.default_roads(), **options
        )


def _plan_out(depot_code: str, plan: DayPlan) -> dict[str, Any]:
    return {
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


@router.post("/plan")
def plan_day(body: PlanIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Plan the depot's routes for the day: stops in order with arrival times, load, km.

    ``plan`` in the answer is the plan to send back to POST /routes/replan.
    """
    with service_errors():
        closures = service.closures_from_features(body.closures)
    plan = _plan(
        session,
        actor,
        body.depot_code,
        body.date,
        time_limit=body.time_limit,
        seed=body.seed,
        closures=closures,
        closure_mode=body.closure_mode,
    )
    return _plan_out(body.depot_code, plan)


@router.post("/replan")
def replan_day(body: ReplanIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Add, cancel or change orders of a planned day and re-optimise from the current plan.

    Nothing is stored. ``changes`` lists the orders added, cancelled, changed and moved
    between routes.
    """
    with service_errors():
        closures = service.closures_from_features(body.closures)
        current = service.plan_from_json(body.plan)
        result = service.replan_depot_day(
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
    changed = [service.order_id(lic, body.date) for lic in body.change]
    return {
        **_plan_out(body.depot_code, result.plan),
        "changes": service.replan_summary(result, changed=changed),
    }


@router.get("/week")
def plan_week(
    session: SessionDep,
    actor: CurrentActor,
    depot: Annotated[str, Query(description="The depot's code.")],
    week_of: Annotated[dt.date, Query(description="Any date of the week.")],
    time_limit: Annotated[float, Query(gt=0, le=600, description="Solver seconds per day.")] = 30.0,
    seed: Annotated[int, Query(description="Solver seed.")] = 0,
) -> dict[str, Any]:
    """Assign the week's retailers to delivery weekdays and plan each day (totals per day)."""
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
    return {
        "depot_code": depot,
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


@router.get("/manifest")
def manifest(
    session: SessionDep,
    actor: CurrentActor,
    depot: Annotated[str, Query(description="The depot's code.")],
    date: Annotated[dt.date, Query(description="Delivery date.")],
    format: Annotated[Literal["csv", "html", "xlsx"], Query()] = "html",
) -> Response:
    """The driver manifest (配送清单) of the depot's day as CSV, Excel or a printable page."""
    plan = _plan(session, actor, depot, date)
    with tempfile.TemporaryDirectory() as folder:
        path = service.write_manifest(
            plan, Path(folder) / f"manifest.{format}", fmt=format, title=f"{depot} {date}"
        )
        content = path.read_bytes()
    filename = f"manifest-{depot}-{date.isoformat()}.{format}"
    disposition = "inline" if format == "html" else f'attachment; filename="{filename}"'
    return Response(
        content, media_type=MANIFEST_TYPES[format], headers={"Content-Disposition": disposition}
    )
