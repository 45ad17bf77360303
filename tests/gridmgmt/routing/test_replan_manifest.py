from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pyproj
import pytest

from gridmgmt.routing.driver_manifest import write_manifest_csv, write_manifest_excel
from gridmgmt.routing.feasibility import check_plan
from gridmgmt.routing.manifest import (
    STOP_COLUMNS,
    compare_with_baseline,
    day_totals,
    nearest_neighbour_plan,
    plan_geojson,
    route_table,
    stop_table,
)
from gridmgmt.routing.model import DayPlan, Order, UnservedReason, VehicleType, hhmm
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.paths import route_paths
from gridmgmt.routing.replan import OrderChange, ReplanResult, apply_order_changes, replan_day
from gridmgmt.routing.vrp import DayInputs, prepare_day, solve_day

from .helpers import DAY, SERVICE, SETTINGS, H, make_depot, make_orders


@pytest.fixture(scope="module")
def fleet() -> list[VehicleType]:
    return [
        VehicleType("van", "D1", capacity_cartons=300, count=3),
        VehicleType("truck", "D1", capacity_cartons=500, count=1),
    ]


@pytest.fixture(scope="module")
def planned(town: RoadNetwork, fleet: list[VehicleType]) -> tuple[DayPlan, DayInputs]:
    orders = make_orders(town, 30, seed=11)
    orders[4] = replace(orders[4], tw_start_s=9 * H, tw_end_s=10 * H)
    inputs = prepare_day(town, [make_depot(town)], fleet, orders, day=DAY, settings=SETTINGS)
    return solve_day(inputs, settings=SETTINGS), inputs


def _violations(plan: DayPlan, inputs: DayInputs, orders: list[Order] | None = None) -> list:
    return check_plan(
        plan,
        depots=inputs.depots,
        vehicle_types=inputs.vehicle_types,
        orders=orders if orders is not None else inputs.orders,
        matrix=inputs.matrix,
        service=SERVICE,
    )


def test_replan_adds_cancels_and_changes_orders(
    town: RoadNetwork, fleet: list[VehicleType], planned: tuple[DayPlan, DayInputs]
) -> None:
    plan, inputs = planned
    orders = list(inputs.orders)
    new = [replace(o, order_id=f"new-{o.order_id}") for o in make_orders(town, 2, seed=12)]
    result = replan_day(
        town,
        plan,
        inputs.depots,
        fleet,
        orders,
        day=DAY,
        add=new,
        cancel=["o001", "o002"],
        change=[
            OrderChange("o003", cartons=45),
            OrderChange("o005", tw_start_s=13 * H, tw_end_s=14 * H),
        ],
        settings=SETTINGS,
    )
    served = set(result.plan.served_order_ids)
    assert {"new-o000", "new-o001"} <= served
    assert not {"o001", "o002"} & served
    assert set(result.added) == {"new-o000", "new-o001"}
    assert result.cancelled == ("o001", "o002")
    stop = next(s for r in result.plan.routes for s in r.stops if s.order_id == "o005")
    assert 13 * H <= stop.start_s <= 14 * H
    assert (
        next(s for r in result.plan.routes for s in r.stops if s.order_id == "o003").cartons == 45
    )
    assert _violations(result.plan, result.inputs, list(result.orders)) == []
    # Starting from the current plan, most orders stay on their route.
    assert len(result.moved) <= len(orders) // 2


def test_replan_with_no_change_keeps_the_plan(
    town: RoadNetwork, fleet: list[VehicleType], planned: tuple[DayPlan, DayInputs]
) -> None:
    plan, inputs = planned

    def replan(current: DayPlan) -> ReplanResult:
        orders = list(inputs.orders)
        return replan_day(town, current, inputs.depots, fleet, orders, day=DAY, settings=SETTINGS)

    result = replan(plan)
    before, after = day_totals(plan)["km"], day_totals(result.plan)["km"]
    assert after <= before + 1e-6
    if result.moved:  # orders move only for a shorter day
        assert after < before - 1e-6
    # Once the search finds nothing better, replanning leaves every order where it is.
    again = replan(result.plan)
    assert again.moved == ()
    assert day_totals(again.plan)["km"] <= after + 1e-6


def test_order_changes_are_validated(planned: tuple[DayPlan, DayInputs]) -> None:
    _, inputs = planned
    with pytest.raises(ValueError, match=r"\['nope'\] are not in the plan"):
        apply_order_changes(inputs.orders, cancel=["nope"])
    with pytest.raises(ValueError, match="reuse existing ids"):
        apply_order_changes(inputs.orders, add=[inputs.orders[0]])


def test_stop_table_follows_the_routes(planned: tuple[DayPlan, DayInputs]) -> None:
    plan, _ = planned
    table = stop_table(plan)
    assert list(table.columns) == STOP_COLUMNS
    assert len(table) == len(plan.served_order_ids)
    for route in plan.routes:
        rows = table[table["route_id"] == route.route_id]
        assert rows["order_id"].tolist() == [s.order_id for s in route.stops]
        assert rows["load_after"].iloc[-1] == 0
        assert rows["cumulative_km"].iloc[-1] == pytest.approx(
            (route.distance_m - route.return_m) / 1000, abs=0.02
        )
        assert rows["arrival"].iloc[0] == hhmm(route.stops[0].arrival_s)
    windowed = table[table["order_id"] == "o004"]
    assert windowed["time_window"].item() == "09:00-10:00"


def test_day_totals_and_route_table(planned: tuple[DayPlan, DayInputs]) -> None:
    plan, inputs = planned
    totals = day_totals(plan)
    routes = route_table(plan)
    assert totals["vehicles"] == len(routes) == len(plan.routes)
    assert totals["km"] == pytest.approx(routes["distance_km"].sum(), abs=0.05)
    assert totals["stops"] == len(inputs.orders)
    assert totals["cartons"] == sum(o.cartons for o in inputs.orders)
    assert totals["on_time_share"] == 1.0
    assert (routes["utilisation"] <= 1.0).all()


def test_csv_and_excel_manifests(planned: tuple[DayPlan, DayInputs], tmp_path: Path) -> None:
    plan, _ = planned
    csv = write_manifest_csv(plan, tmp_path / "manifest.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    back = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    assert back["许可证号"].tolist() == stop_table(plan)["retailer_id"].tolist()
    xlsx = write_manifest_excel(plan, tmp_path / "manifest.xlsx")
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert book.sheetnames == ["汇总", *[r.route_id for r in plan.routes], "未配送"]


def test_optimised_plan_beats_nearest_neighbour(
    planned: tuple[DayPlan, DayInputs],
) -> None:
    plan, inputs = planned
    baseline = nearest_neighbour_plan(inputs, settings=SETTINGS)
    assert _violations(baseline, inputs) == []
    comparison = compare_with_baseline(plan, baseline)
    assert comparison["plan"]["stops"] >= comparison["nearest_neighbour"]["stops"]
    assert comparison["km_saving_pct"] > 0


def test_nearest_neighbour_reports_what_it_cannot_fit(town: RoadNetwork) -> None:
    orders = make_orders(town, 12, cartons=(40, 60))
    fleet = [VehicleType("van", "D1", capacity_cartons=200, count=1)]
    inputs = prepare_day(town, [make_depot(town)], fleet, orders, day=DAY, settings=SETTINGS)
    baseline = nearest_neighbour_plan(inputs, settings=SETTINGS)
    assert baseline.routes[0].load_cartons <= 200
    assert {u.reason for u in baseline.unserved} == {UnservedReason.FLEET_FULL}
    assert _violations(baseline, inputs) == []


def test_geojson_has_a_line_per_route_and_a_point_per_stop(
    planned: tuple[DayPlan, DayInputs],
) -> None:
    plan, inputs = planned
    collection = plan_geojson(plan, inputs.depots)
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("route") == len(plan.routes)
    assert kinds.count("stop") == len(plan.served_order_ids)
    assert kinds.count("depot") == 1
    line = next(f for f in collection["features"] if f["properties"]["kind"] == "route")
    depot = inputs.depots[0]
    assert line["geometry"]["coordinates"][0] == [depot.lon, depot.lat]
    assert line["geometry"]["coordinates"][-1] == [depot.lon, depot.lat]
    json.dumps(collection)  # serialisable as is


def test_route_paths_follow_the_roads(planned: tuple[DayPlan, DayInputs]) -> None:
    plan, inputs = planned
    paths = route_paths(inputs, plan)
    assert set(paths) == {r.route_id for r in plan.routes}
    geod = pyproj.Geod(ellps="WGS84")
    for route in plan.routes:
        line = paths[route.route_id]
        depot = inputs.depots[0]
        start = geod.inv(depot.lon, depot.lat, *line[0])[2]
        assert start < 200  # the depot's spot on the road
        lons, lats = zip(*line, strict=True)
        along = geod.line_length(lons, lats)
        # The drawn path is the driven one: as long as the route, less the snap offsets.
        offsets = (
            sum(2 * inputs.snapped.snap_distance_m[s.place] for s in route.stops)
            + 2 * inputs.snapped.snap_distance_m[0]
        )
        assert along == pytest.approx(route.distance_m - offsets, rel=0.01)
        assert len(line) > len(route.stops) + 2  # through junctions, not stop to stop
