"""The routes part of the demo: plan and store a day for every depot; manifests and the map."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.routing.manifest import compare_with_baseline, nearest_neighbour_plan
from gridmgmt.routing.model import DayPlan, DepotSite
from gridmgmt.routing.paths import route_paths
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.frames import load_frame
from gridmgmt.services.routes.manifests import manifest, plan_contacts
from gridmgmt.services.routes.planning import DepotDay, plan_depot_day_full
from gridmgmt.services.routes.requests import PlanRequest
from gridmgmt.services.routes.stored import store_day_plan
from gridmgmt.store import db
from maps.assets import write_map
from maps.routes import build_routes_map

__all__ = ["DEMO_MAX_ITERATIONS", "DEMO_TIME_LIMIT_S", "baseline_comparison", "step"]

DEMO_MAX_ITERATIONS: Final = 800
"""Iteration bound per depot: it ends the search, so the demo plans the same routes every
time, on a busy machine too (1,500 iterations gave 1,562 km in all, 800 give 1,563 km in
half the solver time)."""
DEMO_TIME_LIMIT_S: Final = 30.0
"""Solver budget per depot, in seconds: only a safety net (800 iterations take about 1 s)."""

Drawn = tuple[DepotSite, DayPlan, dict[str, list[tuple[float, float]]]]


def baseline_comparison(day: DepotDay) -> dict[str, Any]:
    """The plan against a nearest-neighbour baseline on the same inputs (km, vehicles, hours)."""
    return compare_with_baseline(day.plan, nearest_neighbour_plan(day.inputs))


def _first_days(session: Session) -> list[tuple[str, str, dt.date]]:
    """Code, name and first order day of every depot whose county has orders."""
    depots = load_frame(session, "depots", SYSTEM)
    orders = load_frame(session, "orders", SYSTEM)
    first = orders.groupby("county_code")["date"].min()
    return [
        (str(row.code), str(row.name), first[row.county_code])
        for row in depots.itertuples(index=False)
        if row.county_code in first.index
    ]


def _plan_depot(session: Session, code: str, day: dt.date, roads: Path) -> DepotDay:
    """Plan and store a depot's day with the demo's solver bounds."""
    request = PlanRequest(
        depot_code=code,
        date=day,
        time_limit=DEMO_TIME_LIMIT_S,
        max_iterations=DEMO_MAX_ITERATIONS,
    )
    planned = plan_depot_day_full(session, SYSTEM, request, roads=roads)
    store_day_plan(session, SYSTEM, plan=planned.plan, request=request)
    return planned


def step(run: DemoRun) -> StepResult:
    """Plan and store the first order day of every demo depot; write manifests and the map.

    Each depot's search is bounded (:data:`DEMO_MAX_ITERATIONS`, :data:`DEMO_TIME_LIMIT_S`).
    Total km is reported against a nearest-neighbour baseline.

    Returns
    -------
    StepResult
        Counts (``routes``, ``route_stops``, ``route_unserved``, and ``route_km``,
        ``baseline_km`` rounded to whole km), and the files: manifests under ``routes/`` and
        the map ``routes.html``.
    """
    folder = run.folder("routes")
    result = StepResult(counts={"routes": 0, "route_stops": 0, "route_unserved": 0})
    km = baseline_km = 0.0
    drawn: list[Drawn] = []
    with db.transaction(run.url) as session:
        first_days = _first_days(session)
    names: dict[str, str] = {}
    for code, name, first in first_days:
        # One transaction per depot: the grid workers' writes need not wait for all six.
        with db.transaction(run.url) as session:
            day = _plan_depot(session, code, first, run.roads)
            _, contacts = plan_contacts(session, SYSTEM, depot_code=code, plan=day.plan)
        names |= {licence: contact.name for licence, contact in contacts.items()}
        comparison = baseline_comparison(day)
        km += comparison["plan"]["km"]
        baseline_km += comparison["nearest_neighbour"]["km"]
        result.counts["routes"] += len(day.plan.routes)
        result.counts["route_stops"] += comparison["plan"]["stops"]
        result.counts["route_unserved"] += len(day.plan.unserved)
        stem = f"{code}-{day.plan.day.isoformat()}"
        result.files += manifest(day.plan, folder, stem=stem, title=name, contacts=contacts)
        drawn.append((day.inputs.depots[0], day.plan, route_paths(day.inputs, day.plan)))
    result.counts["route_km"] = round(km)
    result.counts["baseline_km"] = round(baseline_km)
    m = build_routes_map(drawn, names=names, **run.tiles())
    result.files.append(write_map(m, run.out_dir / "routes.html"))
    return result
