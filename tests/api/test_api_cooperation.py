"""Cooperation areas over the JSON API and the pages: roles, county scope, conflicts, files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.security import create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.store import db

from ..gridmgmt.leads.leads_world import HUAIAN, TIANZHEN, XINGHE, seed
from .conftest import SECRET, add_test_user, make_settings

ORIGIN = {"Origin": "http://testserver"}
PASSWORD = "coop-test-password"
USERS = {
    "xl": (UserRole.LIAISON, XINGHE),
    "xo": (UserRole.OFFICER, XINGHE),
    "xd": (UserRole.DISPATCHER, XINGHE),
    "xa": (UserRole.ADMIN, XINGHE),
    "tl": (UserRole.LIAISON, TIANZHEN),
    "hl": (UserRole.LIAISON, HUAIAN),
    "ha": (UserRole.ADMIN, HUAIAN),
}


@pytest.fixture(scope="session")
def _coop_api_template(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("coop-api") / "coop.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    seed(url)
    for name, (role, county) in USERS.items():
        add_test_user(url, name, PASSWORD, role, [county])
    db.dispose_engine(url)
    return path


@pytest.fixture
def client(_coop_api_template: Path, tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "coop.db"
    shutil.copy(_coop_api_template, path)
    url = f"sqlite:///{path}"
    with TestClient(create_app(make_settings(url))) as test_client:
        yield test_client
    db.dispose_engine(url)


def _as(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(user, secret_key=SECRET, minutes=30)}"}


def test_areas_liaisons_and_contacts_over_the_api(client: TestClient) -> None:
    body = {"code": "xt", "name": "兴天协作区", "counties": [XINGHE, TIANZHEN]}
    assert client.post("/api/v1/cooperation/areas", json=body, headers=_as("xl")).status_code == 403
    created = client.post("/api/v1/cooperation/areas", json=body, headers=_as("xa"))
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/cooperation/areas", json=body, headers=_as("xa")).status_code == 409
    assert client.get("/api/v1/cooperation/areas/xt", headers=_as("hl")).status_code == 404
    assert client.get("/api/v1/cooperation/areas", headers=_as("xd")).status_code == 403
    assert [a["code"] for a in client.get("/api/v1/cooperation/areas", headers=_as("tl")).json()]
    liaison = {"county_code": XINGHE, "name": "王建国", "mobile": "13900001111"}
    added = client.post("/api/v1/cooperation/liaisons", json=liaison, headers=_as("xl"))
    assert added.status_code == 201, added.text
    other = {"county_code": TIANZHEN, "name": "李四", "phone": "1"}
    assert (
        client.post("/api/v1/cooperation/liaisons", json=other, headers=_as("xl")).status_code
        == 404
    )
    entry = added.json()
    stale = {"version": entry["version"] + 5, "title": "队长"}
    url = f"/api/v1/cooperation/liaisons/{entry['id']}"
    answer = client.put(url, json=stale, headers=_as("xl"))
    assert answer.status_code == 409
    assert answer.json()["current"] == {"version": 1}
    assert (
        client.put(url, json={"version": 1, "title": "队长"}, headers=_as("xl")).json()["version"]
        == 2
    )
    contacts = client.get("/api/v1/cooperation/areas/xt/contacts", headers=_as("tl")).json()
    assert [r["name"] for r in contacts["rows"]] == ["王建国"]
    assert [c["code"] for c in contacts["missing"]] == [TIANZHEN]
    xlsx = client.get("/api/v1/cooperation/areas/xt/contacts/export?format=xlsx", headers=_as("tl"))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert 'filename="contacts-xt.xlsx"' in xlsx.headers["content-disposition"]
    pairs = client.get("/api/v1/cooperation/adjacency", headers=_as("xd")).json()
    assert [(p["county_a"], p["county_b"]) for p in pairs] == [
        (HUAIAN, TIANZHEN),
        (TIANZHEN, XINGHE),
    ]
    change = {"version": 1, "counties": [XINGHE, TIANZHEN, HUAIAN]}
    assert (
        client.put("/api/v1/cooperation/areas/xt", json=change, headers=_as("ha")).status_code
        == 404
    )
    assert (
        client.put("/api/v1/cooperation/areas/xt", json=change, headers=_as("xa")).json()["version"]
        == 2
    )
    assert (
        client.delete("/api/v1/cooperation/areas/xt?version=1", headers=_as("xa")).status_code
        == 409
    )
    assert (
        client.delete("/api/v1/cooperation/areas/xt?version=2", headers=_as("xa")).status_code
        == 204
    )


def _login(client: TestClient, user: str) -> None:
    answer = client.post(
        "/login",
        data={"username": user, "password": PASSWORD},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_pages_show_the_area_and_take_a_liaison(client: TestClient) -> None:
    body = {"code": "xt", "name": "兴天协作区", "counties": [XINGHE, TIANZHEN]}
    client.post("/api/v1/cooperation/areas", json=body, headers=_as("xa"))
    _login(client, "xl")
    page = client.get("/cooperation")
    assert page.status_code == 200
    assert "兴天协作区" in page.text
    assert 'class="cp-province"' in page.text
    assert 'href="/cooperation"' in page.text  # in the header
    form = {"county_code": XINGHE, "name": "王建国", "mobile": "13900001111"}
    sent = client.post(
        "/cooperation/areas/xt/liaisons", data=form, headers=ORIGIN, follow_redirects=False
    )
    assert sent.status_code == 303
    listed = client.get("/cooperation/areas/xt")
    assert listed.text.count('class="cp-contact"') == 1
    again = client.post("/cooperation/areas/xt/liaisons", data=form, headers=ORIGIN)
    assert again.status_code == 409
    assert "王建国" in again.text
    _login(client, "hl")
    assert client.get("/cooperation/areas/xt").status_code == 404
    _login(client, "xd")
    assert client.get("/cooperation").status_code == 403


def test_the_quarterly_report_over_the_api(client: TestClient) -> None:
    body = {"code": "xt", "name": "兴天协作区", "counties": [XINGHE, TIANZHEN]}
    client.post("/api/v1/cooperation/areas", json=body, headers=_as("xa"))
    url = "/api/v1/cooperation/report?quarter=2026Q1&area=xt"
    report = client.get(url, headers=_as("tl"))
    assert report.status_code == 200, report.text
    cases = report.json()["sections"][0]
    assert cases["key"] == "cases"
    assert [r[:3] for r in cases["rows"]] == [
        ["天镇县 140222", "smuggled", 1],
        ["兴和县 150924", "counterfeit", 1],
        ["兴和县 150924", "unlicensed_sale", 1],
    ]
    assert client.get(url, headers=_as("xo")).status_code == 403
    assert client.get(url, headers=_as("hl")).status_code == 404
    bad = client.get("/api/v1/cooperation/report?quarter=Q9&area=xt", headers=_as("tl"))
    assert bad.status_code == 422
    xlsx = client.get(url.replace("/report?", "/report/export?"), headers=_as("xa"))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
