"""The routes map as an HTML string: colours per vehicle, numbered stops, depot, offline."""

from __future__ import annotations

import datetime as dt
import json
import re

from gridmgmt.routing.model import DayPlan, DepotSite, PlannedRoute, PlannedStop
from maps.assets import remote_references, render_html
from maps.routes import ROUTE_COLOURS, build_routes_map


def _stop(order: str, seq: int, lon: float, lat: float) -> PlannedStop:
    return PlannedStop(order, f"r-{order}", seq, seq, lon, lat, 10, 0, 0, 60, 100.0, 10.0)


def _route(rid: str, stops: tuple[PlannedStop, ...]) -> PlannedRoute:
    return PlannedRoute(rid, rid.split("#")[0], "D1", 100, 8 * 3600, 9 * 3600, stops, 50.0, 5.0)


def test_routes_map_colours_numbers_and_offline() -> None:
    depot = DepotSite("D1", 114.0, 40.5, name="兴和<中心>")
    one = _route("V1#1", (_stop("a", 1, 114.01, 40.5), _stop("b", 2, 114.02, 40.51)))
    two = _route("V2#1", (_stop("c", 1, 113.99, 40.49),))
    plan = DayPlan(dt.date(2026, 11, 16), (one, two), ())
    paths = {"V1#1": [(114.0, 40.5), (114.01, 40.5), (114.02, 40.51), (114.0, 40.5)]}
    html = render_html(build_routes_map([(depot, plan, paths)]))
    assert ROUTE_COLOURS[0] in html
    assert ROUTE_COLOURS[1] in html
    layers = [json.loads(rows) for rows in re.findall(r"var rows = (\[.*?\]);\n", html)]
    assert [[stop[2] for stop in rows] for rows in layers] == [[1, 2], [1]]
    assert layers[0][0][:2] == [40.5, 114.01]
    assert "r-a" in layers[0][0][4]  # the popup names the retailer
    assert html.count("gm-stop-icon") == 2  # one stop layer per route
    assert "gm-depot-icon" in html
    tooltips = [json.loads(text) for text in re.findall(r'bindTooltip\(("[^"]*")\)', html)]
    assert "兴和&lt;中心&gt;" in tooltips  # the depot's name, escaped
    assert "$(" not in html  # no folium Popup: it needs jQuery, which the maps do not load
    assert "V2#1" in html
    assert remote_references(html) == []


def _plan_with_names() -> tuple[DepotSite, DayPlan]:
    depot = DepotSite("D1", 114.0, 40.5, name="兴和<中心>")
    one = _route("V1#1", (_stop("a", 1, 114.01, 40.5), _stop("b", 2, 114.02, 40.51)))
    return depot, DayPlan(dt.date(2026, 11, 16), (one,), ())


def test_routes_map_needs_no_jquery() -> None:
    depot, plan = _plan_with_names()
    html = render_html(build_routes_map([(depot, plan, {})]))
    assert "$(" not in html
    assert "jquery" not in html.lower()
    assert "bindPopup" in html


def test_shop_names_are_escaped_in_popups_and_tooltips() -> None:
    depot, plan = _plan_with_names()
    evil = "<img src=x onerror=alert(1)>"
    html = render_html(build_routes_map([(depot, plan, {})], names={"r-a": evil}))
    assert evil not in html
    script = html.encode().decode("unicode_escape")
    assert "&lt;img src=x onerror=alert(1)&gt;" in script
