"""Delivery routes over the JSON API: plan a depot's day, fetch its manifest, county scope.

The seeded world (tests/api/conftest.py): alice (officer) works for 兴和县 150924, bob
(officer) for 天镇县 140222, lucy (liaison) for both. Added here: the dispatchers dora
(兴和县) and dan (天镇县), and a depot with two vans and a day of orders in 兴和县. The app
is built with its own roads file.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes.routing import router
from gridmgmt.config import Settings, get_settings
from gridmgmt.domain import UserRole
from gridmgmt.policy import Action, action_of
from gridmgmt.store import db
from gridmgmt.store.models.routes import RoutePlanRecord
from tests.api.conftest import add_test_user, wait_for_job
from tests.gridmgmt.services.routes_world import DAY, seed_delivery, write_grid_osm

XINGHE, TIANZHEN = "150924", "140222"
Headers = Callable[..., dict[str, str]]


@pytest.fixture
def roads(tmp_path: Path) -> Path:
    """The region's road network: a street grid over 兴和县."""
    return write_grid_osm(tmp_path / "roads.osm", (113.5, 40.7, 114.3, 41.2), n=41)


@pytest.fixture
def client(
    api_url: str, roads: Path, app_settings: Callable[..., Settings]
) -> Iterator[TestClient]:
    """The app on the seeded database, with the street grid as its roads file."""
    for name, county in (("dora", XINGHE), ("dan", TIANZHEN)):
        add_test_user(api_url, name, secrets.token_urlsafe(12), UserRole.DISPATCHER, [county])
    with TestClient(create_app(app_settings(api_url, roads_file=roads))) as test_client:
        yield test_client


@pytest.fixture
def depot(api_url: str) -> list[str]:
    """Depot XH1 in 兴和县 with orders on DAY."""
    return seed_delivery(api_url, XINGHE, "XH1", 113.9, 40.95)


def _plan(client: TestClient, bearer: Headers, user: str, day: dt.date = DAY, **extra: Any) -> Any:
    body = {"depot_code": "XH1", "date": day.isoformat(), "time_limit": 1, "seed": 1, **extra}
    return client.post("/api/v1/routes/plan", headers=bearer(user), json=body)


def test_plan_serves_every_order_of_the_day(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    response = _plan(client, bearer, "dora")
    assert response.status_code == 200, response.text
    plan = response.json()
    ordered_today = {lic for k, lic in enumerate(depot) if k % 4}
    assert {stop["retailer_id"] for stop in plan["stops"]} == ordered_today
    assert plan["unserved"] == []
    assert plan["totals"]["vehicles"] >= 1
    assert max(stop["load_after"] for stop in plan["stops"]) <= 300


def test_depot_of_another_county_answers_404(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    assert _plan(client, bearer, "dan").status_code == 404
    response = client.get(
        "/api/v1/routes/manifest",
        headers=bearer("dan"),
        params={"depot": "XH1", "date": DAY.isoformat()},
    )
    assert response.status_code == 404


def test_manifest_is_a_printable_page_or_csv(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    params = {"depot": "XH1", "date": DAY.isoformat()}
    assert _plan(client, bearer, "dora").status_code == 200
    page = client.get("/api/v1/routes/manifest", headers=bearer("dora"), params=params)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert depot[1] in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    csv = client.get(
        "/api/v1/routes/manifest", headers=bearer("dora"), params={**params, "format": "csv"}
    )
    assert csv.status_code == 200
    assert depot[1] in csv.content.decode("utf-8-sig")


def test_plan_without_login_is_refused(client: TestClient, depot: list[str]) -> None:
    body = {"depot_code": "XH1", "date": DAY.isoformat()}
    assert client.post("/api/v1/routes/plan", json=body).status_code == 401


def _closure_feature(stop: dict[str, Any]) -> tuple[shapely.Polygon, dict[str, Any]]:
    box = shapely.box(stop["lon"] - 0.025, stop["lat"] - 0.015, stop["lon"] + 0.025,
                      stop["lat"] + 0.015)  # fmt: skip
    props = {"id": "F1", "start": DAY.isoformat(), "end": "2026-11-17T12:00", "reason": "封控"}
    return box, {"type": "Feature", "properties": props, "geometry": box.__geo_interface__}


def test_plan_with_closures_skips_or_hands_off(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    stops = _plan(client, bearer, "dora").json()["stops"]
    far = max(stops, key=lambda s: (s["lon"] - 113.9) ** 2 + (s["lat"] - 40.95) ** 2)
    box, feature = _closure_feature(far)
    skipped = _plan(client, bearer, "dora", closures=[feature])
    assert skipped.status_code == 200, skipped.text
    unserved = {u["order_id"]: u for u in skipped.json()["unserved"]}
    assert unserved[far["order_id"]]["reason"] == "inside_closure"
    assert "封控" in unserved[far["order_id"]]["detail"]
    handed = _plan(client, bearer, "dora", closures=[feature], closure_mode="handoff").json()
    stop = next(s for s in handed["stops"] if s["order_id"] == far["order_id"])
    assert stop["handoff"] is True
    assert not box.contains(shapely.Point(stop["lon"], stop["lat"]))
    bad = {**feature, "properties": {"start": "soon"}}
    refused = _plan(client, bearer, "dora", closures=[bad])
    assert refused.status_code == 422
    assert "row 1" in refused.text
    assert "start" in refused.text


def test_replan_changes_orders_from_the_current_plan(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    today = [lic for k, lic in enumerate(depot) if k % 4]
    current = _plan(client, bearer, "dora").json()["plan"]
    body = {
        "depot_code": "XH1", "date": DAY.isoformat(), "time_limit": 1, "seed": 1,
        "plan": current, "add": {depot[0]: 10}, "cancel": [today[0]], "change": {today[1]: 45},
    }  # fmt: skip
    response = client.post("/api/v1/routes/replan", headers=bearer("dora"), json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    day = DAY.isoformat()
    assert data["changes"]["added"] == [f"{depot[0]}@{day}"]
    assert data["changes"]["cancelled"] == [f"{today[0]}@{day}"]
    assert data["changes"]["changed"] == [f"{today[1]}@{day}"]
    served = {s["retailer_id"]: s["cartons"] for s in data["stops"]}
    assert set(served) == {*today[1:], depot[0]}
    assert served[today[1]] == 45
    assert client.post("/api/v1/routes/replan", headers=bearer("dan"), json=body).status_code == 404
    broken = {**body, "plan": {"routes": []}}
    assert (
        client.post("/api/v1/routes/replan", headers=bearer("dora"), json=broken).status_code == 422
    )


def test_week_is_a_job_and_get_no_longer_blocks(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    """Issue 14: GET /routes/week answered after 128 s. It is gone (405); POST answers 202."""
    params = {"depot": "XH1", "week_of": DAY.isoformat(), "time_limit": 1, "seed": 1}
    assert (
        client.get("/api/v1/routes/week", headers=bearer("dora"), params=params).status_code == 405
    )
    body = {"depot_code": "XH1", "week_of": DAY.isoformat(), "time_limit": 1, "seed": 1}
    view = wait_for_job(client, _week(client, bearer, body), bearer("dora"))
    assert view["state"] == "succeeded", view
    data = view["result"]
    assert set(data["weekday"]) == set(depot)
    assert sum(d["stops"] for d in data["days"].values()) == len(depot)
    assert _week(client, bearer, body, "dan").status_code == 404


def _week(client: TestClient, bearer: Headers, body: dict[str, Any], user: str = "dora") -> Any:
    return client.post("/api/v1/routes/week", headers=bearer(user), json=body)


def _plans(client: TestClient, bearer: Headers, user: str = "dora", **params: str) -> Any:
    query = {"depot": "XH1", **params}
    return client.get("/api/v1/routes/plans", headers=bearer(user), params=query)


def _current(client: TestClient, bearer: Headers, user: str = "dora", day: dt.date = DAY) -> Any:
    query = {"depot": "XH1", "date": day.isoformat()}
    return client.get("/api/v1/routes/plans/current", headers=bearer(user), params=query)


def test_plans_are_stored_versioned_and_listed(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    assert _current(client, bearer).status_code == 404
    first = _plan(client, bearer, "dora").json()
    second = _plan(client, bearer, "dora", seed=2).json()
    assert (first["plan_version"], second["plan_version"]) == (1, 2)
    listed = _plans(client, bearer, date=DAY.isoformat())
    assert listed.status_code == 200, listed.text
    versions = listed.json()["versions"]
    assert [(v["version"], v["current"], v["created_by"]) for v in versions] == [
        (1, False, "dora"), (2, True, "dora"),
    ]  # fmt: skip
    assert versions[1]["orders_served"] == len(second["stops"])
    assert versions[1]["km"] == second["totals"]["km"]
    current = _current(client, bearer)
    assert current.status_code == 200, current.text
    data = current.json()
    assert data["plan"] == second["plan"]
    assert data["stops"] == second["stops"]
    assert data["plan_version"] == 2
    assert data["order_changes"] == {"add": {}, "cancel": [], "change": {}}
    assert _plans(client, bearer, date="2026-12-01").json()["versions"] == []
    assert _plans(client, bearer, "dan").status_code == 404
    assert _current(client, bearer, "dan").status_code == 404


def _replan(client: TestClient, bearer: Headers, user: str = "dora", **body: Any) -> Any:
    payload = {"depot_code": "XH1", "date": DAY.isoformat(), "time_limit": 1, "seed": 1, **body}
    return client.post("/api/v1/routes/replan", headers=bearer(user), json=payload)


def test_replan_from_the_stored_plan_and_a_failed_one_changes_nothing(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    today = [lic for k, lic in enumerate(depot) if k % 4]
    assert _replan(client, bearer, cancel=[today[0]]).status_code == 404  # nothing stored
    _plan(client, bearer, "dora")
    response = _replan(client, bearer, add={depot[0]: 10}, cancel=[today[0]])
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["plan_version"] == 2
    assert data["stored"]["kind"] == "replan"
    assert {s["retailer_id"] for s in data["stops"]} == {*today[1:], depot[0]}
    before = _current(client, bearer).json()
    for bad in ({"add": {today[1]: 5}}, {"cancel": ["999"]}, {"plan": {"routes": []}}):
        refused = _replan(client, bearer, **bad)
        assert refused.status_code == 422, (bad, refused.text)
    assert _replan(client, bearer, "dan", cancel=[today[1]]).status_code == 404
    assert len(_plans(client, bearer).json()["versions"]) == 2
    assert _current(client, bearer).json() == before
    params = {"depot": "XH1", "date": DAY.isoformat(), "format": "csv"}
    csv = client.get("/api/v1/routes/manifest", headers=bearer("dora"), params=params)
    assert csv.status_code == 200
    assert csv.headers["x-plan-version"] == "2"
    text = csv.content.decode("utf-8-sig")
    assert depot[0] in text  # the replan's addition, not in the stored orders
    assert today[0] not in text  # the replan's cancellation
    assert len(_plans(client, bearer).json()["versions"]) == 2


def test_manifest_needs_a_stored_plan_and_reads_change_nothing(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    params = {"depot": "XH1", "date": DAY.isoformat(), "format": "csv"}
    missing = client.get("/api/v1/routes/manifest", headers=bearer("dora"), params=params)
    assert missing.status_code == 404
    assert "plan the day first" in missing.json()["detail"]
    assert _plans(client, bearer).json()["versions"] == []


def test_week_with_closures_stores_each_day(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    stops = _plan(client, bearer, "dora").json()["stops"]
    far = max(stops, key=lambda s: (s["lon"] - 113.9) ** 2 + (s["lat"] - 40.95) ** 2)
    _, feature = _closure_feature(far)
    feature["properties"]["end"] = (DAY + dt.timedelta(days=7)).isoformat()  # the whole week
    body = {"depot_code": "XH1", "week_of": DAY.isoformat(), "time_limit": 1, "seed": 1,
            "closures": [feature]}  # fmt: skip
    bad = {**body, "closures": [{**feature, "properties": {"end": "later"}}]}
    refused = client.post("/api/v1/routes/week", headers=bearer("dora"), json=bad)
    assert refused.status_code == 422
    assert len(_plans(client, bearer).json()["versions"]) == 1  # nothing stored
    assert client.post("/api/v1/routes/week", headers=bearer("dan"), json=body).status_code == 404
    view = wait_for_job(client, _week(client, bearer, body), bearer("dora"))
    assert view["state"] == "succeeded", view
    data = view["result"]
    assert set(data["versions"]) == set(data["days"])
    assert set(data["weekday"]) == set(depot)
    far_day = DAY + dt.timedelta(days=data["weekday"][far["retailer_id"]])
    stored = _current(client, bearer, day=far_day).json()
    assert stored["stored"]["kind"] == "week"
    assert stored["stored"]["n_closures"] == 1
    reasons = {u["order_id"]: u["reason"] for u in stored["unserved"]}
    assert reasons == {f"{far['retailer_id']}@{far_day.isoformat()}": "inside_closure"}
    assert data["days"][far_day.isoformat()]["unserved"] == 1
    versions = _plans(client, bearer).json()["versions"]
    assert {v["kind"] for v in versions if v["current"]} == {"week"}
    assert sum(v["current"] for v in versions) == len(data["days"])


def _stored_rows(api_url: str) -> int:
    with db.transaction(api_url) as session:
        return len(session.query(RoutePlanRecord).all())


@pytest.mark.parametrize("user", ["alice", "lucy"])
def test_officers_and_liaisons_may_not_plan_and_nothing_is_stored(
    client: TestClient, bearer: Headers, depot: list[str], api_url: str, user: str
) -> None:
    assert _plan(client, bearer, "dora").status_code == 200
    week = {"depot_code": "XH1", "week_of": DAY.isoformat(), "time_limit": 1, "seed": 1}
    for path, body in (
        ("/api/v1/routes/plan", {"depot_code": "XH1", "date": DAY.isoformat(), "time_limit": 1}),
        ("/api/v1/routes/replan", {"depot_code": "XH1", "date": DAY.isoformat(), "cancel": []}),
        ("/api/v1/routes/week", week),
    ):
        refused = client.post(path, headers=bearer(user), json=body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["kind"] == "access_denied"
        assert "routes.plan" in refused.json()["detail"]
    assert _stored_rows(api_url) == 1
    # reading is every role's: the plans, the plan in force, its manifest
    assert _plans(client, bearer, user).status_code == 200
    assert _current(client, bearer, user).json()["plan_version"] == 1
    params = {"depot": "XH1", "date": DAY.isoformat(), "format": "csv"}
    manifest = client.get("/api/v1/routes/manifest", headers=bearer(user), params=params)
    assert manifest.status_code == 200


def test_the_app_plans_on_its_own_roads_file(
    api_url: str,
    roads: Path,
    tmp_path: Path,
    bearer: Headers,
    app_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_test_user(api_url, "dora", secrets.token_urlsafe(12), UserRole.DISPATCHER, [XINGHE])
    seed_delivery(api_url, XINGHE, "XH1", 113.9, 40.95)
    # The process-wide settings name a file that does not exist: the app must not read them.
    monkeypatch.setenv("GRIDMGMT_ROADS_FILE", str(tmp_path / "nowhere.osm"))
    get_settings.cache_clear()
    try:
        with TestClient(create_app(app_settings(api_url, roads_file=roads))) as app_client:
            assert _plan(app_client, bearer, "dora").status_code == 200
        # Another app on a road network far from the depot: it plans on that one.
        far = write_grid_osm(tmp_path / "far.osm", (100.0, 30.0, 100.05, 30.05), n=3)
        with TestClient(create_app(app_settings(api_url, roads_file=far))) as app_client:
            answer = _plan(app_client, bearer, "dora").json()
    finally:
        get_settings.cache_clear()
    assert answer["stops"] == []
    assert answer["unserved"]
    assert {u["reason"] for u in answer["unserved"]} == {"no_road_nearby"}


def test_solver_budget_is_bounded_by_the_setting_and_bad_requests_answer_422(
    client: TestClient, bearer: Headers, depot: list[str], api_url: str
) -> None:
    """The week preview once accepted 600 s a day from any role; max_solver_seconds (120 by
    default) bounds every plan, replan and week, synchronous or as a job."""
    over = {"depot_code": "XH1", "date": DAY.isoformat(), "time_limit": 300}
    week = {"depot_code": "XH1", "week_of": DAY.isoformat(), "time_limit": 300}
    for path, body in (
        ("/api/v1/routes/plan", over),
        ("/api/v1/routes/replan", over),
        ("/api/v1/routes/jobs/plan", over),
        ("/api/v1/routes/jobs/replan", over),
        ("/api/v1/routes/week", week),
    ):
        refused = client.post(path, headers=bearer("dora"), json=body)
        assert refused.status_code == 422, (path, refused.text)
        assert "max_solver_seconds" in refused.json()["detail"]
        assert refused.json()["problems"][0]["field"] == "time_limit"
    assert client.get("/api/v1/jobs", headers=bearer("dora")).json() == []
    assert _stored_rows(api_url) == 0
    for bad in ({"time_limit": 0}, {"max_iterations": 0}, {"time_limit": None,
                "max_iterations": None}, {"closure_mode": "fly"}):  # fmt: skip
        assert _plan(client, bearer, "dora", **bad).status_code == 422, bad


def test_every_route_declares_its_action() -> None:
    declared = {
        (method, route.path): [action_of(d.dependency) for d in route.dependencies if d.dependency]
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    plans = {"/api/v1/routes/plan", "/api/v1/routes/replan"}
    for (method, path), actions in declared.items():
        expected = Action.PLAN_ROUTES if method == "POST" and path in plans else Action.READ_ROUTES
        assert actions == [expected], (method, path)
    assert len(declared) == 5
