"""Quality measures of a set of grids: compactness, balance, contiguity and exact tiling.

Areas and lengths are measured in a local metric CRS (:func:`gridmgmt.crs.metric_crs`),
never in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.crs import WGS84, metric_crs
from gridmgmt.errors import InvalidInputError

__all__ = [
    "TilingCheck",
    "check_tiling",
    "is_single_polygon",
    "max_deviation",
    "polsby_popper",
    "polsby_popper_of_geometry",
]

# Gaps and overlaps below this share of the county's area are floating-point noise
# (a square millimetre on a county of a thousand square kilometres).
DEFAULT_TILING_TOLERANCE = 1e-9


@dataclass(frozen=True)
class TilingCheck:
    """How exactly a set of grids tiles a county.

    Attributes
    ----------
    county_area_m2
        Area of the county.
    gap_area_m2
        Area of the county covered by no grid.
    overlap_area_m2
        Area covered by more than one grid (sum of areas minus area of the union).
    outside_area_m2
        Area of grids outside the county.
    ok
        Whether gaps, overlaps and spill-over are all below the tolerance.
    """

    county_area_m2: float
    gap_area_m2: float
    overlap_area_m2: float
    outside_area_m2: float
    ok: bool


def polsby_popper(geometries: gpd.GeoSeries, *, crs: pyproj.CRS | None = None) -> np.ndarray:
    """Polsby-Popper compactness ``4 * pi * area / perimeter**2`` of each geometry.

    1 for a circle, about 0.91 for a regular hexagon, 0.785 for a square, near 0 for a long
    thin strip. Geographic input is projected first.

    Parameters
    ----------
    geometries
        Polygons with a CRS.
    crs
        Metric CRS to measure in; by default :func:`gridmgmt.crs.metric_crs` of the data
        (ignored when the data are already projected).

    Returns
    -------
    numpy.ndarray
        One value per geometry; NaN for empty geometries.
    """
    projected = _projected(geometries, crs)
    area = shapely.area(np.asarray(projected.array))
    perimeter = shapely.length(np.asarray(projected.array))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = 4.0 * np.pi * area / perimeter**2
    return np.where(perimeter > 0, values, np.nan)


def polsby_popper_of_geometry(geometry: BaseGeometry, *, crs: pyproj.CRS | None = None) -> float:
    """Polsby-Popper compactness of one WGS-84 geometry (e.g. the county itself)."""
    series = gpd.GeoSeries([geometry], crs=WGS84)
    return float(polsby_popper(series, crs=crs)[0])


def max_deviation(workloads: npt.ArrayLike, *, target: float | None = None) -> float:
    """Largest relative deviation of a workload from the target, ``max |w - t| / t``.

    Parameters
    ----------
    workloads
        Workload of each grid.
    target
        Reference workload; the mean by default.

    Returns
    -------
    float
        0 for perfect balance; 0.05 means some grid is 5% off. NaN when there are no grids
        or the target is not positive.
    """
    values = np.asarray(workloads, dtype=float)
    if values.size == 0:
        return float("nan")
    reference = float(values.mean()) if target is None else float(target)
    if reference <= 0:
        return float("nan")
    return float(np.abs(values - reference).max() / reference)


def is_single_polygon(geometries: gpd.GeoSeries) -> np.ndarray:
    """Tell which geometries are one connected polygon (holes allowed)."""
    geoms = np.asarray(geometries.array)
    kinds = shapely.get_type_id(geoms)
    single = kinds == shapely.GeometryType.POLYGON
    multi = kinds == shapely.GeometryType.MULTIPOLYGON
    if multi.any():
        # A multipolygon of one part is still one polygon.
        single[multi] = shapely.get_num_geometries(geoms[multi]) == 1
    return np.asarray(single & ~shapely.is_empty(geoms), dtype=bool)


def check_tiling(
    grids: gpd.GeoSeries,
    county: BaseGeometry,
    *,
    crs: pyproj.CRS | None = None,
    tolerance: float = DEFAULT_TILING_TOLERANCE,
) -> TilingCheck:
    """Check that grids tile the county: no gaps, no overlaps, nothing outside.

    Parameters
    ----------
    grids
        Grid polygons with a CRS (normally EPSG:4326).
    county
        County boundary in WGS-84.
    crs
        Metric CRS to measure in; by default chosen from the county.
    tolerance
        Largest gap, overlap or spill-over accepted, as a share of the county's area.

    Returns
    -------
    TilingCheck
        The measured areas and whether the tiling is exact within the tolerance.
    """
    target = crs or metric_crs(county)
    geoms = np.asarray(grids.to_crs(WGS84).array)
    union = shapely.union_all(geoms)
    # Differences are measured in longitude/latitude, where grids and county share their
    # vertices exactly, and converted with the county's square metres per square degree:
    # projecting first would bend a long county edge differently from the same edge split
    # by extra vertices and report the bend as a gap.
    county_area = float(gpd.GeoSeries([county], crs=WGS84).to_crs(target).area.iloc[0])
    per_degree = county_area / county.area
    gap = shapely.difference(county, union).area * per_degree
    outside = shapely.difference(union, county).area * per_degree
    overlap = max(0.0, float(shapely.area(geoms).sum()) - union.area) * per_degree
    limit = tolerance * county_area
    ok = gap <= limit and overlap <= limit and outside <= limit
    return TilingCheck(county_area, gap, overlap, outside, ok)


def _projected(geometries: gpd.GeoSeries, crs: pyproj.CRS | None) -> gpd.GeoSeries:
    if geometries.crs is None:
        msg = "geometries have no CRS; set it first (data at rest is EPSG:4326)"
        raise InvalidInputError(msg)
    if geometries.crs.is_projected:
        return geometries
    return geometries.to_crs(crs or metric_crs(geometries))
