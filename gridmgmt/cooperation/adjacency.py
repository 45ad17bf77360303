"""County adjacency (相邻县) from boundary polygons, tolerant of real boundary files.

Two counties are adjacent when they share a border of positive length. Public county outlines
rarely match exactly: across a province line neighbours overlap (up to about 1.7 km² between
尚义县 and 兴和县 in GCJ-02 outlines) and elsewhere leave gaps of tens of metres. So the
shared border of A and B is measured as the part of A's boundary that lies inside B or within
``tolerance_m`` of it (and the same from B's side; the mean of the two is ``border_m``): an
overlap or a narrow gap does not break it. A contact at a corner only (four counties meeting
at a point) leaves stubs a few tolerances long, so a border must be at least ``min_border_m``
long to count.

:func:`boundary_defects` lists what a file has that a clean tiling would not: overlaps
between two counties (their common area) and gaps (slivers narrower than ``2 * max_gap_m``
between counties, found by closing the union of all counties), each with its area and where
it is, for the import to report as warnings.

**Which county owns a point in an overlap** (:data:`OVERLAP_RULE`): the county with the
lowest code (:func:`overlap_owner`). Every place that locates a point to a county follows it:
the import filling a missing ``county_code`` (``gridmgmt.io.validate``), the licence check
(``gridmgmt.services.rules.checks``), border markets and the licence checker
(``gridmgmt.rules._inputs.PolygonLookup``) and :func:`locate_points` here. The rule is
arbitrary but stable and needs no extra data; both counties' liaisons see the overlap in the
import's warnings and on the cooperation page.

Everything here is pure: GeoDataFrames in (WGS-84), GeoDataFrames out (WGS-84); metric
work happens in the counties' local metric CRS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import (
    ObjectArray,
    geo_series,
    metric_geoms,
    require_frame,
    require_kind,
    resolve_crs,
)

__all__ = [
    "ADJACENCY_COLUMNS",
    "DEFECT_COLUMNS",
    "OVERLAP_RULE",
    "boundary_defects",
    "county_adjacency",
    "locate_points",
    "neighbours_of",
    "overlap_owner",
]

TOLERANCE_M: Final = 100.0
"""Boundary lines this close (or overlapping) count as one shared border."""
MIN_BORDER_M: Final = 500.0
"""A shared border shorter than this is a corner contact, not adjacency."""
MAX_GAP_M: Final = 100.0
"""Gaps narrower than twice this between counties are reported (wider ones are real land)."""
MIN_DEFECT_M2: Final = 1.0
"""Overlaps and gaps smaller than this (floating-point noise) are not reported."""
OVERLAP_RULE: Final = "lowest county code"
"""Which county owns a point inside two counties' outlines (see :func:`overlap_owner`)."""
ADJACENCY_COLUMNS: Final = (
    "county_a",
    "county_b",
    "province_a",
    "province_b",
    "province_crossing",
    "border_m",
    "overlap_m2",
)
DEFECT_COLUMNS: Final = ("kind", "county_a", "county_b", "area_m2", "pieces", "lon", "lat")
_EDGE_SHARE: Final = 0.25  # a gap piece lying this much on the study area's outer edge is a notch


def overlap_owner(codes: Iterable[str]) -> str:
    """The county that owns a point lying in all of ``codes``: the lowest code.

    Raises
    ------
    InvalidInputError
        If ``codes`` is empty.
    """
    listed = sorted(str(code) for code in codes)
    if not listed:
        msg = "overlap_owner needs at least one county code"
        raise InvalidInputError(msg)
    return listed[0]


def _prepare(
    counties: gpd.GeoDataFrame, crs: pyproj.CRS | str | None, code: str
) -> tuple[pyproj.CRS, ObjectArray, npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Metric CRS, valid metric polygons, codes and provinces, in code order."""
    require_frame(counties, "counties", [code])
    require_kind(counties, "counties", ["Polygon", "MultiPolygon"])
    duplicated = counties[code].astype(str).duplicated()
    if duplicated.any():
        repeated = sorted(set(counties.loc[duplicated, code].astype(str)))
        msg = f"counties lists codes {repeated} more than once; each county needs one outline"
        raise InvalidInputError(msg)
    ordered = counties.iloc[np.argsort(counties[code].astype(str).to_numpy(), kind="stable")]
    metric = resolve_crs(crs, ordered)
    polys = shapely.make_valid(metric_geoms(ordered, metric))
    codes = ordered[code].astype(str).to_numpy(dtype=object)
    if "province_code" in ordered.columns:
        provinces = ordered["province_code"].astype(str).to_numpy(dtype=object)
    else:
        provinces = np.array([c[:2] + "0000" for c in codes], dtype=object)
    return metric, polys, codes, provinces


def _lines(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the line parts of ``geom``, merged."""
    parts = shapely.get_parts(geom)
    kinds = shapely.get_type_id(parts)
    lines = parts[
        np.isin(kinds, [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING])
    ]
    if not len(lines):
        return shapely.LineString()
    return shapely.line_merge(shapely.union_all(lines))


def county_adjacency(
    counties: gpd.GeoDataFrame,
    *,
    tolerance_m: float = TOLERANCE_M,
    min_border_m: float = MIN_BORDER_M,
    crs: pyproj.CRS | str | None = None,
    code: str = "code",
) -> gpd.GeoDataFrame:
    """Pairs of adjacent counties with the length of their shared border.

    Parameters
    ----------
    counties
        County outlines in WGS-84 with a ``code`` column and, optionally, ``province_code``
        (default: the code's first two digits + ``0000``).
    tolerance_m
        Boundaries this close (or overlapping) count as one border.
    min_border_m
        Shorter shared borders are corner contacts and do not count.
    crs
        Metric CRS to work in; by default the counties' local one.
    code
        Column with the county code.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per adjacent pair (``county_a < county_b``): :data:`ADJACENCY_COLUMNS`
        (``province_crossing`` marks a border between provinces, ``overlap_m2`` the
        area both outlines claim) and the border line (from ``county_a``'s side) in WGS-84.

    Raises
    ------
    InvalidInputError
        If a tolerance is negative, the frame lacks ``code`` or holds a code twice, or a
        geometry is not a polygon.
    """
    if tolerance_m < 0 or min_border_m < 0:
        msg = f"tolerance_m ({tolerance_m}) and min_border_m ({min_border_m}) must be >= 0 metres"
        raise InvalidInputError(msg)
    if len(counties) < 2:
        return _empty_adjacency()
    metric, polys, codes, provinces = _prepare(counties, crs, code)
    a, b = shapely.STRtree(polys).query(polys, predicate="dwithin", distance=tolerance_m)
    keep = a < b
    a, b = a[keep], b[keep]
    grown = shapely.buffer(polys, tolerance_m)
    boundaries = shapely.boundary(polys)
    from_a = np.array(
        [_lines(g) for g in shapely.intersection(boundaries[a], grown[b])], dtype=object
    )
    from_b = shapely.intersection(boundaries[b], grown[a])
    border_m = (shapely.length(from_a) + shapely.length(_linear_all(from_b))) / 2
    real = border_m >= max(min_border_m, np.finfo(float).tiny)
    overlap = shapely.area(shapely.intersection(polys[a[real]], polys[b[real]]))
    rows = pd.DataFrame(
        {
            "county_a": codes[a[real]],
            "county_b": codes[b[real]],
            "province_a": provinces[a[real]],
            "province_b": provinces[b[real]],
            "province_crossing": provinces[a[real]] != provinces[b[real]],
            "border_m": border_m[real],
            "overlap_m2": np.where(overlap >= MIN_DEFECT_M2, overlap, 0.0),
        }
    )
    rows["province_crossing"] = rows["province_crossing"].astype(bool)
    geoms = geo_series(from_a[real], metric).array
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84).reset_index(drop=True)


def _linear_all(geoms: ObjectArray) -> ObjectArray:
    return np.array([_lines(g) for g in geoms], dtype=object)


def _empty_adjacency() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({column: [] for column in ADJACENCY_COLUMNS})
    frame["province_crossing"] = frame["province_crossing"].astype(bool)
    return gpd.GeoDataFrame(frame, geometry=[], crs=WGS84)


def neighbours_of(adjacency: pd.DataFrame, county: str) -> list[str]:
    """The codes adjacent to ``county`` in an :func:`county_adjacency` table, sorted."""
    a = adjacency["county_a"].astype(str)
    b = adjacency["county_b"].astype(str)
    found = set(b[a == county]) | set(a[b == county])
    return sorted(found)


def boundary_defects(
    counties: gpd.GeoDataFrame,
    *,
    max_gap_m: float = MAX_GAP_M,
    min_area_m2: float = MIN_DEFECT_M2,
    crs: pyproj.CRS | str | None = None,
    code: str = "code",
) -> gpd.GeoDataFrame:
    """Overlaps and gaps between county outlines, per pair of counties.

    Parameters
    ----------
    counties
        County outlines in WGS-84 with a ``code`` column.
    max_gap_m
        Gaps up to ``2 * max_gap_m`` wide are found (closing the union of the counties by
        this distance); a wider space between counties is taken to be real.
    min_area_m2
        Pieces smaller than this are noise and left out.
    crs
        Metric CRS to work in; by default the counties' local one.
    code
        Column with the county code.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`DEFECT_COLUMNS`: ``kind`` (``overlap`` or ``gap``), the pair
        (``county_a < county_b``), ``area_m2`` in all, the number of ``pieces``, and
        ``lon``/``lat`` (WGS-84) of a point inside the largest piece; the geometry is every
        piece, in WGS-84. Largest first.
    """
    if max_gap_m < 0 or min_area_m2 < 0:
        msg = f"max_gap_m ({max_gap_m}) and min_area_m2 ({min_area_m2}) must be >= 0"
        raise InvalidInputError(msg)
    if len(counties) < 2:
        return _empty_defects()
    metric, polys, codes, _ = _prepare(counties, crs, code)
    rows = _overlaps(polys, codes, min_area_m2) + _gaps(polys, codes, max_gap_m, min_area_m2)
    if not rows:
        return _empty_defects()
    frame = pd.DataFrame(rows, columns=[*DEFECT_COLUMNS[:5], "point", "geometry"])
    points = geo_series(frame.pop("point").to_numpy(dtype=object), metric)
    frame["lon"] = points.x.to_numpy()
    frame["lat"] = points.y.to_numpy()
    geoms = geo_series(frame.pop("geometry").to_numpy(dtype=object), metric).array
    out = gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)
    out = out.sort_values(["area_m2", "county_a", "county_b"], ascending=[False, True, True])
    return out.reset_index(drop=True)


def _empty_defects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({column: [] for column in DEFECT_COLUMNS}, geometry=[], crs=WGS84)


Row = tuple[str, str, str, float, int, shapely.Geometry, shapely.Geometry]


def _row(kind: str, pair: tuple[str, str], pieces: list[shapely.Geometry]) -> Row:
    areas = shapely.area(np.asarray(pieces, dtype=object))
    largest = pieces[int(np.argmax(areas))]
    return (
        kind,
        pair[0],
        pair[1],
        float(areas.sum()),
        len(pieces),
        shapely.point_on_surface(largest),
        shapely.multipolygons(pieces),
    )


def _polygons(geom: shapely.Geometry, min_area_m2: float) -> list[shapely.Geometry]:
    parts = shapely.get_parts(geom)
    polygons = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    return [p for p in polygons if shapely.area(p) >= max(min_area_m2, 1e-9)]


def _overlaps(polys: ObjectArray, codes: npt.NDArray[np.object_], min_area_m2: float) -> list[Row]:
    a, b = shapely.STRtree(polys).query(polys, predicate="intersects")
    keep = a < b
    rows = []
    for i, j in zip(a[keep], b[keep], strict=True):
        pieces = _polygons(shapely.intersection(polys[i], polys[j]), min_area_m2)
        if pieces:
            rows.append(_row("overlap", (str(codes[i]), str(codes[j])), pieces))
    return rows


def _gaps(
    polys: ObjectArray, codes: npt.NDArray[np.object_], max_gap_m: float, min_area_m2: float
) -> list[Row]:
    if max_gap_m == 0:
        return []
    union = shapely.union_all(polys)
    closed = shapely.buffer(shapely.buffer(union, max_gap_m), -max_gap_m)
    pieces = _polygons(shapely.difference(closed, union), min_area_m2)
    if not pieces:
        return []
    # A notch of the study area's outer edge closed by the buffer is no gap between counties.
    edge = shapely.buffer(shapely.boundary(closed), 0.01 * max_gap_m)
    tree = shapely.STRtree(polys)
    near_by = shapely.buffer(polys, 2 * max_gap_m)
    found: dict[tuple[str, str], list[shapely.Geometry]] = {}
    for piece in pieces:
        rim = shapely.length(shapely.boundary(piece))
        if shapely.length(shapely.intersection(shapely.boundary(piece), edge)) > _EDGE_SHARE * rim:
            continue
        touching = sorted(int(i) for i in tree.query(piece, "dwithin", 0.5))
        for x, first in enumerate(touching):
            for second in touching[x + 1 :]:
                # A gap running around a county touches all its neighbours: each pair gets
                # the part of it lying between the two of them.
                near = shapely.intersection(near_by[first], near_by[second])
                for part in _polygons(shapely.intersection(piece, near), min_area_m2):
                    found.setdefault((str(codes[first]), str(codes[second])), []).append(part)
    return [_row("gap", pair, found[pair]) for pair in sorted(found)]


def locate_points(
    lon: npt.ArrayLike, lat: npt.ArrayLike, counties: gpd.GeoDataFrame, *, code: str = "code"
) -> npt.NDArray[np.object_]:
    """The county of each WGS-84 point; in an overlap the :data:`OVERLAP_RULE` decides.

    Returns
    -------
    numpy.ndarray
        County codes (``None`` outside every county), one per point.
    """
    x = np.atleast_1d(np.asarray(lon, dtype=float))
    y = np.atleast_1d(np.asarray(lat, dtype=float))
    result = np.full(len(x), None, dtype=object)
    if not len(counties) or not len(x):
        return result
    require_frame(counties, "counties", [code])
    shapes = np.asarray(counties.geometry.array, dtype=object)
    codes = counties[code].astype(str).to_numpy(dtype=object)
    points = shapely.points(x, y)
    pt_i, poly_i = shapely.STRtree(shapes).query(points, predicate="intersects")
    owners: dict[int, list[str]] = {}
    for p, c in zip(pt_i, poly_i, strict=True):
        owners.setdefault(int(p), []).append(str(codes[c]))
    for p, found in owners.items():
        result[p] = overlap_owner(found)
    return result
