"""The rules map as HTML: its layers, escaped popups, offline, and the licence-check click."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from maps.assets import render_html
from maps.rules import LICENCE_CHECK_JS, build_rules_map

WGS84 = "EPSG:4326"
ANY_URL = re.compile(r"https?://")


@pytest.fixture
def rule_frames(overview_frames: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Frames shaped like the rule services' reports, around the overview test county."""
    violations = gpd.GeoDataFrame(
        {
            "licence_no": ["150924000009"],
            "name": ["<b>红线</b>商店"],
            "school": ["城关第一小学"],
            "distance_m": [42.5],
            "limit_m": [80.0],
            "measured_from": ["point"],
            "mode": ["straight"],
        },
        geometry=[Point(113.8503, 40.9502)],
        crs=WGS84,
    )
    zones = gpd.GeoDataFrame(
        {"school": ["城关第一小学"], "school_kind": ["primary"], "limit_m": [80.0]},
        geometry=[Point(113.85, 40.95).buffer(0.001)],
        crs=WGS84,
    )
    breaches = gpd.GeoDataFrame(
        {
            "licence_no_a": ["150924000001"],
            "licence_no_b": ["150924000002"],
            "distance_m": [31.25],
            "required_m": [50.0],
        },
        geometry=[LineString([(113.80, 40.90), (113.8003, 40.90)])],
        crs=WGS84,
    )
    borders = gpd.GeoDataFrame(
        {"county_a": ["150924"], "county_b": ["140222"], "kind": ["province"], "length_m": [5e4]},
        geometry=[LineString([(114.3, 40.7), (114.3, 41.2)])],
        crs=WGS84,
    )
    bands = gpd.GeoDataFrame(
        {"county_code": ["150924"], "kind": ["province"], "distance_m": [5000.0]},
        geometry=[box(114.24, 40.7, 114.3, 41.2)],
        crs=WGS84,
    )
    crossings = gpd.GeoDataFrame(
        {
            "highway": ["primary", "unclassified"],
            "kind": ["province", "province"],
            "county_a": ["150924", "150924"],
            "county_b": ["140222", "140222"],
            "covered": [True, False],
            "checkpoint": ["兴和收费站", None],
            "checkpoint_m": [120.0, float("nan")],
        },
        geometry=[Point(114.3, 40.85), Point(114.3, 41.0)],
        crs=WGS84,
    )
    sites = gpd.GeoDataFrame(
        {"site": [3], "source": ["crossing"], "intercepted": [1.0], "paths": [1]},
        geometry=[Point(114.3, 41.0)],
        crs=WGS84,
    )
    return {
        "counties": overview_frames["counties"],
        "checkpoints": overview_frames["checkpoints"].assign(border_m=[120.0]),
        "violations": violations,
        "red_line_zones": zones,
        "breaches": breaches,
        "borders": borders,
        "bands": bands,
        "crossings": crossings,
        "sites": sites,
    }


def _rows(html: str, css_class: str) -> list[list[object]]:
    """The rows of the point layer drawn with ``css_class``."""
    layers = re.finditer(r"var rows = (.*?);\n\s*var style = (.*?);\n", html)
    found = [
        json.loads(rows)
        for rows, style in (m.groups() for m in layers)
        if json.loads(style).get("className") == css_class
    ]
    assert len(found) == 1, css_class
    rows: list[list[object]] = found[0]
    return rows


def test_every_layer_is_on_the_map_offline(rule_frames: dict[str, gpd.GeoDataFrame]) -> None:
    html = render_html(build_rules_map(**rule_frames), static_url="/static")
    assert not ANY_URL.search(html), ANY_URL.findall(html)
    for name in (
        "学校红线 Red lines (1 inside)",
        "间距不足 Spacing breaches (1)",
        "边界市场 Border markets (0)",
        "卡点覆盖 Checkpoint coverage (1 crossings uncovered)",
        "建议卡点 Suggested sites (1)",
    ):
        assert json.dumps(name)[1:-1] in html or name in html, name
    assert len(_rows(html, "gm-crossing-covered")) == 1
    assert len(_rows(html, "gm-crossing-uncovered")) == 1
    assert len(_rows(html, "gm-checkpoint")) == 1
    assert "gm-site" in html
    assert "gmLicenceCheck" not in html  # files on disk have no API to call


def test_violator_popup_is_escaped_and_placed(rule_frames: dict[str, gpd.GeoDataFrame]) -> None:
    html = render_html(build_rules_map(**rule_frames), static_url="/static")
    ((lat, lon, popup, tooltip),) = _rows(html, "gm-red-line-violator")
    assert (lat, lon) == (40.9502, 113.8503)
    assert isinstance(popup, str)
    assert "&lt;b&gt;红线&lt;/b&gt;商店" in popup
    assert "<b>红线" not in popup
    assert "42.5 m" in popup
    assert tooltip == "150924000009"


def test_gcj02_tiles_shift_the_layers(rule_frames: dict[str, gpd.GeoDataFrame]) -> None:
    html = render_html(
        build_rules_map(
            **rule_frames, tile_crs="gcj02", tile_url="http://tiles.local/{z}/{x}/{y}.png"
        ),
        static_url="/static",
    )
    ((lat, lon, _popup, _tip),) = _rows(html, "gm-red-line-violator")
    # GCJ-02 moves points here by a few hundred metres, east and south of WGS-84.
    assert 0.003 < lon - 113.8503 < 0.01  # type: ignore[operator]
    assert lat != 40.9502


def test_licence_check_click_is_wired_to_the_api(rule_frames: dict[str, gpd.GeoDataFrame]) -> None:
    m = build_rules_map(**rule_frames, licence_check_url="/api/v1/rules/check-licence")
    html = render_html(m, static_url="/static")
    assert LICENCE_CHECK_JS.strip() in html
    call = re.search(r"gmLicenceCheck\((map_\w+), (\{.*?\})\);", html)
    assert call is not None
    assert call.group(1) == m.get_name()
    assert json.loads(call.group(2)) == {"api": "/api/v1/rules/check-licence", "crs": "wgs84"}


def test_only_the_counties_are_needed(overview_frames: dict[str, gpd.GeoDataFrame]) -> None:
    html = render_html(build_rules_map(overview_frames["counties"]), static_url="/static")
    assert "(0 inside)" in html
    assert "gm-red-line-violator" not in html
