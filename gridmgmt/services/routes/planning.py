"""Plan a depot's day or week and replan a day, scoped by the actor's counties.

Planning loads the depot, its vehicles and its county's orders, reads the road network from an
OSM file (cached in process per path and modification time) and runs :mod:`gridmgmt.routing`.
Nothing here is stored; :mod:`gridmgmt.services.routes.stored` stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy.orm import Session

from gridmgmt.domain import Weekday
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.metrics import solver_timer
from gridmgmt.policy import Action, requires
from gridmgmt.routing.closures import ClosurePolicy
from gridmgmt.routing.manifest import day_totals
from gridmgmt.routing.matrix import MatrixCache
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
    Order,
    VehicleType,
)
from gridmgmt.routing.network import RoadNetwork, read_osm
from gridmgmt.routing.replan import OrderChange, ReplanResult, replan_day
from gridmgmt.routing.vrp import DayInputs, prepare_day, solve_day
from gridmgmt.routing.weekly import RetailerVolume, WeekAssignment, assign_weekdays
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.routes.changes import OrderChanges
from gridmgmt.services.routes.codec import unserved_json
from gridmgmt.services.routes.requests import PlanRequest, ReplanRequest, WeekRequest

if TYPE_CHECKING:
    from gridmgmt.config import Settings

_NETWORKS: dict[tuple[str, int], RoadNetwork] = {}


_MATRICES = MatrixCache(max_entries=8)


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
    depot_code
        The depot.
    assignment
        Weekday per retailer and what changed.
    days
        Plan per delivery date.
    """

    depot_code: str
    assignment: WeekAssignment
    days: dict[dt.date, DayPlan]

    def to_json(self) -> dict[str, Any]:
        """``depot_code``, ``weekday`` per retailer (0 Monday), ``changes`` of weekday and
        ``days`` (each day's totals), as both faces answer."""
        return {
            "depot_code": self.depot_code,
            "weekday": dict(sorted(self.assignment.weekday.items())),
            "changes": [
                {
                    "retailer": c.retailer_id,
                    "from": c.old_weekday,
                    "to": c.new_weekday,
                    "reason": c.reason,
                }
                for c in self.assignment.changes
            ],
            "days": {d.isoformat(): day_totals(p) for d, p in self.days.items()},
        }


def roads_file(settings: Settings) -> Path:
    """The road network of these settings: ``roads_file``, else the demo region's."""
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
        raise NotFoundError("depot", depot_code, message=msg)
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


def _day_inputs(
    session: Session,
    actor: Actor,
    request: PlanRequest,
    roads: Path,
) -> tuple[str, DayInputs]:
    depot, county = depot_and_county(session, actor, request.depot_code)
    types = _vehicle_types(session, actor, request.depot_code)
    frame = county_orders(session, actor, county, request.day, request.day)
    return county, prepare_day(
        road_network(roads),
        [depot],
        types,
        _orders(frame, request.depot_code),
        day=request.day,
        closures=request.closures,
        settings=request.engine_settings(request.closure_mode),
        cache=_MATRICES,
    )


@requires(Action.READ_ROUTES)
def plan_depot_day_full(
    session: Session, actor: Actor, request: PlanRequest, *, roads: Path
) -> DepotDay:
    """Plan a depot's day and keep the prepared inputs (for maps and baselines).

    Parameters are those of :func:`plan_depot_day`.
    """
    county, inputs = _day_inputs(session, actor, request, roads)
    with solver_timer("route_day"):
        plan = solve_day(inputs, settings=request.engine_settings(request.closure_mode))
    return DepotDay(county, inputs, plan)


@requires(Action.READ_ROUTES)
def plan_depot_day(session: Session, actor: Actor, request: PlanRequest, *, roads: Path) -> DayPlan:
    """Plan a depot's delivery day (日配送线路) without storing it.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose county scope applies; a depot of another county is not found.
    request
        The depot, the day, the closures and the solver options.
    roads
        OSM XML or PBF file of the region's roads (the settings' roads file).

    Returns
    -------
    DayPlan
        Routes per vehicle and unserved orders with reasons.

    Raises
    ------
    NotFoundError
        The depot is unknown or of a county outside the actor's.
    """
    return plan_depot_day_full(session, actor, request, roads=roads).plan


@requires(Action.READ_ROUTES)
def plan_week(session: Session, actor: Actor, request: WeekRequest, *, roads: Path) -> WeekPlan:
    """Assign the week's retailers to weekdays (balanced, compact, stable) and route each day.

    A retailer with a fixed delivery weekday in the data (``delivery_weekday``, 固定送货日)
    gets that day. Another's current weekday is the weekday of its order in the week
    (Monday to Sunday around ``week_of``); it keeps it unless balance or compactness gains
    enough. The retailer's orders of the week are delivered together on its weekday.
    Nothing is stored (a preview; see :func:`~gridmgmt.services.routes.stored.
    plan_and_store_week`).

    Parameters
    ----------
    session, actor, roads
        As for :func:`plan_depot_day`.
    request
        The depot, any date of the week, the closures and the solver options (per day).

    Returns
    -------
    WeekPlan
        The weekday assignment and a plan per delivery date.
    """
    return week_with_changes(session, actor, request, roads=roads)[0]


def _cartons(frame: pd.DataFrame) -> dict[str, int]:
    return {str(lic): int(n) for lic, n in zip(frame["licence_no"], frame["cartons"], strict=True)}


def _week_retailers(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per retailer of the week: its cartons summed, its last order's date."""
    return (
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


def _assign_weekdays(week: pd.DataFrame, depot: DepotSite) -> WeekAssignment:
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
    return assign_weekdays(retailers, depot=(depot.lon, depot.lat))


def week_with_changes(
    session: Session, actor: Actor, request: WeekRequest, *, roads: Path
) -> tuple[WeekPlan, dict[dt.date, OrderChanges]]:
    """The week (see :func:`plan_week`) and, per day, how its planned orders differ from
    the stored orders of that date (retailers moved in or out, weekly cartons)."""
    depot, county = depot_and_county(session, actor, request.depot_code)
    types = _vehicle_types(session, actor, request.depot_code)
    monday = request.monday
    frame = county_orders(session, actor, county, monday, monday + dt.timedelta(days=6))
    week = _week_retailers(frame)
    assignment = _assign_weekdays(week, depot)
    week["date"] = [
        monday + dt.timedelta(days=assignment.weekday[str(x)]) for x in week["licence_no"]
    ]
    network = road_network(roads)
    settings = request.engine_settings(request.closure_mode)
    days: dict[dt.date, DayPlan] = {}
    changes: dict[dt.date, OrderChanges] = {}
    for day, part in week.groupby("date", sort=True):
        inputs = prepare_day(
            network,
            [depot],
            types,
            _orders(part, request.depot_code),
            day=day,
            closures=request.closures,
            settings=settings,
            cache=_MATRICES,
        )
        with solver_timer("route_week_day"):
            days[day] = solve_day(inputs, settings=settings)
        changes[day] = OrderChanges.between(_cartons(frame[frame["date"] == day]), _cartons(part))
    # A date whose retailers all moved to other weekdays gets an empty plan, not none.
    for day in sorted(set(frame["date"]) - set(days)):
        days[day] = DayPlan(day=day, routes=(), unserved=())
        changes[day] = OrderChanges.between(_cartons(frame[frame["date"] == day]), {})
    return WeekPlan(request.depot_code, assignment, dict(sorted(days.items()))), changes


def order_id(licence_no: str, day: dt.date) -> str:
    """The id of a retailer's order of a day in plans: ``<licence>@<date>``."""
    return f"{licence_no}@{day.isoformat()}"


def _new_orders(session: Session, actor: Actor, county: str, request: ReplanRequest) -> list[Order]:
    """The orders ``request.add`` makes: retailers of the depot's county ordering anew."""
    if not request.add:
        return []
    retailers = load_frame(session, "retailers", actor, county_codes=[county])
    where = retailers.set_index("licence_no").geometry
    unknown = sorted(set(request.add) - set(where.index))
    if unknown:
        msg = f"retailers {unknown} are not retailers of county {county}"
        raise InvalidInputError(msg)
    return [
        Order(
            order_id=order_id(lic, request.day),
            retailer_id=lic,
            lon=float(where[lic].x),
            lat=float(where[lic].y),
            cartons=cartons,
            depot_id=request.depot_code,
        )
        for lic, cartons in request.add.items()
    ]


@requires(Action.READ_ROUTES)
def replan_depot_day(
    session: Session, actor: Actor, request: ReplanRequest, *, roads: Path
) -> ReplanResult:
    """Re-optimise a depot's planned day (调整配送计划) after order changes, storing nothing.

    The day's orders are the county's orders of the day; the request's changes are applied
    to them (not stored) and the search starts from ``request.plan``.

    Parameters
    ----------
    session, actor, roads
        As for :func:`plan_depot_day`.
    request
        The current plan (required here), the order changes (``add``: cartons by licence
        number of retailers of the depot's county ordering anew; ``cancel``: licence
        numbers; ``change``: new cartons by licence number), closures and solver options.

    Returns
    -------
    ReplanResult
        The new plan and the orders added, cancelled and moved between routes.

    Raises
    ------
    InvalidInputError
        No current plan is given, or the changes do not fit the day's orders.
    """
    if request.plan is None:
        msg = "a replan needs the current plan to start from"
        raise InvalidInputError(msg)
    day = request.day
    depot, county = depot_and_county(session, actor, request.depot_code)
    types = _vehicle_types(session, actor, request.depot_code)
    orders = _orders(county_orders(session, actor, county, day, day), request.depot_code)
    again = sorted(set(request.add) & {o.retailer_id for o in orders})
    if again:
        msg = f"retailers {again} already order on {day.isoformat()}: change their order instead"
        raise InvalidInputError(msg)
    mode = request.closure_mode or ClosurePolicy.SKIP
    with solver_timer("route_replan"):
        return replan_day(
            road_network(roads),
            request.plan,
            [depot],
            types,
            orders,
            day=day,
            add=_new_orders(session, actor, county, request),
            cancel=[order_id(lic, day) for lic in request.cancel],
            change=[
                OrderChange(order_id(lic, day), cartons=n) for lic, n in request.change.items()
            ],
            closures=request.closures or (),
            settings=request.engine_settings(mode),
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
        "unserved": unserved_json(result.plan),
    }
