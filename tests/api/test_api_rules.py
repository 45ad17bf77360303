"""Rules, inspections and tickets over the JSON API: answers, and county scope on every route.

The seeded world (tests/api/conftest.py): alice works for 兴和县 150924, bob for 天镇县
140222, lucy for both. Officers are added here for the draws.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from gridmgmt.domain import StaffRole, UserRole
from gridmgmt.store import db
from gridmgmt.store.models import Staff
from tests.api.conftest import add_test_user

XINGHE, TIANZHEN = "150924", "140222"
Headers = Callable[..., dict[str, str]]


@pytest.fixture
def officers(api_url: str) -> str:
    """Three monopoly officers in each of the two counties."""
    with db.transaction(api_url) as session:
        session.add_all(
            Staff(
                staff_no=f"{code}-M0{i}",
                name=f"专管员{i}",
                role=StaffRole.MONOPOLY_OFFICER,
                county_code=code,
            )
            for code in (XINGHE, TIANZHEN)
            for i in range(1, 4)
        )
    return api_url


def _bob_draw(client: TestClient, bearer: Headers) -> dict:
    response = client.post(
        "/api/v1/inspections",
        headers=bearer("bob"),
        json={"county": TIANZHEN, "period": "2026-11", "share": 1.0, "seed": 9},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _bob_ticket(client: TestClient, bearer: Headers) -> dict:
    response = client.post(
        "/api/v1/tickets",
        headers=bearer("bob"),
        json={
            "county": TIANZHEN,
            "kind": "complaint",
            "summary": "举报",
            "licence_no": "140222000001",
            "collected_at": "2026-11-16T09:00:00",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/rules/settings/{TIANZHEN}",
        f"/api/v1/rules/red-lines?county={TIANZHEN}",
        f"/api/v1/rules/spacing?county={TIANZHEN}",
        f"/api/v1/rules/border-markets?county={TIANZHEN}",
        f"/api/v1/rules/outflow?county={TIANZHEN}",
        f"/api/v1/rules/checkpoint-coverage?county={TIANZHEN}",
        f"/api/v1/tickets/overdue?county={TIANZHEN}",
        f"/api/v1/tickets/report?county={TIANZHEN}&start=2026-11-01T00:00&end=2026-12-01T00:00",
    ],
)
def test_another_countys_rules_answer_404(client: TestClient, bearer: Headers, path: str) -> None:
    assert client.get(path, headers=bearer("alice")).status_code == 404
    assert client.get(path, headers=bearer("bob")).status_code == 200
    assert client.get(path).status_code == 401


def test_lists_without_a_county_hold_only_the_callers_rows(
    client: TestClient, bearer: Headers
) -> None:
    body = client.get("/api/v1/rules/red-lines?metres=3000", headers=bearer("alice")).json()
    assert {item["county_code"] for item in body["items"]} == {XINGHE}
    lucy = client.get("/api/v1/rules/red-lines?metres=3000", headers=bearer("lucy")).json()
    assert {item["county_code"] for item in lucy["items"]} == {XINGHE, TIANZHEN}


def test_red_lines_answer_licence_school_and_distance(client: TestClient, bearer: Headers) -> None:
    body = client.get("/api/v1/rules/red-lines?metres=3000", headers=bearer("alice")).json()
    first = body["items"][0]
    assert set(first) >= {"licence_no", "school", "distance_m", "lon", "lat"}
    assert first["school"] == f"{XINGHE}第一小学"
    assert 2000 < first["distance_m"] < 2300  # 0.02 degrees of latitude north
    assert body["notes"]  # no road network: straight lines, said so


def test_licence_check_in_and_outside_the_callers_counties(
    client: TestClient, bearer: Headers
) -> None:
    params = {"lon": 114.6, "lat": 40.75}  # 天镇县
    for_alice = client.get("/api/v1/rules/check-licence", params=params, headers=bearer("alice"))
    for_bob = client.get("/api/v1/rules/check-licence", params=params, headers=bearer("bob"))
    assert for_alice.status_code == for_bob.status_code == 200
    assert for_alice.json()["allowed"] is False
    assert [r["code"] for r in for_alice.json()["reasons"] if r["blocking"]] == ["outside_counties"]
    assert for_bob.json()["allowed"] is True
    assert for_bob.json()["county_code"] == TIANZHEN
    bad = client.get(
        "/api/v1/rules/check-licence", params={**params, "crs": "mars"}, headers=bearer("bob")
    )
    assert bad.status_code == 422
    assert "gcj02" in bad.json()["detail"]


def test_settings_can_be_read_by_officers_and_set_by_admins(
    client: TestClient, bearer: Headers, api_url: str
) -> None:
    path = f"/api/v1/rules/settings/{XINGHE}"
    assert client.get(path, headers=bearer("alice")).json()["preset"] == "default"
    assert client.put(path, headers=bearer("alice"), json={"preset": "wuhan"}).status_code == 403
    add_test_user(api_url, "ada", "a-long-admin-passphrase", UserRole.ADMIN, [XINGHE])
    changed = client.put(
        path,
        headers=bearer("ada"),
        json={"preset": "wuhan", "settings": {"red_line": {"distance_m": {"primary": 3000}}}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["red_line"]["distance_m"]["primary"] == 3000
    assert (
        client.put(
            f"/api/v1/rules/settings/{TIANZHEN}", headers=bearer("ada"), json={"preset": "wuhan"}
        ).status_code
        == 404
    )
    found = client.get("/api/v1/rules/red-lines", headers=bearer("alice")).json()["items"]
    # Both open retailers of 兴和县 are within 3 km of its school (the third is closed).
    assert [r["licence_no"] for r in found] == ["150924000001", "150924000002"]


@pytest.mark.usefixtures("officers")
def test_draws_are_scoped_stored_and_never_silently_replaced(
    client: TestClient, bearer: Headers
) -> None:
    draw = _bob_draw(client, bearer)
    # 140222 has two retailers, one active: a share of 1.0 draws it.
    assert [i["licence_no"] for i in draw["inspections"]] == ["140222000001"]
    again = client.post(
        "/api/v1/inspections",
        headers=bearer("bob"),
        json={"county": TIANZHEN, "period": "2026-11", "seed": 9},
    )
    assert again.status_code == 409
    base = f"/api/v1/inspections/{draw['id']}"
    for path in (base, f"{base}/verify", f"{base}/results", f"{base}/publication"):
        assert client.get(path, headers=bearer("alice")).status_code == 404, path
        assert client.get(path, headers=bearer("bob")).status_code == 200, path
    assert client.get("/api/v1/inspections", headers=bearer("alice")).json() == []
    assert [d["id"] for d in client.get("/api/v1/inspections", headers=bearer("lucy")).json()] == [
        draw["id"]
    ]
    intrusion = client.post(
        "/api/v1/inspections",
        headers=bearer("alice"),
        json={"county": TIANZHEN, "period": "2026-12"},
    )
    assert intrusion.status_code == 404
    result = {
        "licence_no": "140222000001",
        "outcome": "compliant",
        "inspected_on": str(dt.date.today()),
    }
    assert client.post(f"{base}/results", headers=bearer("alice"), json=result).status_code == 404
    recorded = client.post(f"{base}/results", headers=bearer("bob"), json=result)
    assert recorded.status_code == 201, recorded.text
    csv_text = client.get(f"{base}/results?format=csv", headers=bearer("bob")).text
    assert "未发现问题" in csv_text
    assert client.get(f"{base}/verify", headers=bearer("bob")).json()["ok"] is True


def test_tickets_are_scoped_and_move_one_step_at_a_time(
    client: TestClient, bearer: Headers
) -> None:
    ticket = _bob_ticket(client, bearer)
    number = ticket["ticket_no"]
    assert ticket["due_at"] == "2026-11-17T09:00:00"
    assert client.get(f"/api/v1/tickets/{number}", headers=bearer("alice")).status_code == 404
    assert (
        client.post(
            f"/api/v1/tickets/{number}/advance", headers=bearer("alice"), json={}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/tickets", headers=bearer("alice")).json() == []
    assert client.get("/api/v1/tickets/overdue", headers=bearer("alice")).json() == []
    intrusion = client.post(
        "/api/v1/tickets",
        headers=bearer("alice"),
        json={"county": TIANZHEN, "kind": "complaint", "summary": "x"},
    )
    assert intrusion.status_code == 404
    skip = client.post(
        f"/api/v1/tickets/{number}/advance", headers=bearer("bob"), json={"to": "handled"}
    )
    assert skip.status_code == 409
    moved = client.post(
        f"/api/v1/tickets/{number}/advance",
        headers=bearer("bob"),
        json={"at": "2026-11-16T10:00:00", "assignee": "140222-M01"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "assigned"
    overdue = client.get(
        "/api/v1/tickets/overdue", headers=bearer("bob"), params={"now": "2026-11-20T10:00:00"}
    ).json()
    assert [t["ticket_id"] for t in overdue] == [number]


def test_map_page_loads_the_licence_check_script(
    client: TestClient, world, bearer: Headers
) -> None:
    script = client.get("/api/v1/rules/licence-check.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "gmLicenceCheck" in script.text
    login = client.post(
        "/login",
        data={"username": "alice", "password": world.passwords["alice"]},
        follow_redirects=False,
    )
    assert login.status_code == 303
    page = client.get("/map")
    assert page.status_code == 200
    assert 'src="/api/v1/rules/licence-check.js"' in page.text
    assert 'data-crs="wgs84"' in page.text


def test_every_rules_inspections_and_tickets_route_declares_its_action() -> None:
    from api.routes import inspections, rules, tickets
    from gridmgmt.policy import action_of

    undeclared = [
        f"{sorted(route.methods)} {route.path}"
        for module in (rules, inspections, tickets)
        for route in module.router.routes
        if route.path != "/api/v1/rules/licence-check.js"  # a static script, no data
        and not any(action_of(d.dependency) for d in route.dependencies)  # type: ignore[attr-defined]
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    "path", ["/api/v1/inspections", "/api/v1/tickets", f"/api/v1/tickets/overdue?county={XINGHE}"]
)
def test_a_dispatcher_may_not_read_inspections_or_tickets(
    client: TestClient, bearer: Headers, api_url: str, path: str
) -> None:
    add_test_user(api_url, "dora", "a-long-dispatch-passphrase", UserRole.DISPATCHER, [XINGHE])
    refused = client.get(path, headers=bearer("dora"))
    assert refused.status_code == 403
    assert refused.json()["kind"] == "access_denied"
    allowed = client.get(f"/api/v1/rules/red-lines?county={XINGHE}", headers=bearer("dora"))
    assert allowed.status_code == 200  # the rules themselves are for every role


@pytest.mark.usefixtures("officers")
def test_error_kinds_of_inspections_and_tickets(client: TestClient, bearer: Headers) -> None:
    missing = client.get("/api/v1/inspections/999", headers=bearer("bob"))
    assert (missing.status_code, missing.json()["kind"]) == (404, "not_found")
    first = _bob_draw(client, bearer)
    again = client.post(
        "/api/v1/inspections",
        headers=bearer("bob"),
        json={"county": TIANZHEN, "period": "2026-11", "seed": 1},
    )
    assert (again.status_code, again.json()["kind"]) == (409, "conflict")
    assert again.json()["current"]["id"] == first["id"]  # the draw in the way
    bad = client.post(
        "/api/v1/inspections",
        headers=bearer("bob"),
        json={"county": TIANZHEN, "period": "November"},
    )
    assert (bad.status_code, bad.json()["kind"]) == (422, "invalid_input")
    ticket = _bob_ticket(client, bearer)
    skip = client.post(
        f"/api/v1/tickets/{ticket['ticket_no']}/advance",
        headers=bearer("bob"),
        json={"to": "handled"},
    )
    assert (skip.status_code, skip.json()["kind"]) == (409, "conflict")
