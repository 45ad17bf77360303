"""The demo's routing step: plan and store a day for every depot, write maps and manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridmgmt.routing.manifest import (
    compare_with_baseline,
    nearest_neighbour_plan,
)
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
)
from gridmgmt.services.frames import load_frame
from gridmgmt.services.routes.manifests import manifest
from gridmgmt.services.routes.planning import DepotDay, plan_depot_day_full, roads_file
from gridmgmt.services.routes.requests import PlanRequest
from gridmgmt.services.routes.stored import store_day_plan

DEMO_TIME_LIMIT_S = 3.0


DEMO_MAX_ITERATIONS = 1_500


def baseline_comparison(day: DepotDay) -> dict[str, Any]:
    """The plan against a nearest-neighbour baseline on the same inputs (km, vehicles, hours)."""
    return compare_with_baseline(day.plan, nearest_neighbour_plan(day.inputs))


def demo(url: str, out_dir: Path) -> tuple[dict[str, int], list[Path]]:
    """Plan and store the first order day of every demo depot; write manifests and the map.

    Each depot's search is bounded (:data:`DEMO_MAX_ITERATIONS`, :data:`DEMO_TIME_LIMIT_S`)
    so the whole demo takes seconds. Total km is reported against a nearest-neighbour
    baseline.

    Parameters
    ----------
    url
        Database URL, migrated and holding the demo region.
    out_dir
        Folder for the map (``routes.html``) and the manifests (``routes/``).

    Returns
    -------
    tuple
        Counts by name (``route_km``, ``baseline_km`` rounded to whole km), and the files.
    """
    from gridmgmt.config import get_settings
    from gridmgmt.routing.paths import route_paths
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.store import db
    from maps.assets import write_map
    from maps.routes import build_routes_map

    roads = roads_file(get_settings())
    folder = out_dir / "routes"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    counts = {"routes": 0, "route_stops": 0, "route_unserved": 0}
    km = baseline_km = 0.0
    drawn: list[tuple[DepotSite, DayPlan, dict[str, list[tuple[float, float]]]]] = []
    with db.transaction(url) as session:
        depots = load_frame(session, "depots", SYSTEM)
        orders = load_frame(session, "orders", SYSTEM)
        for row in depots.itertuples(index=False):
            dates = orders.loc[orders["county_code"] == row.county_code, "date"]
            if dates.empty:
                continue
            request = PlanRequest(
                depot_code=str(row.code),
                date=min(dates),
                time_limit=DEMO_TIME_LIMIT_S,
                max_iterations=DEMO_MAX_ITERATIONS,
            )
            day = plan_depot_day_full(session, SYSTEM, request, roads=roads)
            store_day_plan(session, SYSTEM, plan=day.plan, request=request)
            comparison = baseline_comparison(day)
            km += comparison["plan"]["km"]
            baseline_km += comparison["nearest_neighbour"]["km"]
            counts["routes"] += len(day.plan.routes)
            counts["route_stops"] += comparison["plan"]["stops"]
            counts["route_unserved"] += len(day.plan.unserved)
            stem = f"{row.code}-{day.plan.day.isoformat()}"
            files += manifest(day.plan, folder, stem=stem, title=str(row.name))
            drawn.append((day.inputs.depots[0], day.plan, route_paths(day.inputs, day.plan)))
    counts["route_km"] = round(km)
    counts["baseline_km"] = round(baseline_km)
    settings = get_settings()
    m = build_routes_map(
        drawn,
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
    )
    files.append(write_map(m, out_dir / "routes.html"))
    return counts, files
