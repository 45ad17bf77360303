"""Plan a delivery day with PyVRP: orders become vehicle routes by road.

:func:`plan_day` does the whole job for several depots: closures, snapping, one travel
matrix, orders checked for what makes them impossible (each one reported with a reason),
then one PyVRP model per depot with capacities in cartons, service times from order size,
opening hours, shifts, retailer time windows and a heterogeneous fleet. Orders the fleet
cannot fit are dropped by the solver (they carry a prize larger than any route they could
add) and reported as ``fleet_full``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp import Activity, ActivityType, Client, Depot, Location, ProblemData, Solution
from pyvrp.constants import MAX_VALUE

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.closures import (
    Closure,
    ClosurePolicy,
    active_closures,
    apply_closures,
    closure_of_points,
    handoff_points,
)
from gridmgmt.routing.matrix import MatrixCache, TravelMatrix, point_matrix
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
    Order,
    PlannedRoute,
    PlannedStop,
    ServiceTimeModel,
    UnservedOrder,
    UnservedReason,
    VehicleType,
    hhmm,
)
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.search import solve_problem
from gridmgmt.routing.snap import SnappedPoints, snap_points

_UNREACHABLE = MAX_VALUE


@dataclass(frozen=True)
class PlanSettings:
    """Options for planning a day.

    Attributes
    ----------
    service
        Service time per stop from the order size.
    closure_policy
        ``skip`` retailers inside a closure, or serve them at a ``handoff`` point on its edge.
    max_snap_m
        Orders farther than this from any open road are reported, not routed.
    access_speed_kmh
        Speed over the snap distance between a place and its road.
    time_limit_s
        Solver budget per depot, seconds (a cap; ``None`` for none).
    max_iterations
        Iteration bound per depot. The plan is reproducible for a seed whenever this bound,
        not the time limit, ends the search.
    seed
        Solver seed.
    workers
        Parallel searches per depot.
    rounds
        Rounds in which parallel searches restart from the best plan so far.
    """

    service: ServiceTimeModel = field(default_factory=ServiceTimeModel)
    closure_policy: ClosurePolicy = ClosurePolicy.SKIP
    max_snap_m: float = 1_000.0
    access_speed_kmh: float = 10.0
    time_limit_s: float | None = 30.0
    max_iterations: int | None = 20_000
    seed: int = 0
    workers: int = 1
    rounds: int = 1


@dataclass(frozen=True)
class DayInputs:
    """Everything a day's routing works from, after closures and snapping.

    Attributes
    ----------
    day
        Delivery day.
    depots, vehicle_types, orders
        The inputs, orders in the given order.
    matrix
        Travel matrix between places: depots first, then orders.
    lon, lat
        Where the vehicle stops for each place (handoff points for retailers in closures).
    snapped
        Places on the open network.
    open_network
        The road network of the day, closures applied (``snapped`` refers to it).
    handoff
        Per order: served at a handoff point.
    prescreen
        Orders found impossible before solving, with reasons.
    order_depot
        Depot serving each remaining order.
    """

    day: date
    depots: tuple[DepotSite, ...]
    vehicle_types: tuple[VehicleType, ...]
    orders: tuple[Order, ...]
    matrix: TravelMatrix
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    snapped: SnappedPoints
    open_network: RoadNetwork
    handoff: npt.NDArray[np.bool_]
    prescreen: dict[str, UnservedOrder]
    order_depot: dict[str, str]

    @property
    def places(self) -> dict[str, int]:
        """Matrix index of each depot (``depot:<id>``) and order (``order:<id>``)."""
        index = {f"depot:{d.depot_id}": i for i, d in enumerate(self.depots)}
        start = len(self.depots)
        index.update({f"order:{o.order_id}": start + i for i, o in enumerate(self.orders)})
        return index


def prepare_day(
    network: RoadNetwork,
    depots: Sequence[DepotSite],
    vehicle_types: Sequence[VehicleType],
    orders: Sequence[Order],
    *,
    day: date,
    closures: Sequence[Closure] = (),
    settings: PlanSettings | None = None,
    cache: MatrixCache | None = None,
) -> DayInputs:
    """Apply closures, snap places, build the travel matrix and screen impossible orders.

    Parameters
    ----------
    network
        Full road network.
    depots, vehicle_types, orders
        The day's inputs.
    day
        Delivery day.
    closures
        All known closures (those active on ``day`` apply).
    settings
        Planning options.
    cache
        Optional matrix cache.

    Returns
    -------
    DayInputs
        Ready for :func:`solve_day`.
    """
    settings = settings or PlanSettings()
    _check_ids(depots, vehicle_types, orders)
    active = active_closures(closures, day)
    open_network = apply_closures(network, active, day=day)
    lon = np.array([d.lon for d in depots] + [o.lon for o in orders], float)
    lat = np.array([d.lat for d in depots] + [o.lat for o in orders], float)
    prescreen: dict[str, UnservedOrder] = {}
    handoff = np.zeros(len(orders), bool)
    if active:
        inside = closure_of_points(network, lon, lat, active)
        for k, depot in enumerate(depots):
            if inside[k] >= 0:
                msg = f"depot {depot.depot_id} is inside closure {active[inside[k]].closure_id}"
                raise InvalidInputError(msg)
        rows = np.flatnonzero(inside[len(depots) :] >= 0)
        if settings.closure_policy == ClosurePolicy.HANDOFF and len(rows):
            places = rows + len(depots)
            spots = handoff_points(open_network, lon[places], lat[places], active, inside[places])
            lon[places], lat[places] = spots.lon, spots.lat
            handoff[rows] = True
        else:
            for row in rows:
                order = orders[int(row)]
                closure = active[inside[len(depots) + row]]
                prescreen[order.order_id] = UnservedOrder(
                    order.order_id,
                    UnservedReason.INSIDE_CLOSURE,
                    f"inside closure {closure.closure_id} {closure.reason}".strip(),
                )
    snapped = snap_points(open_network, lon, lat)  # handoff points already lie on a road
    matrix = _day_matrix(open_network, network, snapped, lon, lat, day, active, settings, cache)
    order_depot = _assign_depots(depots, vehicle_types, orders, matrix)
    _screen_orders(depots, vehicle_types, orders, matrix, snapped, settings, order_depot, prescreen)
    return DayInputs(
        day=day,
        depots=tuple(depots),
        vehicle_types=tuple(vehicle_types),
        orders=tuple(orders),
        matrix=matrix,
        lon=lon,
        lat=lat,
        snapped=snapped,
        open_network=open_network,
        handoff=handoff,
        prescreen=prescreen,
        order_depot={k: v for k, v in order_depot.items() if k not in prescreen},
    )


def plan_day(
    network: RoadNetwork,
    depots: Sequence[DepotSite],
    vehicle_types: Sequence[VehicleType],
    orders: Sequence[Order],
    *,
    day: date,
    closures: Sequence[Closure] = (),
    settings: PlanSettings | None = None,
    cache: MatrixCache | None = None,
) -> DayPlan:
    """Plan a day's routes for one or more depots.

    Parameters
    ----------
    network
        Full road network.
    depots
        Depots with their opening hours.
    vehicle_types
        The fleet, by type and depot.
    orders
        The day's orders.
    day
        Delivery day.
    closures
        All known closures (those active on ``day`` apply).
    settings
        Planning options.
    cache
        Optional matrix cache, keyed by network, day, closures and places.

    Returns
    -------
    DayPlan
        Routes per vehicle and every order not served with its reason.
    """
    settings = settings or PlanSettings()
    inputs = prepare_day(
        network,
        depots,
        vehicle_types,
        orders,
        day=day,
        closures=closures,
        settings=settings,
        cache=cache,
    )
    return solve_day(inputs, settings=settings)


def solve_day(
    inputs: DayInputs,
    *,
    settings: PlanSettings | None = None,
    initial_plan: DayPlan | None = None,
) -> DayPlan:
    """Solve each depot of a prepared day.

    Parameters
    ----------
    inputs
        From :func:`prepare_day`.
    settings
        Planning options.
    initial_plan
        Optional warm start (for replanning): its routes, minus orders no longer in
        ``inputs``, seed the search.

    Returns
    -------
    DayPlan
        Routes and unserved orders.
    """
    settings = settings or PlanSettings()
    routes: list[PlannedRoute] = []
    unserved = dict(inputs.prescreen)
    runtime = 0.0
    for depot_index, depot in enumerate(inputs.depots):
        order_idx = [
            i
            for i, o in enumerate(inputs.orders)
            if inputs.order_depot.get(o.order_id) == depot.depot_id
        ]
        types = [v for v in inputs.vehicle_types if v.depot_id == depot.depot_id and v.count > 0]
        if not order_idx:
            continue
        problem = build_problem(inputs, depot_index, order_idx, types, settings)
        warm = None
        if initial_plan is not None:
            warm = _warm_start(problem, inputs, order_idx, types, initial_plan, depot.depot_id)
        outcome = solve_problem(
            problem,
            time_limit=settings.time_limit_s,
            max_iterations=settings.max_iterations,
            seed=settings.seed,
            workers=settings.workers,
            rounds=settings.rounds,
            initial_solution=warm,
        )
        runtime += outcome.runtime_s
        depot_routes, dropped = _read_solution(
            outcome.solution, inputs, depot_index, order_idx, types, settings
        )
        routes.extend(depot_routes)
        for i in dropped:
            order = inputs.orders[i]
            unserved[order.order_id] = UnservedOrder(
                order.order_id,
                UnservedReason.FLEET_FULL,
                f"no room on depot {depot.depot_id}'s vehicles within capacity and shifts",
            )
    order_rank = {o.order_id: i for i, o in enumerate(inputs.orders)}
    return DayPlan(
        day=inputs.day,
        routes=tuple(routes),
        unserved=tuple(sorted(unserved.values(), key=lambda u: order_rank[u.order_id])),
        places=inputs.places,
        runtime_s=runtime,
        seed=settings.seed,
    )


def build_problem(
    inputs: DayInputs,
    depot_index: int,
    order_idx: Sequence[int],
    types: Sequence[VehicleType],
    settings: PlanSettings,
) -> ProblemData:
    """The PyVRP data for one depot's orders: location 0 is the depot, then the orders.

    Parameters
    ----------
    inputs
        The prepared day.
    depot_index
        Which depot.
    order_idx
        Indices into ``inputs.orders`` served from it.
    types
        Its vehicle types.
    settings
        Planning options.

    Returns
    -------
    ProblemData
        Integer data: metres, seconds, cartons.
    """
    depot = inputs.depots[depot_index]
    n_depots = len(inputs.depots)
    places = np.r_[depot_index, n_depots + np.asarray(order_idx, np.int64)]
    dist = _to_int(inputs.matrix.distance_m[np.ix_(places, places)])
    dur = _to_int(inputs.matrix.time_s[np.ix_(places, places)])
    round_trip = dist[0, 1:] + dist[1:, 0]
    prize = int(2 * (round_trip.max() + max(v.fixed_cost_m for v in types)) + 1)
    locations = [
        Location(x=float(inputs.snapped.x[p]), y=float(inputs.snapped.y[p])) for p in places
    ]
    clients = []
    for loc, i in enumerate(order_idx, start=1):
        order = inputs.orders[i]
        early, late = _window(order, depot)
        clients.append(
            Client(
                location=loc,
                delivery=[order.cartons],
                service_duration=settings.service.service_s(order.cartons),
                tw_early=early,
                tw_late=late,
                prize=prize,
                required=False,
                name=order.order_id,
            )
        )
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=v.count,
            capacity=[v.capacity_cartons],
            start_depot=0,
            end_depot=0,
            fixed_cost=v.fixed_cost_m,
            tw_early=depot.opens_s,
            tw_late=depot.closes_s,
            shift_duration=v.max_duration_s,
            name=v.vehicle_type_id,
        )
        for v in types
    ]
    return ProblemData(
        locations=locations,
        clients=clients,
        depots=[Depot(location=0, tw_early=depot.opens_s, tw_late=depot.closes_s)],
        vehicle_types=vehicle_types,
        distance_matrices=[dist],  # type: ignore[list-item]  # PyVRP's stub: ndarray[int]
        duration_matrices=[dur],  # type: ignore[list-item]
    )


def _to_int(values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    out = np.full(values.shape, _UNREACHABLE, np.int64)
    finite = np.isfinite(values)
    out[finite] = np.minimum(np.rint(values[finite]), _UNREACHABLE).astype(np.int64)
    return out


def _window(order: Order, depot: DepotSite) -> tuple[int, int]:
    early = depot.opens_s if order.tw_start_s is None else max(order.tw_start_s, depot.opens_s)
    late = depot.closes_s if order.tw_end_s is None else min(order.tw_end_s, depot.closes_s)
    return early, max(late, early)


def _check_ids(
    depots: Sequence[DepotSite], vehicle_types: Sequence[VehicleType], orders: Sequence[Order]
) -> None:
    for label, ids in (
        ("depot", [d.depot_id for d in depots]),
        ("vehicle type", [v.vehicle_type_id for v in vehicle_types]),
        ("order", [o.order_id for o in orders]),
    ):
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            msg = f"duplicate {label} ids: {dupes}"
            raise InvalidInputError(msg)
    if not depots:
        msg = "at least one depot is needed"
        raise InvalidInputError(msg)
    known = {d.depot_id for d in depots}
    for v in vehicle_types:
        if v.depot_id not in known:
            msg = (
                f"vehicle type {v.vehicle_type_id}: depot {v.depot_id!r} is expected to be in "
                f"{sorted(known)}"
            )
            raise InvalidInputError(msg)
    for o in orders:
        if o.depot_id is not None and o.depot_id not in known:
            msg = f"order {o.order_id}: depot {o.depot_id!r} is expected to be in {sorted(known)}"
            raise InvalidInputError(msg)


def _day_matrix(
    open_network: RoadNetwork,
    network: RoadNetwork,
    snapped: SnappedPoints,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    day: date,
    active: Sequence[Closure],
    settings: PlanSettings,
    cache: MatrixCache | None,
) -> TravelMatrix:
    key = None
    if cache is not None:
        key = MatrixCache.key(
            network, day, active, lon, lat, access_speed_kmh=settings.access_speed_kmh
        )
        if (hit := cache.get(key)) is not None:
            return hit
    matrix = point_matrix(open_network, snapped, access_speed_kmh=settings.access_speed_kmh)
    if cache is not None and key is not None:
        cache.put(key, matrix)
    return matrix


def _assign_depots(
    depots: Sequence[DepotSite],
    vehicle_types: Sequence[VehicleType],
    orders: Sequence[Order],
    matrix: TravelMatrix,
) -> dict[str, str]:
    """Each order's depot: its own, else the nearest by round-trip time that has vehicles."""
    with_fleet = [
        k
        for k, d in enumerate(depots)
        if any(v.depot_id == d.depot_id and v.count for v in vehicle_types)
    ]
    n = len(depots)
    result = {}
    for i, order in enumerate(orders):
        if order.depot_id is not None:
            result[order.order_id] = order.depot_id
            continue
        candidates = with_fleet or list(range(n))
        trip = [matrix.time_s[k, n + i] + matrix.time_s[n + i, k] for k in candidates]
        result[order.order_id] = depots[candidates[int(np.argmin(trip))]].depot_id
    return result


def _screen_orders(
    depots: Sequence[DepotSite],
    vehicle_types: Sequence[VehicleType],
    orders: Sequence[Order],
    matrix: TravelMatrix,
    snapped: SnappedPoints,
    settings: PlanSettings,
    order_depot: dict[str, str],
    prescreen: dict[str, UnservedOrder],
) -> None:
    """Report orders no vehicle could serve even alone, so the solver never sees them."""
    n = len(depots)
    depot_index = {d.depot_id: k for k, d in enumerate(depots)}
    for i, order in enumerate(orders):
        if order.order_id in prescreen:
            continue
        depot = depots[depot_index[order_depot[order.order_id]]]
        k = depot_index[depot.depot_id]
        types = [v for v in vehicle_types if v.depot_id == depot.depot_id and v.count > 0]
        reason = _why_impossible(order, depot, types, matrix, k, n + i, snapped, settings)
        if reason is not None:
            prescreen[order.order_id] = UnservedOrder(order.order_id, *reason)


def _why_impossible(
    order: Order,
    depot: DepotSite,
    types: Sequence[VehicleType],
    matrix: TravelMatrix,
    k: int,
    p: int,
    snapped: SnappedPoints,
    settings: PlanSettings,
) -> tuple[UnservedReason, str] | None:
    if not types:
        return UnservedReason.NO_VEHICLE, f"depot {depot.depot_id} has no vehicles"
    if snapped.snap_distance_m[p] > settings.max_snap_m:
        return (
            UnservedReason.NO_ROAD_NEARBY,
            f"nearest open road is {snapped.snap_distance_m[p]:.0f} m away "
            f"(limit {settings.max_snap_m:.0f} m)",
        )
    largest = max(v.capacity_cartons for v in types)
    if order.cartons > largest:
        return (
            UnservedReason.TOO_LARGE,
            f"{order.cartons} cartons; the largest vehicle at {depot.depot_id} takes {largest}",
        )
    there, back = matrix.time_s[k, p], matrix.time_s[p, k]
    if not (np.isfinite(there) and np.isfinite(back)):
        return (
            UnservedReason.UNREACHABLE,
            f"no open road between depot {depot.depot_id} and the retailer",
        )
    service = settings.service.service_s(order.cartons)
    early = depot.opens_s if order.tw_start_s is None else max(order.tw_start_s, depot.opens_s)
    late = depot.closes_s if order.tw_end_s is None else order.tw_end_s
    arrival = max(depot.opens_s + there, early)
    if arrival > late:
        return (
            UnservedReason.TIME_WINDOW,
            f"earliest arrival {hhmm(arrival)} is after the window closes ({hhmm(late)})",
        )
    if arrival + service + back > depot.closes_s:
        return (
            UnservedReason.TIME_WINDOW,
            f"a vehicle serving it is not back before the depot closes ({hhmm(depot.closes_s)})",
        )
    if there + service + back > max(v.max_duration_s for v in types):
        return (
            UnservedReason.TIME_WINDOW,
            f"the round trip takes {(there + service + back) / 3600:.1f} h, longer than any shift",
        )
    return None


def _read_solution(
    solution: Solution,
    inputs: DayInputs,
    depot_index: int,
    order_idx: Sequence[int],
    types: Sequence[VehicleType],
    settings: PlanSettings,
) -> tuple[list[PlannedRoute], list[int]]:
    depot = inputs.depots[depot_index]
    n_depots = len(inputs.depots)
    dist, time = inputs.matrix.distance_m, inputs.matrix.time_s
    routes: list[PlannedRoute] = []
    served: set[int] = set()
    counters: dict[int, int] = {}
    for route in solution.routes():
        t = route.vehicle_type()
        counters[t] = counters.get(t, 0) + 1
        vtype = types[t]
        stops: list[PlannedStop] = []
        prev = depot_index
        for act in route.schedule():
            if not act.is_client():
                continue
            i = order_idx[act.idx]
            served.add(i)
            order = inputs.orders[i]
            place = n_depots + i
            service = settings.service.service_s(order.cartons)
            start = int(act.start_time)
            stops.append(
                PlannedStop(
                    order_id=order.order_id,
                    retailer_id=order.retailer_id,
                    sequence=len(stops) + 1,
                    place=place,
                    lon=float(inputs.lon[place]),
                    lat=float(inputs.lat[place]),
                    cartons=order.cartons,
                    arrival_s=start - int(act.wait_duration),
                    start_s=start,
                    departure_s=start + service,
                    travel_m=float(dist[prev, place]),
                    travel_s=float(time[prev, place]),
                    tw_start_s=order.tw_start_s,
                    tw_end_s=order.tw_end_s,
                    handoff=bool(inputs.handoff[i]),
                )
            )
            prev = place
        if not stops:
            continue
        if not route.is_feasible():
            # Too little search can leave a route over capacity or late: never hand it out.
            served.difference_update(order_idx[a.idx] for a in route if a.is_client())
            continue
        routes.append(
            PlannedRoute(
                route_id=f"{vtype.vehicle_type_id}#{counters[t]}",
                vehicle_type_id=vtype.vehicle_type_id,
                depot_id=depot.depot_id,
                capacity_cartons=vtype.capacity_cartons,
                start_s=int(route.start_time()),
                end_s=int(route.end_time()),
                stops=tuple(stops),
                return_m=float(dist[prev, depot_index]),
                return_s=float(time[prev, depot_index]),
            )
        )
    return routes, [i for i in order_idx if i not in served]


def _warm_start(
    problem: ProblemData,
    inputs: DayInputs,
    order_idx: Sequence[int],
    types: Sequence[VehicleType],
    plan: DayPlan,
    depot_id: str,
) -> Solution:
    client_of = {inputs.orders[i].order_id: c for c, i in enumerate(order_idx)}
    type_of = {v.vehicle_type_id: t for t, v in enumerate(types)}
    used = [0] * len(types)
    built = []
    for route in plan.routes:
        t = type_of.get(route.vehicle_type_id)
        if route.depot_id != depot_id or t is None or used[t] >= types[t].count:
            continue
        visits = [client_of[s.order_id] for s in route.stops if s.order_id in client_of]
        if visits:
            used[t] += 1
            built.append(
                pyvrp.Route(problem, [Activity(ActivityType.CLIENT, c) for c in visits], t)
            )
    return Solution(problem, built)
