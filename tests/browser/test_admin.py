"""The administrator's day in Chromium at 1366x768 and 390x844: log in, upload a bad CSV
(every problem shown by row, nothing stored), upload a good one (the report), add a user
(the one-time password shown once), change a county's red-line distance, open the
dashboard; each checked on the page and in the database, with screenshots. The admin's
name is markup and shows as text; no page scrolls sideways."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gridmgmt.domain import StaffRole, UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.rules import get_rule_settings
from gridmgmt.store import db
from gridmgmt.store.models import Retailer, Staff, User

from ..api.conftest import TIANZHEN, XINGHE, add_test_user
from ._web import StrictPage, save_screenshots
from .conftest import WebApp

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
HEADER = "licence_no,name,address,county_code,lon,lat,tier,business_type,status,key_retailer"
NO_SIDEWAYS_JS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def _row(n: int, lon: str | None = None) -> str:
    lon = lon or f"{113.6 + n * 1e-4:.6f}"
    return f"150924{n:06d},兴和县{n}号便利店,城关镇人民路{n}号,150924,{lon},40.95,5,convenience,active,false"


def _csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _retailers(url: str) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(Retailer)) or 0)


def _fits(page: Any) -> None:
    """Nothing is cut off: the page does not scroll sideways; no markup ran."""
    assert page.evaluate(NO_SIDEWAYS_JS), page.url
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
    assert page.evaluate("() => window.__alerted === undefined")


def _log_in(page: Any, web_app: WebApp, password: str) -> None:
    page.goto(f"{web_app.url}/admin/import")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/import")


def _upload(page: Any, path: Path) -> None:
    page.select_option("select[name=kind]", "retailers")
    page.select_option("select[name=crs]", "wgs84")
    page.set_input_files("input[name=file]", str(path))
    page.click("#am-import button[type=submit]")
    page.wait_for_load_state()


def _imports(page: Any, web_app: WebApp, tmp: Path, shots: Path, name: str) -> None:
    before = _retailers(web_app.database_url)
    _upload(page, _csv(tmp / "bad.csv", _row(201), _row(202, lon="east"), _row(203, lon="999")))
    problems = page.locator("#am-problems")
    problems.wait_for()
    text = problems.inner_text()
    assert "没有导入任何数据" in text
    assert "bad.csv" in text
    assert page.locator("#am-problems tbody tr").count() >= 2
    assert _retailers(web_app.database_url) == before
    _fits(page)
    save_screenshots(page, shots, f"{name}-import-errors")
    _upload(page, _csv(tmp / "good.csv", _row(201), _row(202)))
    page.locator("#am-report").wait_for()
    assert page.inner_text("[data-figure=inserted]") == "2"
    assert _retailers(web_app.database_url) == before + 2
    _fits(page)
    save_screenshots(page, shots, f"{name}-import-report")


def _add_user(page: Any, web_app: WebApp, shots: Path, name: str) -> None:
    page.goto(f"{web_app.url}/admin/users")
    assert EVIL in page.inner_text("#u-root")  # the admin's own name, as text
    page.click("details.om-card summary")
    page.fill("input[name=username]", "carol")
    page.fill(".am-add input[name=full_name]", "卡罗尔")
    page.select_option(".am-add select[name=role]", "dispatcher")
    page.check(f"#new-{XINGHE}")
    page.click(".am-add button[type=submit]")
    page.locator("#am-created").wait_for()
    password = page.inner_text("#am-one-time")
    assert len(password) >= 10
    with db.transaction(web_app.database_url) as session:
        carol = session.scalar(select(User).where(User.username == "carol"))
        assert carol is not None
        assert (carol.role, carol.county_codes) == (UserRole.DISPATCHER, [XINGHE])
    assert page.locator("#u-carol").count() == 1
    _fits(page)
    save_screenshots(page, shots, f"{name}-users")


def _red_line(page: Any, web_app: WebApp, shots: Path, name: str) -> None:
    page.goto(f"{web_app.url}/admin/settings?county={XINGHE}")
    assert "GRIDMGMT_TILE_URL" in page.inner_text("#am-tiles")
    page.fill("input[name='red_line.distance_m.primary']", "150")
    page.click("#am-save")
    page.locator("#am-saved").wait_for()
    with db.transaction(web_app.database_url) as session:
        stored = get_rule_settings(session, SYSTEM, XINGHE).settings
    assert stored.red_line.distance_m["primary"] == 150.0  # type: ignore[index]
    _fits(page)
    save_screenshots(page, shots, f"{name}-settings")


def _dashboard(page: Any, web_app: WebApp, shots: Path, name: str) -> None:
    page.goto(f"{web_app.url}/dashboard?county={XINGHE}&period=2026")
    page.locator(".am-figures").wait_for()
    assert page.inner_text("[data-figure=status-active]") == "3"  # 1 seeded + 2 imported
    assert page.locator(".am-figure").count() == 7
    _fits(page)
    save_screenshots(page, shots, f"{name}-dashboard")


def test_admin_main_path(
    strict_page: StrictPage,
    web_app: WebApp,
    screenshots: Path,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    password = secrets.token_urlsafe(12)
    add_test_user(
        web_app.database_url, "root", password, UserRole.ADMIN, [XINGHE, TIANZHEN], full_name=EVIL
    )
    page = strict_page.page
    page.add_init_script("window.alert = () => { window.__alerted = true; };")
    strict_page.expect_status(422, "/admin/import")  # the bad file, on purpose
    name = f"admin-{viewport['width']}"
    _log_in(page, web_app, password)
    _imports(page, web_app, tmp_path, screenshots, name)
    _add_user(page, web_app, screenshots, name)
    _red_line(page, web_app, screenshots, name)
    _dashboard(page, web_app, screenshots, name)


def test_admin_links_a_login_to_a_staff_member(
    strict_page: StrictPage, web_app: WebApp, screenshots: Path, viewport: dict[str, int]
) -> None:
    password = secrets.token_urlsafe(12)
    add_test_user(web_app.database_url, "root", password, UserRole.ADMIN, [XINGHE, TIANZHEN])
    with db.transaction(web_app.database_url) as session:
        session.add_all(
            Staff(staff_no=no, name=EVIL, role=StaffRole.MONOPOLY_OFFICER, county_code=county)
            for no, county in (("150924-S1", XINGHE), ("TZ-S1", TIANZHEN))
        )
    page = strict_page.page
    page.add_init_script("window.alert = () => { window.__alerted = true; };")
    strict_page.expect_status(422, "/admin/users/alice")  # 天镇县's staff for alice, on purpose
    _log_in(page, web_app, password)
    page.goto(f"{web_app.url}/admin/users")
    field = "#u-alice input[name=staff_no]"
    page.fill(field, "TZ-S1")
    page.click("#u-alice .am-change button[type=submit]")
    page.locator("#am-errors").wait_for()
    assert "TZ-S1" in page.inner_text("#am-errors")
    assert page.input_value(field) == ""
    page.fill(field, "150924-S1")
    page.click("#u-alice .am-change button[type=submit]")
    page.locator(".om-flash").wait_for()
    assert page.input_value(field) == "150924-S1"
    with db.transaction(web_app.database_url) as session:
        linked = session.scalar(select(User.staff_no).where(User.username == "alice"))
    assert linked == "150924-S1"
    page.locator("#u-alice").scroll_into_view_if_needed()
    _fits(page)
    save_screenshots(page, screenshots, f"admin-staff-no-{viewport['width']}")
