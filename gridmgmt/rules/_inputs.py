"""Checks of the rule engines' inputs and their projection into one metric CRS."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TypeVar

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from gridmgmt.crs import WGS84, metric_crs, to_metric, transformer
from gridmgmt.domain import RetailerStatus, parse_enum
from gridmgmt.errors import InvalidInputError

# Distances within a millimetre of a limit count as on it: projecting to and from WGS-84
# moves points by far less, and no survey is finer.
TOLERANCE_M = 1e-3
ObjectArray = npt.NDArray[np.object_]
E = TypeVar("E", bound=StrEnum)


def require_frame(frame: object, name: str, columns: Iterable[str] = ()) -> gpd.GeoDataFrame:
    """Return ``frame`` when it is a GeoDataFrame with a CRS and the named columns.

    Raises
    ------
    TypeError
        If it is not a GeoDataFrame.
    ValueError
        If it has no CRS or lacks a column.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{name} must be a GeoDataFrame; got {type(frame).__name__}"
        raise TypeError(msg)
    if frame.crs is None:
        msg = f"{name} has no CRS; set it first (data at rest is EPSG:4326)"
        raise InvalidInputError(msg)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name} lacks columns {missing}; it has {list(frame.columns)}"
        raise InvalidInputError(msg)
    return frame


def require_kind(frame: gpd.GeoDataFrame, name: str, kinds: Sequence[str]) -> None:
    """Raise when a non-empty geometry of ``frame`` is not one of the geometry ``kinds``."""
    types = frame.geometry.geom_type.dropna()
    bad = sorted(set(types) - set(kinds))
    if bad:
        msg = f"{name} has {bad} geometries; expected {list(kinds)}"
        raise InvalidInputError(msg)


def resolve_crs(crs: pyproj.CRS | str | None, *frames: gpd.GeoDataFrame | None) -> pyproj.CRS:
    """Return ``crs`` checked to be metric, or the local metric CRS of the first non-empty frame.

    Raises
    ------
    ValueError
        If ``crs`` is not a projected CRS in metres, or no frame has any geometry.
    """
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
        units = {axis.unit_name for axis in target.axis_info}
        if not target.is_projected or not units <= {"metre", "meter"}:
            msg = f"crs {target.to_string()!r} is not a projected CRS in metres"
            raise InvalidInputError(msg)
        return target
    for frame in frames:
        if frame is not None and len(frame) and not frame.geometry.is_empty.all():
            return metric_crs(frame.geometry[~frame.geometry.is_empty])
    msg = "cannot choose a metric CRS: every input is empty; pass `crs`"
    raise InvalidInputError(msg)


def metric_geoms(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: pyproj.CRS) -> ObjectArray:
    """Geometries of ``frame`` projected into ``crs`` as a shapely array."""
    projected = to_metric(frame, crs)
    series = projected.geometry if isinstance(projected, gpd.GeoDataFrame) else projected
    return np.asarray(series.array, dtype=object)


def metric_xy(frame: gpd.GeoDataFrame, name: str, crs: pyproj.CRS) -> npt.NDArray[np.float64]:
    """Coordinates ``(n, 2)`` of the points of ``frame`` in ``crs``; raises for non-points.

    Points take a shortcut past :func:`gridmgmt.crs.to_metric`: their coordinates go
    through pyproj as one array, several times faster than rewriting hundreds of thousands
    of geometries.
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    kinds = shapely.get_type_id(geoms)
    bad = (kinds != shapely.GeometryType.POINT) | shapely.is_empty(geoms)
    if bad.any():
        msg = f"{int(bad.sum())} rows of {name} have no point geometry; every row needs one"
        raise InvalidInputError(msg)
    if frame.crs is None:
        msg = f"{name} has no CRS; set it first (data at rest is EPSG:4326)"
        raise InvalidInputError(msg)
    xy: npt.NDArray[np.float64] = shapely.get_coordinates(geoms)
    source = pyproj.CRS.from_user_input(frame.crs)
    if source.equals(crs):
        return xy
    x, y = transformer(source, crs).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def metric_points(frame: gpd.GeoDataFrame, name: str, crs: pyproj.CRS) -> ObjectArray:
    """Point geometries of ``frame`` in ``crs``; raises when a row is not a point."""
    return np.asarray(shapely.points(metric_xy(frame, name, crs)), dtype=object)


def geo_series(geoms: ObjectArray, crs: pyproj.CRS, index: pd.Index | None = None) -> gpd.GeoSeries:
    """Metric geometries back in WGS-84."""
    return gpd.GeoSeries(geoms, crs=crs, index=index).to_crs(WGS84)


def parse_column(values: pd.Series, enum: type[E], name: str) -> npt.NDArray[np.object_]:
    """Parse each value of a column as a member of ``enum`` (parsing each distinct value once)."""
    parsed: dict[object, E] = {}
    for value in pd.unique(values):
        try:
            parsed[value] = parse_enum(enum, str(value))
        except InvalidInputError as error:
            msg = f"{name}: {error}"
            raise InvalidInputError(msg) from None
    return np.asarray(pd.Series(values).map(parsed), dtype=object)


def counted_mask(
    frame: pd.DataFrame, statuses: Sequence[RetailerStatus], name: str = "retailers"
) -> npt.NDArray[np.bool_]:
    """Rows whose ``status`` is one of ``statuses`` (every row when there is no status column)."""
    if "status" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    parsed = parse_column(frame["status"], RetailerStatus, f"{name}.status")
    wanted = set(statuses)
    return np.fromiter((s in wanted for s in parsed), dtype=bool, count=len(parsed))


def polygon_hits(
    points: ObjectArray, polygons: ObjectArray, tree: shapely.STRtree
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every (point, polygon) pair where the point is in or on the polygon.

    Bounding boxes from the polygons' STR-tree, then one vectorised point-in-polygon test
    per candidate against prepared polygons: cheaper than an ``intersects`` query.
    """
    pt_i, poly_i = tree.query(points)
    if len(pt_i) == 0:
        return pt_i, poly_i
    shapely.prepare(polygons)
    xy = shapely.get_coordinates(points[pt_i])
    hit = shapely.intersects_xy(polygons[poly_i], xy[:, 0], xy[:, 1])
    return pt_i[hit], poly_i[hit]


def prepare_for_threads(polygons: ObjectArray) -> None:
    """Prepare polygons for point-in-polygon tests shared by threads.

    GEOS builds a prepared polygon's point locator on first use, which is not thread-safe
    (and shapely tests points without the GIL): one test per polygon here builds it before
    the polygons are shared.
    """
    shapely.prepare(polygons)
    shown = polygons[~shapely.is_empty(polygons)]
    if len(shown):
        xy = shapely.get_coordinates(shapely.point_on_surface(shown))
        shapely.intersects_xy(shown, xy[:, 0], xy[:, 1])


class PolygonLookup:
    """Which polygon contains a metric point; on a shared edge the lowest id wins.

    Parameters
    ----------
    polygons
        Polygon frame with an ``id_column``.
    id_column
        Column naming each polygon.
    crs
        Metric CRS the points will be in.
    """

    def __init__(self, polygons: gpd.GeoDataFrame, id_column: str, crs: pyproj.CRS) -> None:
        ids = polygons[id_column].to_numpy(dtype=object)
        order = np.argsort(ids.astype(str), kind="stable")
        self.ids = ids[order]
        self.polygons = metric_geoms(polygons, crs)[order]
        self.tree = shapely.STRtree(self.polygons)
        prepare_for_threads(self.polygons)

    def at(self, points: ObjectArray) -> ObjectArray:
        """Id of the polygon containing each point (``None`` outside every polygon)."""
        result = np.full(len(points), None, dtype=object)
        if len(self.ids) == 0 or len(points) == 0:
            return result
        pt_i, poly_i = polygon_hits(points, self.polygons, self.tree)
        first = np.full(len(points), len(self.ids), dtype=np.int64)
        np.minimum.at(first, pt_i, poly_i)
        found = first < len(self.ids)
        result[found] = self.ids[first[found]]
        return result
