"""Route planning services over a real database: a depot's day, a week, manifests, scope."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from gridmgmt.domain import UserRole, Weekday
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.routing.closures import Closure, ClosurePolicy
from gridmgmt.routing.feasibility import check_plan
from gridmgmt.routing.model import UnservedReason
from gridmgmt.routing.paths import route_paths
from gridmgmt.routing.replan import ReplanResult
from gridmgmt.routing.vrp import PlanSettings
from gridmgmt.services import routes as svc
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.store import db
from gridmgmt.store.models import Retailer
from tests.gridmgmt.services.grids_world import BOX_A, BOX_B, LAT, LON, A, B, seed_world
from tests.gridmgmt.services.routes_world import DAY, seed_delivery, write_grid_osm

FAST: dict[str, Any] = {"time_limit": None, "max_iterations": 300, "seed": 1}


def _day(depot: str = "DA", **options: Any) -> svc.PlanRequest:
    return svc.PlanRequest.of(depot_code=depot, date=DAY, **{**FAST, **options})


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> tuple[str, Path, list[str]]:
    seed_world(sqlite_url)
    ordered = seed_delivery(sqlite_url, A, "DA", LON + 0.01, LAT + 0.01)
    seed_delivery(sqlite_url, B, "DB", LON + 0.13, LAT + 0.01)
    bounds = (BOX_A.bounds[0], BOX_A.bounds[1], BOX_B.bounds[2], BOX_B.bounds[3])
    return sqlite_url, write_grid_osm(tmp_path / "roads.osm", bounds, n=13), ordered


def test_depot_day_serves_the_days_orders_feasibly(world: tuple[str, Path, list[str]]) -> None:
    url, roads, ordered = world
    with db.transaction(url) as session:
        day = svc.plan_depot_day_full(session, SYSTEM, _day(), roads=roads)
    plan, inputs = day.plan, day.inputs
    expected = {f"{lic}@{DAY.isoformat()}" for k, lic in enumerate(ordered) if k % 4}
    assert set(plan.served_order_ids) == expected
    assert not plan.unserved
    assert {v.vehicle_type_id for v in inputs.vehicle_types} == {"DAV0", "DAV1"}
    violations = check_plan(
        plan,
        depots=inputs.depots,
        vehicle_types=inputs.vehicle_types,
        orders=inputs.orders,
        matrix=inputs.matrix,
        service=PlanSettings().service,
    )
    assert violations == []
    assert inputs.depots[0].opens_s == 7 * 3600


def test_depot_of_another_county_is_not_found(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    bob = Actor("bob", UserRole.OFFICER, frozenset({B}))
    with db.transaction(url) as session, pytest.raises(NotFoundError, match="DA"):
        svc.plan_depot_day(session, bob, _day(), roads=roads)


def test_same_seed_same_plan(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        one = svc.plan_depot_day(session, SYSTEM, _day(), roads=roads)
        two = svc.plan_depot_day(session, SYSTEM, _day(), roads=roads)
    assert one.routes == two.routes
    assert one.routes


def test_the_largest_seed_the_schema_allows_plans(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        plan = svc.plan_depot_day(session, SYSTEM, _day(seed=2**32 - 1), roads=roads)
    assert plan.routes


def test_network_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = write_grid_osm(tmp_path / "r.osm", (114.0, 40.5, 114.02, 40.52), n=3)
    first = svc.road_network(path)
    assert svc.road_network(path) is first
    write_grid_osm(path, (114.0, 40.5, 114.03, 40.52), n=4)
    os.utime(path, ns=(1, 1))
    assert svc.road_network(path).num_nodes != first.num_nodes
    with pytest.raises(FileNotFoundError):
        svc.road_network(tmp_path / "missing.osm")


def test_week_assigns_every_retailer_and_routes_each_day(
    world: tuple[str, Path, list[str]],
) -> None:
    url, roads, ordered = world
    with db.transaction(url) as session:
        request = svc.WeekRequest(depot_code="DA", week_of=DAY + dt.timedelta(days=3), **FAST)
        week = svc.plan_week(session, SYSTEM, request, roads=roads)
    assert set(week.assignment.weekday) == set(ordered)
    served = {o.split("@")[0] for p in week.days.values() for o in p.served_order_ids}
    assert served == set(ordered)
    assert all(d.weekday() < 5 for d in week.days)


def test_week_keeps_fixed_delivery_weekdays_from_the_data(
    world: tuple[str, Path, list[str]],
) -> None:
    url, roads, ordered = world
    fixed = {ordered[0]: Weekday.FRIDAY, ordered[1]: Weekday.TUESDAY}
    with db.transaction(url) as session:
        for retailer in session.scalars(select(Retailer).where(Retailer.licence_no.in_(fixed))):
            retailer.delivery_weekday = fixed[retailer.licence_no]
    with db.transaction(url) as session:
        request = svc.WeekRequest(depot_code="DA", week_of=DAY, **FAST)
        week = svc.plan_week(session, SYSTEM, request, roads=roads)
    assert {lic: week.assignment.weekday[lic] for lic in fixed} == {
        lic: day.index for lic, day in fixed.items()
    }
    for lic, day in fixed.items():
        delivered = [d for d, p in week.days.items() if any(lic in o for o in p.served_order_ids)]
        assert [d.weekday() for d in delivered] == [day.index]
    moved = {c.retailer_id: c.reason for c in week.assignment.changes}
    assert moved[ordered[0]] == "fixed weekday in the data"


def test_manifest_writes_csv_excel_and_printable_page(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        plan = svc.plan_depot_day(session, SYSTEM, _day(), roads=roads)
    files = svc.manifest(plan, tmp_path / "out", stem="DA", title="兴和 <中心>")
    assert [f.suffix for f in files] == [".csv", ".xlsx", ".html"]
    table = pd.read_csv(files[0])
    assert len(table) == len(plan.served_order_ids)
    assert openpyxl.load_workbook(files[1]).sheetnames
    html = files[2].read_text("utf-8")
    assert "兴和 &lt;中心&gt;" in html
    assert html.count('class="route"') == len(plan.routes)
    assert "http://" not in html
    assert "https://" not in html
    with pytest.raises(InvalidInputError, match="csv"):
        svc.write_manifest(plan, tmp_path / "x.pdf", fmt="pdf")


def _closure_around(plan_day: svc.DepotDay) -> tuple[Closure, str]:
    """A closure box around the served retailer farthest from the depot; its order id."""
    depot = plan_day.inputs.depots[0]
    stops = [s for r in plan_day.plan.routes for s in r.stops]
    far = max(stops, key=lambda s: (s.lon - depot.lon) ** 2 + (s.lat - depot.lat) ** 2)
    order = next(o for o in plan_day.inputs.orders if o.order_id == far.order_id)
    box = shapely.box(order.lon - 0.012, order.lat - 0.006, order.lon + 0.012, order.lat + 0.006)
    assert not box.contains(shapely.Point(depot.lon, depot.lat))
    closure = Closure("C1", box, DAY, DAY + dt.timedelta(days=1), "道路施工")
    return closure, order.order_id


@pytest.mark.parametrize("mode", ["skip", "handoff"])
def test_closure_roads_unused_and_retailer_skipped_or_handed_off(
    world: tuple[str, Path, list[str]], mode: str
) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        before = svc.plan_depot_day_full(session, SYSTEM, _day(), roads=roads)
        closure, inside = _closure_around(before)
        request = _day(closures=[closure], closure_mode=mode)
        day = svc.plan_depot_day_full(session, SYSTEM, request, roads=roads)
    assert day.inputs.open_network.num_edges < before.inputs.open_network.num_edges
    for path in route_paths(day.inputs, day.plan).values():
        xy = np.array(path)
        assert not shapely.contains_xy(closure.geometry, xy[:, 0], xy[:, 1]).any()
    unserved = {u.order_id: u for u in day.plan.unserved}
    if mode == "skip":
        assert unserved[inside].reason == UnservedReason.INSIDE_CLOSURE
        assert "C1" in unserved[inside].detail
        assert "道路施工" in unserved[inside].detail
        assert inside not in day.plan.served_order_ids
    else:
        assert inside not in unserved
        stop = next(s for r in day.plan.routes for s in r.stops if s.order_id == inside)
        assert stop.handoff
        assert not closure.geometry.contains(shapely.Point(stop.lon, stop.lat))
        assert closure.geometry.exterior.distance(shapely.Point(stop.lon, stop.lat)) < 0.01
    with pytest.raises(InvalidInputError, match="handoff"):
        _day(closure_mode="walk")


def test_closure_outside_its_period_changes_nothing(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        before = svc.plan_depot_day_full(session, SYSTEM, _day(), roads=roads)
        closure, _ = _closure_around(before)
        later = dataclasses.replace(
            closure, start=DAY + dt.timedelta(days=2), end=DAY + dt.timedelta(days=3)
        )
        plan = svc.plan_depot_day(session, SYSTEM, _day(closures=[later]), roads=roads)
    assert plan.routes == before.plan.routes


def test_read_closures_geojson_and_geopackage(tmp_path: Path) -> None:
    box = shapely.box(114.01, 40.51, 114.02, 40.52)
    frame = gpd.GeoDataFrame(
        {"id": ["A", None], "start": ["2026-11-16", "2026-11-16T08:00"], "end": [None, "2026-11-17"],
         "reason": ["封控", None]},
        geometry=[box, box.buffer(0.001)], crs=4326,
    )  # fmt: skip
    frame.to_file(tmp_path / "c.geojson", driver="GeoJSON")
    closures = svc.read_closures(tmp_path / "c.geojson")
    assert [c.closure_id for c in closures] == ["A", "2"]
    assert not closures[0].active_on(dt.date(2026, 11, 15))
    assert closures[0].active_on(dt.date(2026, 11, 16))
    assert closures[0].active_on(dt.date(2030, 1, 1))
    assert pd.Timestamp(closures[1].start) == pd.Timestamp(2026, 11, 16, 8)
    assert not closures[1].active_on(dt.date(2026, 11, 17))
    assert closures[0].reason == "封控"
    frame.to_crs(3857).to_file(tmp_path / "c.gpkg", driver="GPKG")
    packed = svc.read_closures(tmp_path / "c.gpkg")
    assert packed[0].geometry.equals_exact(box, 1e-7)
    from_api = svc.closures_from_features(json.loads(frame.to_json())["features"])
    assert [c.closure_id for c in from_api] == ["A", "2"]


@pytest.mark.parametrize(
    ("props", "geometry", "match"),
    [
        ({"start": "next monday"}, shapely.box(0, 0, 1, 1), r"row 2: field 'start'"),
        ({"start": "2026-11-17", "end": "2026-11-16"}, shapely.box(0, 0, 1, 1), "row 2.*not after"),
        ({}, shapely.Point(0, 0), "row 2.*Point"),
    ],
)
def test_bad_closure_names_file_row_and_field(
    tmp_path: Path, props: dict[str, str], geometry: shapely.Geometry, match: str
) -> None:
    good = {
        "type": "Feature",
        "properties": {},
        "geometry": shapely.box(0, 0, 1, 1).__geo_interface__,
    }
    bad = {"type": "Feature", "properties": props, "geometry": geometry.__geo_interface__}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [good, bad]}), "utf-8")
    with pytest.raises(svc.ClosureFileError, match=match) as caught:
        svc.read_closures(path)
    assert "bad.geojson" in str(caught.value)
    with pytest.raises(svc.ClosureFileError, match="cannot read"):
        svc.read_closures(tmp_path / "missing.geojson")


def test_plan_json_round_trip(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        plan = svc.plan_depot_day(session, SYSTEM, _day(), roads=roads)
    again = svc.plan_from_json(json.loads(json.dumps(svc.plan_to_json(plan))))
    assert again == plan
    assert svc.plan_from_json({"plan": svc.plan_to_json(plan)}) == plan
    with pytest.raises(InvalidInputError, match="format"):
        svc.plan_from_json({"routes": []})


def test_replan_adds_cancels_and_changes_orders(world: tuple[str, Path, list[str]]) -> None:
    url, roads, ordered = world
    today = [lic for k, lic in enumerate(ordered) if k % 4]
    with db.transaction(url) as session:
        current = svc.plan_depot_day(session, SYSTEM, _day(), roads=roads)

        def replan(**changes: Any) -> ReplanResult:
            request = svc.ReplanRequest.of(
                depot_code="DA", date=DAY, plan=current, **FAST, **changes
            )
            return svc.replan_depot_day(session, SYSTEM, request, roads=roads)

        result = replan(add={ordered[0]: 15}, cancel=[today[0]], change={today[1]: 40})
        with pytest.raises(InvalidInputError, match="already order"):
            replan(add={today[2]: 5})
        with pytest.raises(InvalidInputError, match="not retailers"):
            replan(add={"999": 5})
    expected = {svc.order_id(lic, DAY) for lic in [*today[1:], ordered[0]]}
    assert set(result.plan.served_order_ids) == expected
    assert result.added == (svc.order_id(ordered[0], DAY),)
    assert result.cancelled == (svc.order_id(today[0], DAY),)
    stop = next(s for r in result.plan.routes for s in r.stops if s.retailer_id == today[1])
    assert stop.cartons == 40
    summary = svc.replan_summary(result, changed=[svc.order_id(today[1], DAY)])
    assert summary["changed"] == [svc.order_id(today[1], DAY)]
    assert set(summary["moved"]) <= {svc.order_id(lic, DAY) for lic in today}
    violations = check_plan(
        result.plan,
        depots=result.inputs.depots,
        vehicle_types=result.inputs.vehicle_types,
        orders=result.inputs.orders,
        matrix=result.inputs.matrix,
        service=PlanSettings().service,
    )
    assert violations == []


def test_requests_have_one_set_of_defaults_and_build_the_engine_settings() -> None:
    plan = svc.PlanRequest.of(depot_code="DA", date="2026-11-16")
    week = svc.WeekRequest.of(depot_code="DA", week_of=DAY)
    replan = svc.ReplanRequest.of(depot_code="DA", date=DAY)
    engine = PlanSettings()
    assert (plan.time_limit, plan.max_iterations, plan.seed) == (
        engine.time_limit_s,
        engine.max_iterations,
        engine.seed,
    )
    assert (week.time_limit, week.max_iterations) == (plan.time_limit, plan.max_iterations)
    assert plan.time_limit == 30.0
    assert (replan.time_limit, replan.max_iterations) == (10.0, 5_000)  # a replan moves little
    assert replan.closures is None  # the stored plan's, unless given
    settings = svc.PlanRequest.of(
        depot_code="DA", date=DAY, time_limit=5, seed=7, max_iterations=99, closure_mode="handoff"
    )
    assert settings.engine_settings(settings.closure_mode) == PlanSettings(
        time_limit_s=5, seed=7, max_iterations=99, closure_policy=ClosurePolicy.HANDOFF
    )
    assert week.monday == DAY


def test_request_closures_are_features_on_the_wire_and_closures_inside() -> None:
    box = shapely.box(114.0, 40.5, 114.01, 40.51)
    closure = Closure("C1", box, DAY, DAY + dt.timedelta(days=1), "施工")
    request = svc.PlanRequest.of(depot_code="DA", date=DAY, closures=[closure])
    data = request.model_dump(mode="json")
    assert data["closures"][0]["type"] == "Feature"
    again = svc.PlanRequest.model_validate(json.loads(json.dumps(data)))
    assert again.closures[0].closure_id == "C1"
    assert again.closures[0].geometry.equals_exact(box, 1e-12)
    assert again == svc.PlanRequest.model_validate(data)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"date": "16/11/2026"}, "date"),
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": 601}, "time_limit"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"time_limit": None, "max_iterations": None}, ""),
        ({"closure_mode": "walk"}, "closure_mode"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),  # PyVRP's seed is 32-bit: a TypeError (500) before
        ({"closures": [{"type": "Feature", "properties": {"start": "soon"}}]}, "closures"),
    ],
)
def test_bad_requests_are_invalid_input_naming_the_field(
    values: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        svc.PlanRequest.of(**{"depot_code": "DA", "date": DAY, **values})
    assert caught.value.problems
    assert caught.value.problems[0]["field"] == field


def test_replan_request_checks_its_plan_and_changes() -> None:
    plan = svc.plan_from_json(
        {"format": "gridmgmt.dayplan/1", "day": DAY.isoformat(), "routes": [], "unserved": []}
    )
    request = svc.ReplanRequest.of(
        depot_code="DA", date=DAY, plan=svc.plan_to_json(plan), add={"L1": 3}, cancel=["L2"]
    )
    assert request.plan == plan
    assert request.cancel == ("L2",)
    with pytest.raises(InvalidInputError, match="not 2026-11-17"):
        svc.ReplanRequest.of(depot_code="DA", date=DAY + dt.timedelta(days=1), plan=plan)
    with pytest.raises(InvalidInputError, match="add"):
        svc.ReplanRequest.of(depot_code="DA", date=DAY, add={"L1": 0})
    with pytest.raises(InvalidInputError, match="format"):
        svc.ReplanRequest.of(depot_code="DA", date=DAY, plan={"routes": []})
