"""H3 cells of a county at several resolutions, split where retailers are dense.

Cell polygons are built from H3's shared vertices (``cell_to_vertexes``), so neighbouring
cells share their edge coordinates exactly and the arrangement nodes cleanly.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.grids.assign import points_in_polygons


class CellPlan:
    """H3 cells at each level and which pieces are split further."""

    def __init__(self, county: BaseGeometry, base_res: int, max_res: int) -> None:
        self.county = county
        self.base_res = base_res
        self.max_res = max_res
        self._vertices: dict[str, tuple[float, float]] = {}
        self._polygons: dict[str, shapely.Polygon] = {}
        self._cell_vertexes: dict[str, list[str]] = {}
        self.level_cells: list[list[str]] = [self._base_cells()]
        self.split: list[set[tuple[str, ...]]] = []

    def polygon(self, cell: str) -> shapely.Polygon:
        poly = self._polygons.get(cell)
        if poly is None:
            poly = shapely.Polygon([self._vertex(v) for v in self.vertexes(cell)])
            self._polygons[cell] = poly
        return poly

    def polygons(self, cells: list[str]) -> np.ndarray:
        """Polygons of many cells (hexagons built in one vectorised call)."""
        missing = [c for c in cells if c not in self._polygons]
        hexes = [c for c in missing if len(self.vertexes(c)) == 6]
        if hexes:
            coords = np.array([[self._vertex(v) for v in self.vertexes(c)] for c in hexes])
            for cell, poly in zip(hexes, shapely.polygons(coords), strict=True):
                self._polygons[cell] = poly
        return np.array([self.polygon(c) for c in cells], dtype=object)

    def vertexes(self, cell: str) -> list[str]:
        verts = self._cell_vertexes.get(cell)
        if verts is None:
            verts = h3.cell_to_vertexes(cell)
            self._cell_vertexes[cell] = verts
        return verts

    def _vertex(self, vertex: str) -> tuple[float, float]:
        xy = self._vertices.get(vertex)
        if xy is None:
            lat, lng = h3.vertex_to_latlng(vertex)
            xy = (lng, lat)
            self._vertices[vertex] = xy
        return xy

    def _base_cells(self) -> list[str]:
        shape = h3.geo_to_h3shape(self.county.__geo_interface__)
        cells = set(h3.h3shape_to_cells_experimental(shape, self.base_res, contain="overlap"))
        if not cells:
            cells = {
                h3.latlng_to_cell(self.county.centroid.y, self.county.centroid.x, self.base_res)
            }
        # The straight-edged polygons differ from H3's own cell edges by millimetres, so a
        # ring of neighbours makes sure every bit of the county is covered.
        ring = {n for c in cells for n in h3.grid_disk(c, 1)}
        return self._overlapping(sorted(ring), self.county)

    def _overlapping(self, cells: list[str], area: BaseGeometry) -> list[str]:
        polys = self.polygons(cells)
        shapely.prepare(area)
        keep = shapely.intersects(area, polys) & ~shapely.touches(area, polys)
        return [c for c, k in zip(cells, keep, strict=True) if k]

    def split_dense(self, points: np.ndarray, weights: np.ndarray, threshold: float) -> None:
        """Split pieces whose workload exceeds ``threshold``, level by level."""
        heavy = weights > 0
        if not np.isfinite(threshold) or not heavy.any() or self.base_res == self.max_res:
            return
        xs, ys = shapely.get_x(points[heavy]), shapely.get_y(points[heavy])
        cols = list(range(self.base_res, self.max_res + 1))
        table = pd.DataFrame(
            {r: [h3.latlng_to_cell(y, x, r) for x, y in zip(xs, ys, strict=True)] for r in cols}
        )
        table["w"] = weights[heavy]
        for level in range(len(cols) - 1):
            groups = table.groupby(cols[: level + 1], sort=True)["w"]
            sums, counts = groups.sum(), groups.size()
            # A piece holding a single retailer cannot be divided by splitting it.
            dense = {_as_key(k) for k, v in sums.items() if v > threshold and counts[k] > 1}
            if not dense:
                break
            self.split.append(dense)
            children: set[str] = set()
            for key in sorted(dense):
                parent = key[-1]
                near = {
                    n
                    for c in h3.cell_to_children(parent, cols[level + 1])
                    for n in h3.grid_disk(c, 1)
                }
                children.update(self._overlapping(sorted(near), self.polygon(parent)))
            self.level_cells.append(sorted(children))

    def segments(self) -> np.ndarray:
        """Unique straight edges of every cell at every level, as ``(m, 2, 2)`` lon/lat."""
        edges: set[tuple[str, str]] = set()
        for cells in self.level_cells:
            for cell in cells:
                verts = self.vertexes(cell)
                for a, b in zip(verts, verts[1:] + verts[:1], strict=True):
                    edges.add((a, b) if a < b else (b, a))
        ordered = sorted(edges)
        return np.array([[self._vertex(a), self._vertex(b)] for a, b in ordered], dtype=float)

    def classify(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell path (``"c8/c9/..."``), finest resolution and fragment flag of each point's piece.

        H3 children do not nest exactly: a split cell's edge is covered partly by children
        of its neighbours. Such a piece is a fragment, merged later into a true child.
        """
        keys: list[tuple[str, ...]] = [()] * len(points)
        todo = np.arange(len(points))
        for level, cells in enumerate(self.level_cells):
            if len(todo) == 0:
                break
            found = self._locate(points[todo], cells)
            for idx, cell in zip(todo, found, strict=True):
                keys[idx] = (*keys[idx], cell)
            if level >= len(self.split):
                break
            todo = np.array([i for i in todo if keys[i] in self.split[level]], dtype=np.int64)
        res = np.array([self.base_res + len(k) - 1 for k in keys], dtype=np.int64)
        fragment = np.array(
            [
                len(k) > 1 and h3.cell_to_parent(k[-1], len(k) - 2 + self.base_res) != k[-2]
                for k in keys
            ],
            dtype=bool,
        )
        return np.array(["/".join(k) for k in keys], dtype=object), res, fragment

    def _locate(self, points: np.ndarray, cells: list[str]) -> list[str]:
        polys = self.polygons(cells)
        tree = shapely.STRtree(polys)
        index = points_in_polygons(points, polys, tree=tree)
        missing = np.flatnonzero(index < 0)
        if len(missing):
            index[missing] = tree.query_nearest(points[missing], all_matches=False)[1]
        return [cells[i] for i in index]


def _as_key(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else (str(value),)
