"""Replan a day (调整配送计划): add, cancel or change orders and re-optimise from the plan.

The current routes seed the search, so a small change gives a plan close to the current
one; the result lists which orders changed route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.closures import Closure
from gridmgmt.routing.matrix import MatrixCache
from gridmgmt.routing.model import DayPlan, DepotSite, Order, VehicleType
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.vrp import DayInputs, PlanSettings, prepare_day, solve_day


@dataclass(frozen=True)
class OrderChange:
    """A change to an order already planned.

    Attributes
    ----------
    order_id
        The order.
    cartons
        New size, if it changes.
    tw_start_s, tw_end_s
        New time window, if it changes (both or neither).
    """

    order_id: str
    cartons: int | None = None
    tw_start_s: int | None = None
    tw_end_s: int | None = None


@dataclass(frozen=True)
class ReplanResult:
    """A replanned day and what changed.

    Attributes
    ----------
    plan
        The new plan.
    inputs
        The day's prepared inputs (for checking and manifests).
    orders
        The day's orders after the changes.
    moved
        Orders of the old plan now on another route (or no longer served).
    added
        New orders now on a route.
    cancelled
        Orders removed.
    """

    plan: DayPlan
    inputs: DayInputs
    orders: tuple[Order, ...]
    moved: tuple[str, ...]
    added: tuple[str, ...]
    cancelled: tuple[str, ...]


def apply_order_changes(
    orders: Sequence[Order],
    *,
    add: Sequence[Order] = (),
    cancel: Sequence[str] = (),
    change: Sequence[OrderChange] = (),
) -> list[Order]:
    """The day's orders after additions, cancellations and changes.

    Parameters
    ----------
    orders
        Current orders.
    add
        New orders (their ids must be new).
    cancel
        Ids of orders to drop.
    change
        Changes to existing orders.

    Returns
    -------
    list of Order
        Current orders (changed, minus cancelled) followed by the new ones.
    """
    by_id = {o.order_id: o for o in orders}
    unknown = [c for c in cancel if c not in by_id] + [
        c.order_id for c in change if c.order_id not in by_id
    ]
    if unknown:
        msg = f"orders {sorted(set(unknown))} are not in the plan's orders"
        raise InvalidInputError(msg)
    clash = [o.order_id for o in add if o.order_id in by_id]
    if clash:
        msg = f"new orders reuse existing ids {clash}"
        raise InvalidInputError(msg)
    for c in change:
        order = by_id[c.order_id]
        if c.cartons is not None:
            order = replace(order, cartons=c.cartons)
        if c.tw_start_s is not None or c.tw_end_s is not None:
            order = replace(order, tw_start_s=c.tw_start_s, tw_end_s=c.tw_end_s)
        by_id[c.order_id] = order
    dropped = set(cancel)
    return [by_id[o.order_id] for o in orders if o.order_id not in dropped] + list(add)


def replan_day(
    network: RoadNetwork,
    current: DayPlan,
    depots: Sequence[DepotSite],
    vehicle_types: Sequence[VehicleType],
    orders: Sequence[Order],
    *,
    day: date,
    add: Sequence[Order] = (),
    cancel: Sequence[str] = (),
    change: Sequence[OrderChange] = (),
    closures: Sequence[Closure] = (),
    settings: PlanSettings | None = None,
    cache: MatrixCache | None = None,
) -> ReplanResult:
    """Re-optimise a planned day after order changes, starting from the current plan.

    Parameters
    ----------
    network
        Full road network.
    current
        The plan in force.
    depots, vehicle_types
        As planned.
    orders
        The orders the current plan was made for.
    day
        Delivery day.
    add, cancel, change
        The changes.
    closures
        All known closures.
    settings
        Planning options (a short time limit is usually enough).
    cache
        Optional matrix cache.

    Returns
    -------
    ReplanResult
        The new plan and the orders that moved, were added or were cancelled.
    """
    settings = settings or PlanSettings()
    new_orders = apply_order_changes(orders, add=add, cancel=cancel, change=change)
    inputs = prepare_day(
        network,
        depots,
        vehicle_types,
        new_orders,
        day=day,
        closures=closures,
        settings=settings,
        cache=cache,
    )
    plan = solve_day(inputs, settings=settings, initial_plan=current)
    before = current.route_of()
    after = _matched_route_of(current, plan)
    moved = sorted(o for o in before if o not in set(cancel) and before[o] != after.get(o))
    return ReplanResult(
        plan=plan,
        inputs=inputs,
        orders=tuple(new_orders),
        moved=tuple(moved),
        added=tuple(o.order_id for o in add if o.order_id in after),
        cancelled=tuple(cancel),
    )


def _matched_route_of(old: DayPlan, new: DayPlan) -> dict[str, str]:
    """For each order of the new plan, the old route its new route continues.

    New routes are matched one-to-one to old routes by the number of orders they share,
    largest overlaps first, so renumbered or extended routes keep their identity.
    """
    old_of = old.route_of()
    overlaps = []
    for route in new.routes:
        counts: dict[str, int] = {}
        for stop in route.stops:
            if stop.order_id in old_of:
                counts[old_of[stop.order_id]] = counts.get(old_of[stop.order_id], 0) + 1
        overlaps += [(n, route.route_id, old_id) for old_id, n in counts.items()]
    match: dict[str, str] = {}
    taken: set[str] = set()
    for _, new_id, old_id in sorted(overlaps, key=lambda t: (-t[0], t[1], t[2])):
        if new_id not in match and old_id not in taken:
            match[new_id] = old_id
            taken.add(old_id)
    return {
        s.order_id: match.get(r.route_id, f"new:{r.route_id}") for r in new.routes for s in r.stops
    }
