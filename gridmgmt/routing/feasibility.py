"""Check a day plan against its inputs, without the solver (可行性校验).

Every route is replayed from the travel matrix: loads against capacity, service start
against time windows, leaving and returning within the depot's hours, route duration
against the shift, vehicles used no more often than available, and every order either
on exactly one route or reported as unserved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gridmgmt.routing.matrix import TravelMatrix
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
    Order,
    PlannedRoute,
    ServiceTimeModel,
    VehicleType,
)


@dataclass(frozen=True)
class Violation:
    """A broken rule.

    Attributes
    ----------
    kind
        ``capacity``, ``time_window``, ``depot_hours``, ``shift``, ``fleet``, ``coverage``,
        ``schedule`` or ``unknown``.
    route_id
        The route, if the rule belongs to one.
    order_id
        The order, if the rule belongs to one.
    detail
        What is wrong, in numbers.
    """

    kind: str
    route_id: str | None
    order_id: str | None
    detail: str


def check_plan(
    plan: DayPlan,
    *,
    depots: Sequence[DepotSite],
    vehicle_types: Sequence[VehicleType],
    orders: Sequence[Order],
    matrix: TravelMatrix,
    service: ServiceTimeModel,
    tolerance_s: float = 2.0,
) -> list[Violation]:
    """List every rule a plan breaks; an empty list means the plan is feasible.

    Parameters
    ----------
    plan
        The plan to check.
    depots, vehicle_types, orders
        The inputs it was made from.
    matrix
        Travel matrix, indexed by ``plan.places``.
    service
        Service time model.
    tolerance_s
        Slack per leg for whole-second rounding.

    Returns
    -------
    list of Violation
        Empty when feasible.
    """
    order_by_id = {o.order_id: o for o in orders}
    depot_by_id = {d.depot_id: d for d in depots}
    type_by_id = {v.vehicle_type_id: v for v in vehicle_types}
    violations = _coverage(plan, order_by_id)
    violations += _fleet(plan, type_by_id)
    for route in plan.routes:
        depot = depot_by_id.get(route.depot_id)
        vtype = type_by_id.get(route.vehicle_type_id)
        if depot is None or vtype is None:
            violations.append(
                Violation("unknown", route.route_id, None, "unknown depot or vehicle type")
            )
            continue
        violations += _check_route(
            route, depot, vtype, order_by_id, plan.places, matrix, service, tolerance_s
        )
    return violations


def _coverage(plan: DayPlan, order_by_id: dict[str, Order]) -> list[Violation]:
    found: list[Violation] = []
    served = Counter(plan.served_order_ids)
    reported = Counter(u.order_id for u in plan.unserved)
    for order_id in order_by_id:
        times = served[order_id] + reported[order_id]
        if times != 1:
            where = f"on {served[order_id]} routes and reported {reported[order_id]} times"
            found.append(Violation("coverage", None, order_id, f"expected once, {where}"))
    for order_id in (served + reported).keys() - order_by_id.keys():
        found.append(Violation("unknown", None, order_id, "not among the day's orders"))
    return found


def _fleet(plan: DayPlan, type_by_id: dict[str, VehicleType]) -> list[Violation]:
    found = []
    used = Counter(r.vehicle_type_id for r in plan.routes)
    for type_id, count in used.items():
        vtype = type_by_id.get(type_id)
        if vtype is not None and count > vtype.count:
            found.append(
                Violation(
                    "fleet", None, None, f"{count} routes on {type_id}, {vtype.count} vehicles"
                )
            )
    ids = Counter(r.route_id for r in plan.routes)
    found += [
        Violation("fleet", rid, None, "route id used twice") for rid, c in ids.items() if c > 1
    ]
    return found


def _check_route(
    route: PlannedRoute,
    depot: DepotSite,
    vtype: VehicleType,
    order_by_id: dict[str, Order],
    places: dict[str, int],
    matrix: TravelMatrix,
    service: ServiceTimeModel,
    tol: float,
) -> list[Violation]:
    found: list[Violation] = []
    rid = route.route_id
    if vtype.depot_id != depot.depot_id:
        found.append(
            Violation(
                "fleet", rid, None, f"{vtype.vehicle_type_id} is not based at {depot.depot_id}"
            )
        )
    load = sum(order_by_id[s.order_id].cartons for s in route.stops if s.order_id in order_by_id)
    if load > vtype.capacity_cartons:
        found.append(Violation("capacity", rid, None, f"{load} cartons > {vtype.capacity_cartons}"))
    if route.start_s < depot.opens_s - tol:
        found.append(
            Violation(
                "depot_hours",
                rid,
                None,
                f"leaves at {route.start_s} before opening {depot.opens_s}",
            )
        )
    here = places[f"depot:{depot.depot_id}"]
    clock = float(route.start_s)
    legs = 0
    for stop in route.stops:
        order = order_by_id.get(stop.order_id)
        if order is None:
            continue
        place = places[f"order:{order.order_id}"]
        clock += matrix.time_s[here, place]
        legs += 1
        if not np.isfinite(clock):
            found.append(Violation("schedule", rid, order.order_id, "no road to this stop"))
            return found
        start = max(clock, order.tw_start_s if order.tw_start_s is not None else clock)
        if order.tw_end_s is not None and start > order.tw_end_s + tol * legs:
            found.append(
                Violation(
                    "time_window",
                    rid,
                    order.order_id,
                    f"service at {start:.0f} s after window end {order.tw_end_s}",
                )
            )
        if abs(stop.start_s - start) > tol * legs and stop.start_s < start:
            found.append(
                Violation(
                    "schedule",
                    rid,
                    order.order_id,
                    f"planned start {stop.start_s} s before possible {start:.0f} s",
                )
            )
        clock = max(start, float(stop.start_s)) + service.service_s(order.cartons)
        here = place
    clock += matrix.time_s[here, places[f"depot:{depot.depot_id}"]]
    legs += 1
    if clock > depot.closes_s + tol * legs:
        found.append(
            Violation(
                "depot_hours", rid, None, f"back at {clock:.0f} s after closing {depot.closes_s}"
            )
        )
    if clock - route.start_s > vtype.max_duration_s + tol * legs:
        found.append(
            Violation(
                "shift",
                rid,
                None,
                f"route takes {clock - route.start_s:.0f} s > {vtype.max_duration_s} s",
            )
        )
    return found
