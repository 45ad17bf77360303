"""The routes map renders in headless Chromium: numbered stops built in the page, offline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gridmgmt.routing.model import DayPlan, DepotSite, PlannedRoute, PlannedStop
from maps.assets import write_map
from maps.routes import build_routes_map

pytestmark = pytest.mark.browser


def _stop(order: str, seq: int, lon: float, lat: float) -> PlannedStop:
    return PlannedStop(order, f"r-{order}", seq, seq, lon, lat, 10, 0, 0, 9 * 3600, 100.0, 10.0)


def _route(rid: str, stops: tuple[PlannedStop, ...]) -> PlannedRoute:
    return PlannedRoute(rid, rid.split("#")[0], "D1", 100, 8 * 3600, 9 * 3600, stops, 50.0, 5.0)


def test_routes_map_draws_every_stop_with_its_number_and_popup(
    offline: Any, tmp_path: Path
) -> None:
    depot = DepotSite("D1", 114.0, 40.5, name="兴和配送站")
    one = _route("V1#1", tuple(_stop(f"a{i}", i, 114.0 + i / 100, 40.5) for i in range(1, 6)))
    two = _route("V2#1", (_stop("b1", 1, 113.95, 40.45), _stop("b2", 2, 113.9, 40.44)))
    plan = DayPlan(dt.date(2026, 11, 16), (one, two), ())
    path = write_map(build_routes_map([(depot, plan, {})]), tmp_path / "routes.html")
    offline.page.goto(path.as_uri())
    offline.page.wait_for_function("() => document.querySelectorAll('.gm-stop').length == 7")
    numbers = offline.page.eval_on_selector_all(".gm-stop", "els => els.map(e => e.textContent)")
    assert sorted(numbers) == ["1", "1", "2", "2", "3", "4", "5"]
    assert offline.page.locator(".gm-depot").count() == 1
    offline.page.locator(".gm-stop-icon").first.dispatch_event("click")
    popup = offline.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert "零售户 Retailer" in popup.inner_text()
    assert offline.blocked == []
    assert offline.errors == []
