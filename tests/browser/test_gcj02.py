"""GCJ-02 tiles in Chromium: the page-side transform (``static_files/gcj02.js``) agrees with
:mod:`gridmgmt.crs`; under ``tile_crs=gcj02`` (a fake loopback tile server) /dispatch shows
the tiles, draws every overlay shifted onto them and sends a drawn closure back in WGS-84;
/grids and a retailer's file show the tiles with the shifted retailers, a click's licence
check is asked in GCJ-02 and "where am I" sends the phone's WGS-84 position unshifted."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from sqlalchemy import select

from api.static import APP_DIR
from gridmgmt.crs import from_wgs84, to_wgs84
from gridmgmt.jobs import cluster
from gridmgmt.store import db
from gridmgmt.store.models import Retailer
from gridmgmt.store.models.routes import RoutePlanRecord
from tests.gridmgmt.services.routes_world import write_grid_osm

from ..api.dispatch_world import DAY, DEPOT, seed_dispatch
from ..api.officer_world import EVIL_LICENCE, add_officer_world
from ._tiles import TileServer, tile_server
from ._web import StrictPage, serve
from .test_dispatch import _draw_closure, _log_in

pytestmark = pytest.mark.browser
METRES_PER_DEGREE = 111_320.0
# Across China (cities at its corners and inside, and a grid over the box) and outside it.
CITIES = [
    (116.391, 39.907),  # Beijing
    (121.473, 31.230),  # Shanghai
    (87.617, 43.826),  # Urumqi
    (91.117, 29.653),  # Lhasa
    (126.642, 45.757),  # Harbin
    (109.512, 18.253),  # Sanya
    (114.169, 22.319),  # Hong Kong
    (113.9, 40.9),  # Xinghe
    (134.3, 48.3),  # the far north-east
    (73.5, 39.5),  # the far west
]
OUTSIDE = [(2.352, 48.857), (-74.006, 40.713), (151.209, -33.869), (139.0, 60.0)]


def _points() -> list[tuple[float, float]]:
    grid = [(lon, lat) for lon in np.arange(74.0, 136.0, 7.7) for lat in np.arange(3.0, 55.0, 6.3)]
    return [*CITIES, *((float(x), float(y)) for x, y in grid), *OUTSIDE]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * METRES_PER_DEGREE * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * METRES_PER_DEGREE)


def test_the_page_transform_agrees_with_python(offline: Any) -> None:
    page = offline.page
    page.set_content("<!doctype html><title>gcj02</title>")
    page.add_script_tag(path=str(APP_DIR / "gcj02.js"))
    points = _points()
    lons, lats = zip(*points, strict=True)
    fx, fy = from_wgs84(lons, lats, "gcj02")
    shifted = [(float(x), float(y)) for x, y in zip(fx, fy, strict=True)]
    answers = page.evaluate(
        """(pts) => pts.map(([p, q]) => ({
            fwd: GmGcj02.wgsToGcj(p[0], p[1]),
            back: GmGcj02.gcjToWgs(q[0], q[1]),
            inside: GmGcj02.inChina(p[0], p[1]),
        }))""",
        [[p, q] for p, q in zip(points, shifted, strict=True)],
    )
    bx, by = to_wgs84(fx, fy, "gcj02")
    for k, (point, answer) in enumerate(zip(points, answers, strict=True)):
        assert answer["fwd"] == pytest.approx(shifted[k], abs=1e-7), point
        assert answer["back"] == pytest.approx((float(bx[k]), float(by[k])), abs=1e-7), point
        assert _metres(tuple(answer["back"]), point) < 0.5, point
    inside = [a for a, p in zip(answers, points, strict=True) if p not in OUTSIDE]
    assert all(a["inside"] for a in inside)
    assert all(_metres(tuple(a["fwd"]), p) > 50 for a, p in zip(inside, CITIES, strict=False))
    for point in OUTSIDE:
        answer = answers[points.index(point)]
        assert not answer["inside"]
        assert tuple(answer["fwd"]) == point
        assert tuple(answer["back"]) == point
    assert offline.errors == []


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    with tile_server() as server:
        yield server


@pytest.fixture(scope="module", autouse=True)
def _dask_cluster() -> Iterator[None]:
    yield
    cluster.shutdown()


@pytest.fixture
def gcj_dispatch(sqlite_url: str, tmp_path: Path, tiles: TileServer) -> Iterator[tuple[str, str]]:
    """The app with GCJ-02 tiles from the fake tile server, over the dispatcher's world."""
    from api.main import create_app

    from ..api.conftest import make_settings, seed

    seed(sqlite_url)
    password, _ = seed_dispatch(sqlite_url)
    roads = write_grid_osm(tmp_path / "roads.osm", (113.5, 40.7, 114.3, 41.2), n=41)
    settings = make_settings(
        sqlite_url, roads_file=roads, tile_url=tiles.url, tile_crs="gcj02", tile_attribution="T"
    )
    with serve(create_app(settings)) as url:
        yield url, password


OVERLAYS_JS = """() => {
    const out = {markers: [], lines: [], polygons: []};
    window.gmDispatchMap.eachLayer((layer) => {
        if (layer instanceof L.Marker) {
            const p = layer.getLatLng();
            out.markers.push([p.lng, p.lat]);
        } else if (layer instanceof L.Polygon) {
            out.polygons.push({dash: layer.options.dashArray || null,
                ring: layer.getLatLngs()[0].map((p) => [p.lng, p.lat])});
        } else if (layer instanceof L.Polyline) {
            out.lines.push(layer.getLatLngs().map((p) => [p.lng, p.lat]));
        }
    });
    return out;
}"""


def _shown(coords: list[list[float]]) -> list[tuple[float, float]]:
    xs, ys = from_wgs84([c[0] for c in coords], [c[1] for c in coords], "gcj02")
    return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _close(got: Any, want: Any, atol: float = 1e-7) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want), rtol=0, atol=atol)


def _same_points(got: list[list[float]], want: list[tuple[float, float]]) -> None:
    _close(sorted(map(tuple, got)), sorted(want))


def test_dispatch_draws_on_gcj02_tiles_and_sends_closures_in_wgs84(
    gcj_dispatch: tuple[str, str],
    tiles: TileServer,
    strict_page: StrictPage,
    sqlite_url: str,
    screenshots: Path,
) -> None:
    base, password = gcj_dispatch
    page = strict_page.page
    width = page.viewport_size["width"]
    _log_in(page, base, password)
    day_url = f"/dispatch?depot={DEPOT}&date={DAY.isoformat()}"
    page.goto(base + day_url)
    page.wait_for_selector("#gd-no-plan:not([hidden])")
    page.fill("#gd-seconds", "2")
    page.click("#gd-plan")
    page.wait_for_function("() => document.body.dataset.planVersion === '1'", timeout=60_000)
    page.wait_for_selector("img.leaflet-tile-loaded")
    assert tiles.served
    day = page.evaluate(
        "(q) => fetch('/api/v1/routes/day?' + q).then((r) => r.json())",
        f"depot={DEPOT}&date={DAY.isoformat()}",
    )
    # Every overlay sits where the server's shift puts it (the API itself stays WGS-84).
    overlays = page.evaluate(OVERLAYS_JS)
    places = [[day["depot"]["lon"], day["depot"]["lat"]]]
    places += [[s["lon"], s["lat"]] for s in day["plan"]["stops"]]
    _same_points(overlays["markers"], _shown(places))
    want_lines = [_shown(r["line"]) for r in day["plan"]["routes"]]
    assert len(overlays["lines"]) == len(want_lines)
    for got, want in zip(
        sorted(overlays["lines"], key=len), sorted(want_lines, key=len), strict=True
    ):
        _close(got, want)
    page.locator("#gd-map").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"dispatch-gcj02-{width}.png"))
    # A closure drawn on the tiles is sent in WGS-84 (inverse shift, within 0.5 m).
    _draw_closure(page)
    drawn = next(p for p in page.evaluate(OVERLAYS_JS)["polygons"] if p["dash"] == "5 4")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/routes/jobs/replan")) as sent:
        page.click("#gd-replan")
    ring = sent.value.post_data_json["closures"][-1]["geometry"]["coordinates"][0]
    assert len(ring) == len(drawn["ring"]) + 1
    assert ring[0] == ring[-1]
    xs, ys = to_wgs84([p[0] for p in drawn["ring"]], [p[1] for p in drawn["ring"]], "gcj02")
    for got, x, y in zip(ring, xs, ys, strict=False):
        assert _metres((got[0], got[1]), (float(x), float(y))) < 0.5
    assert all(_metres(tuple(g), tuple(d)) > 50 for g, d in zip(ring, drawn["ring"], strict=False))
    page.wait_for_function("() => document.body.dataset.planVersion === '2'", timeout=60_000)
    with db.transaction(sqlite_url) as session:
        record = session.scalars(select(RoutePlanRecord).where(RoutePlanRecord.version == 2)).one()
        stored = record.closures[-1]
    _close(stored["geometry"]["coordinates"][0], ring, atol=1e-9)
    # The stored closure is drawn back on the tiles where the dispatcher drew it.
    closures = [p for p in page.evaluate(OVERLAYS_JS)["polygons"] if p["dash"] is None]
    assert len(closures) == 1
    _close(closures[0]["ring"], drawn["ring"], atol=1e-7)
    page.locator("#gd-map").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"dispatch-gcj02-closure-{width}.png"))


# --- the officer's pages --------------------------------------------------------------------


@pytest.fixture
def gcj_officer(sqlite_url: str, tiles: TileServer) -> Iterator[tuple[str, str]]:
    """The app with GCJ-02 tiles over the officer's world; alice's password."""
    from api.main import create_app

    from ..api.conftest import make_settings, seed

    world = seed(sqlite_url)
    add_officer_world(sqlite_url)
    settings = make_settings(sqlite_url, tile_url=tiles.url, tile_crs="gcj02")
    with serve(create_app(settings)) as url:
        yield url, world.passwords["alice"]


def _shown_retailers(url: str) -> dict[str, tuple[float, float]]:
    with db.transaction(url) as session:
        stored = {
            r.licence_no: (r.location.x, r.location.y) for r in session.scalars(select(Retailer))
        }
    xs, ys = from_wgs84([p[0] for p in stored.values()], [p[1] for p in stored.values()], "gcj02")
    return {k: (float(x), float(y)) for k, x, y in zip(stored, xs, ys, strict=True)}


def test_officer_grids_and_retailer_file_on_gcj02_tiles(
    gcj_officer: tuple[str, str],
    tiles: TileServer,
    strict_page: StrictPage,
    sqlite_url: str,
    screenshots: Path,
) -> None:
    base, password = gcj_officer
    page = strict_page.page
    width = page.viewport_size["width"]
    page.goto(f"{base}/grids")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/grids")
    page.wait_for_selector("#om-map[data-ready=true]", timeout=15_000)
    page.wait_for_selector("#om-map img.leaflet-tile-loaded")
    # The retailers the page draws sit where the server's shift puts them.
    data = page.evaluate("() => fetch('/api/v1/officer/map?county=150924').then((r) => r.json())")
    licence = data["retailer_columns"].index("licence_no")
    want = _shown_retailers(sqlite_url)
    drawn = {row[licence]: (row[-1], row[-2]) for row in data["retailers"]}
    assert drawn
    for key, point in drawn.items():
        _close(point, want[key], atol=2e-6)  # rounded to 6 decimals
    # A click on the tiles asks the licence check in GCJ-02; the answer's point is WGS-84.
    page.evaluate("() => window.gmOfficerMap.setView([40.9012, 113.8067], 16)")
    page.wait_for_timeout(300)
    if not page.is_checked("#om-check"):
        page.check("#om-check")
    box = page.locator("#om-map").bounding_box()
    with page.expect_response(lambda r: "/api/v1/officer/licence-check" in r.url) as answer:
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    query = parse_qs(urlparse(answer.value.url).query)
    assert query["crs"] == ["gcj02"]
    clicked = (float(query["lon"][0]), float(query["lat"][0]))
    back = to_wgs84([clicked[0]], [clicked[1]], "gcj02")
    checked = answer.value.json()
    assert _metres((checked["lon"], checked["lat"]), (float(back[0][0]), float(back[1][0]))) < 0.5
    page.locator(".om-check-answer").wait_for()
    page.evaluate("() => window.gmOfficerMap.closePopup()")
    # "Where am I": the phone's WGS-84 position is sent as it is; the dot sits on the tiles.
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 40.9001, "longitude": 113.8011})
    with page.expect_request(lambda r: "/api/v1/officer/where" in r.url) as asked:
        page.click("#om-where")
    where = parse_qs(urlparse(asked.value.url).query)
    assert (where["lon"], where["lat"]) == (["113.8011000"], ["40.9001000"])
    page.wait_for_function(
        "() => document.getElementById('om-where-text').textContent.includes('XH-01')"
    )
    you = page.evaluate(
        """() => { let at = null; window.gmOfficerMap.eachLayer((l) => {
            if (l.options && l.options.className === 'om-you') { at = l.getLatLng(); } });
            return [at.lng, at.lat]; }"""
    )
    _close(you, _shown([[113.8011, 40.9001]])[0], atol=2e-6)
    page.screenshot(path=str(screenshots / f"grids-gcj02-{width}.png"))
    # The retailer's file: its small map has the tiles, the shop shifted onto them.
    page.goto(f"{base}/retailers/{EVIL_LICENCE}")
    page.wait_for_selector("#om-mini img.leaflet-tile-loaded")
    at = page.evaluate(
        """() => { let at = null; window.gmRetailerMap.eachLayer((l) => {
            if (l instanceof L.CircleMarker) { at = l.getLatLng(); } }); return [at.lng, at.lat]; }"""
    )
    _close(at, want[EVIL_LICENCE], atol=2e-6)
    page.locator("#om-mini").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"retailer-gcj02-{width}.png"))
    assert tiles.served
