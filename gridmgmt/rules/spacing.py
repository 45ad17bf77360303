"""Reasonable layout (合理布局): the minimum spacing between retailers by area type.

Each retailer's area type comes from an area-type polygon layer (where polygons overlap,
the type with the larger minimum wins), else from the density rule (counted retailers
per km² within a radius), else the default area type. Two retailers breach the rule when
they are closer than the larger of their two minimums. Only retailers whose status counts
(by default active and suspended licences) take part.

The pairs come from k-d tree joins in the local metric CRS, one per distinct minimum,
each pair looked for once from the side with the larger minimum (see
:meth:`SpacingIndex.pairs`); single points (licence checks) use an STR-tree ``dwithin``
query.
"""

from __future__ import annotations

import math
from functools import cached_property

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import (
    TOLERANCE_M,
    ObjectArray,
    counted_mask,
    metric_geoms,
    metric_points,
    polygon_hits,
    require_frame,
    resolve_crs,
)
from gridmgmt.rules.settings import SpacingSettings

__all__ = ["SpacingIndex", "area_types", "spacing_breaches"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class SpacingIndex:
    """The counted retailers, their area types and minimums, indexed once.

    Parameters
    ----------
    retailers
        Retailers with point geometries and, optionally, ``status``.
    settings
        The spacing settings.
    areas
        Area-type polygons with an ``area_column`` naming the area type.
    area_column
        Column of ``areas`` with the area type.
    crs
        Metric CRS to measure in; by default the local one of the retailers.

    Raises
    ------
    ValueError
        If an area polygon names an area type the settings have no minimum for.
    """

    def __init__(
        self,
        retailers: gpd.GeoDataFrame,
        *,
        settings: SpacingSettings,
        areas: gpd.GeoDataFrame | None = None,
        area_column: str = "area_type",
        crs: pyproj.CRS | str | None = None,
    ) -> None:
        require_frame(retailers, "retailers")
        self.settings = settings
        self.crs = resolve_crs(crs, retailers, areas)
        self.points = metric_points(retailers, "retailers", self.crs)
        self.counted = counted_mask(retailers, settings.counted_statuses)
        self.counted_pos = np.flatnonzero(self.counted)
        xy = shapely.get_coordinates(self.points[self.counted_pos])
        self._kd = cKDTree(xy) if len(xy) else None
        self._areas, self._area_types = self._load_areas(areas, area_column)
        self._area_tree = shapely.STRtree(self._areas)
        self.area_type = self.area_types_at(self.points, include_self=True)
        self.minimum = self.minimum_of(self.area_type)
        self.max_minimum = float(self.minimum[self.counted].max(initial=0.0))

    @cached_property
    def tree(self) -> shapely.STRtree:
        """STR-tree of the counted retailers (built on first use, for single points)."""
        return shapely.STRtree(self.points[self.counted_pos])

    def minimum_of(self, types: npt.ArrayLike) -> FloatArray:
        """Spacing minimum in metres of each area type."""
        series = pd.Series(np.asarray(types, dtype=object))
        minimum: FloatArray = series.map(self.settings.minimum_m).to_numpy(dtype=float)
        return minimum

    def area_types_at(self, points: ObjectArray, *, include_self: bool = False) -> ObjectArray:
        """Area type at each point: polygon layer, then density rule, then the default.

        Parameters
        ----------
        points
            Shapely points in the index's metric CRS.
        include_self
            The points are counted retailers themselves (their own density includes them
            once); otherwise each point counts as one more retailer.
        """
        result = np.full(len(points), self.settings.default_area_type, dtype=object)
        hit = self._polygon_types(points)
        inside = hit != None  # noqa: E711 - elementwise on an object array
        result[inside] = hit[inside]
        rule = self.settings.density
        if rule is None or self._kd is None or inside.all():
            return result
        outside = np.flatnonzero(~inside)
        xy = shapely.get_coordinates(points[outside])
        counts = self._kd.query_ball_point(xy, r=rule.radius_m, return_length=True)
        if not include_self:
            counts = counts + 1
        density = counts / (math.pi * rule.radius_m**2 / 1e6)
        for band in reversed(rule.bands):  # lowest threshold first, higher ones overwrite
            result[outside[density >= band.min_per_km2]] = band.area_type
        return result

    def pairs(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Every pair of counted retailers closer than their required minimum.

        Each pair is looked for once, from the retailer with the larger minimum (the
        lower position on a tie): for each distinct minimum ``r``, a k-d tree of the
        retailers with that minimum is joined with one of those with a minimum up to
        ``r``, within ``r``, which finds every pair closer than ``r`` with its distance.

        Returns
        -------
        tuple of numpy.ndarray
            Positions ``a < b`` of the two retailers and their distance in metres, in
            order of ``a`` then ``b``.
        """
        pos = self.counted_pos
        minimum = self.minimum[pos]
        xy = shapely.get_coordinates(self.points[pos])
        found: list[tuple[IntArray, IntArray, FloatArray]] = []
        for radius in np.unique(minimum[minimum > 0]):
            own = np.flatnonzero(minimum == radius)
            reach = np.flatnonzero(minimum <= radius)
            join = cKDTree(xy[own]).sparse_distance_matrix(
                cKDTree(xy[reach]), radius, output_type="ndarray"
            )
            a, b, dist = own[join["i"]], reach[join["j"]], join["v"]
            # Pairs of two retailers with this minimum come up twice: keep a < b. A
            # retailer with a smaller minimum is only ever found from here.
            keep = (minimum[b] < radius) | (a < b)
            keep &= dist < radius - TOLERANCE_M
            found.append((a[keep], b[keep], dist[keep]))
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        a = np.concatenate([f[0] for f in found])
        b = np.concatenate([f[1] for f in found])
        dist = np.concatenate([f[2] for f in found])
        a, b = pos[np.minimum(a, b)], pos[np.maximum(a, b)]
        order = np.lexsort((b, a))
        return a[order], b[order], dist[order]

    def too_close(self, point: shapely.Point, area_type: str) -> tuple[IntArray, FloatArray]:
        """Counted retailers closer to a new retailer at ``point`` than the rule allows.

        Returns
        -------
        tuple of numpy.ndarray
            Retailer positions and distances in metres, nearest first.
        """
        own = self.settings.minimum_m[area_type]
        reach = max(own, self.max_minimum)
        if reach <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        hits = self.counted_pos[self.tree.query(point, predicate="dwithin", distance=reach)]
        dist = shapely.distance(point, self.points[hits])
        breach = dist < np.maximum(own, self.minimum[hits]) - TOLERANCE_M
        order = np.argsort(dist[breach], kind="stable")
        return hits[breach][order], dist[breach][order]

    def _load_areas(
        self, areas: gpd.GeoDataFrame | None, column: str
    ) -> tuple[ObjectArray, ObjectArray]:
        if areas is None or len(areas) == 0:
            return np.zeros(0, dtype=object), np.zeros(0, dtype=object)
        require_frame(areas, "areas", [column])
        types = areas[column].astype(str).to_numpy(dtype=object)
        unknown = sorted(set(types) - set(self.settings.minimum_m))
        if unknown:
            msg = (
                f"areas.{column} has area types {unknown} with no spacing minimum; expected "
                f"one of {sorted(self.settings.minimum_m)}"
            )
            raise InvalidInputError(msg)
        geoms = metric_geoms(areas, self.crs)
        # Stricter first, so the first polygon a point falls in has the larger minimum.
        order = np.argsort(-self.minimum_of(types), kind="stable")
        return geoms[order], types[order]

    def _polygon_types(self, points: ObjectArray) -> ObjectArray:
        result = np.full(len(points), None, dtype=object)
        if len(self._areas) == 0 or len(points) == 0:
            return result
        pt_i, area_i = polygon_hits(points, self._areas, self._area_tree)
        first = np.full(len(points), len(self._areas), dtype=np.int64)
        np.minimum.at(first, pt_i, area_i)
        found = first < len(self._areas)
        result[found] = self._area_types[first[found]]
        return result


def area_types(
    retailers: gpd.GeoDataFrame,
    *,
    settings: SpacingSettings,
    areas: gpd.GeoDataFrame | None = None,
    area_column: str = "area_type",
    crs: pyproj.CRS | str | None = None,
) -> pd.Series:
    """The area type of each retailer (polygon layer, else density rule, else default).

    Returns
    -------
    pandas.Series
        Area type per retailer, indexed like ``retailers``.
    """
    index = SpacingIndex(
        retailers, settings=settings, areas=areas, area_column=area_column, crs=crs
    )
    return pd.Series(index.area_type, index=retailers.index, name="area_type", dtype=object)


def spacing_breaches(
    retailers: gpd.GeoDataFrame,
    *,
    settings: SpacingSettings,
    areas: gpd.GeoDataFrame | None = None,
    area_column: str = "area_type",
    crs: pyproj.CRS | str | None = None,
    retailer_id: str = "licence_no",
    geometry: bool = True,
) -> pd.DataFrame:
    """Every pair of retailers closer than the minimum spacing (合理布局) allows.

    Parameters
    ----------
    retailers
        Retailers with ``retailer_id``, point geometries and, optionally, ``status``.
    settings
        The spacing settings.
    areas
        Area-type polygons with an ``area_column``; without them the density rule decides.
    area_column
        Column of ``areas`` with the area type.
    crs
        Metric CRS to measure in; by default the local one of the retailers.
    retailer_id
        Identifying column of ``retailers``.
    geometry
        Draw the segment between each pair (for maps); without it a plain DataFrame
        comes back, which is quicker when the pairs run into millions.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        One row per pair: ``<retailer_id>_a``, ``<retailer_id>_b``, ``area_type_a``,
        ``area_type_b``, ``distance_m``, ``required_m``, ``shortfall_m`` and, with
        ``geometry``, the segment between them in WGS-84; largest shortfall first.
    """
    require_frame(retailers, "retailers", [retailer_id])
    index = SpacingIndex(
        retailers, settings=settings, areas=areas, area_column=area_column, crs=crs
    )
    a, b, dist = index.pairs()
    ids = retailers[retailer_id].to_numpy()
    required = np.maximum(index.minimum[a], index.minimum[b])
    table = pd.DataFrame(
        {
            f"{retailer_id}_a": ids[a],
            f"{retailer_id}_b": ids[b],
            "area_type_a": index.area_type[a],
            "area_type_b": index.area_type[b],
            "distance_m": dist,
            "required_m": required,
            "shortfall_m": required - dist,
        }
    )
    order = np.lexsort((a, -(required - dist)))
    table = table.iloc[order].reset_index(drop=True)
    if not geometry:
        return table
    wgs84 = retailers.geometry if retailers.crs.equals(WGS84) else retailers.geometry.to_crs(WGS84)
    lonlat = shapely.get_coordinates(wgs84.array)
    a, b = a[order], b[order]
    lines = shapely.linestrings(np.stack([lonlat[a], lonlat[b]], axis=1))
    return gpd.GeoDataFrame(table, geometry=lines, crs=WGS84)
