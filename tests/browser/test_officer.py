"""The officer's day in Chromium at 1366x768 and 390x844: log in, the grids map with its
retailers, search, the licence check, "where am I", a retailer's file, an inspection result
recorded and a ticket moved on, each checked on the page and in the database; a retailer
named as markup shows as text everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gridmgmt.store import db
from gridmgmt.store.models.rules import InspectionResult, TicketRecord

from ..api.officer_world import EVIL_LICENCE, EVIL_NAME, OfficerWorld, add_officer_world
from ._web import StrictPage, save_screenshots
from .conftest import WebApp

pytestmark = pytest.mark.browser

RETAILERS_JS = """() => ({
    single: document.querySelectorAll('path.om-retailer').length,
    clustered: Array.from(document.querySelectorAll('.marker-cluster span'))
        .reduce((sum, span) => sum + parseInt(span.textContent, 10), 0),
    grids: document.querySelectorAll('path.leaflet-interactive').length,
})"""


@pytest.fixture
def field(web_app: WebApp) -> OfficerWorld:
    return add_officer_world(web_app.database_url)


def _log_in(page: Any, web_app: WebApp, path: str) -> None:
    page.goto(f"{web_app.url}{path}")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", web_app.passwords["alice"])
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def _no_markup_ran(page: Any) -> None:
    """The markup name is text: no element was made from it, no script ran."""
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
    assert page.evaluate("() => window.__alerted === undefined")


def _grids_map(page: Any, screenshots: Path, name: str) -> None:
    page.wait_for_selector("#om-map[data-ready=true]", timeout=15_000)
    counts: dict[str, int] = {}
    steady = 0
    for _ in range(40):  # cluster icons are swapped while the map zooms: two looks agree
        page.wait_for_timeout(250)
        counts = page.evaluate(RETAILERS_JS)
        steady = steady + 1 if counts["single"] + counts["clustered"] == 4 else 0
        if steady == 2:
            break
    assert counts["single"] + counts["clustered"] == 4, counts
    assert counts["grids"] >= 2, counts
    assert "4" in page.inner_text("#om-status")
    save_screenshots(page, screenshots, f"{name}-grids")


def _search_and_popup(page: Any) -> None:
    page.fill("#om-q", "onerror")
    hit = page.locator(".om-hit").first
    hit.wait_for()
    assert EVIL_NAME in hit.inner_text()
    hit.click()
    popup = page.locator(".om-retailer-popup")
    popup.wait_for(timeout=10_000)
    assert popup.locator(".om-name").inner_text() == EVIL_NAME
    _no_markup_ran(page)
    page.keyboard.press("Escape")
    page.evaluate("() => window.gmOfficerMap.closePopup()")


def _licence_check(page: Any, screenshots: Path, name: str) -> None:
    page.evaluate("() => window.gmOfficerMap.setView([40.9, 113.8005], 16)")
    page.wait_for_timeout(300)
    box = page.locator("#om-map").bounding_box()
    # The map's centre is 113.8005, 40.9: 50 m from two retailers, inside grid XH-01.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    answer = page.locator(".om-check-answer")
    answer.wait_for(timeout=15_000)
    text = answer.inner_text()
    assert "不可办证" in text
    assert "XH-01" in text
    assert "--roads" not in text
    assert "gridmgmt" not in text
    save_screenshots(page, screenshots, f"{name}-licence-check")
    page.evaluate("() => window.gmOfficerMap.closePopup()")


def _where_am_i(page: Any, screenshots: Path, name: str) -> None:
    page.click("#om-where")
    # "正在定位…" (locating) first; the browser's answer may come a moment later.
    page.wait_for_function(
        "() => { const text = document.getElementById('om-where-text').textContent;"
        " return text.length > 0 && text !== '正在定位…'; }",
        timeout=20_000,
    )
    assert "拒绝" in page.inner_text("#om-where-text")  # no permission given yet
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 40.9001, "longitude": 113.8011})
    page.click("#om-where")
    page.wait_for_function(
        "() => document.getElementById('om-where-text').textContent.includes('XH-01')"
    )
    assert page.locator("#om-near .om-hit").count() >= 3
    save_screenshots(page, screenshots, f"{name}-where")


def _retailer_file(page: Any, web_app: WebApp, screenshots: Path, name: str) -> None:
    page.goto(f"{web_app.url}/retailers/{EVIL_LICENCE}")
    assert page.inner_text("h1.om-retailer-name").startswith(EVIL_NAME)
    assert "2026-Q1" in page.inner_text("main")
    _no_markup_ran(page)
    save_screenshots(page, screenshots, f"{name}-retailer")


def _record_result(
    page: Any, web_app: WebApp, field: OfficerWorld, screenshots: Path, name: str
) -> None:
    page.goto(f"{web_app.url}/tasks")
    row = page.locator(f"tr[id='r-{field.draw_id}-{EVIL_LICENCE}']")
    assert EVIL_NAME in row.inner_text()
    # A violation with no violations counted is refused on the page; nothing is stored.
    row.locator("select[name=outcome]").select_option("violation")
    row.locator("input[name=inspected_on]").fill("2099-03-01")
    row.locator("input[name=violations]").fill("0")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator(".om-errors").is_visible()
    save_screenshots(page, screenshots, f"{name}-tasks-error")
    row = page.locator(f"tr[id='r-{field.draw_id}-{EVIL_LICENCE}']")
    row.locator("input[name=violations]").fill("1")
    row.locator("input[name=notes]").fill("<b>柜台</b>私售")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator(".om-flash").is_visible()
    row = page.locator(f"tr[id='r-{field.draw_id}-{EVIL_LICENCE}']")
    assert "发现违法违规" in row.locator(".om-result").inner_text()
    assert "<b>柜台</b>私售" in row.locator(".om-result").inner_text()
    save_screenshots(page, screenshots, f"{name}-tasks")
    with db.transaction(web_app.database_url) as session:
        results = list(session.scalars(select(InspectionResult)))
        assert [(r.outcome, r.violations) for r in results] == [("violation", 1)]


def _advance_ticket(
    page: Any, web_app: WebApp, field: OfficerWorld, screenshots: Path, name: str
) -> None:
    page.goto(f"{web_app.url}/tickets")
    first = page.locator("tr.om-ticket").first
    assert field.tickets[0] in first.inner_text()  # the overdue one on top
    assert EVIL_NAME in first.inner_text()
    save_screenshots(page, screenshots, f"{name}-tickets")
    with page.expect_navigation():
        first.locator("button[type=submit]").click()
    assert page.inner_text("#om-state") == "已流转"
    save_screenshots(page, screenshots, f"{name}-ticket")
    with db.transaction(web_app.database_url) as session:
        ticket = session.scalar(
            select(TicketRecord).where(TicketRecord.ticket_no == field.tickets[0])
        )
        assert ticket is not None
        assert ticket.state == "assigned"


def test_officer_main_path(
    strict_page: StrictPage,
    web_app: WebApp,
    field: OfficerWorld,
    screenshots: Path,
    viewport: dict[str, int],
) -> None:
    page = strict_page.page
    page.add_init_script("window.alert = () => { window.__alerted = true; };")
    name = f"officer-{viewport['width']}"
    _log_in(page, web_app, "/grids")
    _grids_map(page, screenshots, name)
    _search_and_popup(page)
    _licence_check(page, screenshots, name)
    _where_am_i(page, screenshots, name)
    _retailer_file(page, web_app, screenshots, name)
    strict_page.expect_status(422, f"/tasks/{field.draw_id}/results")  # provoked on purpose
    _record_result(page, web_app, field, screenshots, name)
    _advance_ticket(page, web_app, field, screenshots, name)
    _no_markup_ran(page)
