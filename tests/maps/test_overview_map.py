"""The overview map as HTML: offline, markers and popups present, legend, layers."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest

from maps.assets import render_html
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
    for licence in overview_frames["retailers"]["licence_no"]:
        assert licence in html
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
    assert "gm-status-closed" in html


def test_key_retailers_are_outlined(overview_frames) -> None:
    html = _html(overview_frames)
    assert html.count("gm-key") == 1
    assert "是 yes" in html


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
    wgs = _html(overview_frames)
    gcj = _html(overview_frames, tile_crs="gcj02")
    assert "40.9, 113.8" in wgs or "[40.9, 113.8" in wgs
    assert "[40.9, 113.8," not in gcj
    # GCJ-02 moves points a few hundred metres north-east here.
    lat, lon = map(float, re.search(r"\[(40\.90\d+), (113\.80\d+),", gcj).groups())
    assert 0.0005 < lat - 40.9 < 0.005
    assert 0.003 < lon - 113.8 < 0.01


def test_empty_frames_still_make_a_map(overview_frames) -> None:
    empty = {kind: frame.iloc[0:0] for kind, frame in overview_frames.items()}
    html = _html(empty)
    assert "L.map(" in html
    assert "零售户 Retailers (0)" in html


def test_unknown_tile_crs_is_refused(overview_frames) -> None:
    with pytest.raises(ValueError, match="gcj02"):
        _html(overview_frames, tile_crs="mercator")
