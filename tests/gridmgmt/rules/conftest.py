"""Hand-made geometry for the rule tests, drawn in metres in a local CRS.

Everything is laid out in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547) around
Wuhan, offset from a local origin, then stored in WGS-84 as the engines expect. Passing
``crs=LOCAL`` to an engine measures in the same plane the test drew in, so expected
distances are exact to well under a millimetre.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

LOCAL = "EPSG:4547"
ORIGIN = (530_000.0, 3_385_000.0)  # about 114.31E, 30.59N


def at(x: float, y: float) -> tuple[float, float]:
    """Local metres from the origin as CRS coordinates."""
    return ORIGIN[0] + x, ORIGIN[1] + y


def shifted(geom: BaseGeometry) -> BaseGeometry:
    """A geometry drawn in metres from the origin, moved to the origin."""
    return shapely.affinity.translate(geom, *ORIGIN)


def frame(geoms: Sequence[BaseGeometry], **columns: Any) -> gpd.GeoDataFrame:
    """A WGS-84 frame of geometries drawn in local metres from the origin."""
    local = gpd.GeoDataFrame(columns, geometry=[shifted(g) for g in geoms], crs=LOCAL)
    return local.to_crs("EPSG:4326")


def points(xy: Sequence[tuple[float, float]], **columns: Any) -> gpd.GeoDataFrame:
    """A WGS-84 frame of points given in local metres from the origin."""
    return frame([shapely.Point(x, y) for x, y in xy], **columns)


def to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """A geometry drawn in local metres from the origin, in WGS-84."""
    return gpd.GeoSeries([shifted(geom)], crs=LOCAL).to_crs("EPSG:4326").iloc[0]
