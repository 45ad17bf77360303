"""The dispatcher in Chromium: the routes map file, the /dispatch page's main path, and the
printable manifest at A4 width. Each fails on any console error or failed request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gridmgmt.jobs import cluster
from gridmgmt.routing.model import DayPlan, DepotSite, PlannedRoute, PlannedStop
from gridmgmt.store import db
from gridmgmt.store.models.routes import RoutePlanRecord
from maps.assets import write_map
from maps.routes import build_routes_map
from tests.gridmgmt.services.routes_world import write_grid_osm

from ..api.dispatch_world import DAY, DEPOT, EVIL, seed_dispatch
from ._web import StrictPage, serve

pytestmark = pytest.mark.browser
A4_WIDTH_PX = 794  # 210 mm at 96 dpi


@pytest.fixture(scope="module", autouse=True)
def _dask_cluster() -> Iterator[None]:
    yield
    cluster.shutdown()


@dataclass(frozen=True)
class DispatchApp:
    url: str
    database_url: str
    password: str
    on_day: dict[str, str]


@pytest.fixture
def dispatch_app(sqlite_url: str, tmp_path: Path) -> Iterator[DispatchApp]:
    """The app on loopback over the API tests' world plus a depot, its orders and dora."""
    from api.main import create_app

    from ..api.conftest import make_settings, seed

    seed(sqlite_url)
    password, on_day = seed_dispatch(sqlite_url)
    roads = write_grid_osm(tmp_path / "roads.osm", (113.5, 40.7, 114.3, 41.2), n=41)
    with serve(create_app(make_settings(sqlite_url, roads_file=roads))) as url:
        yield DispatchApp(url, sqlite_url, password, on_day)


def _stop(k: int, licence: str, lon: float, lat: float) -> PlannedStop:
    return PlannedStop(f"{licence}@x", licence, k, k, lon, lat, 10, 0, 0, 60, 100.0, 10.0)


def test_routes_map_file_opens_with_popups_and_names_as_text(
    offline: Any, tmp_path: Path, screenshots: Path
) -> None:
    depot = DepotSite("D1", 113.9, 40.9, name="兴和县配送中心")
    stops = (_stop(1, "a", 113.92, 40.91), _stop(2, "b", 113.95, 40.93))
    route = PlannedRoute("V1#1", "V1", "D1", 100, 8 * 3600, 9 * 3600, stops, 50.0, 5.0)
    other = PlannedRoute(
        "V2#1", "V2", "D1", 100, 8 * 3600, 9 * 3600, (_stop(1, "c", 113.87, 40.88),), 50.0, 5.0
    )
    plan = DayPlan(dt.date(2026, 11, 16), (route, other), ())
    m = build_routes_map([(depot, plan, {})], names={"a": EVIL, "b": "福利超市"})
    path = write_map(m, tmp_path / "routes.html")
    page = offline.page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(path.as_uri())
    page.wait_for_selector(".gm-stop", timeout=10_000)
    assert page.locator(".gm-stop").count() == 3
    assert page.locator(".gm-depot").count() == 1
    page.locator(".gm-stop").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert EVIL in popup.inner_text()
    assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(screenshots / "routes-map-file-1366.png"))
    assert offline.errors == []
    assert offline.blocked == []


def _log_in(page: Any, base: str, password: str) -> None:
    page.goto(f"{base}/dispatch")
    page.wait_for_url(f"{base}/login?next=/dispatch")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", password)
    page.click("form.gm-card button[type=submit]")
    page.wait_for_url(f"{base}/dispatch")


def test_dispatcher_plans_a_day_and_downloads_its_manifest(
    dispatch_app: DispatchApp, strict_page: StrictPage, screenshots: Path, tmp_path: Path
) -> None:
    page, base = strict_page.page, dispatch_app.url
    width = page.viewport_size["width"]
    _log_in(page, base, dispatch_app.password)
    # Choose depot and date.
    page.select_option("#gd-depot", DEPOT)
    page.fill("#gd-date", DAY.isoformat())
    page.click(".gd-choose button[type=submit]")
    page.wait_for_url(f"{base}/dispatch?depot={DEPOT}&date={DAY.isoformat()}")
    page.wait_for_selector("#gd-no-plan:not([hidden])")
    page.fill("#gd-seconds", "2")
    page.screenshot(path=str(screenshots / f"dispatch-empty-{width}.png"), full_page=True)
    # Plan: the job's progress shows while the solver runs.
    page.click("#gd-plan")
    page.wait_for_selector("#gd-job:not([hidden])", timeout=5_000)
    page.wait_for_function("() => document.getElementById('gd-progress').value > 0", timeout=20_000)
    page.screenshot(path=str(screenshots / f"dispatch-progress-{width}.png"))
    page.wait_for_function("() => document.body.dataset.planVersion === '1'", timeout=60_000)
    assert "第 1 版" in page.locator("#gd-outcome").inner_text()
    # The routes on the map: one colour per vehicle, stops numbered.
    with db.transaction(dispatch_app.database_url) as session:
        record = session.scalars(select(RoutePlanRecord)).one()
        served, vehicles = record.orders_served, record.vehicles
        assert (record.depot_code, record.version, record.is_current) == (DEPOT, 1, True)
        assert record.created_by == "dora"
    assert served + record.orders_unserved == len(dispatch_app.on_day)
    assert page.locator(".gd-stop").count() == served
    assert page.locator("#gd-routes tbody tr").count() == vehicles
    colours = page.eval_on_selector_all(".gd-stop", "els => els.map(e => e.style.background)")
    assert len(set(colours)) == vehicles
    numbers = page.eval_on_selector_all(".gd-stop", "els => els.map(e => e.textContent)")
    assert "1" in numbers
    assert page.locator("#gd-figures .gd-figure").count() == 6
    assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(screenshots / f"dispatch-planned-{width}.png"))
    page.screenshot(path=str(screenshots / f"dispatch-planned-full-{width}.png"), full_page=True)
    # A stop's popup offers the move and the drop; the shop's name is text.
    _open_first_stop(page)
    assert page.locator(".gd-popup strong").inner_text() in dispatch_app.on_day.values()
    page.screenshot(path=str(screenshots / f"dispatch-popup-{width}.png"))
    # Move that stop to the other route, draw a closure, re-optimise, compare the versions.
    page.locator(".gd-popup-actions button").first.click()
    assert page.locator("#gd-edits li").count() == 1
    _draw_closure(page)
    assert "3" in page.locator("#gd-draw-hint").inner_text()
    page.click("#gd-replan")
    page.wait_for_function("() => document.body.dataset.planVersion === '2'", timeout=60_000)
    with db.transaction(dispatch_app.database_url) as session:
        records = session.scalars(select(RoutePlanRecord).order_by(RoutePlanRecord.version)).all()
        assert [(r.version, r.is_current) for r in records] == [(1, False), (2, True)]
        assert len(records[1].closures) == 1
        vehicles = records[1].vehicles
    page.click("#gd-compare")
    page.wait_for_selector("#gd-diff table")
    page.locator("#gd-diff").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"dispatch-compare-{width}.png"))
    # The manifest: Excel downloads; the printable page opens.
    with page.expect_download() as download:
        page.click("#gd-manifests a[data-format=xlsx]")
    saved = tmp_path / "manifest.xlsx"
    download.value.save_as(saved)
    assert saved.stat().st_size > 0
    html = page.locator("#gd-manifests a[data-format=html]").get_attribute("href")
    page.goto(base + html)
    page.wait_for_selector("section.route")
    assert page.locator("svg.gm-sketch").count() == vehicles
    if width > 600:
        _printable_at_a4(page, screenshots)


# The map pane unmoved for this many frames in a row: the popup's auto-pan is over.
_STILL_FRAMES = """() => new Promise(done => {
  const pane = document.querySelector(".leaflet-map-pane");
  let last = pane.style.transform, still = 0;
  const tick = () => {
    const now = pane.style.transform;
    still = now === last ? still + 1 : 0;
    last = now;
    if (still >= 15) { done(true); } else { requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
})"""


def _open_first_stop(page: Any) -> None:
    """Open the first stop's popup and wait until the map has panned it into view: on a
    phone the pan may start after the popup shows, and a click during it lands on the map."""
    page.locator(".gd-stop-icon").first.click()
    page.wait_for_selector(".gd-popup")
    page.evaluate(_STILL_FRAMES)


def _drop_first_stop(page: Any) -> None:
    _open_first_stop(page)
    page.locator(".gd-popup-actions button").nth(1).click()  # drop from the day
    assert page.locator("#gd-edits li").count() == 1


def test_a_replan_from_a_stale_plan_says_so_and_stores_nothing(
    dispatch_app: DispatchApp, strict_page: StrictPage, screenshots: Path
) -> None:
    """Two tabs edit the same day: the first replan is stored; the second, made on the plan
    read before, is refused with a plain message and the plan in force is shown."""
    first, base = strict_page.page, dispatch_app.url
    width = first.viewport_size["width"]
    _log_in(first, base, dispatch_app.password)
    day = f"{base}/dispatch?depot={DEPOT}&date={DAY.isoformat()}"
    first.goto(day)
    first.fill("#gd-seconds", "1")
    first.click("#gd-plan")
    first.wait_for_function("() => document.body.dataset.planVersion === '1'", timeout=60_000)
    second_tab = StrictPage(first.context.new_page()).attach()
    second = second_tab.page
    second.goto(day)
    second.wait_for_function("() => document.body.dataset.planVersion === '1'", timeout=20_000)
    second.fill("#gd-seconds", "1")
    _drop_first_stop(first)
    first.click("#gd-replan")
    first.wait_for_function("() => document.body.dataset.planVersion === '2'", timeout=60_000)
    _drop_first_stop(second)
    second.click("#gd-replan")
    # The plan in force (version 2) is loaded in its place, the stale edits are gone.
    second.wait_for_function("() => document.body.dataset.planVersion === '2'", timeout=60_000)
    outcome = second.locator("#gd-outcome")
    assert "他人已同时保存了当天的计划" in outcome.inner_text()
    assert "gd-bad" in (outcome.get_attribute("class") or "")
    assert second.locator("#gd-edits li").count() == 0
    assert second.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    second.screenshot(path=str(screenshots / f"dispatch-conflict-{width}.png"))
    second_tab.check()
    with db.transaction(dispatch_app.database_url) as session:
        records = session.scalars(select(RoutePlanRecord).order_by(RoutePlanRecord.version)).all()
        assert [(r.version, r.is_current) for r in records] == [(1, False), (2, True)]


def _draw_closure(page: Any) -> None:
    """Three corners on the map: click, click, double-click."""
    page.click("#gd-draw")
    box = page.locator("#gd-map").bounding_box()
    corners = [(0.15, 0.2), (0.35, 0.2), (0.25, 0.5)]
    for k, (fx, fy) in enumerate(corners):
        x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
        if k < len(corners) - 1:
            page.mouse.click(x, y)
            page.wait_for_timeout(450)
        else:
            page.mouse.dblclick(x, y)


def _printable_at_a4(page: Any, screenshots: Path) -> None:
    """The printable manifest at A4 width: no column falls off the page."""
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    page.emulate_media(media="print")
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= A4_WIDTH_PX
    right = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('th, td'))"
        ".map(c => c.getBoundingClientRect().right))"
    )
    assert right <= A4_WIDTH_PX
    page.screenshot(path=str(screenshots / "manifest-a4-794.png"), full_page=True)
    page.pdf(path=str(screenshots / "manifest-a4.pdf"), format="A4")
    page.emulate_media(media="screen")
