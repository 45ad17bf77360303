"""Delivery routes (配送线路) for a depot: a day's plan, a week's plan, driver manifests.

Plans are outputs, not stored rows: each call loads the depot, its vehicles and its
county's orders (scoped by the actor's counties), reads the road network from an OSM file
(cached in process per path and modification time) and runs :mod:`gridmgmt.routing`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from gridmgmt.routing.manifest import (
    compare_with_baseline,
    day_totals,
    nearest_neighbour_plan,
    stop_table,
    unserved_table,
    write_manifest_csv,
    write_manifest_excel,
)
from gridmgmt.routing.matrix import MatrixCache
from gridmgmt.routing.model import DayPlan, DepotSite, Order, VehicleType, hhmm
from gridmgmt.routing.network import RoadNetwork, read_osm
from gridmgmt.routing.vrp import DayInputs, PlanSettings, prepare_day, solve_day
from gridmgmt.routing.weekly import RetailerVolume, WeekAssignment, assign_weekdays
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame

MANIFEST_FORMATS = ("csv", "xlsx", "html")
DEMO_TIME_LIMIT_S = 3.0
DEMO_MAX_ITERATIONS = 1_500

_NETWORKS: dict[tuple[str, int], RoadNetwork] = {}
_MATRICES = MatrixCache(max_entries=8)


class DepotNotFoundError(LookupError):
    """The depot does not exist or belongs to a county outside the actor's scope."""


@dataclass(frozen=True)
class DepotDay:
    """A depot's planned day, with what it was planned from.

    Attributes
    ----------
    county_code
        The depot's county.
    inputs
        The prepared day (network, matrix, snapped places).
    plan
        The routes and unserved orders.
    """

    county_code: str
    inputs: DayInputs
    plan: DayPlan


@dataclass(frozen=True)
class WeekPlan:
    """A depot's week: retailers' delivery weekdays and each day's plan.

    Attributes
    ----------
    assignment
        Weekday per retailer and what changed.
    days
        Plan per delivery date.
    """

    assignment: WeekAssignment
    days: dict[dt.date, DayPlan]


def default_roads() -> Path:
    """The configured road network (``GRIDMGMT_ROADS_FILE``), else the demo region's."""
    from gridmgmt.config import get_settings

    settings = get_settings()
    return settings.roads_file or settings.demo_dir / "roads.osm"


def road_network(path: Path) -> RoadNetwork:
    """The road network of an OSM file, read once per path and modification time."""
    path = Path(path)
    if not path.is_file():
        msg = f"road network file {path} does not exist"
        raise FileNotFoundError(msg)
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _NETWORKS:
        _NETWORKS.clear()  # one network at a time: they are large
        _NETWORKS[key] = read_osm(path)
    return _NETWORKS[key]


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _depot(session: Session, actor: Actor, depot_code: str) -> tuple[DepotSite, str]:
    depots = load_frame(session, "depots", actor)
    rows = depots[depots["code"] == depot_code]
    if rows.empty:
        msg = f"depot {depot_code!r} not found among {sorted(depots['code'])}"
        raise DepotNotFoundError(msg)
    row = rows.iloc[0]
    site = DepotSite(
        depot_id=str(row["code"]),
        lon=float(row.geometry.x),
        lat=float(row.geometry.y),
        opens_s=_seconds(row["opens"]),
        closes_s=_seconds(row["closes"]),
        name=str(row["name"]),
    )
    return site, str(row["county_code"])


def _vehicle_types(session: Session, actor: Actor, depot_code: str) -> list[VehicleType]:
    vehicles = load_frame(session, "vehicles", actor)
    rows = vehicles[vehicles["depot_code"] == depot_code]
    return [
        VehicleType(
            vehicle_type_id=str(v.plate),
            depot_id=depot_code,
            capacity_cartons=int(v.capacity_cartons),
            shift_s=max(_seconds(v.shift_end) - _seconds(v.shift_start), 1),
        )
        for v in rows.itertuples(index=False)
    ]


def _county_orders(
    session: Session, actor: Actor, county: str, first: dt.date, last: dt.date
) -> pd.DataFrame:
    """Orders of ``county`` dated ``first``..``last`` with the retailer's position."""
    orders = load_frame(session, "orders", actor, county_codes=[county])
    orders = orders[(orders["date"] >= first) & (orders["date"] <= last)]
    retailers = load_frame(session, "retailers", actor, county_codes=[county])
    where = pd.DataFrame(
        {
            "licence_no": retailers["licence_no"],
            "lon": retailers.geometry.x,
            "lat": retailers.geometry.y,
        }
    )
    return orders.merge(where, on="licence_no", how="inner")


def _orders(frame: pd.DataFrame, depot_code: str) -> list[Order]:
    return [
        Order(
            order_id=f"{r.licence_no}@{r.date.isoformat()}",
            retailer_id=str(r.licence_no),
            lon=float(r.lon),
            lat=float(r.lat),
            cartons=int(r.cartons),
            depot_id=depot_code,
        )
        for r in frame.itertuples(index=False)
    ]


def _settings(time_limit: float | None, seed: int, max_iterations: int | None) -> PlanSettings:
    return PlanSettings(time_limit_s=time_limit, max_iterations=max_iterations, seed=seed)


def plan_depot_day_full(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    day: dt.date,
    roads: Path,
    time_limit: float | None = 30.0,
    seed: int = 0,
    max_iterations: int | None = 20_000,
) -> DepotDay:
    """Plan a depot's day and keep the prepared inputs (for maps and baselines).

    Parameters are those of :func:`plan_depot_day`.
    """
    depot, county = _depot(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    orders = _orders(_county_orders(session, actor, county, day, day), depot_code)
    settings = _settings(time_limit, seed, max_iterations)
    inputs = prepare_day(
        road_network(roads), [depot], types, orders, day=day, settings=settings, cache=_MATRICES
    )
    return DepotDay(county, inputs, solve_day(inputs, settings=settings))


def plan_depot_day(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    day: dt.date,
    roads: Path,
    time_limit: float | None = 30.0,
    seed: int = 0,
    max_iterations: int | None = 20_000,
) -> DayPlan:
    """Plan a depot's delivery day (日配送线路): its vehicles, its county's orders of ``day``.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose county scope applies; a depot of another county is not found.
    depot_code
        The depot's code.
    day
        Delivery date.
    roads
        OSM XML or PBF file of the region's roads.
    time_limit
        Solver budget in seconds.
    seed
        Solver seed (reproducible when the iteration bound ends the search).
    max_iterations
        Iteration bound of the search.

    Returns
    -------
    DayPlan
        Routes per vehicle and unserved orders with reasons.
    """
    return plan_depot_day_full(
        session,
        actor,
        depot_code=depot_code,
        day=day,
        roads=roads,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
    ).plan


def plan_week(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    week_of: dt.date,
    roads: Path,
    time_limit: float | None = 30.0,
    seed: int = 0,
    max_iterations: int | None = 20_000,
) -> WeekPlan:
    """Assign the week's retailers to weekdays (balanced, compact, stable) and route each day.

    A retailer's current weekday is the weekday of its order in the week (Monday to
    Sunday around ``week_of``); it keeps it unless balance or compactness gains enough.

    Parameters
    ----------
    session, actor, depot_code, roads, time_limit, seed, max_iterations
        As for :func:`plan_depot_day`.
    week_of
        Any date in the week.

    Returns
    -------
    WeekPlan
        The weekday assignment and a plan per delivery date.
    """
    depot, county = _depot(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    monday = week_of - dt.timedelta(days=week_of.weekday())
    frame = _county_orders(session, actor, county, monday, monday + dt.timedelta(days=6))
    week = (
        frame.sort_values("date")
        .groupby("licence_no", sort=True)
        .agg(
            cartons=("cartons", "sum"),
            date=("date", "last"),
            lon=("lon", "first"),
            lat=("lat", "first"),
        )
        .reset_index()
    )
    retailers = [
        RetailerVolume(
            str(r.licence_no), float(r.lon), float(r.lat), float(r.cartons), r.date.weekday()
        )
        for r in week.itertuples(index=False)
    ]
    assignment = assign_weekdays(retailers, depot=(depot.lon, depot.lat))
    week["date"] = [
        monday + dt.timedelta(days=assignment.weekday[str(x)]) for x in week["licence_no"]
    ]
    network = road_network(roads)
    settings = _settings(time_limit, seed, max_iterations)
    days: dict[dt.date, DayPlan] = {}
    for day, part in week.groupby("date", sort=True):
        inputs = prepare_day(
            network,
            [depot],
            types,
            _orders(part, depot_code),
            day=day,
            settings=settings,
            cache=_MATRICES,
        )
        days[day] = solve_day(inputs, settings=settings)
    return WeekPlan(assignment, days)


def write_manifest_html(plan: DayPlan, path: str | Path, *, title: str = "") -> Path:
    """A printable driver manifest (司机配送单): one page per route, no external assets.

    Parameters
    ----------
    plan
        The day's plan.
    path
        HTML file to write.
    title
        Heading, e.g. the depot's name.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest_html(plan, title=title), encoding="utf-8")
    return path


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def manifest_html(plan: DayPlan, *, title: str = "") -> str:
    """The printable manifest as an HTML string (see :func:`write_manifest_html`)."""
    stops = stop_table(plan)
    totals = day_totals(plan)
    heading = escape(f"{title} 配送单 delivery manifest {plan.day.isoformat()}".strip())
    sections = []
    for route in plan.routes:
        part = stops[stops["route_id"] == route.route_id].drop(columns=["route_id"])
        sections.append(
            '<section class="route">'
            f"<h2>线路 Route {escape(route.route_id)}</h2>"
            f"<p>出发 Leave {hhmm(route.start_s)} · 返回 Back {hhmm(route.end_s)} · "
            f"{route.load_cartons} 条 cartons / {route.capacity_cartons} · "
            f"{route.distance_m / 1000:.1f} km · {len(route.stops)} 站 stops</p>"
            f"{_table(part)}</section>"
        )
    unserved = unserved_table(plan)
    if len(unserved):
        sections.append(f"<section><h2>未配送 Unserved</h2>{_table(unserved)}</section>")
    summary = (
        f"<p>{totals['vehicles']} 车 vehicles · {totals['km']} km · {totals['hours']} h · "
        f"{totals['stops']} 站 stops · {totals['unserved']} 未配送 unserved</p>"
    )
    style = (
        "body{font:12px sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #999;padding:2px 4px;text-align:left}"
        "section.route{page-break-after:always}@media print{body{margin:0}}"
    )
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{heading}</title><style>{style}</style></head><body>"
        f"<h1>{heading}</h1>{summary}{''.join(sections)}</body></html>"
    )


def write_manifest(plan: DayPlan, path: str | Path, *, fmt: str, title: str = "") -> Path:
    """Write the manifest in one format: ``csv``, ``xlsx`` or ``html``."""
    if fmt not in MANIFEST_FORMATS:
        msg = f"`fmt` was {fmt!r} but is expected to be in {list(MANIFEST_FORMATS)}"
        raise ValueError(msg)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_manifest_csv(plan, path)
    if fmt == "html":
        return write_manifest_html(plan, path, title=title)
    return write_manifest_excel(plan, path)


def manifest(plan: DayPlan, out_dir: Path, *, stem: str, title: str = "") -> list[Path]:
    """Write the manifest as CSV, Excel and a printable page: ``<out_dir>/<stem>.<format>``."""
    return [
        write_manifest(plan, out_dir / f"{stem}.{fmt}", fmt=fmt, title=title)
        for fmt in MANIFEST_FORMATS
    ]


def baseline_comparison(day: DepotDay) -> dict[str, Any]:
    """The plan against a nearest-neighbour baseline on the same inputs (km, vehicles, hours)."""
    return compare_with_baseline(day.plan, nearest_neighbour_plan(day.inputs))


def demo(url: str, out_dir: Path) -> tuple[dict[str, int], list[Path]]:
    """Plan the first order day of every demo depot; write manifests and the routes map.

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

    roads = default_roads()
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
            day = plan_depot_day_full(
                session,
                SYSTEM,
                depot_code=str(row.code),
                day=min(dates),
                roads=roads,
                time_limit=DEMO_TIME_LIMIT_S,
                max_iterations=DEMO_MAX_ITERATIONS,
            )
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


__all__ = [
    "MANIFEST_FORMATS",
    "DepotDay",
    "DepotNotFoundError",
    "WeekPlan",
    "baseline_comparison",
    "default_roads",
    "manifest",
    "manifest_html",
    "plan_depot_day",
    "plan_depot_day_full",
    "plan_week",
    "road_network",
    "write_manifest",
    "write_manifest_html",
]
