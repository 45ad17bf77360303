"""Plan a depot's day or week and replan a day, scoped by the actor's counties.

Planning loads the depot, its vehicles and its county's orders, reads the road network from an
OSM file (cached in process per path and modification time) and runs :mod:`gridmgmt.routing`.
Nothing here is stored; :mod:`gridmgmt.services.routes.stored` stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from gridmgmt.domain import Weekday
from gridmgmt.routing.closures import Closure
from gridmgmt.routing.matrix import MatrixCache
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
    Order,
    VehicleType,
)
from gridmgmt.routing.network import RoadNetwork, read_osm
from gridmgmt.routing.replan import OrderChange, ReplanResult, replan_day
from gridmgmt.routing.vrp import DayInputs, PlanSettings, prepare_day, solve_day
from gridmgmt.routing.weekly import RetailerVolume, WeekAssignment, assign_weekdays
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.routes.changes import OrderChanges
from gridmgmt.services.routes.closures import parse_closure_mode

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


def depot_and_county(session: Session, actor: Actor, depot_code: str) -> tuple[DepotSite, str]:
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


def county_orders(
    session: Session, actor: Actor, county: str, first: dt.date, last: dt.date
) -> pd.DataFrame:
    """Orders of ``county`` dated ``first``..``last`` with the retailer's position and fixed
    delivery weekday (``fixed_weekday``: 0 for Monday, ``None`` for any day)."""
    orders = load_frame(session, "orders", actor, county_codes=[county])
    orders = orders[(orders["date"] >= first) & (orders["date"] <= last)]
    retailers = load_frame(session, "retailers", actor, county_codes=[county])
    where = pd.DataFrame(
        {
            "licence_no": retailers["licence_no"],
            "lon": retailers.geometry.x,
            "lat": retailers.geometry.y,
            "fixed_weekday": [
                None if pd.isna(day) else Weekday(day).index
                for day in retailers["delivery_weekday"]
            ],
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


def plan_settings(
    time_limit: float | None, seed: int, max_iterations: int | None, closure_mode: str = "skip"
) -> PlanSettings:
    return PlanSettings(
        time_limit_s=time_limit,
        max_iterations=max_iterations,
        seed=seed,
        closure_policy=parse_closure_mode(closure_mode),
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
    depot, county = depot_and_county(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    orders = _orders(county_orders(session, actor, county, day, day), depot_code)
    settings = plan_settings(time_limit, seed, max_iterations, closure_mode)
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

    A retailer with a fixed delivery weekday in the data (``delivery_weekday``, 固定送货日)
    gets that day. Another's current weekday is the weekday of its order in the week
    (Monday to Sunday around ``week_of``); it keeps it unless balance or compactness gains
    enough.
    The retailer's orders of the week are delivered together on its weekday.

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
    return week_with_changes(
        session,
        actor,
        depot_code=depot_code,
        week_of=week_of,
        roads=roads,
        settings=plan_settings(time_limit, seed, max_iterations, closure_mode),
        closures=closures or (),
    )[0]


def _cartons(frame: pd.DataFrame) -> dict[str, int]:
    return {str(lic): int(n) for lic, n in zip(frame["licence_no"], frame["cartons"], strict=True)}


def week_with_changes(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    week_of: dt.date,
    roads: Path,
    settings: PlanSettings,
    closures: Sequence[Closure],
) -> tuple[WeekPlan, dict[dt.date, OrderChanges]]:
    """The week (see :func:`plan_week`) and, per day, how its planned orders differ from
    the stored orders of that date (retailers moved in or out, weekly cartons)."""
    depot, county = depot_and_county(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    monday = week_of - dt.timedelta(days=week_of.weekday())
    frame = county_orders(session, actor, county, monday, monday + dt.timedelta(days=6))
    week = (
        frame.sort_values("date")
        .groupby("licence_no", sort=True)
        .agg(
            cartons=("cartons", "sum"),
            date=("date", "last"),
            lon=("lon", "first"),
            lat=("lat", "first"),
            fixed_weekday=("fixed_weekday", "first"),
        )
        .reset_index()
    )
    retailers = [
        RetailerVolume(
            str(r.licence_no),
            float(r.lon),
            float(r.lat),
            float(r.cartons),
            current_weekday=r.date.weekday(),
            fixed_weekday=None if pd.isna(r.fixed_weekday) else int(r.fixed_weekday),
        )
        for r in week.itertuples(index=False)
    ]
    assignment = assign_weekdays(retailers, depot=(depot.lon, depot.lat))
    week["date"] = [
        monday + dt.timedelta(days=assignment.weekday[str(x)]) for x in week["licence_no"]
    ]
    network = road_network(roads)
    days: dict[dt.date, DayPlan] = {}
    changes: dict[dt.date, OrderChanges] = {}
    for day, part in week.groupby("date", sort=True):
        inputs = prepare_day(
            network,
            [depot],
            types,
            _orders(part, depot_code),
            day=day,
            closures=closures,
            settings=settings,
            cache=_MATRICES,
        )
        days[day] = solve_day(inputs, settings=settings)
        changes[day] = OrderChanges.between(_cartons(frame[frame["date"] == day]), _cartons(part))
    # A date whose retailers all moved to other weekdays gets an empty plan, not none.
    for day in sorted(set(frame["date"]) - set(days)):
        days[day] = DayPlan(day=day, routes=(), unserved=())
        changes[day] = OrderChanges.between(_cartons(frame[frame["date"] == day]), {})
    return WeekPlan(assignment, dict(sorted(days.items()))), changes


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
    depot, county = depot_and_county(session, actor, depot_code)
    types = _vehicle_types(session, actor, depot_code)
    orders = _orders(county_orders(session, actor, county, day, day), depot_code)
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
    settings = plan_settings(time_limit, seed, max_iterations, closure_mode)
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
