"""The administrators' pages: import (row-by-row problems, nothing stored on error, size
limit), users (one-time password, changes, conflicts, deactivation), rule settings (errors
by field, tiles read-only), roles refused, markup in names shown as text."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.rules import get_rule_settings
from gridmgmt.services.users import list_managed_users
from gridmgmt.store import db
from gridmgmt.store.models import Retailer, User
from gridmgmt.store.models.cases import CaseRecord

from .conftest import HUAIAN, TIANZHEN, XINGHE, World, add_test_user, make_settings

ORIGIN = {"Origin": "http://testserver"}
EVIL = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
HEADER = "licence_no,name,address,county_code,lon,lat,tier,business_type,status,key_retailer"
PAGES = ("/admin/import", "/admin/users", "/admin/settings", "/dashboard")


def _row(n: int, *, name: str | None = None, lon: str | None = None) -> str:
    shown = name or f"兴和县{n}号便利店"
    lon = lon or f"{113.6 + n * 1e-4:.6f}"
    return f"150924{n:06d},{shown},城关镇人民路{n}号,150924,{lon},40.95,5,convenience,active,false"


def _csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _count(url: str, model: type) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _login(client: TestClient, username: str, password: str) -> TestClient:
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "next": "/map"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def root_password(api_url: str) -> str:
    password = secrets.token_urlsafe(12)
    add_test_user(api_url, "root", password, UserRole.ADMIN, [XINGHE, TIANZHEN], full_name=EVIL)
    return password


@pytest.fixture
def root(api_url: str, root_password: str) -> Iterator[TestClient]:
    """An administrator of 兴和县 and 天镇县, logged in, Chinese pages."""
    with TestClient(create_app(make_settings(api_url))) as client:
        yield _login(client, "root", root_password)


def _upload(client: TestClient, path: Path, kind: str = "retailers", **form: str) -> object:
    with path.open("rb") as handle:
        return client.post(
            "/admin/import",
            data={"kind": kind, "crs": "wgs84", "encoding": "", **form},
            files={"file": (path.name, handle, "text/csv")},
            headers=ORIGIN,
        )


# --- who may open them ------------------------------------------------------------------------


def test_pages_need_a_login(client: TestClient) -> None:
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_other_roles_are_refused(api_url: str, world: World) -> None:
    with TestClient(create_app(make_settings(api_url))) as client:
        _login(client, "alice", world.passwords["alice"])
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert "管理员" in answer.text
        refused = client.post("/admin/users", data={"username": "x"}, headers=ORIGIN)
        assert refused.status_code == 403
        page = client.get("/map").text
        assert 'href="/admin/import"' not in page


def test_nav_links_the_admin_pages(root: TestClient) -> None:
    page = root.get("/map").text
    for path in PAGES:
        assert f'href="{path}"' in page


def test_a_form_from_another_site_is_refused(root: TestClient, tmp_path: Path) -> None:
    answer = root.post(
        "/admin/users",
        data={"username": "eve", "role": "officer", "counties": XINGHE},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403


# --- import -----------------------------------------------------------------------------------


def test_a_bad_file_shows_every_problem_and_stores_nothing(
    root: TestClient, api_url: str, tmp_path: Path
) -> None:
    before = _count(api_url, Retailer)
    bad = _csv(tmp_path / "bad.csv", _row(1, name=EVIL), _row(2, lon="east"), _row(3))
    answer = _upload(root, bad)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert "没有导入任何数据" in text
    assert "bad.csv" in text
    assert '<td data-label="行">3</td>' in text
    assert "lon" in text
    assert EVIL not in text
    assert _count(api_url, Retailer) == before


def test_a_good_file_shows_the_report(root: TestClient, api_url: str, tmp_path: Path) -> None:
    before = _count(api_url, Retailer)
    good = _csv(tmp_path / "good.csv", _row(101, name=EVIL), _row(102))
    answer = _upload(root, good)
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert 'data-figure="inserted">2<' in text
    assert 'data-figure="rows">2<' in text
    assert _count(api_url, Retailer) == before + 2
    again = _upload(root, good).text  # type: ignore[attr-defined]
    assert 'data-figure="unchanged">2<' in again


def test_a_retailer_of_another_county_is_refused(
    root: TestClient, api_url: str, tmp_path: Path
) -> None:
    row = _row(5).replace(",150924,", f",{HUAIAN},")
    answer = _upload(root, _csv(tmp_path / "other.csv", row))
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert _count(api_url, Retailer) == 6


def test_cases_import_through_the_page(root: TestClient, api_url: str, tmp_path: Path) -> None:
    cases = [
        {
            "case_no": "XH/2026/9",
            "county_code": XINGHE,
            "opened_on": "2026-01-05",
            "type": "counterfeit",
            "entities": [{"kind": "phone", "value": "13947461234", "role": "司机"}],
        }
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    answer = _upload(root, path, kind="cases")
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert _count(api_url, CaseRecord) == 1
    path.write_text(json.dumps([{**cases[0], "opened_on": "soon"}]), encoding="utf-8")
    assert _upload(root, path, kind="cases").status_code == 422  # type: ignore[attr-defined]


def test_a_file_over_the_limit_is_refused(api_url: str, root_password: str, tmp_path: Path) -> None:
    settings = make_settings(api_url, max_upload_mb=0.001)  # about 1 kB
    rows = [_row(n) for n in range(1, 40)]
    with TestClient(create_app(settings)) as client:
        _login(client, "root", root_password)
        answer = _upload(client, _csv(tmp_path / "big.csv", *rows))
    assert answer.status_code == 413  # type: ignore[attr-defined]
    assert "MB" in answer.text  # type: ignore[attr-defined]
    assert _count(api_url, Retailer) == 6


def test_a_wrong_choice_or_no_file_is_shown(root: TestClient, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", _row(1))
    assert _upload(root, path, kind="planets").status_code == 422  # type: ignore[attr-defined]
    empty = root.post("/admin/import", data={"kind": "retailers", "crs": "wgs84"}, headers=ORIGIN)
    assert empty.status_code == 422
    assert "选择" in empty.text


# --- users ------------------------------------------------------------------------------------


def _version(url: str, username: str) -> str:
    with db.transaction(url) as session:
        return next(
            u.version for u in list_managed_users(session, SYSTEM) if u.username == username
        )


def test_add_a_user_with_a_one_time_password(root: TestClient, api_url: str) -> None:
    page = root.get("/admin/users")
    assert page.status_code == 200
    assert ESCAPED in page.text
    assert EVIL not in page.text
    answer = root.post(
        "/admin/users",
        data={"username": "carol", "full_name": "卡罗尔", "role": "dispatcher", "counties": XINGHE},
        headers=ORIGIN,
    )
    assert answer.status_code == 200, answer.text
    marker = 'id="am-one-time">'
    password = answer.text.split(marker, 1)[1].split("<", 1)[0]
    assert len(password) >= 10
    assert password not in root.get("/admin/users").text  # shown once
    with TestClient(create_app(make_settings(api_url))) as other:
        _login(other, "carol", password)
    again = root.post(
        "/admin/users",
        data={"username": "carol", "role": "officer", "counties": XINGHE},
        headers=ORIGIN,
    )
    assert again.status_code == 409


def test_a_user_outside_your_counties_is_refused(root: TestClient, api_url: str) -> None:
    answer = root.post(
        "/admin/users",
        data={"username": "hugo", "role": "officer", "counties": HUAIAN},
        headers=ORIGIN,
    )
    assert answer.status_code == 422
    assert _count(api_url, User) == 4


def test_change_role_and_counties_then_a_stale_form_conflicts(
    root: TestClient, api_url: str
) -> None:
    seen = _version(api_url, "alice")
    first = root.post(
        "/admin/users/alice",
        data={"version": seen, "role": "liaison", "counties": [XINGHE, TIANZHEN]},
        headers=ORIGIN,
    )
    assert first.status_code == 200, first.text
    with db.transaction(api_url) as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert alice is not None
        assert (alice.role, alice.county_codes) == (UserRole.LIAISON, [TIANZHEN, XINGHE])
    second = root.post(
        "/admin/users/alice",
        data={"version": seen, "role": "officer", "counties": [XINGHE]},
        headers=ORIGIN,
    )
    assert second.status_code == 409
    assert "alice" in second.text
    with db.transaction(api_url) as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert alice is not None
        assert alice.role is UserRole.LIAISON


def test_deactivate_a_user(root: TestClient, api_url: str, world: World) -> None:
    answer = root.post(
        "/admin/users/bob/deactivate",
        data={"version": _version(api_url, "bob")},
        headers=ORIGIN,
    )
    assert answer.status_code == 200, answer.text
    with TestClient(create_app(make_settings(api_url))) as other:
        refused = other.post(
            "/login",
            data={"username": "bob", "password": world.passwords["bob"], "next": "/map"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert refused.status_code != 303
    self_off = root.post(
        "/admin/users/root/deactivate", data={"version": _version(api_url, "root")}, headers=ORIGIN
    )
    assert self_off.status_code == 422


# --- settings ---------------------------------------------------------------------------------


def _settings_form(root: TestClient, **changes: str) -> dict[str, str]:
    page = root.get("/admin/settings", params={"county": XINGHE}).text
    form: dict[str, str] = {}
    for chunk in page.split("<input")[1:] + page.split("<select")[1:]:
        if 'name="' not in chunk:
            continue
        name = chunk.split('name="', 1)[1].split('"', 1)[0]
        if 'value="' in chunk.split(">", 1)[0]:
            form[name] = chunk.split('value="', 1)[1].split('"', 1)[0]
        elif "selected" in chunk:
            form[name] = chunk.split(" selected", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]
    form.update(changes)
    return form


def test_change_a_red_line_distance(root: TestClient, api_url: str) -> None:
    page = root.get("/admin/settings", params={"county": XINGHE})
    assert page.status_code == 200
    assert "GRIDMGMT_TILE_URL" in page.text
    assert "GRIDMGMT_TILE_CRS" in page.text
    form = _settings_form(root, **{"red_line.distance_m.primary": "120"})
    assert form["county"] == XINGHE
    answer = root.post("/admin/settings", data=form, headers=ORIGIN)
    assert answer.status_code == 200, answer.text
    assert "已保存" in answer.text
    with db.transaction(api_url) as session:
        stored = get_rule_settings(session, SYSTEM, XINGHE)
    assert stored.stored
    assert stored.settings.red_line.distance_m["primary"] == 120.0  # type: ignore[index]
    assert stored.settings.red_line.distance_m["middle"] == 80.0  # type: ignore[index]


def test_wrong_values_are_shown_by_field_and_nothing_is_stored(
    root: TestClient, api_url: str
) -> None:
    form = _settings_form(
        root,
        **{"red_line.distance_m.primary": "abc", "tickets.assign_hours": "-3"},
    )
    answer = root.post("/admin/settings", data=form, headers=ORIGIN)
    assert answer.status_code == 422
    assert 'id="err-red_line.distance_m.primary"' in answer.text
    assert 'id="err-tickets.assign_hours"' in answer.text
    assert 'value="abc"' in answer.text  # what was typed stays
    zero = _settings_form(root, **{"tickets.assign_hours": "0"})  # the model wants > 0
    refused = root.post("/admin/settings", data=zero, headers=ORIGIN)
    assert refused.status_code == 422
    assert 'id="err-tickets.assign_hours"' in refused.text
    with db.transaction(api_url) as session:
        assert not get_rule_settings(session, SYSTEM, XINGHE).stored


def test_a_stale_settings_form_conflicts_and_shows_the_settings_now(
    root: TestClient, api_url: str
) -> None:
    first = _settings_form(root, **{"red_line.distance_m.primary": "120"})
    second = _settings_form(root, **{"red_line.distance_m.primary": "150"})
    assert first["base_version"] == second["base_version"] == "0"
    assert root.post("/admin/settings", data=first, headers=ORIGIN).status_code == 200
    answer = root.post("/admin/settings", data=second, headers=ORIGIN)
    assert answer.status_code == 409
    assert 'id="gm-conflict"' in answer.text
    assert 'name="red_line.distance_m.primary" value="120"' in answer.text  # the settings now
    assert 'name="base_version" value="1"' in answer.text
    with db.transaction(api_url) as session:
        stored = get_rule_settings(session, SYSTEM, XINGHE)
    assert stored.version == 1
    assert stored.settings.red_line.distance_m["primary"] == 120.0  # type: ignore[index]
    damaged = root.post("/admin/settings", data={**second, "base_version": "x"}, headers=ORIGIN)
    assert damaged.status_code == 422
    root.cookies.set("gridmgmt_locale", "en")
    english = root.post("/admin/settings", data=second, headers=ORIGIN)
    assert english.status_code == 409
    assert "Someone else changed this meanwhile." in english.text


def test_another_countys_settings_answer_404(root: TestClient) -> None:
    assert root.get("/admin/settings", params={"county": HUAIAN}).status_code == 404


def test_tiles_are_shown_read_only(api_url: str, root_password: str) -> None:
    settings = make_settings(
        api_url, tile_url="http://tiles.local/{z}/{x}/{y}.png", tile_crs="gcj02"
    )
    with TestClient(create_app(settings)) as client:
        _login(client, "root", root_password)
        page = client.get("/admin/settings").text
    assert "http://tiles.local/{z}/{x}/{y}.png" in page
    assert "gcj02" in page
    assert 'name="tile_url"' not in page


def test_pages_in_english(root: TestClient) -> None:
    root.cookies.set("gridmgmt_locale", "en")
    assert "Import a file" in root.get("/admin/import").text
    assert "Users and roles" in root.get("/admin/users").text
    assert "Rule settings" in root.get("/admin/settings").text
