"""School red lines (学校红线): retailers too close to a school.

A school's red line is a distance per school kind (:class:`~gridmgmt.rules.settings.
RedLineSettings`), measured from its gates (校门), its campus polygon's boundary or its
point, as a straight line or as the shortest walk along the road network. A school
without gates is measured from its campus, and one without a campus from its point; each
result says what it was measured from. A retailer inside a campus is 0 m from it.

Straight-line distances come from k-d tree joins of the retailers with the point sources
(one per red-line distance) and an STR-tree ``dwithin`` query for campus polygons, in the
local metric CRS. Shortest walks are a multi-source Dijkstra from the schools of each kind
over the road graph, capped at that kind's distance, for the retailers the straight line
has not already ruled out (a walk is never shorter than the straight line); each retailer
gets the nearest school of each kind it is inside the red line of.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from gridmgmt.crs import WGS84
from gridmgmt.domain import SchoolKind
from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import (
    TOLERANCE_M,
    ObjectArray,
    geo_series,
    metric_geoms,
    metric_points,
    metric_xy,
    parse_column,
    require_frame,
    require_kind,
    resolve_crs,
)
from gridmgmt.rules._walk import Attachments, WalkNetwork
from gridmgmt.rules.settings import DistanceMode, MeasureFrom, RedLineSettings

__all__ = [
    "RedLineIndex",
    "RedLineMatches",
    "WalkNetwork",
    "red_line_violations",
    "red_line_zones",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# What a distance was measured from, per source geometry.
GATE, CAMPUS, POINT = "gate", "campus", "point"
_QUAD_SEGS = 16


@dataclass(frozen=True)
class RedLineMatches:
    """Points inside a red line: one row per (point, school), nearest source of the school."""

    point: IntArray  # position of the point in the query
    school: IntArray  # position of the school in the schools frame
    distance_m: FloatArray
    source: IntArray  # row of RedLineIndex.sources the distance was measured from


class RedLineIndex:
    """The red-line sources of every school, projected and indexed once.

    Parameters
    ----------
    schools
        Schools with ``kind`` (any spelling :func:`gridmgmt.domain.parse_enum` accepts),
        point geometries and, optionally, a ``campus`` column of (multi)polygons in the
        same CRS.
    rule
        The red-line settings.
    crs
        Metric CRS to measure in; by default the local one of the schools.
    gates
        School gates: points with a ``gate_school`` column naming their school by its
        ``school_id``.
    graph
        Road graph for walk mode: node ``x``, ``y`` in ``crs`` and edge ``length`` in
        metres (see :mod:`gridmgmt.rules._walk`).
    school_id, gate_school
        Column of ``schools`` that names a school, and the column of ``gates`` that refers
        to it.

    Raises
    ------
    ValueError
        If a column is missing, a kind is unknown, a gate names no school, or walk mode is
        set without a graph.
    """

    def __init__(
        self,
        schools: gpd.GeoDataFrame,
        *,
        rule: RedLineSettings,
        crs: pyproj.CRS | str | None = None,
        gates: gpd.GeoDataFrame | None = None,
        graph: nx.Graph | WalkNetwork | None = None,
        school_id: str = "name",
        gate_school: str = "school",
    ) -> None:
        require_frame(schools, "schools", ["kind", school_id])
        if rule.mode is DistanceMode.WALK and graph is None:
            msg = (
                "red-line mode is 'walk' but no road graph was given; "
                "pass `graph` or use mode 'straight'"
            )
            raise InvalidInputError(msg)
        self.crs = resolve_crs(crs, schools)
        self.rule = rule
        self.schools = schools
        self.school_ids = schools[school_id].to_numpy()
        self.kinds = parse_column(schools["kind"], SchoolKind, "schools.kind")
        self.kind_values = np.array([k.value for k in self.kinds], dtype=object)
        self.network = (
            graph if isinstance(graph, WalkNetwork) or graph is None else WalkNetwork(graph)
        )
        self.sources = self._build_sources(schools, gates, school_id, gate_school)
        self.tree = shapely.STRtree(self.sources["geometry"].to_numpy())

    def match(self, xy: FloatArray) -> RedLineMatches:
        """Every (point, school) pair where the point is inside the school's red line.

        Parameters
        ----------
        xy
            Point coordinates ``(n, 2)`` in the index's metric CRS.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        straight = self._straight(xy)
        if self.rule.mode is DistanceMode.STRAIGHT:
            return straight
        return self._walk(shapely.points(xy), straight)

    def match_point(self, point: shapely.Point) -> RedLineMatches:
        """The schools whose red line one metric point is inside (``point`` is 0).

        Quicker than :meth:`match` for one point: it queries the index of the sources
        built once, and in walk mode runs one Dijkstra from the point.
        """
        src = self.sources
        rows = self.tree.query(
            point, predicate="dwithin", distance=self.rule.max_distance_m + TOLERANCE_M
        )
        geoms = src["geometry"].to_numpy()[rows]
        dist = shapely.distance(geoms, point)
        limits = src["limit_m"].to_numpy()[rows]
        inside = dist <= limits + TOLERANCE_M
        rows, dist, limits = rows[inside], dist[inside], limits[inside]
        if self.rule.mode is DistanceMode.WALK and len(rows):
            assert self.network is not None  # checked in the constructor
            seed = self.network.attach(np.array([point], dtype=object))
            targets = _reown(self.network.attach(geoms[inside]), rows)
            walked, _ = self.network.walk(seed, targets, limit=float(limits.max()) + TOLERANCE_M)
            walked = np.where(dist == 0, 0.0, walked[rows])
            inside = walked <= limits + TOLERANCE_M
            rows, dist = rows[inside], walked[inside]
        school = src["school"].to_numpy()[rows]
        return _nearest_per_pair(np.zeros(len(rows), dtype=np.int64), school, dist, rows)

    def zones(self) -> gpd.GeoDataFrame:
        """The red-line polygons (buffers around each school's sources), in WGS-84.

        In walk mode these are the outer envelope: a walk is never shorter than the
        straight line.
        """
        src = self.sources
        buffered = shapely.buffer(
            src["geometry"].to_numpy(), src["limit_m"].to_numpy(), quad_segs=_QUAD_SEGS
        )
        frame = pd.DataFrame({"school_pos": src["school"].to_numpy(), "geometry": buffered})
        merged = frame.groupby("school_pos", sort=True)["geometry"].agg(shapely.union_all)
        first = src.drop_duplicates("school").set_index("school").loc[merged.index]
        return gpd.GeoDataFrame(
            {
                "school": self.school_ids[merged.index],
                "school_kind": self.kind_values[merged.index],
                "limit_m": first["limit_m"].to_numpy(),
                "measured_from": first["measured_from"].to_numpy(),
                "mode": self.rule.mode.value,
            },
            geometry=geo_series(merged.to_numpy(), self.crs).array,
            crs=WGS84,
        )

    def _build_sources(
        self,
        schools: gpd.GeoDataFrame,
        gates: gpd.GeoDataFrame | None,
        school_id: str,
        gate_school: str,
    ) -> pd.DataFrame:
        limits = np.array(
            [np.nan if (d := self.rule.limit(k)) is None else d for k in self.kinds], dtype=float
        )
        ruled = ~np.isnan(limits)
        points = metric_points(schools, "schools", self.crs)
        frames = []
        todo = ruled.copy()
        if self.rule.measure_from is MeasureFrom.GATES and gates is not None and len(gates):
            gate_frame = self._gate_sources(gates, school_id, gate_school)
            gate_frame = gate_frame[todo[gate_frame["school"].to_numpy()]]
            frames.append(gate_frame)
            todo[gate_frame["school"].to_numpy()] = False
        if self.rule.measure_from is not MeasureFrom.POINT and "campus" in schools.columns:
            campus = _campus_geoms(schools, self.crs)
            has = todo & ~shapely.is_missing(campus) & ~shapely.is_empty(campus)
            frames.append(_frame(campus[has], np.flatnonzero(has), CAMPUS))
            todo &= ~has
        frames.append(_frame(points[todo], np.flatnonzero(todo), POINT))
        sources = pd.concat(frames, ignore_index=True)
        sources["limit_m"] = limits[sources["school"].to_numpy()]
        return sources

    def _gate_sources(
        self, gates: gpd.GeoDataFrame, school_id: str, gate_school: str
    ) -> pd.DataFrame:
        require_frame(gates, "gates", [gate_school])
        ids = pd.Series(self.school_ids)
        if ids.duplicated().any():
            dup = sorted(map(str, ids[ids.duplicated()].unique()))[:5]
            msg = f"schools.{school_id} must be unique to match gates; repeated: {dup}"
            raise InvalidInputError(msg)
        position = pd.Series(np.arange(len(ids)), index=ids)
        names = gates[gate_school]
        unknown = sorted(map(str, set(names) - set(position.index)))
        if unknown:
            msg = f"gates name schools that are not in schools.{school_id}: {unknown[:5]}"
            raise InvalidInputError(msg)
        geoms = metric_points(gates, "gates", self.crs)
        return _frame(geoms, position.loc[names].to_numpy(), GATE)

    def _straight(self, xy: FloatArray) -> RedLineMatches:
        # Point sources (gates, school points): k-d tree joins, one per distinct limit,
        # which find the pairs and their distances at once. Campus polygons: STR-tree
        # ``dwithin`` and exact distances to the polygon.
        src = self.sources
        geoms = src["geometry"].to_numpy()
        limits = src["limit_m"].to_numpy()
        is_point = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
        found: list[tuple[IntArray, IntArray, FloatArray]] = []
        if is_point.any() and len(xy):
            points_kd = cKDTree(xy)
            for limit in np.unique(limits[is_point]):
                rows = np.flatnonzero(is_point & (limits == limit))
                join = cKDTree(shapely.get_coordinates(geoms[rows])).sparse_distance_matrix(
                    points_kd, limit + TOLERANCE_M, output_type="ndarray"
                )
                found.append((join["j"], rows[join["i"]], join["v"]))
        polygons = np.flatnonzero(~is_point)
        if len(polygons) and len(xy):
            points = shapely.points(xy)
            src_i, pt_i = shapely.STRtree(points).query(
                geoms[polygons], predicate="dwithin", distance=limits[polygons] + TOLERANCE_M
            )
            rows = polygons[src_i]
            found.append((pt_i, rows, shapely.distance(geoms[rows], points[pt_i])))
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return RedLineMatches(empty, empty, np.zeros(0), empty)
        point = np.concatenate([f[0] for f in found]).astype(np.int64)
        source = np.concatenate([f[1] for f in found]).astype(np.int64)
        dist = np.concatenate([f[2] for f in found])
        school = src["school"].to_numpy()[source]
        if src["school"].is_unique:  # one source per school: no pair comes up twice
            return RedLineMatches(point, school, dist, source)
        return _nearest_per_pair(point, school, dist, source)

    def _walk(self, points: ObjectArray, straight: RedLineMatches) -> RedLineMatches:
        assert self.network is not None  # checked in the constructor
        src = self.sources
        limits = src["limit_m"].to_numpy()
        parts = []
        for limit in np.unique(limits):
            rows = np.flatnonzero(limits == limit)
            in_group = np.isin(straight.source, rows)
            candidates = np.unique(straight.point[in_group])
            if len(candidates) == 0:
                continue
            seeds = self.network.attach(src["geometry"].to_numpy()[rows])
            seeds = _reown(seeds, rows)
            targets = self.network.attach(points[candidates])
            dist, source = self.network.walk(seeds, targets, limit=float(limit) + TOLERANCE_M)
            found = np.isfinite(dist)
            parts.append((candidates[found], source[found], dist[found]))
            # A retailer inside a campus or on a gate is 0 m away, whatever the graph says.
            zero = in_group & (straight.distance_m == 0)
            parts.append((straight.point[zero], straight.source[zero], straight.distance_m[zero]))
        if not parts:
            return straight
        point = np.concatenate([p[0] for p in parts])
        source = np.concatenate([p[1] for p in parts])
        dist = np.concatenate([p[2] for p in parts])
        return _nearest_per_pair(point, src["school"].to_numpy()[source], dist, source)


def red_line_violations(
    retailers: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    rule: RedLineSettings,
    gates: gpd.GeoDataFrame | None = None,
    graph: nx.Graph | WalkNetwork | None = None,
    crs: pyproj.CRS | str | None = None,
    retailer_id: str = "licence_no",
    school_id: str = "name",
    gate_school: str = "school",
) -> gpd.GeoDataFrame:
    """Every retailer inside a school's red line (中小学"红线内"零售户).

    Parameters
    ----------
    retailers
        Retailers with ``retailer_id`` and point geometries (any CRS, normally WGS-84).
    schools
        Schools with ``school_id``, ``kind``, point geometries and optionally ``campus``.
    rule
        The red-line settings.
    gates
        School gates with a ``gate_school`` column naming their school.
    graph
        Road graph for walk mode (node ``x``, ``y`` in ``crs``; edge ``length`` in metres).
    crs
        Metric CRS to measure in; by default the local one of the retailers.
    retailer_id, school_id, gate_school
        Identifying columns.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (retailer, school) with the retailer's id, ``school``, ``school_kind``,
        ``distance_m``, ``limit_m``, ``measured_from`` (gate, campus or point), ``mode`` and
        the retailer's point in WGS-84; nearest first, then in retailer order.
    """
    require_frame(retailers, "retailers", [retailer_id])
    metric = resolve_crs(crs, retailers, schools)
    index = RedLineIndex(
        schools,
        rule=rule,
        crs=metric,
        gates=gates,
        graph=graph,
        school_id=school_id,
        gate_school=gate_school,
    )
    found = index.match(metric_xy(retailers, "retailers", metric))
    order = np.lexsort((found.school, found.point, found.distance_m))
    point, school, source = found.point[order], found.school[order], found.source[order]
    src = index.sources
    wgs84 = retailers.geometry if retailers.crs.equals(WGS84) else retailers.geometry.to_crs(WGS84)
    return gpd.GeoDataFrame(
        {
            retailer_id: retailers[retailer_id].to_numpy()[point],
            "school": index.school_ids[school],
            "school_kind": index.kind_values[school],
            "distance_m": found.distance_m[order],
            "limit_m": src["limit_m"].to_numpy()[source],
            "measured_from": src["measured_from"].to_numpy()[source],
            "mode": rule.mode.value,
        },
        geometry=wgs84.array[point],
        crs=WGS84,
    )


def red_line_zones(
    schools: gpd.GeoDataFrame,
    *,
    rule: RedLineSettings,
    gates: gpd.GeoDataFrame | None = None,
    crs: pyproj.CRS | str | None = None,
    school_id: str = "name",
    gate_school: str = "school",
) -> gpd.GeoDataFrame:
    """The red-line polygons of every school with a red line, for maps (WGS-84).

    Returns
    -------
    geopandas.GeoDataFrame
        ``school``, ``school_kind``, ``limit_m``, ``measured_from``, ``mode`` and the
        union of the buffers around the school's sources.
    """
    straight = rule.model_copy(update={"mode": DistanceMode.STRAIGHT})
    index = RedLineIndex(
        schools, rule=straight, crs=crs, gates=gates, school_id=school_id, gate_school=gate_school
    )
    zones = index.zones()
    zones["mode"] = rule.mode.value
    return zones


def _frame(geoms: ObjectArray, school: IntArray, measured_from: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "geometry": pd.Series(geoms, dtype=object),
            "school": np.asarray(school, dtype=np.int64),
            "measured_from": measured_from,
        }
    )


def _campus_geoms(schools: gpd.GeoDataFrame, crs: pyproj.CRS) -> ObjectArray:
    campus = gpd.GeoSeries(list(schools["campus"]), crs=schools.crs, index=schools.index)
    require_kind(gpd.GeoDataFrame(geometry=campus), "schools.campus", ["Polygon", "MultiPolygon"])
    return metric_geoms(campus, crs)


def _reown(attachments: Attachments, owners: IntArray) -> Attachments:
    """The same attachments with each owner ``i`` renamed ``owners[i]``."""
    return Attachments(
        owners[attachments.owner], attachments.edge, attachments.fraction, attachments.offset
    )


def _nearest_per_pair(
    point: IntArray, school: IntArray, dist: FloatArray, source: IntArray
) -> RedLineMatches:
    """Keep the nearest source of each (point, school) pair."""
    key = point.astype(np.int64) * (int(school.max(initial=0)) + 1) + school
    order = np.lexsort((dist, key))
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    keep = order[first]
    return RedLineMatches(
        point[keep].astype(np.int64),
        school[keep].astype(np.int64),
        dist[keep].astype(float),
        source[keep].astype(np.int64),
    )
