"""Delivery routes (卷烟配送线路) for the caller's depots: plan, replan, list, manifests.

Plans are stored: POST /plan and /replan store the day's plan as the new current version
for its depot and date (older versions are kept); POST /week (:mod:`api.routes.routing_jobs`)
plans the week as a background job (202) and there is no blocking GET /week; GET /plans
lists the versions, GET /plans/current returns the plan in force and GET /manifest is
written from it. A depot of another county answers 404, as if it did not exist; a failed
request stores nothing. Planning needs the dispatcher's (or the administrator's) role;
every role reads. The road network is the app's settings' (``roads_file``, else the demo
region's); a solver budget over the ``max_solver_seconds`` setting answers 422.

The bodies are the services' request models (:mod:`gridmgmt.services.routes.requests`);
errors are mapped by the app's handlers (:mod:`api.errors`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentActor, SessionDep, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.policy import Action
from gridmgmt.services import routes as service

router = APIRouter(prefix="/api/v1/routes", tags=["routes"], responses=ERROR_RESPONSES)

MANIFEST_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PLAN = [allow(Action.PLAN_ROUTES)]
READ = [allow(Action.READ_ROUTES)]

DepotQuery = Annotated[str, Query(description="The depot's code.")]
DateQuery = Annotated[dt.date, Query(description="Delivery date.")]


@router.post("/plan", dependencies=PLAN)
def plan_day(
    body: service.PlanRequest, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> dict[str, Any]:
    """Plan the depot's routes for the day: stops in order with arrival times, load, km.

    The plan is stored as the day's new current version (``plan_version``); older versions
    are kept. ``plan`` in the answer is the plan itself.
    """
    body.check_budget(settings.max_solver_seconds)
    roads = service.roads_file(settings)
    return service.plan_and_store_day(session, actor, body, roads=roads).to_json()


@router.get("/plans", dependencies=READ)
def list_plans(
    session: SessionDep,
    actor: CurrentActor,
    depot: DepotQuery,
    date: Annotated[dt.date | None, Query(description="Only this delivery date.")] = None,
) -> dict[str, Any]:
    """The depot's stored plans: every version by date, with who made it, how and totals."""
    return service.plan_versions(session, actor, depot_code=depot, day=date).to_json()


@router.get("/plans/current", dependencies=READ)
def current_plan(
    session: SessionDep, actor: CurrentActor, depot: DepotQuery, date: DateQuery
) -> dict[str, Any]:
    """The stored plan in force for the depot's day (as POST /plan answers); 404 if none."""
    return service.current_plan(session, actor, depot_code=depot, day=date).to_json()


@router.post("/replan", dependencies=PLAN)
def replan_day(
    body: service.ReplanRequest, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> dict[str, Any]:
    """Add, cancel or change orders of a planned day and re-optimise from the current plan.

    The start is the stored current plan (its earlier order changes, closures and closure
    mode still apply unless given), or ``plan`` when given. The new plan is stored as the
    day's current version; the orders are not changed. ``changes`` lists the orders added,
    cancelled, changed and moved between routes.
    """
    body.check_budget(settings.max_solver_seconds)
    roads = service.roads_file(settings)
    return service.replan_and_store_day(session, actor, body, roads=roads).to_json()


@router.get("/manifest", dependencies=READ)
def manifest(
    session: SessionDep,
    actor: CurrentActor,
    depot: DepotQuery,
    date: DateQuery,
    format: Annotated[Literal["csv", "html", "xlsx"], Query()] = "html",
    lang: Annotated[
        Literal["zh", "en"], Query(description="Headers in Chinese (default) or English.")
    ] = "zh",
) -> Response:
    """The driver manifest (配送清单) of the depot's day as CSV, Excel or a printable page.

    Per stop: order, arrival, time window, shop name, address, phone, cartons and a note.
    It is the day's stored current plan (POST /plan, /replan or /week store one); 404 when
    none is stored. The answer's ``X-Plan-Version`` header names the version.
    """
    with tempfile.TemporaryDirectory() as folder:
        path, version = service.stored_manifest(
            session,
            actor,
            Path(folder) / f"manifest.{format}",
            depot_code=depot,
            day=date,
            fmt=format,
            lang=lang,
        )
        content = path.read_bytes()
    filename = f"manifest-{depot}-{date.isoformat()}.{format}"
    disposition = "inline" if format == "html" else f'attachment; filename="{filename}"'
    headers = {"Content-Disposition": disposition, "X-Plan-Version": str(version)}
    return Response(content, media_type=MANIFEST_TYPES[format], headers=headers)
