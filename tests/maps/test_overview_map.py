"""The overview map as HTML: offline, markers and popups present, legend, layers."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import pytest

from gridmgmt.domain import RetailerStatus
from maps.assets import render_html
from maps.base import display_frame
from maps.overview import STATUS_COLOURS, build_overview_map

ANY_URL = re.compile(r"https?://")
JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _html(frames: dict[str, gpd.GeoDataFrame], **options: object) -> str:
    m = build_overview_map(
        frames["counties"],
        frames["retailers"],
        frames["schools"],
        frames["checkpoints"],
        **options,  # type: ignore[arg-type]
    )
    html = render_html(m, static_url="/static")
    # Text inside scripts is JSON with \uXXXX escapes; read it as the browser will.
    return JSON_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), html)


def _script_var(html: str, name: str) -> Any:
    """The JSON value of ``var <name> = ...;`` in the page's script."""
    match = re.search(rf"var {name} = (.*?);\n", html)
    assert match is not None, name
    return json.loads(match.group(1))


def _retailer_rows(html: str) -> dict[str, dict[str, Any]]:
    """Each retailer row of the cluster layer, by licence number, with its status row."""
    statuses = _script_var(html, "statuses")
    rows = {}
    for row in _script_var(html, "data"):
        lat, lon, status, key, name, licence = row[:6]
        rows[licence] = {
            "lat": lat,
            "lon": lon,
            "colour": statuses[status][0],
            "status": statuses[status][2],
            "key": key,
            "name": name,
        }
    return rows


def test_no_http_anywhere_without_tiles(overview_frames) -> None:
    html = _html(overview_frames)
    assert not ANY_URL.search(html), ANY_URL.findall(html)
    assert '<script src="/static/leaflet/leaflet.js">' in html
    assert "/static/leaflet-markercluster/leaflet.markercluster.js" in html
    for dropped in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert dropped not in html.lower()


def test_the_tile_url_is_the_only_remote_reference(overview_frames) -> None:
    tiles = "http://tiles.bureau.local/{z}/{x}/{y}.png"
    html = _html(overview_frames, tile_url=tiles, tile_attribution="县局瓦片")
    assert set(re.findall(r"https?://[^\"'\s]+", html)) == {tiles}
    assert "县局瓦片" in html


def test_every_retailer_is_a_clustered_marker_with_a_popup(overview_frames) -> None:
    html = _html(overview_frames)
    assert "L.markerClusterGroup" in html
    assert "L.circleMarker" in html
    assert "bindPopup" in html
    rows = _retailer_rows(html)
    frame = overview_frames["retailers"]
    assert sorted(rows) == sorted(frame["licence_no"])
    for licence, status in zip(frame["licence_no"], frame["status"], strict=True):
        assert rows[licence]["status"] == status
        assert rows[licence]["colour"] == STATUS_COLOURS[RetailerStatus(status)]
    assert rows["150924000000"]["lat"] == pytest.approx(40.9)
    assert rows["150924000000"]["lon"] == pytest.approx(113.8)
    for label in (
        "名称 Name",
        "许可证号 Licence no.",
        "档位 Tier",
        "业态 Business type",
        "状态 Status",
    ):
        assert label in html
    assert "便利店 convenience" in html
    assert "歇业 suspended" in html
    assert "烟酒商店 tobacco_liquor" in html


def test_key_retailers_are_outlined(overview_frames) -> None:
    rows = _retailer_rows(_html(overview_frames))
    assert [licence for licence, row in rows.items() if row["key"]] == ["150924000001"]


def test_names_are_escaped(overview_frames) -> None:
    overview_frames["schools"].loc[0, "name"] = "<b>bold school</b>"
    overview_frames["checkpoints"].loc[0, "name"] = "`<i>tick</i>`"
    overview_frames["counties"].loc[0, "name"] = "<u>county</u>"
    html = _html(overview_frames)
    for raw in ("<script>alert(1)</script>", "<b>bold", "<i>tick", "<u>county"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold school&lt;/b&gt;" in html
    assert "&lt;u&gt;county&lt;/u&gt;" in html
    assert "&amp;lt;" not in html


def test_legend_lists_statuses_and_layers(overview_frames) -> None:
    html = _html(overview_frames)
    assert "gm-legend" in html
    for colour in STATUS_COLOURS.values():
        assert colour in html
    for text in ("正常 active", "停业 closed", "学校 school", "查堵卡点 checkpoint"):
        assert text in html
    assert "L.control.layers" in html
    for layer in (
        "县界 Counties",
        "零售户 Retailers (4)",
        "学校 Schools (1)",
        "查堵卡点 Checkpoints (1)",
    ):
        assert layer in html


def test_schools_checkpoints_and_county_labels(overview_frames) -> None:
    html = _html(overview_frames)
    assert "城关第一小学" in html
    assert "小学 primary" in html
    assert "收费站 toll_station" in html
    assert "gm-county-label" in html
    assert "兴和县" in html
    assert "bindPopup" in html


def test_gcj02_tiles_shift_the_markers(overview_frames) -> None:
    wgs = _retailer_rows(_html(overview_frames))["150924000000"]
    gcj = _retailer_rows(_html(overview_frames, tile_crs="gcj02"))["150924000000"]
    assert (wgs["lat"], wgs["lon"]) == (40.9, 113.8)
    # GCJ-02 moves points a few hundred metres north-east here.
    assert 0.0005 < gcj["lat"] - 40.9 < 0.005
    assert 0.003 < gcj["lon"] - 113.8 < 0.01


def test_empty_frames_still_make_a_map(overview_frames) -> None:
    empty = {kind: frame.iloc[0:0] for kind, frame in overview_frames.items()}
    html = _html(empty)
    assert "L.map(" in html
    assert "零售户 Retailers (0)" in html


def test_unknown_tile_crs_is_refused(overview_frames) -> None:
    with pytest.raises(ValueError, match="gcj02"):
        _html(overview_frames, tile_crs="mercator")


def test_gcj02_tiles_shift_campus_outlines_too(overview_frames) -> None:
    shifted = display_frame(overview_frames["schools"], tile_crs="gcj02")
    before = overview_frames["schools"].loc[0, "campus"].centroid
    after = shifted.loc[0, "campus"].centroid
    assert 0.003 < after.x - before.x < 0.01
    assert 0.0005 < after.y - before.y < 0.005
    assert overview_frames["schools"].loc[0, "campus"].centroid.x == before.x
