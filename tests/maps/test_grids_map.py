"""The grids map as HTML: shaded grids with labels and staff, retailers by grid, legend, offline."""

from __future__ import annotations

import json
import re

import geopandas as gpd
from shapely.geometry import MultiPolygon, Point, box

from maps.assets import remote_references, render_html
from maps.grids import GRID_COLOURS, NO_GRID_COLOUR, WORKLOAD_COLOURS, build_grids_map

WGS84 = "EPSG:4326"


def _frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    counties = gpd.GeoDataFrame(
        {"code": ["150924"], "name": ["兴和县"]},
        geometry=[MultiPolygon([box(113.5, 40.7, 114.3, 41.2)])],
        crs=WGS84,
    )
    grids = gpd.GeoDataFrame(
        {
            "grid_id": ["G01", "G02"],
            "county_code": ["150924", "150924"],
            "workload": [800.0, 1200.0],
            "n_retailers": [2, 1],
            "n_key_retailers": [0, 1],
            "polsby_popper": [0.61, 0.55],
            "locked": [False, False],
            "monopoly_officer": ["薛梅", "<b>罗喜</b>"],
            "account_manager": ["钱伟", None],
            "deliverer": [None, "邱桂兰"],
        },
        geometry=[
            MultiPolygon([box(113.5, 40.7, 113.9, 41.2)]),
            MultiPolygon([box(113.9, 40.7, 114.3, 41.2)]),
        ],
        crs=WGS84,
    )
    retailers = gpd.GeoDataFrame(
        {
            "licence_no": ["150924000001", "150924000002", "150924000003", "150924000004"],
            "name": ["张记便利店", "李家超市", "<script>alert(1)</script>", "王氏烟酒"],
            "county_code": ["150924"] * 4,
            "grid_id": ["G01", "G01", "G02", None],
            "tier": [5, 12, 3, 30],
            "status": ["active"] * 4,
        },
        geometry=[Point(113.6, 40.8), Point(113.7, 40.9), Point(114.0, 41.0), Point(120, 30)],
        crs=WGS84,
    )
    return counties, grids, retailers


def _has(html: str, text: str) -> bool:
    """Whether the page holds the text, as it is or as JSON escapes (layer names, icons)."""
    return text in html or json.dumps(text)[1:-1] in html


def test_grids_map_has_shaded_grids_labels_staff_retailers_and_legend() -> None:
    html = render_html(build_grids_map(*_frames()))
    assert _has(html, "网格 Grids (2)")
    assert _has(html, "零售户 Retailers by grid (4)")
    # The lighter grid carries less work than the mean, the darker more.
    assert WORKLOAD_COLOURS[0] in html
    assert WORKLOAD_COLOURS[-1] in html
    assert html.count("gm-grid-label-icon") >= 2
    assert "G01" in html
    assert "G02" in html
    assert _has(html, "薛梅")
    assert _has(html, "邱桂兰")
    assert GRID_COLOURS[0] in html
    assert GRID_COLOURS[1] in html
    assert NO_GRID_COLOUR in html
    assert _has(html, "图例 Legend")
    assert _has(html, "未入网格")


def test_grids_map_escapes_names_and_is_offline() -> None:
    html = render_html(build_grids_map(*_frames()))
    assert "<script>alert(1)</script>" not in html
    assert not _has(html, "<b>罗喜</b>")
    assert not remote_references(html)
    assert not re.search(r"https?://[^\"' ]*(leaflet|jquery|bootstrap)", html)


def test_grids_map_without_grids_or_retailers() -> None:
    counties, grids, _ = _frames()
    html = render_html(build_grids_map(counties, grids.iloc[0:0]))
    assert _has(html, "网格 Grids (0)")
    assert not _has(html, "Retailers by grid")
