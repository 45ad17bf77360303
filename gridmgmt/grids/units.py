"""Base units (基础单元): the small pieces of a county that grids are made of.

Units are H3 hexagons (resolution 8, about 0.74 km²) that overlap the county, clipped to it.
Where retailers are dense, a cell that carries more than ``max_share`` (3%) of a grid's
target workload is split by the next finer H3 resolution, down to resolution 11 (about
2,100 m²); otherwise 5% balance would be impossible in towns. Cells are filled by overlap,
not by centre, so retailers near the county border are never lost. Fixed lines (township
boundaries, rivers, major roads) and the borders of existing grids cut units, so a unit
never straddles them.

All borders are noded together and polygonised into faces (see ``_faces``); a unit is a
connected set of faces with the same cell and grid, so units and every union of units tile
the county exactly.

Units carry three kinds of adjacency: ``OPEN`` (a shared border), ``FIXED`` (a shared border
lying on a fixed line: grids must not join across it) and ``LINK`` (no shared border: the
shortest gap between separate parts of the county, such as an exclave (飞地); such a link
lets an exclave that is too small for a grid of its own belong to its nearest grid, which is
then contiguous *through the link*).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import geopandas as gpd
import h3
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from shapely.geometry.base import BaseGeometry

from gridmgmt.crs import WGS84, metric_crs
from gridmgmt.errors import InvalidInputError
from gridmgmt.grids._cells import CellPlan
from gridmgmt.grids._faces import Faces, build_faces
from gridmgmt.grids._inputs import (
    GeometryInput,
    check_grids,
    county_geometry,
    line_geometry,
)
from gridmgmt.grids.assign import points_in_polygons

__all__ = [
    "DEFAULT_BASE_RESOLUTION",
    "DEFAULT_MAX_RESOLUTION",
    "DEFAULT_MAX_SHARE",
    "EdgeKind",
    "Units",
    "build_units",
]

DEFAULT_BASE_RESOLUTION = 8
DEFAULT_MAX_RESOLUTION = 11
DEFAULT_MAX_SHARE = 0.03
# A piece smaller than this share of its cell's nominal area is merged into a neighbour.
_SLIVER_SHARE = 0.05


class EdgeKind(IntEnum):
    """How two units are adjacent."""

    OPEN = 0
    FIXED = 1
    LINK = 2


@dataclass(frozen=True)
class Units:
    """The base units of a county and their adjacency.

    Attributes
    ----------
    frame
        One row per unit (index 0..n-1): ``cell`` (H3 cell or cell path), ``resolution``,
        ``grid`` (id of the existing grid it lies in, or None), ``locked``, ``workload``,
        ``area_m2``, ``component`` (separate part of the county) and ``geometry``
        (WGS-84).
    county
        The county (multi)polygon, WGS-84.
    crs
        The metric CRS used for lengths and areas.
    centroid_xy
        ``(n, 2)`` metric centroids.
    exterior_m
        Length of each unit's border on the county boundary.
    edges
        ``(e, 2)`` adjacent unit pairs, ``i < j``.
    edge_length_m
        Shared border length of each pair (0 for links).
    edge_kind
        :class:`EdgeKind` of each pair.
    face_polygons, face_unit
        The exact faces and the unit each belongs to, for dissolving.
    retailer_unit
        Unit of each input point, -1 outside the county.
    target_workload
        Grid target the units were split for.
    """

    frame: gpd.GeoDataFrame
    county: BaseGeometry
    crs: pyproj.CRS
    centroid_xy: np.ndarray
    exterior_m: np.ndarray
    edges: np.ndarray
    edge_length_m: np.ndarray
    edge_kind: np.ndarray
    face_polygons: np.ndarray
    face_unit: np.ndarray
    retailer_unit: np.ndarray
    target_workload: float

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.frame)

    @property
    def workload(self) -> np.ndarray:
        """Workload of each unit."""
        return np.asarray(self.frame["workload"], dtype=float)

    @property
    def area_m2(self) -> np.ndarray:
        """Area of each unit in square metres."""
        return np.asarray(self.frame["area_m2"], dtype=float)

    def to_networkx(self, *, kinds: tuple[EdgeKind, ...] = (EdgeKind.OPEN,)) -> nx.Graph:
        """The unit adjacency graph restricted to some edge kinds.

        Nodes carry ``workload``, ``area_m2``, ``x``, ``y`` and ``exterior_m``; edges carry
        ``shared_m`` and ``kind``.
        """
        graph = nx.Graph()
        work, area = self.workload, self.area_m2
        for i in range(self.n):
            graph.add_node(
                i,
                workload=float(work[i]),
                area_m2=float(area[i]),
                x=float(self.centroid_xy[i, 0]),
                y=float(self.centroid_xy[i, 1]),
                exterior_m=float(self.exterior_m[i]),
            )
        wanted = np.isin(self.edge_kind, [int(k) for k in kinds])
        for (i, j), length, kind in zip(
            self.edges[wanted], self.edge_length_m[wanted], self.edge_kind[wanted], strict=True
        ):
            graph.add_edge(int(i), int(j), shared_m=float(length), kind=int(kind))
        return graph

    def dissolve(self, labels: np.ndarray) -> dict[int, BaseGeometry]:
        """Union the units of each label exactly (labels < 0 are skipped)."""
        face_label = np.asarray(labels)[self.face_unit]
        keep = face_label >= 0
        return _dissolve_faces(self.face_polygons[keep], face_label[keep])


def build_units(
    county: GeometryInput,
    points: np.ndarray,
    weights: np.ndarray,
    *,
    target_workload: float,
    max_share: float = DEFAULT_MAX_SHARE,
    base_resolution: int = DEFAULT_BASE_RESOLUTION,
    max_resolution: int = DEFAULT_MAX_RESOLUTION,
    fixed_lines: GeometryInput | None = None,
    partition: gpd.GeoDataFrame | None = None,
    locked: frozenset[object] = frozenset(),
    crs: pyproj.CRS | None = None,
) -> Units:
    """Cut a county into base units.

    Parameters
    ----------
    county
        County boundary, WGS-84.
    points
        Retailer points (shapely), WGS-84.
    weights
        Workload of each point.
    target_workload
        Workload a grid is meant to carry; cells above ``max_share`` of it are split.
    max_share
        Largest share of the target one unit may carry before it is split.
    base_resolution, max_resolution
        H3 resolutions of the coarsest and finest units.
    fixed_lines
        Lines (or polygons, by their boundaries) units and grids must not cross.
    partition
        Existing grids (``grid_id``, geometry) whose borders units respect.
    locked
        Ids of ``partition`` grids kept whole: each becomes one unit per part.
    crs
        Metric CRS; chosen from the county by default.

    Returns
    -------
    Units
        The units, their adjacency and the unit of every point.

    Raises
    ------
    ValueError
        If the resolutions or ``max_share`` are out of range or the inputs are invalid.
    """
    if not 0 <= base_resolution <= max_resolution <= 15:
        msg = (
            f"resolutions must satisfy 0 <= base_resolution <= max_resolution <= 15; got "
            f"{base_resolution} and {max_resolution}"
        )
        raise InvalidInputError(msg)
    if not 0 < max_share <= 1:
        msg = f"max_share must be in (0, 1]; got {max_share}"
        raise InvalidInputError(msg)
    county_geom = county_geometry(county)
    lines = line_geometry(fixed_lines, "fixed_lines")
    crs = crs or metric_crs(county_geom)
    points = np.asarray(points)
    weights = np.asarray(weights, dtype=float)
    threshold = max_share * target_workload if target_workload > 0 else np.inf
    plan = CellPlan(county_geom, base_resolution, max_resolution)
    plan.split_dense(points, weights, threshold)
    grid_polys, grid_ids = _partition_arrays(partition)
    extra = list(shapely.boundary(grid_polys)) if len(grid_polys) else []
    faces = build_faces(plan.segments(), county_geom, crs=crs, extra_lines=extra, fixed_lines=lines)
    face_grid = points_in_polygons(faces.points, grid_polys)
    face_key, face_res, fragment = plan.classify(faces.points)
    locked_face = np.isin(face_grid, [i for i, g in enumerate(grid_ids) if g in locked])
    face_key = np.where(locked_face, "locked", face_key)
    codes = pd.factorize(pd.Series(face_key) + "#" + pd.Series(face_grid).astype(str))[0]
    # Fragments holding work stay units of their own: merging them would build pieces
    # heavier than the split was meant to allow.
    busy = _faces_with_work(faces, points, weights)
    face_unit = _group_faces(faces, codes, face_res, face_grid, locked_face, fragment & ~busy)
    return _assemble(
        faces, face_unit, face_key, face_res, face_grid, grid_ids, locked_face,
        county_geom, crs, points, weights, target_workload,
    )  # fmt: skip


def _assemble(
    faces: Faces,
    face_unit: np.ndarray,
    face_key: np.ndarray,
    face_res: np.ndarray,
    face_grid: np.ndarray,
    grid_ids: list[object],
    locked_face: np.ndarray,
    county: BaseGeometry,
    crs: pyproj.CRS,
    points: np.ndarray,
    weights: np.ndarray,
    target_workload: float,
) -> Units:
    n = int(face_unit.max()) + 1
    # Each unit is described by its largest face (merged slivers keep the host's cell).
    order = np.lexsort((-faces.area_m2, face_unit))
    lead = order[np.unique(face_unit[order], return_index=True)[1]]
    area = np.bincount(face_unit, weights=faces.area_m2, minlength=n)
    centroid = np.column_stack(
        [
            np.bincount(face_unit, weights=faces.area_m2 * faces.centroid_xy[:, k], minlength=n)
            / area
            for k in (0, 1)
        ]
    )
    pieces = _dissolve_faces(faces.polygons, face_unit)
    geoms = np.array([pieces[i] for i in range(n)], dtype=object)
    edges, length, kind, exterior = _unit_adjacency(faces, face_unit, n)
    component = _components(n, edges[:, 0], edges[:, 1])
    links = _links(geoms, component, crs)
    if len(links):
        edges = np.vstack([edges, links])
        length = np.concatenate([length, np.zeros(len(links))])
        kind = np.concatenate([kind, np.full(len(links), int(EdgeKind.LINK), dtype=np.int8)])
    retailer_unit = points_in_polygons(points, geoms)
    inside = retailer_unit >= 0
    workload = np.bincount(retailer_unit[inside], weights=weights[inside], minlength=n)
    grid_of_face = np.array([grid_ids[g] if g >= 0 else None for g in face_grid], dtype=object)
    frame = gpd.GeoDataFrame(
        {
            "cell": face_key[lead],
            "resolution": face_res[lead],
            "grid": grid_of_face[lead] if len(grid_ids) else None,
            "locked": locked_face[lead],
            "workload": workload,
            "area_m2": area,
            "component": component,
        },
        geometry=geoms,
        crs=WGS84,
    )
    return Units(
        frame=frame,
        county=county,
        crs=crs,
        centroid_xy=centroid,
        exterior_m=exterior,
        edges=edges.astype(np.int64),
        edge_length_m=length,
        edge_kind=kind,
        face_polygons=faces.polygons,
        face_unit=face_unit,
        retailer_unit=retailer_unit,
        target_workload=float(target_workload),
    )


def _dissolve_faces(polygons: np.ndarray, labels: np.ndarray) -> dict[int, BaseGeometry]:
    order = np.argsort(labels, kind="stable")
    values, starts = np.unique(labels[order], return_index=True)
    return {
        int(v): _exact_union(polygons[m])
        for v, m in zip(values, np.split(order, starts[1:]), strict=True)
    }


def _unit_adjacency(
    faces: Faces, face_unit: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adjacent unit pairs with shared length and kind, and each unit's exterior length."""
    a, b = faces.seg_faces[:, 0], faces.seg_faces[:, 1]
    both = (a >= 0) & (b >= 0)
    ua, ub = face_unit[a[both]], face_unit[b[both]]
    length = faces.seg_length_m[both]
    fixed = faces.seg_fixed[both]
    cross = ua != ub
    frame = pd.DataFrame(
        {
            "u": np.minimum(ua, ub)[cross],
            "v": np.maximum(ua, ub)[cross],
            "len": length[cross],
            "fixed": np.where(fixed, length, 0.0)[cross],
        }
    )
    frame = frame.groupby(["u", "v"], sort=True, as_index=False)[["len", "fixed"]].sum()
    edges = frame[["u", "v"]].to_numpy(np.int64).reshape(-1, 2)
    kind = np.where(frame["fixed"].to_numpy() > 0, int(EdgeKind.FIXED), int(EdgeKind.OPEN))
    one = (a >= 0) ^ (b >= 0)
    side = np.where(a[one] >= 0, a[one], b[one])
    exterior = np.bincount(face_unit[side], weights=faces.seg_length_m[one], minlength=n)
    return edges, frame["len"].to_numpy(float), kind.astype(np.int8), exterior


def _links(geoms: np.ndarray, component: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Shortest unit-to-unit links joining the separate parts of the county into one tree."""
    n_comp = int(component.max()) + 1
    if n_comp == 1:
        return np.empty((0, 2), dtype=np.int64)
    metric = np.asarray(gpd.GeoSeries(geoms, crs=WGS84).to_crs(crs).array)
    members = [np.flatnonzero(component == c) for c in range(n_comp)]
    trees = [shapely.STRtree(metric[m]) for m in members]
    dist = np.zeros((n_comp, n_comp))
    best: dict[tuple[int, int], tuple[int, int]] = {}
    for c in range(n_comp):
        for d in range(c + 1, n_comp):
            (src, dst), gap = trees[d].query_nearest(metric[members[c]], return_distance=True)
            k = int(np.argmin(gap))
            dist[c, d] = dist[d, c] = max(float(gap[k]), 1e-9)
            best[(c, d)] = (int(members[c][src[k]]), int(members[d][dst[k]]))
    tree = minimum_spanning_tree(dist).tocoo()
    links = [best[(min(c, d), max(c, d))] for c, d in zip(tree.row, tree.col, strict=True)]
    return np.array(sorted((min(i, j), max(i, j)) for i, j in links), dtype=np.int64)


def _faces_with_work(faces: Faces, points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    face_of_point = points_in_polygons(points, faces.polygons)
    busy = np.zeros(len(faces.polygons), dtype=bool)
    busy[face_of_point[(face_of_point >= 0) & (weights > 0)]] = True
    return busy


def _partition_arrays(partition: gpd.GeoDataFrame | None) -> tuple[np.ndarray, list[object]]:
    if partition is None or len(partition) == 0:
        return np.array([], dtype=object), []
    check_grids(partition, "partition")
    order = np.argsort(partition["grid_id"].astype(str).to_numpy(), kind="stable")
    polys = np.asarray(shapely.make_valid(np.asarray(partition.geometry.array)))[order]
    return polys, list(partition["grid_id"].to_numpy()[order])


def _group_faces(
    faces: Faces,
    codes: np.ndarray,
    face_res: np.ndarray,
    face_grid: np.ndarray,
    locked_face: np.ndarray,
    fragment: np.ndarray,
) -> np.ndarray:
    """Unit of each face: faces of one cell and grid joined across open segments.

    Slivers (a cell barely clipped by the county or a line) and fragments of split cells
    join the neighbour they share most border with, inside the same grid.
    """
    a, b = faces.seg_faces[:, 0], faces.seg_faces[:, 1]
    inner = (a >= 0) & (b >= 0) & ~faces.seg_fixed
    same = inner.copy()
    same[inner] = codes[a[inner]] == codes[b[inner]]
    unit = _components(len(codes), a[same], b[same])
    first = _first_face(unit)
    area = np.bincount(unit, weights=faces.area_m2)
    nominal = np.array([h3.average_hexagon_area(int(r), unit="m^2") for r in face_res[first]])
    locked_unit, grid_unit = locked_face[first], face_grid[first]
    pairs = _unit_pairs(unit[a[inner]], unit[b[inner]], faces.seg_length_m[inner])
    u, v = pairs["u"].to_numpy(), pairs["v"].to_numpy()
    loose = np.zeros(len(area), dtype=bool)
    loose[unit[fragment]] = True
    loose[unit[~fragment]] = False
    tiny = ((area < _SLIVER_SHARE * nominal) | loose) & ~locked_unit
    pairs = pairs[tiny[u] & ~locked_unit[v] & (grid_unit[u] == grid_unit[v])]
    if pairs.empty:
        return unit
    pairs = pairs.assign(loose=loose[pairs["v"].to_numpy()])
    best = pairs.sort_values(["u", "loose", "len", "v"], ascending=[True, True, False, True])
    best = best.drop_duplicates("u")
    merged = _components(len(area), best["u"].to_numpy(np.int64), best["v"].to_numpy(np.int64))
    return np.asarray(merged[unit], dtype=np.int64)


def _first_face(unit: np.ndarray) -> np.ndarray:
    first = np.zeros(int(unit.max()) + 1, dtype=np.int64)
    first[unit[::-1]] = np.arange(len(unit))[::-1]
    return first


def _unit_pairs(ua: np.ndarray, ub: np.ndarray, length: np.ndarray) -> pd.DataFrame:
    """Shared length of every ordered pair of distinct units (both directions)."""
    cross = ua != ub
    frame = pd.DataFrame({"u": ua[cross], "v": ub[cross], "len": length[cross]})
    frame = pd.concat([frame, frame.rename(columns={"u": "v", "v": "u"})], ignore_index=True)
    return frame.groupby(["u", "v"], sort=True, as_index=False)["len"].sum()


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Relabel by first appearance so unit numbers follow face order.
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return np.asarray(rank[labels], dtype=np.int64)


def _exact_union(polygons: np.ndarray) -> BaseGeometry:
    if len(polygons) == 1:
        return polygons[0]
    union = shapely.coverage_union_all(polygons)
    if not union.is_valid:
        union = shapely.union_all(polygons)
    return union
