"""Price checks and joint sweeps over the JSON API: medians, gaps, outliers, planning a
sweep, reading and verifying it, recording results with ``base_version`` (409 when stale),
and who may do what (403 by role, 404 outside the sweep's counties)."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box, mapping
from sqlalchemy import func, select

from api.main import create_app
from api.security import COOKIE_NAME, create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.imports import import_file
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Retailer, User, UserCounty
from gridmgmt.store.models.prices import SweepRecord, SweepTarget

from ..gridmgmt.prices.prices_world import EAST, WEST, licence, load_world
from .conftest import SECRET, make_settings

FAR = "130728"
DAY = dt.date.today() + dt.timedelta(days=7)
USERS = {
    "both-liaison": (UserRole.LIAISON, [WEST, EAST]),
    "west-liaison": (UserRole.LIAISON, [WEST]),
    "east-officer": (UserRole.OFFICER, [EAST]),
    "east-dispatcher": (UserRole.DISPATCHER, [EAST]),
    "far-liaison": (UserRole.LIAISON, [FAR]),
}


@pytest.fixture(scope="module")
def _template(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prices-api")
    path = folder / "prices.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    load_world(url, folder)
    far = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": FAR, "name": "怀安县", "province": "河北省"},
                "geometry": mapping(box(115.0, 40.0, 115.5, 40.4)),
            }
        ],
    }
    (folder / "far.geojson").write_text(json.dumps(far, ensure_ascii=False), encoding="utf-8")
    with db.transaction(url) as session:
        import_file(session, SYSTEM, "counties", folder / "far.geojson")
    with db.transaction(url) as session:
        for name, (role, counties) in USERS.items():
            links = [UserCounty(county_code=c) for c in counties]
            session.add(User(username=name, role=role, password_hash="-", county_links=links))
    db.dispose_engine(url)
    return path


@pytest.fixture
def prices_url(_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "prices.db"
    shutil.copy(_template, path)
    url = f"sqlite:///{path}"
    yield url
    db.dispose_engine(url)


@pytest.fixture
def api(prices_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(prices_url))) as client:
        yield client


def auth(username: str) -> dict[str, str]:
    token = create_access_token(username, secret_key=SECRET, minutes=30)
    return {"Authorization": f"Bearer {token}"}


def _plan(api: TestClient, user: str = "both-liaison", **extra: Any) -> Any:
    body = {"counties": [WEST, EAST], "planned_for": str(DAY), "seed": 11, "target_share": 0.5}
    return api.post("/api/v1/sweeps", json=body | extra, headers=auth(user))


def test_medians_gaps_and_outliers(api: TestClient) -> None:
    medians = api.get("/api/v1/prices/medians", headers=auth("both-liaison"))
    assert medians.status_code == 200, medians.text
    by_county = {m["county_code"]: m["median"] for m in medians.json()["by_county"]}
    assert by_county == {WEST: 41.0, EAST: 45.5}
    groups = {m["group_code"]: m["median"] for m in medians.json()["by_group"]}
    assert groups == {"G-W": 41.0, "G-E": 45.5}
    gaps = api.get("/api/v1/prices/gaps", headers=auth("west-liaison")).json()
    (gap,) = gaps["gaps"]
    medians_by_side = {gap["county_a"]: gap["median_a"], gap["county_b"]: gap["median_b"]}
    assert (medians_by_side, gap["cheaper"]) == ({WEST: 42.0, EAST: 46.0}, WEST)
    assert gaps["borders"]["features"][0]["properties"]["flagged"] == int(gap["flagged"])
    # the neighbour's side leaves as a median and a count: no licence of theirs
    assert licence("E1") not in str(gaps)
    outliers = api.get(f"/api/v1/prices/outliers?county={EAST}", headers=auth("east-officer"))
    assert licence("E4") in {o["licence_no"] for o in outliers.json()["outliers"]}


def test_price_reads_are_scoped_and_checked(api: TestClient) -> None:
    answer = api.get(f"/api/v1/prices/medians?county={EAST}", headers=auth("west-liaison"))
    assert (answer.status_code, answer.json()["kind"]) == (404, "not_found")
    answer = api.get("/api/v1/prices/medians", headers=auth("east-dispatcher"))
    assert (answer.status_code, answer.json()["kind"]) == (403, "access_denied")
    answer = api.get("/api/v1/prices/gaps?start=2026-13-01", headers=auth("west-liaison"))
    assert answer.status_code == 422


def test_plan_read_verify_and_record_with_base_version(api: TestClient, prices_url: str) -> None:
    planned = _plan(api)
    assert planned.status_code == 201, planned.text
    sweep = planned.json()
    number = sweep["sweep_no"]
    assert sweep["targets"] == 3
    assert sweep["candidates"] == 6
    assert all(team["counties"] == sorted([WEST, EAST]) for team in sweep["teams"])
    east = auth("east-officer")
    assert [s["sweep_no"] for s in api.get("/api/v1/sweeps", headers=east).json()] == [number]
    teams = api.get(f"/api/v1/sweeps/{number}/teams", headers=east).json()
    assert teams == sweep["teams"]
    targets = api.get(f"/api/v1/sweeps/{number}/targets", headers=east).json()
    assert [t["licence_no"] for t in targets] == [t["licence_no"] for t in sweep["target_rows"]]
    assert api.get(f"/api/v1/sweeps/{number}/verify", headers=east).json()["ok"] is True
    target = targets[0]
    result = {
        "licence_no": target["licence_no"],
        "outcome": "violation",
        "violations": 2,
        "seized_cartons": 12,
        "inspected_on": str(DAY),
        "base_version": target["version"],
    }
    first = api.post(f"/api/v1/sweeps/{number}/results", json=result, headers=east)
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["recorded_by"]) == (1, "east-officer")
    # a second recorder who read version 0 too is told, and nothing is overwritten
    stale = api.post(
        f"/api/v1/sweeps/{number}/results",
        json=result | {"outcome": "compliant", "violations": 0},
        headers=auth("both-liaison"),
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["recorded_by"] == "east-officer"
    detail = api.get(f"/api/v1/sweeps/{number}", headers=east).json()
    assert (detail["recorded"], detail["violations"], detail["seized_cartons"]) == (1, 2, 12.0)
    fresh = result | {"violations": 3, "base_version": 1}
    again = api.post(f"/api/v1/sweeps/{number}/results", json=fresh, headers=auth("both-liaison"))
    assert again.status_code == 200
    assert again.json()["version"] == 2


def test_sweep_refusals_change_nothing(api: TestClient, prices_url: str) -> None:
    number = _plan(api).json()["sweep_no"]
    # planning: officers may not (403); a liaison of one county may not plan over another (404)
    assert _plan(api, "east-officer").status_code == 403
    assert _plan(api, "west-liaison").status_code == 404
    bad = _plan(api, counties=[WEST])
    assert bad.status_code == 422
    # outsiders do not see it; dispatchers may not read sweeps
    far = auth("far-liaison")
    for path in (f"/api/v1/sweeps/{number}", f"/api/v1/sweeps/{number}/verify"):
        assert api.get(path, headers=far).status_code == 404
    assert api.get("/api/v1/sweeps", headers=far).json() == []
    assert api.get("/api/v1/sweeps", headers=auth("east-dispatcher")).status_code == 403
    body = {"licence_no": licence("W1"), "outcome": "compliant", "inspected_on": str(DAY)}
    assert api.post(f"/api/v1/sweeps/{number}/results", json=body, headers=far).status_code == 404
    wrong = body | {"licence_no": licence("W4")}  # far from the border: never a target
    answer = api.post(f"/api/v1/sweeps/{number}/results", json=wrong, headers=auth("east-officer"))
    assert (answer.status_code, answer.json()["kind"]) == (422, "invalid_input")
    with db.transaction(prices_url) as session:
        assert session.scalar(select(func.count()).select_from(SweepRecord)) == 1
        refused = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "refused")
        )
    assert refused >= 5


# -- the pages -------------------------------------------------------------------------------


ORIGIN = {"Origin": "http://testserver"}


def _page_as(api: TestClient, username: str) -> TestClient:
    api.cookies.clear()
    api.cookies.set(COOKIE_NAME, create_access_token(username, secret_key=SECRET, minutes=30))
    return api


def test_prices_page_shows_gaps_medians_and_outliers(api: TestClient) -> None:
    page = _page_as(api, "both-liaison").get("/prices")
    assert page.status_code == 200, page.text
    assert "价格互查" in page.text  # Chinese by default
    assert "gm-price-gap" in page.text  # the border drawn on the map
    assert 'id="cr-gaps"' in page.text
    assert "G-W" in page.text  # a group's medians
    assert licence("E4") in page.text  # an outlier of the liaison's counties
    west = _page_as(api, "west-liaison").get("/prices")
    assert licence("E1") not in west.text  # the other side only as a median
    assert "¥46.00" in west.text


def test_sweep_pages_plan_record_and_show_a_stale_result(api: TestClient, prices_url: str) -> None:
    client = _page_as(api, "both-liaison")
    form = {"counties": [WEST, EAST], "planned_for": str(DAY), "seed": "11", "target_share": "50"}
    planned = client.post("/sweeps", data=form, headers=ORIGIN, follow_redirects=False)
    assert planned.status_code == 303, planned.text
    page = client.get(planned.headers["location"])
    assert page.status_code == 200
    assert "gm-sweep-target" in page.text
    with db.transaction(prices_url) as session:
        number, licence_no = session.execute(
            select(SweepRecord.sweep_no, Retailer.licence_no)
            .join(SweepTarget, SweepTarget.sweep_id == SweepRecord.id)
            .join(Retailer, Retailer.id == SweepTarget.retailer_id)
            .order_by(SweepTarget.position)
        ).first()
    result = {"licence_no": licence_no, "base_version": "0", "outcome": "violation"}
    result |= {"inspected_on": str(DAY), "violations": "2", "seized_cartons": "3"}
    officer = _page_as(api, "east-officer")
    assert "cr-plan-form" not in officer.get("/sweeps").text  # officers record, not plan
    saved = officer.post(
        f"/sweeps/{number}/results", data=result, headers=ORIGIN, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    # the liaison's page still showed version 0: told, nothing overwritten
    stale = _page_as(api, "both-liaison").post(
        f"/sweeps/{number}/results", data=result | {"outcome": "compliant"}, headers=ORIGIN
    )
    assert stale.status_code == 409
    assert "cr-conflict" in stale.text
    assert "east-officer" in stale.text
    wrong = client.post(
        f"/sweeps/{number}/results",
        data=result | {"base_version": "1", "violations": "x"},
        headers=ORIGIN,
    )
    assert wrong.status_code == 422
    with db.transaction(prices_url) as session:
        target = session.scalars(select(SweepTarget).order_by(SweepTarget.position)).first()
        assert (target.outcome.value, target.version, target.violations) == ("violation", 1, 2)
    verified = client.get(f"/sweeps/{number}?verify=1")
    assert 'id="cr-verified"' in verified.text
    assert "om-flash" in verified.text
    bad = client.post("/sweeps", data={"counties": [WEST], "planned_for": str(DAY)}, headers=ORIGIN)
    assert bad.status_code == 422
    assert "om-errors" in bad.text


def test_report_page_has_map_charts_tables_and_a_chinese_excel(api: TestClient) -> None:
    client = _page_as(api, "both-liaison")
    page = client.get("/cooperation/report")
    assert page.status_code == 200, page.text
    text = page.text
    assert '<svg class="cr-chart"' in text  # charts drawn on the server
    assert "<script src=" in text
    assert "cdn" not in text.lower()
    assert 'id="section-price_gaps"' in text
    assert 'id="section-sweeps"' in text
    assert "跨界价差" in text  # section titles translated
    assert "gm-price-gap" in text  # the border with its flagged gap on the map
    export = re.search(r'href="([^"]*report/export[^"]*)"', text)
    assert export is not None
    book = client.get(html.unescape(export.group(1)))
    assert book.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    assert sheets[:2] == ["通报", "案件与查获"]
    wrong = client.get("/cooperation/report?scope=pair:140222,150924&quarter=2026Q5")
    assert wrong.status_code == 422
    assert "2026Q5" in wrong.text


@pytest.mark.parametrize(
    ("username", "path", "code"),
    [
        ("east-dispatcher", "/prices", 403),
        ("east-dispatcher", "/sweeps", 403),
        ("east-officer", "/cooperation/report", 403),
        ("east-officer", "/prices", 200),
        ("far-liaison", "/cooperation/report?scope=pair:140222,150924", 422),
    ],
)
def test_pages_refuse_by_role_and_county(
    api: TestClient, username: str, path: str, code: int
) -> None:
    assert _page_as(api, username).get(path).status_code == code


def test_a_sweep_page_of_other_counties_is_not_found(api: TestClient) -> None:
    number = _plan(api).json()["sweep_no"]
    assert _page_as(api, "far-liaison").get(f"/sweeps/{number}").status_code == 404
    assert _page_as(api, "east-officer").get(f"/sweeps/{number}").status_code == 200
