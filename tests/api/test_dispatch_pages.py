"""The dispatcher's page and its JSON: the day, plans as jobs, replans, versions, manifests."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.i18n import LOCALE_COOKIE
from api.main import create_app
from gridmgmt.config import Settings
from gridmgmt.jobs import cluster
from gridmgmt.store import db
from gridmgmt.store.models.routes import RoutePlanRecord
from tests.gridmgmt.services.routes_world import write_grid_osm

from .dispatch_world import DAY, DEPOT, EVIL, seed_dispatch

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module", autouse=True)
def _dask_cluster() -> Iterator[None]:
    yield
    cluster.shutdown()


@pytest.fixture
def world(api_url: str) -> tuple[str, dict[str, str]]:
    return seed_dispatch(api_url)


@pytest.fixture
def client(
    api_url: str,
    tmp_path: Path,
    app_settings: Callable[..., Settings],
    world: tuple[str, dict[str, str]],
) -> Iterator[TestClient]:
    roads = write_grid_osm(tmp_path / "roads.osm", (113.5, 40.7, 114.3, 41.2), n=41)
    with TestClient(create_app(app_settings(api_url, roads_file=roads))) as test_client:
        password, _ = world
        test_client.post("/login", data={"username": "dora", "password": password}, headers=ORIGIN)
        yield test_client


def _wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = client.get(f"/api/v1/jobs/{job['id']}").json()
        if view["state"] in {"succeeded", "failed", "cancelled"}:
            return view
        time.sleep(0.2)
    raise AssertionError("job did not end")


def _plan(client: TestClient) -> dict[str, Any]:
    body = {"depot_code": DEPOT, "date": DAY.isoformat(), "time_limit": 1, "seed": 1}
    answer = client.post("/api/v1/routes/jobs/plan", json=body, headers=ORIGIN)
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == f"/api/v1/jobs/{answer.json()['id']}"
    view = _wait(client, answer.json())
    assert view["state"] == "succeeded", view
    return view


def test_page_shows_depot_date_and_the_tools(client: TestClient) -> None:
    page = client.get("/dispatch", params={"depot": DEPOT, "date": DAY.isoformat()})
    assert page.status_code == 200
    assert "配送中心150924" in page.text
    for label in ("规划当天", "规划本周", "绘制封控区", "司机配送单", "当日计划版本"):
        assert label in page.text
    assert "/static/leaflet/leaflet.js" in page.text
    assert 'href="/dispatch"' in page.text  # in the header


def test_page_opens_on_a_day_with_orders_and_in_english(client: TestClient) -> None:
    page = client.get("/dispatch")
    next_day = DAY + dt.timedelta(days=1)  # the last date with orders, today being later
    assert f'value="{DAY.isoformat()}"' in page.text or f'value="{next_day}"' in page.text
    client.cookies.set(LOCALE_COOKIE, "en")
    english = client.get("/dispatch", params={"depot": DEPOT, "date": DAY.isoformat()})
    assert "Plan the day" in english.text
    assert "Driver manifests" in english.text


def test_page_needs_a_login(client: TestClient) -> None:
    client.cookies.clear()
    answer = client.get("/dispatch", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_plan_job_stores_the_plan_and_the_day_shows_names(
    client: TestClient, api_url: str, world: tuple[str, dict[str, str]]
) -> None:
    _, on_day = world
    empty = client.get("/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()})
    assert empty.json()["plan"] is None
    view = _plan(client)
    assert view["result"]["plan_version"] == 1
    day = client.get("/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()})
    data = day.json()
    names = {s["name"] for s in data["plan"]["stops"]} | {
        u["name"] for u in data["plan"]["unserved"]
    }
    assert names == set(on_day.values())
    shops = [s for s in data["plan"]["stops"] if s["licence"].startswith("1509241")]
    assert shops
    assert all(s["phone"].startswith("139") and s["address"] for s in shops)
    assert data["indicators"]["served"] + data["indicators"]["unserved"] == len(on_day)
    assert data["indicators"]["fleet"] == 2
    # With no orders ahead, the page opens on the day planned last, not the last order day.
    assert f'value="{DAY.isoformat()}"' in client.get("/dispatch").text
    with db.transaction(api_url) as session:
        stored = session.scalars(select(RoutePlanRecord)).all()
        assert [(r.depot_code, r.version, r.is_current) for r in stored] == [(DEPOT, 1, True)]


def test_manifests_carry_names_and_phones(
    client: TestClient, world: tuple[str, dict[str, str]]
) -> None:
    _plan(client)
    params = {"depot": DEPOT, "date": DAY.isoformat()}
    page = client.get("/api/v1/routes/manifest", params={**params, "format": "html"})
    assert "size: A4 portrait" in page.text
    assert EVIL not in page.text
    assert "1394741" in page.text
    csv = client.get("/api/v1/routes/manifest", params={**params, "format": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("线路,车辆,顺序,预计到达,时间窗,零售户,地址,联系电话")
    english = client.get(
        "/api/v1/routes/manifest", params={**params, "format": "csv", "lang": "en"}
    )
    assert "Retailer" in english.content.decode("utf-8-sig").splitlines()[0]
    xlsx = client.get("/api/v1/routes/manifest", params={**params, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[0] == "汇总"


def test_replan_moves_and_drops_then_versions_compare(client: TestClient) -> None:
    _plan(client)
    day = client.get("/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()}).json()
    stops = day["plan"]["stops"]
    dropped = stops[0]["licence"]
    body: dict[str, Any] = {
        "depot_code": DEPOT,
        "date": DAY.isoformat(),
        "time_limit": 1,
        "cancel": [dropped],
    }
    routes = [r["route_id"] for r in day["plan"]["routes"]]
    if len(routes) > 1:
        mover = next(s for s in stops if s["route_id"] == routes[0] and s["licence"] != dropped)
        body["moves"] = {mover["licence"]: routes[1]}
    answer = client.post("/api/v1/routes/jobs/replan", json=body, headers=ORIGIN)
    assert answer.status_code == 202, answer.text
    view = _wait(client, answer.json())
    assert view["state"] == "succeeded", view
    assert view["result"]["plan_version"] == 2
    after = client.get("/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()})
    served = {s["licence"] for s in after.json()["plan"]["stops"]}
    assert dropped not in served
    assert [v["version"] for v in after.json()["versions"]] == [1, 2]
    diff = client.get(
        "/api/v1/routes/plans/compare",
        params={"depot": DEPOT, "date": DAY.isoformat(), "a": 1, "b": 2},
    ).json()
    assert [r["licence"] for r in diff["only_a"]] == [dropped]
    assert diff["a"]["version"] == 1
    assert diff["b"]["version"] == 2


def test_a_replan_job_from_a_stale_version_fails_as_a_conflict(
    client: TestClient, api_url: str
) -> None:
    _plan(client)
    day = client.get("/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()}).json()
    assert day["plan"]["version"] == 1
    stops, routes = day["plan"]["stops"], [r["route_id"] for r in day["plan"]["routes"]]
    base = {"depot_code": DEPOT, "date": DAY.isoformat(), "time_limit": 1, "base_version": 1}
    first = client.post("/api/v1/routes/jobs/replan", json=base, headers=ORIGIN).json()
    assert _wait(client, first)["result"]["plan_version"] == 2
    mover = stops[0]
    other = next((r for r in routes if r != mover["route_id"]), mover["route_id"])
    for stale in ({"cancel": [mover["licence"]]}, {"moves": {mover["licence"]: other}}):
        answer = client.post("/api/v1/routes/jobs/replan", json=base | stale, headers=ORIGIN)
        assert answer.status_code == 202, answer.text
        view = _wait(client, answer.json())
        assert view["state"] == "failed", view
        assert view["error"]["kind"] == "conflict", view
        assert "version 1" in view["error"]["message"]
    with db.transaction(api_url) as session:
        records = session.scalars(select(RoutePlanRecord).order_by(RoutePlanRecord.version)).all()
        assert [(r.version, r.is_current) for r in records] == [(1, False), (2, True)]


def test_replan_with_a_drawn_closure_skips_the_shops_inside(client: TestClient) -> None:
    _plan(client)
    stop = client.get(
        "/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()}
    ).json()["plan"]["stops"][0]
    x, y, d = stop["lon"], stop["lat"], 0.004
    ring = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]
    closure = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"id": "c1", "start": DAY.isoformat(), "end": str(DAY + dt.timedelta(1))},
    }
    body = {
        "depot_code": DEPOT,
        "date": DAY.isoformat(),
        "time_limit": 1,
        "closures": [closure],
        "closure_mode": "skip",
    }
    view = _wait(
        client, client.post("/api/v1/routes/jobs/replan", json=body, headers=ORIGIN).json()
    )
    assert view["state"] == "succeeded", view
    after = client.get("/api/v1/routes/day", params={"depot": DEPOT, "date": DAY.isoformat()})
    plan = after.json()["plan"]
    assert stop["licence"] in {u["licence"] for u in plan["unserved"]}
    assert len(plan["closures"]) == 1


def test_week_job_stores_each_day(client: TestClient, api_url: str) -> None:
    body = {"depot_code": DEPOT, "week_of": DAY.isoformat(), "time_limit": 1}
    view = _wait(client, client.post("/api/v1/routes/jobs/week", json=body, headers=ORIGIN).json())
    assert view["state"] == "succeeded", view
    assert set(view["result"]["versions"]) <= {
        (DAY.fromordinal(DAY.toordinal() + k)).isoformat() for k in range(7)
    }
    with db.transaction(api_url) as session:
        kinds = {r.kind for r in session.scalars(select(RoutePlanRecord))}
    assert {str(getattr(k, "value", k)) for k in kinds} == {"week"}


def test_officer_may_not_submit_a_plan(
    client: TestClient, bearer: Callable[..., dict[str, str]]
) -> None:
    body = {"depot_code": DEPOT, "date": DAY.isoformat(), "time_limit": 1}
    client.cookies.clear()
    answer = client.post("/api/v1/routes/jobs/plan", json=body, headers=bearer("alice"))
    assert answer.status_code == 403


def test_cancelled_plan_job_stores_nothing(client: TestClient, api_url: str) -> None:
    body = {"depot_code": DEPOT, "date": DAY.isoformat(), "time_limit": 3, "max_iterations": None}
    job = client.post("/api/v1/routes/jobs/plan", json=body, headers=ORIGIN).json()
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/jobs/{job['id']}").json()["state"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cancel = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=ORIGIN)
    assert cancel.status_code == 200, cancel.text
    view = _wait(client, job)
    assert view["state"] == "cancelled"
    with db.transaction(api_url) as session:
        assert session.scalars(select(RoutePlanRecord)).all() == []
