"""A dispatcher's hand edit of a plan: move a stop to another route (调整线路).

The edited plan seeds a replan (:func:`gridmgmt.routing.replan.replan_day`), which recomputes
times and loads; here only the visiting order changes. The stop goes where it lengthens the
target route least (straight-line insertion), so the search starts from a sensible round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.model import DayPlan, PlannedRoute, PlannedStop

__all__ = ["move_stops"]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * math.cos(lat), a[1] - b[1]) * 111.2


def _best_position(stops: list[PlannedStop], stop: PlannedStop) -> int:
    if not stops:
        return 0
    here = (stop.lon, stop.lat)
    points = [(s.lon, s.lat) for s in stops]
    costs = [_km(here, points[0])]
    costs += [
        _km(points[i - 1], here) + _km(here, points[i]) - _km(points[i - 1], points[i])
        for i in range(1, len(points))
    ]
    costs.append(_km(points[-1], here))
    return min(range(len(costs)), key=costs.__getitem__)


def _renumbered(route: PlannedRoute, stops: list[PlannedStop]) -> PlannedRoute:
    numbered = tuple(replace(s, sequence=i) for i, s in enumerate(stops, start=1))
    return replace(route, stops=numbered)


def move_stops(plan: DayPlan, moves: Mapping[str, str]) -> DayPlan:
    """``plan`` with each order of ``moves`` taken off its route and put on the named one.

    Parameters
    ----------
    plan
        The day's plan.
    moves
        Target route id by order id.

    Returns
    -------
    DayPlan
        The edited plan; routes left without stops are dropped.

    Raises
    ------
    InvalidInputError
        An order is not on the plan, or a route is not.
    """
    stops = {r.route_id: list(r.stops) for r in plan.routes}
    where = {s.order_id: r.route_id for r in plan.routes for s in r.stops}
    for order, target in moves.items():
        if order not in where:
            msg = f"order {order!r} is not on a route of the plan"
            raise InvalidInputError(msg)
        if target not in stops:
            msg = f"`route` was {target!r} but is expected to be in {sorted(stops)}"
            raise InvalidInputError(msg)
        source = where[order]
        stop = next(s for s in stops[source] if s.order_id == order)
        stops[source].remove(stop)
        stops[target].insert(_best_position(stops[target], stop), stop)
        where[order] = target
    routes = tuple(_renumbered(r, stops[r.route_id]) for r in plan.routes if stops[r.route_id])
    return replace(plan, routes=routes)
