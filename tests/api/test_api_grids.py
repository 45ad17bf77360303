"""Grids over the JSON API: design and rebalance as jobs, list, staff, report, locate, bounds,
and county scope.

The seeded world (tests/api/conftest.py): alice (officer) works for 兴和县 150924, bob
(officer) for 天镇县 140222, lucy (liaison) for both. Retailers and staff are added here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import select

from gridmgmt.domain import BusinessType, RetailerStatus, StaffRole
from gridmgmt.store import db
from gridmgmt.store.models import Retailer, Staff
from gridmgmt.store.models.grids import GridRecord

from .conftest import wait_for_job
from .test_api_cases import _page_login

XINGHE = "150924"
Headers = Callable[..., dict[str, str]]
INSIDE = (113.9, 40.95)


@pytest.fixture
def grid_world(api_url: str) -> str:
    """Sixty more retailers and one person of each role in 兴和县."""
    rng = np.random.default_rng(4)
    with db.transaction(api_url) as session:
        session.add_all(
            Retailer(
                licence_no=f"{XINGHE}{900 + i:06d}",
                name=f"商店{i}",
                county_code=XINGHE,
                tier=int(rng.integers(1, 31)),
                business_type=BusinessType.GROCERY,
                status=RetailerStatus.ACTIVE,
                location=Point(rng.uniform(113.55, 114.25), rng.uniform(40.75, 41.15)),
            )
            for i in range(60)
        )
        session.add_all(
            Staff(
                staff_no=f"{XINGHE}-{role.value}",
                name=f"{role.value}-1",
                role=role,
                county_code=XINGHE,
                capacity=10_000.0,
            )
            for role in StaffRole
        )
    return api_url


def _design(client: TestClient, bearer: Headers, user: str = "alice", **body: object) -> Any:
    return client.post(
        f"/api/v1/grids/{XINGHE}/design", headers=bearer(user), json={"n_grids": 4, **body}
    )


def _designed(client: TestClient, bearer: Headers, **body: object) -> dict[str, Any]:
    """Design as alice and wait for the job; its result."""
    view = wait_for_job(client, _design(client, bearer, **body), bearer("alice"))
    assert view["state"] == "succeeded", view
    assert view["kind"] == "grids.design"
    assert view["progress"] == 1.0
    result: dict[str, Any] = view["result"]
    return result


def _stored_grids(url: str) -> list[str]:
    with db.transaction(url) as session:
        return sorted(session.scalars(select(GridRecord.grid_id)))


def test_design_list_staff_report_locate(
    grid_world: str, client: TestClient, bearer: Headers
) -> None:
    assert _designed(client, bearer)["report"]["n_grids"] == 4
    again = _design(client, bearer)
    assert again.status_code == 409
    grids = client.get(f"/api/v1/grids/{XINGHE}", headers=bearer("alice")).json()
    assert grids["type"] == "FeatureCollection"
    assert sorted(f["properties"]["grid_id"] for f in grids["features"]) == [
        "G01", "G02", "G03", "G04",
    ]  # fmt: skip
    staffed = client.post(f"/api/v1/grids/{XINGHE}/staff", headers=bearer("alice"))
    assert staffed.status_code == 200, staffed.text
    assert staffed.json()["unstaffed"] == []
    report = client.get(f"/api/v1/grids/{XINGHE}/report", headers=bearer("alice")).json()
    assert report["figures"]["n_grids"] == 4
    assert len(report["sheet"]) == 4
    lon, lat = INSIDE
    found = client.get(f"/api/v1/grids/locate?lon={lon}&lat={lat}", headers=bearer("alice"))
    assert found.status_code == 200, found.text
    assert found.json()["county_code"] == XINGHE
    assert found.json()["staff"]["monopoly_officer"] == "monopoly_officer-1"
    rebalanced = client.post(f"/api/v1/grids/{XINGHE}/rebalance", headers=bearer("alice"))
    view = wait_for_job(client, rebalanced, bearer("alice"))
    assert view["state"] == "succeeded", view
    assert "max_deviation_after" in view["result"]["report"]
    assigned = client.post(f"/api/v1/grids/{XINGHE}/assign", headers=bearer("alice"))
    assert assigned.json()["assigned"] == 0


def test_other_counties_answer_404_and_readers_cannot_write(
    grid_world: str, client: TestClient, bearer: Headers
) -> None:
    _designed(client, bearer)
    assert _design(client, bearer, "bob", replace=True).status_code == 404
    for path in ("", "/report"):
        response = client.get(f"/api/v1/grids/{XINGHE}{path}", headers=bearer("bob"))
        assert response.status_code == 404, path
    for action in ("staff", "rebalance", "assign"):
        response = client.post(f"/api/v1/grids/{XINGHE}/{action}", headers=bearer("bob"))
        assert response.status_code == 404, action
    lon, lat = INSIDE
    hidden = client.get(f"/api/v1/grids/locate?lon={lon}&lat={lat}", headers=bearer("bob"))
    assert hidden.status_code == 404
    assert client.get(f"/api/v1/grids/{XINGHE}", headers=bearer("lucy")).status_code == 200
    assert _design(client, bearer, "lucy", replace=True).status_code == 403
    assert client.get(f"/api/v1/grids/{XINGHE}").status_code == 401


def test_errors_answer_their_kind_and_roles_are_refused_first(
    grid_world: str, client: TestClient, bearer: Headers
) -> None:
    refused = _design(client, bearer, "lucy", n_grids=0)  # a bad body, but the role comes first
    assert refused.status_code == 403
    assert refused.json()["kind"] == "access_denied"
    assert "grids.change" in refused.json()["detail"]
    _designed(client, bearer)
    conflict = _design(client, bearer)
    assert conflict.json()["kind"] == "conflict"
    assert "replace" in conflict.json()["detail"]
    bad_lock = _design(client, bearer, replace=True, lock=["G99"])
    assert bad_lock.status_code == 422
    assert bad_lock.json()["problems"][0]["field"] == "lock"
    nowhere = client.get("/api/v1/grids/locate?lon=100&lat=30", headers=bearer("alice"))
    assert nowhere.status_code == 404
    assert nowhere.json()["kind"] == "not_found"


def test_absurd_designs_answer_422_at_once_and_store_nothing(
    grid_world: str, client: TestClient, bearer: Headers
) -> None:
    """Issue 14: 3,000 grids for a county of a few retailers ran minutes, then 500."""
    for n_grids, says in ((3000, "at most 500"), (64, "retailers to visit")):
        refused = _design(client, bearer, n_grids=n_grids)
        assert refused.status_code == 422, refused.text
        assert says in refused.json()["detail"]
        assert refused.json()["problems"][0]["field"] == "n_grids"
    neither = _design(client, bearer, n_grids=None)
    assert neither.status_code == 422
    assert "exactly one" in neither.json()["detail"]
    assert client.get("/api/v1/jobs", headers=bearer("alice")).json() == []
    # a bound the face cannot see (a tiny workload per grid) fails the job, storing nothing
    tiny = _design(client, bearer, n_grids=None, target_workload=0.001)
    view = wait_for_job(client, tiny, bearer("alice"))
    assert view["state"] == "failed"
    assert view["error"]["kind"] == "invalid_input"
    assert _stored_grids(grid_world) == []


def test_rebalance_needs_grids_and_a_cancelled_design_stores_nothing(
    grid_world: str, client: TestClient, bearer: Headers
) -> None:
    nothing = client.post(f"/api/v1/grids/{XINGHE}/rebalance", headers=bearer("alice"))
    assert nothing.status_code == 404
    assert "design them first" in nothing.json()["detail"]
    started = _design(client, bearer, n_grids=30)
    assert started.status_code == 202
    job = started.json()
    cancel = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=bearer("alice"))
    assert cancel.status_code == 200, cancel.text
    view = wait_for_job(client, job, bearer("alice"))
    assert view["state"] == "cancelled"
    assert view["result"] is None
    assert _stored_grids(grid_world) == []


def test_every_grid_route_declares_its_action() -> None:
    from api.routes.grids import router
    from gridmgmt.policy import ACTION_ATTRIBUTE, Action

    for route in router.routes:
        actions = {
            getattr(dependency.dependency, ACTION_ATTRIBUTE, None)
            for dependency in route.dependencies  # type: ignore[attr-defined]
        }
        expected = Action.READ_GRIDS if "GET" in route.methods else Action.CHANGE_GRIDS  # type: ignore[attr-defined]
        assert actions == {expected}, route.path  # type: ignore[attr-defined]


def test_grids_page_offers_design_and_rebalance_as_jobs(
    grid_world: str, client: TestClient, bearer: Headers
) -> None:
    _page_login(client, "alice")
    page = client.get("/grids")
    assert page.status_code == 200, page.text
    assert f'data-gm-job="/api/v1/grids/{XINGHE}/design"' in page.text
    assert "/rebalance" not in page.text  # no grids yet
    assert "/static/app/jobs.js" in page.text
    client.cookies.clear()
    _designed(client, bearer)
    _page_login(client, "alice")
    again = client.get("/grids").text
    assert f'data-gm-job="/api/v1/grids/{XINGHE}/rebalance"' in again
    assert client.get("/static/app/jobs.js").status_code == 200
