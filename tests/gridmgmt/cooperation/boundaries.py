"""Boundary files as real ones are: the demo outlines with an overlap and gaps put in.

The demo region's six outlines tile exactly. Public outlines do not: across a province line
尚义县 (130725) reaches about 20 m into 兴和县 (150924) along their 89 km border (an overlap
of about 1.8 km², as measured on the public GCJ-02 outlines), and 天镇县 (140222) stops 30 m
short of its neighbours (gaps of tens of metres).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from gridmgmt.crs import WGS84, metric_crs

DEMO_COUNTIES = Path(__file__).resolve().parents[3] / "data" / "demo" / "counties.geojson"
SHANGYI, XINGHE, TIANZHEN = "130725", "150924", "140222"
OVERLAP_M, GAP_M = 20.0, 30.0


def demo_counties() -> gpd.GeoDataFrame:
    """The demo region's six county outlines (WGS-84), as the demo imports them."""
    return gpd.read_file(DEMO_COUNTIES)


def real_counties() -> gpd.GeoDataFrame:
    """The demo outlines with 尚义县 overlapping 兴和县 and 天镇县 shrunk (gaps)."""
    counties = demo_counties()
    metric = metric_crs(counties)
    shapes = counties.set_index("code").geometry.to_crs(metric)
    reach = shapely.intersection(shapely.buffer(shapes[SHANGYI], OVERLAP_M), shapes[XINGHE])
    shapes[SHANGYI] = shapely.union(shapes[SHANGYI], reach)
    shapes[TIANZHEN] = shapely.buffer(shapes[TIANZHEN], -GAP_M)
    shapes = shapes.to_crs(WGS84)
    counties["geometry"] = [
        shapely.geometry.MultiPolygon(list(shapely.get_parts(shapes[code])))
        for code in counties["code"]
    ]
    return counties
