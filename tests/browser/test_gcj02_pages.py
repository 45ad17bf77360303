"""Every page with a map, as every role, under GCJ-02 tiles: the tiles show, and every
overlay the page draws is the GCJ-02 shift of what the same page draws on WGS-84 tiles.

The markup world is served twice over one database, once with ``tile_crs=wgs84`` and once
with ``gcj02`` (both on a fake loopback tile server); each page's drawn points (markers,
line and polygon vertices, members of marker clusters) are read from its Leaflet maps. A
page drawing anything unshifted on GCJ-02 tiles is off by hundreds of metres and fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.main import create_app
from gridmgmt.crs import from_wgs84
from gridmgmt.domain import UserRole
from gridmgmt.store import db

from ._tiles import tile_server
from ._web import DESKTOP, serve
from .markup_world import build_markup_world, world_settings
from .test_every_page import MarkupApp, _context, page_urls, settle, track_requests

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# Rounding: pages get points to 6 or 7 decimals, shifted before or after rounding.
SAME_POINT_DEG = 2e-6

DRAWN_JS = """() => {
    // Every point drawn on the page's Leaflet maps, [lon, lat], markers in clusters included.
    const out = [];
    const labels = [];
    const seen = new Set();
    const isLabel = (layer) => {
        const icon = layer.options && layer.options.icon;
        const cls = (icon && icon.options && icon.options.className) || "";
        return /gm-label-icon|om-grid-label/.test(cls);
    };
    const flat = (lls) => lls.forEach((p) => Array.isArray(p) ? flat(p) : out.push([p.lng, p.lat]));
    const take = (layer) => {
        if (seen.has(layer)) { return; }
        seen.add(layer);
        if (L.MarkerCluster && layer instanceof L.MarkerCluster) { return; }
        if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) {
            layer.getLayers().forEach(take);
        } else if (layer.getLatLngs) {
            flat(layer.getLatLngs());
        } else if (layer.getLatLng && !(layer instanceof L.Popup) && !(layer instanceof L.Tooltip)) {
            const p = layer.getLatLng();
            (isLabel(layer) ? labels : out).push([p.lng, p.lat]);
        }
    };
    (window.__gmMaps || []).forEach((map) => map.eachLayer(take));
    return {maps: (window.__gmMaps || []).length, points: out, labels: labels,
            tiles: document.querySelectorAll('img.leaflet-tile-loaded').length};
}"""


@dataclass(frozen=True)
class TwoApps:
    wgs: MarkupApp
    gcj: MarkupApp


@pytest.fixture(scope="module")
def two_apps(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoApps]:
    folder = tmp_path_factory.mktemp("gcj-markup")
    path = folder / "world.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    world = build_markup_world(url, folder)
    served: list[MarkupApp] = []
    with tile_server() as tiles:
        apps = [
            create_app(world_settings(url, world.roads, tile_url=tiles.url, tile_crs=crs))
            for crs in ("wgs84", "gcj02")
        ]
        with serve(apps[0]) as wgs_url, serve(apps[1]) as gcj_url:
            served = [
                MarkupApp(wgs_url, apps[0], world, url),
                MarkupApp(gcj_url, apps[1], world, url),
            ]
            yield TwoApps(*served)
    db.dispose_engine(url)


def _drawn(context: Any, url: str) -> dict[str, Any]:
    page = context.new_page()
    try:
        pending = track_requests(page)
        page.goto(url, wait_until="load")
        settle(page, pending)
        result: dict[str, Any] = page.evaluate(DRAWN_JS)
        return result
    finally:
        page.close()


def _unmatched(wgs: list[list[float]], gcj: list[list[float]]) -> list[list[float]]:
    """Points drawn on GCJ-02 tiles that are no shifted WGS-84 page point."""
    if not gcj:
        return []
    want = np.asarray(wgs, dtype=float).reshape(-1, 2)
    xs, ys = from_wgs84(want[:, 0], want[:, 1], "gcj02")
    shifted = np.column_stack([xs, ys])
    return [
        p
        for p in gcj
        if not len(shifted) or np.abs(shifted - np.asarray(p)).max(axis=1).min() > SAME_POINT_DEG
    ]


@pytest.mark.parametrize("role", [r.value for r in UserRole])
def test_every_map_page_draws_on_gcj02_tiles_shifted(
    browser: Any, two_apps: TwoApps, role: str
) -> None:
    username, _ = two_apps.wgs.world.users[role]
    wgs_context = _context(browser, two_apps.wgs, username, DESKTOP)
    gcj_context = _context(browser, two_apps.gcj, username, DESKTOP)
    problems: list[str] = []
    checked = 0
    try:
        gcj_urls = page_urls(two_apps.gcj, username)
        for wgs_url, gcj_url in zip(page_urls(two_apps.wgs, username), gcj_urls, strict=True):
            gcj = _drawn(gcj_context, gcj_url)
            if not gcj["maps"]:
                continue
            wgs = _drawn(wgs_context, wgs_url)
            path = gcj_url.removeprefix(two_apps.gcj.url)
            checked += 1
            if gcj["tiles"] == 0:
                problems.append(f"{path}: no tiles shown")
            # Labels are only counted: each is placed at the point of its (shifted) area
            # farthest from the edges, which is not unique (a rectangle has a segment of
            # them), so it need not be the shift of the WGS-84 page's label.
            for kind in ("points", "labels"):
                if len(gcj[kind]) != len(wgs[kind]):
                    problems.append(
                        f"{path}: {len(gcj[kind])} {kind} on GCJ-02 tiles, "
                        f"{len(wgs[kind])} on WGS-84 ones"
                    )
            off = _unmatched(wgs["points"], gcj["points"])
            if off:
                problems.append(f"{path}: {len(off)} points not shifted, e.g. {off[:3]}")
    finally:
        wgs_context.close()
        gcj_context.close()
    assert problems == [], "\n".join(problems)
    if role != UserRole.LEADER.value:
        assert checked, f"no page with a map for {role}"
