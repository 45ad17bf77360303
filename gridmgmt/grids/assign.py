"""Which grid contains a point: vectorised point-in-grid with a deterministic tie-break.

A point on a border shared by two grids (or on a vertex shared by several) belongs to the
grid whose id sorts first, so the answer never depends on row order or on the spatial
index. Points outside every grid get no grid.

The work is an STR-tree query of the points against the grids' bounding boxes followed by
one vectorised point-in-polygon test per candidate pair against the prepared grid
polygons, which is cheaper than testing points against unprepared polygons.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmgmt.grids._inputs import check_grids, check_wgs84

__all__ = ["GridIndex", "assign_points", "grid_at", "points_in_polygons"]


def points_in_polygons(
    points: np.ndarray, polygons: np.ndarray, *, tree: shapely.STRtree | None = None
) -> np.ndarray:
    """Index of the first polygon covering each point, -1 for none.

    Parameters
    ----------
    points
        Shapely points.
    polygons
        Shapely polygons; on shared borders the lowest index wins.
    tree
        An STR-tree over ``polygons``, when the caller keeps one.

    Returns
    -------
    numpy.ndarray
        ``int64`` polygon index per point.
    """
    result = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return result
    tree = tree or shapely.STRtree(polygons)
    shapely.prepare(polygons)
    point_idx, poly_idx = tree.query(points, predicate=None)
    if len(point_idx) == 0:
        return result
    x = shapely.get_x(points)[point_idx]
    y = shapely.get_y(points)[point_idx]
    hit = shapely.intersects_xy(polygons[poly_idx], x, y)
    point_idx, poly_idx = point_idx[hit], poly_idx[hit]
    missing = np.iinfo(np.int64).max
    best = np.full(len(points), missing, dtype=np.int64)
    np.minimum.at(best, point_idx, poly_idx)
    found = best != missing
    result[found] = best[found]
    return result


class GridIndex:
    """A reusable index of grid polygons for repeated lookups.

    Parameters
    ----------
    grids
        Grids with ``grid_id`` and polygon geometries in EPSG:4326.
    """

    def __init__(self, grids: gpd.GeoDataFrame) -> None:
        check_grids(grids)
        order = np.argsort(grids["grid_id"].astype(str).to_numpy(), kind="stable")
        self.grid_ids: np.ndarray = grids["grid_id"].to_numpy()[order]
        self.polygons: np.ndarray = np.asarray(grids.geometry.array)[order]
        shapely.prepare(self.polygons)
        self._tree = shapely.STRtree(self.polygons)

    def lookup(self, lon: float, lat: float) -> object | None:
        """Grid id containing one point (a border point goes to the first id), or None."""
        point = shapely.Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return None
        found: object = self.grid_ids[int(np.min(hits))]
        return found

    def assign(self, points: gpd.GeoSeries | np.ndarray) -> np.ndarray:
        """Grid id of each point (object array, None outside every grid)."""
        if isinstance(points, gpd.GeoSeries):
            check_wgs84(points, "points")
            geoms = np.asarray(points.array)
        else:
            geoms = np.asarray(points)
        index = points_in_polygons(geoms, self.polygons, tree=self._tree)
        ids = np.empty(len(geoms), dtype=object)
        inside = index >= 0
        ids[inside] = self.grid_ids[index[inside]]
        return ids


def assign_points(grids: gpd.GeoDataFrame, points: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Grid id of each point: a new or moved retailer goes into the grid that contains it.

    Parameters
    ----------
    grids
        Grids with ``grid_id`` and polygons, EPSG:4326.
    points
        Points (e.g. retailers) in EPSG:4326.

    Returns
    -------
    pandas.Series
        ``grid_id`` per point, indexed like ``points``; None outside every grid.
    """
    series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    ids = GridIndex(grids).assign(series)
    return pd.Series(ids, index=series.index, name="grid_id", dtype=object)


def grid_at(grids: gpd.GeoDataFrame, lon: float, lat: float) -> object | None:
    """Grid id containing a WGS-84 location, or None outside every grid."""
    return GridIndex(grids).lookup(lon, lat)
