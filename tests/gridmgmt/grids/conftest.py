"""Small synthetic counties for the grid engine: square, L-shaped, with a lake, with an
exclave, and with dense towns. All near 112E 40N (Shanxi / Inner Mongolia border), WGS-84.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.domain import BusinessType

LON, LAT = 112.0, 40.0


@dataclass(frozen=True)
class County:
    """A county boundary and its retailers."""

    name: str
    boundary: BaseGeometry
    retailers: gpd.GeoDataFrame


def make_retailers(
    xy: np.ndarray, rng: np.random.Generator, *, prefix: str = "150", active_share: float = 0.95
) -> gpd.GeoDataFrame:
    """Retailers at the given lon/lat points with random tiers, types and statuses."""
    n = len(xy)
    statuses = rng.choice(
        ["active", "suspended", "closed"],
        size=n,
        p=[active_share, (1 - active_share) / 2, (1 - active_share) / 2],
    )
    return gpd.GeoDataFrame(
        {
            "licence_no": [f"{prefix}{i:07d}" for i in range(n)],
            "tier": rng.integers(1, 31, size=n),
            "business_type": rng.choice([t.value for t in BusinessType], size=n),
            "status": statuses,
            "key_retailer": rng.random(n) < 0.05,
        },
        geometry=shapely.points(xy),
        crs="EPSG:4326",
    )


def scatter(
    boundary: BaseGeometry,
    rng: np.random.Generator,
    *,
    rural: int,
    towns: list[tuple[float, float, int, float]],
) -> np.ndarray:
    """Points inside ``boundary``: uniform countryside plus Gaussian towns (lon, lat, n, sd)."""
    parts = []
    minx, miny, maxx, maxy = boundary.bounds
    while sum(len(p) for p in parts) < rural:
        xy = np.column_stack([rng.uniform(minx, maxx, rural), rng.uniform(miny, maxy, rural)])
        parts.append(xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])])
    rural_xy = np.vstack(parts)[:rural]
    town_xy = [
        np.column_stack([rng.normal(x, sd, n), rng.normal(y, sd, n)]) for x, y, n, sd in towns
    ]
    xy = np.vstack([rural_xy, *town_xy]) if town_xy else rural_xy
    return xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]


def square_county() -> County:
    """About 17 x 17 km with two towns."""
    rng = np.random.default_rng(7)
    boundary = shapely.box(LON, LAT, LON + 0.2, LAT + 0.15)
    xy = scatter(
        boundary,
        rng,
        rural=500,
        towns=[(LON + 0.07, LAT + 0.05, 500, 0.008), (LON + 0.15, LAT + 0.11, 300, 0.006)],
    )
    return County("square", boundary, make_retailers(xy, rng))


def l_county() -> County:
    """An L-shaped county with a town in the corner."""
    rng = np.random.default_rng(11)
    boundary = shapely.union_all(
        [
            shapely.box(LON, LAT, LON + 0.2, LAT + 0.06),
            shapely.box(LON, LAT, LON + 0.07, LAT + 0.16),
        ]
    )
    xy = scatter(boundary, rng, rural=400, towns=[(LON + 0.03, LAT + 0.03, 500, 0.008)])
    return County("l-shape", boundary, make_retailers(xy, rng))


def lake_county() -> County:
    """A county with a lake (a hole) in the middle."""
    rng = np.random.default_rng(13)
    outer = shapely.box(LON, LAT, LON + 0.2, LAT + 0.15)
    lake = shapely.Point(LON + 0.1, LAT + 0.075).buffer(0.03)
    boundary = outer.difference(lake)
    xy = scatter(boundary, rng, rural=500, towns=[(LON + 0.04, LAT + 0.04, 400, 0.008)])
    return County("lake", boundary, make_retailers(xy, rng))


def exclave_county() -> County:
    """A main part and a separate exclave (飞地) 5 km east with a village."""
    rng = np.random.default_rng(17)
    main = shapely.box(LON, LAT, LON + 0.16, LAT + 0.15)
    exclave = shapely.box(LON + 0.22, LAT + 0.05, LON + 0.26, LAT + 0.08)
    boundary = shapely.MultiPolygon([main, exclave])
    xy = scatter(main, rng, rural=400, towns=[(LON + 0.08, LAT + 0.07, 600, 0.01)])
    village = scatter(exclave, rng, rural=25, towns=[])
    return County("exclave", boundary, make_retailers(np.vstack([xy, village]), rng))


@pytest.fixture(scope="session")
def square() -> County:
    """Square county."""
    return square_county()


@pytest.fixture(scope="session")
def l_shape() -> County:
    """L-shaped county."""
    return l_county()


@pytest.fixture(scope="session")
def lake() -> County:
    """County with a hole."""
    return lake_county()


@pytest.fixture(scope="session")
def exclave() -> County:
    """County with an exclave."""
    return exclave_county()


def grids_are_single_polygons(grids: gpd.GeoDataFrame) -> bool:
    """Whether every grid is one polygon."""
    return all(len(shapely.get_parts(g)) == 1 for g in grids.geometry)
