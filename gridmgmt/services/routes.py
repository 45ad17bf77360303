"""Delivery routes (配送线路) for a depot: a day's plan, a week's plan, driver manifests.

Plans are outputs, not stored rows: each call loads the depot, its vehicles and its
county's orders (scoped by the actor's counties), reads the road network from an OSM file
(cached in process per path and modification time) and runs :mod:`gridmgmt.routing`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import shapely.geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from gridmgmt.routing.closures import Closure, ClosurePolicy
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
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
    Order,
    PlannedRoute,
    PlannedStop,
    UnservedOrder,
    UnservedReason,
    VehicleType,
    hhmm,
)
from gridmgmt.routing.network import RoadNetwork, read_osm
from gridmgmt.routing.replan import OrderChange, ReplanResult, replan_day
from gridmgmt.routing.vrp import DayInputs, PlanSettings, prepare_day, solve_day
from gridmgmt.routing.weekly import RetailerVolume, WeekAssignment, assign_weekdays
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame

MANIFEST_FORMATS = ("csv", "xlsx", "html")
CLOSURE_MODES = tuple(p.value for p in ClosurePolicy)
PLAN_FORMAT = "gridmgmt.dayplan/1"
DEMO_TIME_LIMIT_S = 3.0
DEMO_MAX_ITERATIONS = 1_500

_NETWORKS: dict[tuple[str, int], RoadNetwork] = {}
_MATRICES = MatrixCache(max_entries=8)


class DepotNotFoundError(LookupError):
    """The depot does not exist or belongs to a county outside the actor's scope."""


class ClosureFileError(ValueError):
    """A closure file or feature that cannot be read, naming the file, row and field."""


def _closure_time(value: Any, *, where: str, field: str, default: dt.date) -> dt.date | dt.datetime:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return default
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        msg = (
            f"{where}: field {field!r}: {text!r} is not a date YYYY-MM-DD or a datetime "
            "YYYY-MM-DDTHH:MM[:SS]"
        )
        raise ClosureFileError(msg) from None


def _closure(
    properties: Mapping[str, Any], geometry: BaseGeometry | None, *, where: str, row: int
) -> Closure:
    """One closure from a feature's properties and WGS-84 geometry."""
    if geometry is None or geometry.is_empty:
        msg = f"{where}: field 'geometry': missing, expected a Polygon or MultiPolygon"
        raise ClosureFileError(msg)
    raw_id = properties.get("id")
    closure_id = str(row) if raw_id is None or pd.isna(raw_id) else str(raw_id)
    raw_reason = properties.get("reason")
    reason = "" if raw_reason is None or pd.isna(raw_reason) else str(raw_reason)
    start = _closure_time(properties.get("start"), where=where, field="start", default=dt.date.min)
    end = _closure_time(properties.get("end"), where=where, field="end", default=dt.date.max)
    try:
        return Closure(closure_id, geometry, start, end, reason)
    except (ValueError, TypeError) as error:
        msg = f"{where}: {error}"
        raise ClosureFileError(msg) from None


def read_closures(path: str | Path) -> list[Closure]:
    """Closures (封控区, 施工路段) from a GeoJSON or GeoPackage file of polygons.

    Each feature is a Polygon or MultiPolygon with optional properties ``id`` (default:
    its row number from 1), ``start`` and ``end`` (dates or datetimes; a missing start or
    end leaves the closure open on that side) and ``reason``.

    Parameters
    ----------
    path
        The file; any CRS (reprojected to WGS-84), none taken as WGS-84.

    Returns
    -------
    list of Closure
        One per feature.

    Raises
    ------
    ClosureFileError
        The file cannot be read, or a feature is bad (the message names file, row, field).
    """
    import geopandas as gpd

    path = Path(path)
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several kinds for unreadable files
        msg = f"{path}: cannot read closures as GeoJSON or GeoPackage: {error}"
        raise ClosureFileError(msg) from None
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    return [
        _closure(
            dict(zip(columns, values, strict=True)),
            geometry,
            where=f"{path}: row {row}",
            row=row,
        )
        for row, (geometry, *values) in enumerate(
            zip(frame.geometry, *(frame[c] for c in columns), strict=True), start=1
        )
    ]


def closures_from_features(features: Sequence[Mapping[str, Any]]) -> list[Closure]:
    """Closures from GeoJSON features in WGS-84 (as in an API body), same properties as
    :func:`read_closures`.

    Raises
    ------
    ClosureFileError
        A feature is bad (the message names its row, from 1, and field).
    """
    closures = []
    for row, feature in enumerate(features, start=1):
        where = f"closures: row {row}"
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            msg = f"{where}: field 'geometry': not a GeoJSON geometry ({error})"
            raise ClosureFileError(msg) from None
        closures.append(_closure(feature.get("properties") or {}, geometry, where=where, row=row))
    return closures


def _policy(closure_mode: str) -> ClosurePolicy:
    if closure_mode not in CLOSURE_MODES:
        msg = f"`closure_mode` was {closure_mode!r} but is expected to be in {list(CLOSURE_MODES)}"
        raise ValueError(msg)
    return ClosurePolicy(closure_mode)


def plan_to_json(plan: DayPlan) -> dict[str, Any]:
    """A day plan as plain JSON data, read back by :func:`plan_from_json`."""
    return {
        "format": PLAN_FORMAT,
        "day": plan.day.isoformat(),
        "routes": [
            {**asdict(replace(r, stops=())), "stops": [asdict(s) for s in r.stops]}
            for r in plan.routes
        ],
        "unserved": [
            {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unserved
        ],
        "places": dict(plan.places),
        "runtime_s": plan.runtime_s,
        "seed": plan.seed,
    }


def plan_from_json(data: Mapping[str, Any]) -> DayPlan:
    """The day plan of :func:`plan_to_json` (or of ``routes plan --json``, under ``plan``).

    Raises
    ------
    ValueError
        The data is not a saved plan.
    """
    if "plan" in data and isinstance(data["plan"], Mapping):
        data = data["plan"]
    if data.get("format") != PLAN_FORMAT:
        msg = f"not a saved day plan: `format` is {data.get('format')!r}, expected {PLAN_FORMAT!r}"
        raise ValueError(msg)
    try:
        routes = tuple(
            PlannedRoute(
                **{k: v for k, v in r.items() if k != "stops"},
                stops=tuple(PlannedStop(**s) for s in r["stops"]),
            )
            for r in data["routes"]
        )
        unserved = tuple(
            UnservedOrder(u["order_id"], UnservedReason(u["reason"]), u.get("detail", ""))
            for u in data["unserved"]
        )
        return DayPlan(
            day=dt.date.fromisoformat(data["day"]),
            routes=routes,
            unserved=unserved,
            places={str(k): int(v) for k, v in data.get("places", {}).items()},
            runtime_s=float(data.get("runtime_s", 0.0)),
            seed=int(data.get("seed", 0)),
        )
    except (KeyError, TypeError, ValueError) as error:
        msg = f"saved day plan is malformed: {error!r}"
        raise ValueError(msg) from None


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


def _settings(
    time_limit: float | None, seed: int, max_iterations: int | None, closure_mode: str = "skip"
) -> PlanSettings:
    return PlanSettings(
        time_limit_s=time_limit,
        max_iterations=max_iterations,
        seed=seed,
        closure_policy=_policy(closure_mode),
    )


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
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
) -> DepotDay:
    """Plan a depot's day and keep the prepared inputs (for maps and baselines).

    Parameters are those of :func:`plan_depot_day`.
    """
    depot, county = _depot(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    orders = _orders(_county_orders(session, actor, county, day, day), depot_code)
    settings = _settings(time_limit, seed, max_iterations, closure_mode)
    inputs = prepare_day(
        road_network(roads),
        [depot],
        types,
        orders,
        day=day,
        closures=closures or (),
        settings=settings,
        cache=_MATRICES,
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
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
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
    closures
        Closures (those active on ``day`` apply): their roads are not used.
    closure_mode
        ``skip`` retailers inside an active closure (reported unserved with the reason) or
        serve them at a ``handoff`` point on its edge (约时约地).

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
        closures=closures,
        closure_mode=closure_mode,
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
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
) -> WeekPlan:
    """Assign the week's retailers to weekdays (balanced, compact, stable) and route each day.

    A retailer's current weekday is the weekday of its order in the week (Monday to
    Sunday around ``week_of``); it keeps it unless balance or compactness gains enough.

    Parameters
    ----------
    session, actor, depot_code, roads, time_limit, seed, max_iterations, closures, closure_mode
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
    settings = _settings(time_limit, seed, max_iterations, closure_mode)
    days: dict[dt.date, DayPlan] = {}
    for day, part in week.groupby("date", sort=True):
        inputs = prepare_day(
            network,
            [depot],
            types,
            _orders(part, depot_code),
            day=day,
            closures=closures or (),
            settings=settings,
            cache=_MATRICES,
        )
        days[day] = solve_day(inputs, settings=settings)
    return WeekPlan(assignment, days)


def order_id(licence_no: str, day: dt.date) -> str:
    """The id of a retailer's order of a day in plans: ``<licence>@<date>``."""
    return f"{licence_no}@{day.isoformat()}"


def replan_depot_day(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    day: dt.date,
    roads: Path,
    current: DayPlan,
    add: Mapping[str, int] | None = None,
    cancel: Sequence[str] = (),
    change: Mapping[str, int] | None = None,
    time_limit: float | None = 10.0,
    seed: int = 0,
    max_iterations: int | None = 5_000,
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
) -> ReplanResult:
    """Re-optimise a depot's planned day (调整配送计划) after order changes.

    The day's orders are the county's orders of ``day``; the changes are applied to them
    (not stored) and the search starts from ``current``.

    Parameters
    ----------
    session, actor, depot_code, roads, time_limit, seed, max_iterations, closures, closure_mode
        As for :func:`plan_depot_day`.
    day
        Delivery date; ``current`` must be that day's plan.
    current
        The plan in force (from :func:`plan_from_json`).
    add
        Cartons by licence number of retailers (of the depot's county) ordering anew.
    cancel
        Licence numbers whose order of the day is cancelled.
    change
        New cartons by licence number of retailers already ordering.

    Returns
    -------
    ReplanResult
        The new plan and the orders added, cancelled and moved between routes.
    """
    if current.day != day:
        msg = f"the current plan is for {current.day.isoformat()}, not {day.isoformat()}"
        raise ValueError(msg)
    add, change = dict(add or {}), dict(change or {})
    depot, county = _depot(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    orders = _orders(_county_orders(session, actor, county, day, day), depot_code)
    ordered = {o.retailer_id for o in orders}
    again = sorted(set(add) & ordered)
    if again:
        msg = f"retailers {again} already order on {day.isoformat()}: change their order instead"
        raise ValueError(msg)
    new_orders: list[Order] = []
    if add:
        retailers = load_frame(session, "retailers", actor, county_codes=[county])
        where = retailers.set_index("licence_no").geometry
        unknown = sorted(set(add) - set(where.index))
        if unknown:
            msg = f"retailers {unknown} are not retailers of county {county}"
            raise ValueError(msg)
        new_orders = [
            Order(
                order_id=order_id(lic, day),
                retailer_id=lic,
                lon=float(where[lic].x),
                lat=float(where[lic].y),
                cartons=cartons,
                depot_id=depot_code,
            )
            for lic, cartons in add.items()
        ]
    settings = _settings(time_limit, seed, max_iterations, closure_mode)
    return replan_day(
        road_network(roads),
        current,
        [depot],
        types,
        orders,
        day=day,
        add=new_orders,
        cancel=[order_id(lic, day) for lic in cancel],
        change=[OrderChange(order_id(lic, day), cartons=n) for lic, n in change.items()],
        closures=closures or (),
        settings=settings,
        cache=_MATRICES,
    )


def replan_summary(result: ReplanResult, *, changed: Sequence[str] = ()) -> dict[str, Any]:
    """What a replan changed: orders added, cancelled, changed, moved between routes.

    Parameters
    ----------
    result
        From :func:`replan_depot_day`.
    changed
        Ids of the orders whose size changed.

    Returns
    -------
    dict
        ``added``, ``cancelled``, ``changed``, ``moved`` (order ids, sorted) and
        ``unserved`` (order id and reason of orders off the new plan).
    """
    return {
        "added": sorted(result.added),
        "cancelled": sorted(result.cancelled),
        "changed": sorted(changed),
        "moved": sorted(result.moved),
        "unserved": [
            {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail}
            for u in result.plan.unserved
        ],
    }


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
    "CLOSURE_MODES",
    "MANIFEST_FORMATS",
    "ClosureFileError",
    "DepotDay",
    "DepotNotFoundError",
    "WeekPlan",
    "baseline_comparison",
    "closures_from_features",
    "default_roads",
    "manifest",
    "manifest_html",
    "order_id",
    "plan_depot_day",
    "plan_depot_day_full",
    "plan_from_json",
    "plan_to_json",
    "plan_week",
    "read_closures",
    "replan_depot_day",
    "replan_summary",
    "road_network",
    "write_manifest",
    "write_manifest_html",
]
