"""Small named frames for map tests: one county, a handful of retailers, a school, a checkpoint."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Point, box

WGS84 = "EPSG:4326"


@pytest.fixture
def overview_frames() -> dict[str, gpd.GeoDataFrame]:
    """Frames shaped like :func:`gridmgmt.services.records.overview_frames` returns."""
    counties = gpd.GeoDataFrame(
        {"code": ["150924"], "name": ["兴和县"], "province": ["内蒙古自治区"], "city": [None]},
        geometry=[MultiPolygon([box(113.5, 40.7, 114.3, 41.2)])],
        crs=WGS84,
    )
    statuses = ["active", "active", "suspended", "closed"]
    retailers = gpd.GeoDataFrame(
        {
            "licence_no": [f"15092400000{i}" for i in range(4)],
            "name": ["张记便利店", "李家超市", "<script>alert(1)</script>", "王氏烟酒"],
            "address": ["城关镇人民路1号", None, "", "城关镇2号"],
            "county_code": ["150924"] * 4,
            "tier": [5, 12, 3, 30],
            "business_type": ["convenience", "supermarket", "grocery", "tobacco_liquor"],
            "status": statuses,
            "key_retailer": [False, True, False, False],
            "phone": [None, "13800000000", None, None],
        },
        geometry=[Point(113.80 + i / 100, 40.90) for i in range(4)],
        crs=WGS84,
    )
    schools = gpd.GeoDataFrame(
        {
            "name": ["城关第一小学"],
            "kind": ["primary"],
            "county_code": ["150924"],
            "campus": [box(113.849, 40.949, 113.851, 40.951)],
        },
        geometry=[Point(113.85, 40.95)],
        crs=WGS84,
    )
    checkpoints = gpd.GeoDataFrame(
        {"name": ["兴和收费站"], "kind": ["toll_station"], "county_code": ["150924"]},
        geometry=[Point(113.95, 40.85)],
        crs=WGS84,
    )
    return {
        "counties": counties,
        "retailers": retailers,
        "schools": schools,
        "checkpoints": checkpoints,
    }
