from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from gridmgmt.routing.closures import Closure, ClosurePolicy, metric_geometry
from gridmgmt.routing.feasibility import check_plan
from gridmgmt.routing.model import (
    DayPlan,
    DepotSite,
    Order,
    PlannedRoute,
    ServiceTimeModel,
    UnservedReason,
    VehicleType,
)
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.snap import to_network_crs
from gridmgmt.routing.vrp import DayInputs, plan_day, prepare_day, solve_day

from .helpers import DAY, SERVICE, SETTINGS, H, make_depot, make_orders


def _check(plan: DayPlan, inputs: DayInputs) -> list[str]:
    violations = check_plan(
        plan,
        depots=inputs.depots,
        vehicle_types=inputs.vehicle_types,
        orders=inputs.orders,
        matrix=inputs.matrix,
        service=SERVICE,
    )
    return [f"{v.kind}: {v.route_id} {v.order_id} {v.detail}" for v in violations]


def _plan(
    town: RoadNetwork,
    depots: list[DepotSite],
    fleet: list[VehicleType],
    orders: list[Order],
    **kwargs: Any,
) -> tuple[DayPlan, DayInputs]:
    settings = kwargs.pop("settings", SETTINGS)
    inputs = prepare_day(town, depots, fleet, orders, day=DAY, settings=settings, **kwargs)
    return solve_day(inputs, settings=settings), inputs


def test_plan_serves_every_order_within_capacity_and_shift(town: RoadNetwork) -> None:
    orders = make_orders(town, 30)
    fleet = [
        VehicleType("van", "D1", capacity_cartons=300, count=2),
        VehicleType("truck", "D1", capacity_cartons=600, count=1, shift_s=6 * H),
    ]
    plan, inputs = _plan(town, [make_depot(town)], fleet, orders)
    assert plan.unserved == ()
    assert sorted(plan.served_order_ids) == sorted(o.order_id for o in orders)
    assert _check(plan, inputs) == []
    for route in plan.routes:
        assert route.load_cartons <= route.capacity_cartons
        assert [s.sequence for s in route.stops] == list(range(1, len(route.stops) + 1))
        assert route.start_s >= 7 * H
        assert route.end_s <= 18 * H
        assert route.distance_m > 0


def test_plan_reports_orders_the_fleet_cannot_carry(town: RoadNetwork) -> None:
    orders = make_orders(town, 20, cartons=(40, 60))  # about 1,000 cartons
    fleet = [VehicleType("van", "D1", capacity_cartons=250, count=2)]
    plan, inputs = _plan(town, [make_depot(town)], fleet, orders)
    full = [u for u in plan.unserved if u.reason == UnservedReason.FLEET_FULL]
    assert full
    assert sum(r.load_cartons for r in plan.routes) > 400  # the vans are used, not left empty
    assert _check(plan, inputs) == []


def test_plan_gives_reasons_for_impossible_orders(town: RoadNetwork) -> None:
    depot = make_depot(town)
    orders = make_orders(town, 6)
    orders[0] = replace(orders[0], cartons=900)  # larger than any vehicle
    orders[1] = replace(orders[1], tw_start_s=5 * H, tw_end_s=6 * H)  # before the depot opens
    far = Order("far", "r-far", orders[2].lon + 0.5, orders[2].lat, 10)  # 40 km off the map
    fleet = [
        VehicleType("van", "D1", capacity_cartons=300, count=1),
        VehicleType("truck", "D1", capacity_cartons=500, count=1),
    ]
    plan, inputs = _plan(town, [depot], fleet, [*orders, far])
    reasons = {u.order_id: u.reason for u in plan.unserved}
    assert reasons == {
        "o000": UnservedReason.TOO_LARGE,
        "o001": UnservedReason.TIME_WINDOW,
        "far": UnservedReason.NO_ROAD_NEARBY,
    }
    assert "500" in next(u.detail for u in plan.unserved if u.order_id == "o000")
    assert _check(plan, inputs) == []


def test_time_windows_are_kept(town: RoadNetwork) -> None:
    orders = make_orders(town, 16, seed=5)
    for i in range(0, 16, 2):  # every other retailer only takes deliveries late morning
        orders[i] = replace(orders[i], tw_start_s=10 * H, tw_end_s=11 * H + 30 * 60)
    fleet = [VehicleType("van", "D1", capacity_cartons=800, count=3)]
    plan, inputs = _plan(town, [make_depot(town)], fleet, orders)
    assert plan.unserved == ()
    windowed = [s for r in plan.routes for s in r.stops if s.tw_start_s is not None]
    assert len(windowed) == 8
    assert all(10 * H <= s.start_s <= 11.5 * H for s in windowed)
    assert all(s.on_time for s in windowed)
    assert _check(plan, inputs) == []


def test_several_depots_with_their_own_fleets(town: RoadNetwork) -> None:
    depots = [make_depot(town, "west", 0), make_depot(town, "east", 2)]
    fleet = [
        VehicleType("w-van", "west", capacity_cartons=400, count=2),
        VehicleType("e-van", "east", capacity_cartons=400, count=2),
    ]
    orders = make_orders(town, 24, seed=2)
    orders[0] = replace(orders[0], depot_id="east")
    plan, inputs = _plan(town, depots, fleet, orders)
    assert plan.unserved == ()
    assert {r.depot_id for r in plan.routes} == {"west", "east"}
    for route in plan.routes:
        assert route.vehicle_type_id.startswith(route.depot_id[0])
    east_orders = {s.order_id for r in plan.routes if r.depot_id == "east" for s in r.stops}
    assert "o000" in east_orders
    assert _check(plan, inputs) == []


def test_same_seed_same_plan(town: RoadNetwork) -> None:
    orders = make_orders(town, 25, seed=9)
    fleet = [VehicleType("van", "D1", capacity_cartons=250, count=4)]
    first, _ = _plan(town, [make_depot(town)], fleet, orders)
    second, _ = _plan(town, [make_depot(town)], fleet, orders)
    assert [[s.order_id for s in r.stops] for r in first.routes] == [
        [s.order_id for s in r.stops] for r in second.routes
    ]


def _centre_closure(town: RoadNetwork) -> Closure:
    lon_c, lat_c = float(np.median(town.lon)), float(np.median(town.lat))
    return Closure(
        "lockdown",
        box(lon_c - 0.006, lat_c - 0.004, lon_c + 0.006, lat_c + 0.004),
        start=date(2022, 4, 1),
        end=date(2022, 4, 5),
        reason="封控",
    )


def test_orders_inside_a_closure_are_skipped_with_a_reason(town: RoadNetwork) -> None:
    closure = _centre_closure(town)
    inside = Order("in", "r-in", float(np.median(town.lon)), float(np.median(town.lat)), 20)
    orders = [*make_orders(town, 10, seed=4), inside]
    fleet = [VehicleType("van", "D1", capacity_cartons=800, count=2)]
    plan, inputs = _plan(town, [make_depot(town)], fleet, orders, closures=[closure])
    assert [(u.order_id, u.reason) for u in plan.unserved if u.order_id == "in"] == [
        ("in", UnservedReason.INSIDE_CLOSURE)
    ]
    assert "lockdown" in plan.unserved[-1].detail
    assert _check(plan, inputs) == []


def test_orders_inside_a_closure_can_be_handed_over_at_its_edge(town: RoadNetwork) -> None:
    closure = _centre_closure(town)
    inside = Order("in", "r-in", float(np.median(town.lon)), float(np.median(town.lat)), 20)
    orders = [*make_orders(town, 10, seed=4), inside]
    fleet = [VehicleType("van", "D1", capacity_cartons=800, count=2)]
    settings = replace(SETTINGS, closure_policy=ClosurePolicy.HANDOFF)
    plan, inputs = _plan(
        town, [make_depot(town)], fleet, orders, closures=[closure], settings=settings
    )
    assert plan.unserved == ()
    stop = next(s for r in plan.routes for s in r.stops if s.order_id == "in")
    assert stop.handoff
    polygon = metric_geometry(town, closure)
    x, y = to_network_crs(town, [stop.lon], [stop.lat])
    spot = shapely.Point(x[0], y[0])
    assert not polygon.contains(spot)
    assert polygon.exterior.distance(spot) < 200
    assert _check(plan, inputs) == []


def test_checker_finds_broken_plans_on_its_own(town: RoadNetwork) -> None:
    orders = make_orders(town, 12, seed=6)
    orders[3] = replace(orders[3], tw_start_s=8 * H, tw_end_s=9 * H)
    fleet = [VehicleType("van", "D1", capacity_cartons=400, count=2, shift_s=5 * H)]
    plan, inputs = _plan(town, [make_depot(town)], fleet, orders)
    assert _check(plan, inputs) == []
    route = plan.routes[0]

    def with_route(new: PlannedRoute, unserved=plan.unserved) -> DayPlan:
        return replace(plan, routes=(new, *plan.routes[1:]), unserved=unserved)

    def kinds(candidate: DayPlan, fleet: list[VehicleType] = fleet) -> set[str]:
        found = check_plan(
            candidate,
            depots=inputs.depots,
            vehicle_types=fleet,
            orders=inputs.orders,
            matrix=inputs.matrix,
            service=SERVICE,
        )
        return {v.kind for v in found}

    # The same routes on smaller vans: over capacity.
    smaller = [replace(fleet[0], capacity_cartons=route.load_cartons - 1)]
    assert "capacity" in kinds(plan, smaller)
    # Leaving nine hours later: back after the depot closes.
    assert "depot_hours" in kinds(with_route(replace(route, start_s=route.start_s + 9 * H)))
    # Drivers on shorter shifts than the route takes.
    short = [replace(fleet[0], shift_s=route.duration_s - 600)]
    assert "shift" in kinds(plan, short)
    # A stop left out but not reported.
    assert kinds(with_route(replace(route, stops=route.stops[1:]))) == {"coverage"}
    # The same route driven twice by the only van.
    twice = replace(plan, routes=(*plan.routes, replace(route, route_id="van#9")))
    assert kinds(twice, [replace(fleet[0], count=len(plan.routes))]) == {"coverage", "fleet"}


def test_checker_catches_a_missed_time_window(town: RoadNetwork) -> None:
    orders = make_orders(town, 8, seed=7)
    fleet = [VehicleType("van", "D1", capacity_cartons=800, count=1)]
    plan, inputs = _plan(town, [make_depot(town)], fleet, orders)
    last = plan.routes[0].stops[-1]
    # The same plan, but the last retailer now closes before the van can get there.
    strict = [
        replace(o, tw_start_s=7 * H, tw_end_s=7 * H + 60) if o.order_id == last.order_id else o
        for o in orders
    ]
    violations = check_plan(
        plan,
        depots=inputs.depots,
        vehicle_types=inputs.vehicle_types,
        orders=strict,
        matrix=inputs.matrix,
        service=ServiceTimeModel(),
    )
    assert [(v.kind, v.order_id) for v in violations] == [("time_window", last.order_id)]


def test_plan_day_in_one_call(town: RoadNetwork) -> None:
    orders = make_orders(town, 10, seed=8)
    fleet = [VehicleType("van", "D1", capacity_cartons=800, count=1)]
    plan = plan_day(town, [make_depot(town)], fleet, orders, day=DAY, settings=SETTINGS)
    assert len(plan.served_order_ids) == 10
    assert plan.places["depot:D1"] == 0


def test_bad_inputs_are_refused(town: RoadNetwork) -> None:
    depot = make_depot(town)
    with pytest.raises(ValueError, match="duplicate order ids"):
        prepare_day(town, [depot], [], [*make_orders(town, 2), *make_orders(town, 1)], day=DAY)
    with pytest.raises(ValueError, match=r"expected to be in \['D1'\]"):
        prepare_day(town, [depot], [VehicleType("v", "D9", 100)], [], day=DAY)
    with pytest.raises(ValueError, match="cartons must be positive"):
        Order("x", "r", 0.0, 0.0, 0)


def test_maximum_route_duration_splits_the_work(town: RoadNetwork) -> None:
    orders = make_orders(town, 20, seed=13)
    long_day = [VehicleType("van", "D1", capacity_cartons=2000, count=6)]
    short_routes = [replace(long_day[0], max_route_s=int(1.5 * H))]
    one, _ = _plan(town, [make_depot(town)], long_day, orders)
    many, inputs = _plan(town, [make_depot(town)], short_routes, orders)
    assert len(one.routes) == 1
    assert len(many.routes) > 1
    assert all(r.duration_s <= 1.5 * H for r in many.routes)
    assert _check(many, inputs) == []
