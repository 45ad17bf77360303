"""Delivery routes over the JSON API: plan a depot's day, fetch its manifest, county scope.

The seeded world (tests/api/conftest.py): alice (officer) works for 兴和县 150924, bob
(officer) for 天镇县 140222. A depot with two vans and a day of orders is added here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gridmgmt.services import routes as service
from tests.gridmgmt.services.routes_world import DAY, seed_delivery, write_grid_osm

XINGHE = "150924"
Headers = Callable[..., dict[str, str]]


@pytest.fixture
def depot(api_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Depot XH1 in 兴和县 with orders on DAY; the road network is a street grid."""
    roads = write_grid_osm(tmp_path / "roads.osm", (113.5, 40.7, 114.3, 41.2), n=41)
    monkeypatch.setattr(service, "default_roads", lambda: roads)
    return seed_delivery(api_url, XINGHE, "XH1", 113.9, 40.95)


def _plan(client: TestClient, bearer: Headers, user: str, day: dt.date = DAY) -> object:
    body = {"depot_code": "XH1", "date": day.isoformat(), "time_limit": 1, "seed": 1}
    return client.post("/api/v1/routes/plan", headers=bearer(user), json=body)


def test_plan_serves_every_order_of_the_day(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    response = _plan(client, bearer, "alice")
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
    assert _plan(client, bearer, "bob").status_code == 404
    response = client.get(
        "/api/v1/routes/manifest",
        headers=bearer("bob"),
        params={"depot": "XH1", "date": DAY.isoformat()},
    )
    assert response.status_code == 404


def test_manifest_is_a_printable_page_or_csv(
    client: TestClient, bearer: Headers, depot: list[str]
) -> None:
    params = {"depot": "XH1", "date": DAY.isoformat()}
    page = client.get("/api/v1/routes/manifest", headers=bearer("alice"), params=params)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert depot[1] in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    csv = client.get(
        "/api/v1/routes/manifest", headers=bearer("alice"), params={**params, "format": "csv"}
    )
    assert csv.status_code == 200
    assert depot[1] in csv.content.decode("utf-8-sig")


def test_plan_without_login_is_refused(client: TestClient, depot: list[str]) -> None:
    body = {"depot_code": "XH1", "date": DAY.isoformat()}
    assert client.post("/api/v1/routes/plan", json=body).status_code == 401
