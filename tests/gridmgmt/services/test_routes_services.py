"""Route planning services over a real database: a depot's day, a week, manifests, scope."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from gridmgmt.domain import UserRole
from gridmgmt.routing.feasibility import check_plan
from gridmgmt.services import routes as svc
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.store import db
from tests.gridmgmt.services.grids_world import BOX_A, BOX_B, LAT, LON, A, B, seed_world
from tests.gridmgmt.services.routes_world import DAY, seed_delivery, write_grid_osm

FAST = {"time_limit": None, "max_iterations": 300, "seed": 1}


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
        day = svc.plan_depot_day_full(
            session, SYSTEM, depot_code="DA", day=DAY, roads=roads, **FAST
        )
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
        service=svc.PlanSettings().service,
    )
    assert violations == []
    assert inputs.depots[0].opens_s == 7 * 3600


def test_depot_of_another_county_is_not_found(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    bob = Actor("bob", UserRole.OFFICER, frozenset({B}))
    with db.transaction(url) as session, pytest.raises(svc.DepotNotFoundError, match="DA"):
        svc.plan_depot_day(session, bob, depot_code="DA", day=DAY, roads=roads, **FAST)


def test_same_seed_same_plan(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        one = svc.plan_depot_day(session, SYSTEM, depot_code="DA", day=DAY, roads=roads, **FAST)
        two = svc.plan_depot_day(session, SYSTEM, depot_code="DA", day=DAY, roads=roads, **FAST)
    assert one.routes == two.routes
    assert one.routes


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
        week = svc.plan_week(
            session,
            SYSTEM,
            depot_code="DA",
            week_of=DAY + dt.timedelta(days=3),
            roads=roads,
            **FAST,
        )
    assert set(week.assignment.weekday) == set(ordered)
    served = {o.split("@")[0] for p in week.days.values() for o in p.served_order_ids}
    assert served == set(ordered)
    assert all(d.weekday() < 5 for d in week.days)


def test_manifest_writes_csv_excel_and_printable_page(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, _ = world
    with db.transaction(url) as session:
        plan = svc.plan_depot_day(session, SYSTEM, depot_code="DA", day=DAY, roads=roads, **FAST)
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
    with pytest.raises(ValueError, match="csv"):
        svc.write_manifest(plan, tmp_path / "x.pdf", fmt="pdf")
