"""Shortest walks along a road graph between geometries that lie off the graph.

Any networkx graph works (Graph, DiGraph, MultiDiGraph...) whose nodes carry ``x`` and
``y`` in the metric CRS of the rule and whose edges carry ``length`` in metres (and,
optionally, a ``geometry`` LineString in the same CRS). Walkers ignore one-way streets, so
the graph is used undirected, with the shortest of any parallel edges.

A geometry joins the graph where it meets an edge: a point at the nearest point of its
nearest edge (walking the straight offset to it), a polygon wherever its boundary crosses
an edge (or, if none does, at the nearest point of its nearest edge). From there the walk
runs along the edge to either end node, or straight along the edge to another geometry
that joins the same edge. Distances along an edge are its ``length`` times the fraction
of its geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import ObjectArray

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MIN_LENGTH = 1e-9  # csgraph drops zero weights; a zero-length edge is still an edge


@dataclass(frozen=True)
class Attachments:
    """Where geometries join the graph: one row per (geometry, edge position)."""

    owner: IntArray  # index of the geometry
    edge: IntArray  # index of the edge
    fraction: FloatArray  # position along the edge, 0 at its first node
    offset: FloatArray  # straight distance from the geometry to that position

    def __len__(self) -> int:
        return len(self.owner)


class WalkNetwork:
    """A road graph prepared for many shortest-walk queries.

    Parameters
    ----------
    graph
        networkx graph with node attributes ``x``, ``y`` and edge attribute ``length``.

    Raises
    ------
    ValueError
        If the graph declares a geographic CRS (``graph.graph["crs"]``, as osmnx sets
        it), has no edges, or a node or edge lacks its attributes.
    """

    def __init__(self, graph: nx.Graph) -> None:
        declared = graph.graph.get("crs")
        if declared is not None and pyproj.CRS.from_user_input(declared).is_geographic:
            msg = (
                f"the road graph is in {declared!r} (degrees); project it to the rule's "
                "metric CRS first, e.g. with osmnx.project_graph(G, to_crs=crs)"
            )
            raise InvalidInputError(msg)
        nodes = list(graph.nodes)
        index = {node: i for i, node in enumerate(nodes)}
        try:
            xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes], dtype=float)
        except KeyError:
            msg = "every graph node needs 'x' and 'y' in the metric CRS"
            raise InvalidInputError(msg) from None
        rows = list(graph.edges(data=True))
        if not rows:
            msg = "the road graph has no edges"
            raise InvalidInputError(msg)
        u = np.fromiter((index[r[0]] for r in rows), dtype=np.int64, count=len(rows))
        v = np.fromiter((index[r[1]] for r in rows), dtype=np.int64, count=len(rows))
        try:
            length = np.fromiter((r[2]["length"] for r in rows), dtype=float, count=len(rows))
        except KeyError:
            msg = "every graph edge needs a 'length' in metres"
            raise InvalidInputError(msg) from None
        if not np.isfinite(length).all() or (length < 0).any():
            msg = "graph edge lengths must be finite and >= 0 metres"
            raise InvalidInputError(msg)
        lines = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
        for i, row in enumerate(rows):
            geometry = row[2].get("geometry")
            if geometry is not None:
                lines[i] = geometry
        # Fractions run from u to v: turn round geometries drawn from v to u.
        start = shapely.get_point(lines, 0)
        backwards = shapely.distance(start, shapely.points(xy[v])) < shapely.distance(
            start, shapely.points(xy[u])
        )
        lines[backwards] = shapely.reverse(lines[backwards])
        self.node_count = len(nodes)
        self.u, self.v, self.length = u, v, np.maximum(length, _MIN_LENGTH)
        self.lines: ObjectArray = lines
        self.tree = shapely.STRtree(lines)
        self._adjacency = _undirected_min(u, v, self.length)

    def attach(self, geoms: ObjectArray) -> Attachments:
        """Where each geometry joins the graph (polygons may join at several places)."""
        geoms = np.asarray(geoms, dtype=object)
        polygonal = np.isin(
            shapely.get_type_id(geoms),
            [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON],
        )
        parts = [self._crossings(np.flatnonzero(polygonal), geoms)]
        crossed = np.zeros(len(geoms), dtype=bool)
        crossed[parts[0].owner] = True
        parts.append(self._nearest(np.flatnonzero(~crossed), geoms))
        return Attachments(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def walk(
        self, sources: Attachments, targets: Attachments, *, limit: float
    ) -> tuple[FloatArray, IntArray]:
        """Shortest walk from the nearest source to each target owner, up to ``limit``.

        Parameters
        ----------
        sources, targets
            Attachments of the source and target geometries.
        limit
            Longest walk of interest in metres; longer walks come back as ``inf``.

        Returns
        -------
        tuple of numpy.ndarray
            Per target owner (``0 .. targets.owner.max()``): the walk in metres (``inf``
            when beyond the limit or unreachable) and the owner of the nearest source
            (-1 when none).
        """
        n_owners = int(targets.owner.max()) + 1 if len(targets) else 0
        best = np.full(n_owners, np.inf)
        best_source = np.full(n_owners, -1, dtype=np.int64)
        if len(sources) == 0 or len(targets) == 0:
            return best, best_source
        node_dist, node_source = self._from_sources(sources, limit)
        length = self.length[targets.edge]
        ends = (self.u[targets.edge], self.v[targets.edge])
        legs = (targets.fraction * length, (1 - targets.fraction) * length)
        for end, leg in zip(ends, legs, strict=True):
            dist = node_dist[end] + leg + targets.offset
            _keep_min(best, best_source, targets.owner, dist, node_source[end])
        owner, source, dist = self._same_edge(sources, targets)
        _keep_min(best, best_source, owner, dist, source)
        best[best > limit] = np.inf
        best_source[~np.isfinite(best)] = -1
        return best, best_source

    def _from_sources(self, sources: Attachments, limit: float) -> tuple[FloatArray, IntArray]:
        """Distance from the nearest source to every node, and that source's owner."""
        n, s = self.node_count, len(sources)
        virtual = np.arange(n, n + s)
        edge = sources.edge
        length = self.length[edge]
        to_u = sources.offset + sources.fraction * length
        to_v = sources.offset + (1 - sources.fraction) * length
        loop = self.u[edge] == self.v[edge]
        to_u[loop] = np.minimum(to_u[loop], to_v[loop])
        a, b, w = self._adjacency
        rows = np.concatenate([a, virtual, virtual[~loop]])
        cols = np.concatenate([b, self.u[edge], self.v[edge][~loop]])
        weights = np.concatenate(
            [w, np.maximum(to_u, _MIN_LENGTH), np.maximum(to_v[~loop], _MIN_LENGTH)]
        )
        graph = sparse.csr_array((weights, (rows, cols)), shape=(n + s, n + s))
        dist, _, origin = csgraph.dijkstra(
            graph,
            directed=True,
            indices=virtual,
            limit=limit,
            min_only=True,
            return_predecessors=True,
        )
        origin_owner = np.full(n + s, -1, dtype=np.int64)
        found = origin >= 0
        origin_owner[found] = sources.owner[origin[found] - n]
        return dist[:n], origin_owner[:n]

    def _same_edge(
        self, sources: Attachments, targets: Attachments
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Walks straight along a shared edge, without passing an end node."""
        left = pd.DataFrame(
            {
                "edge": sources.edge,
                "src": sources.owner,
                "sf": sources.fraction,
                "so": sources.offset,
            }
        )
        right = pd.DataFrame(
            {
                "edge": targets.edge,
                "tgt": targets.owner,
                "tf": targets.fraction,
                "to": targets.offset,
            }
        )
        both = left.merge(right, on="edge")
        length = self.length[both["edge"].to_numpy()]
        dist = both["so"].to_numpy() + both["to"].to_numpy()
        dist = dist + np.abs(both["sf"].to_numpy() - both["tf"].to_numpy()) * length
        return both["tgt"].to_numpy(), both["src"].to_numpy(), dist

    def _crossings(self, which: IntArray, geoms: ObjectArray) -> Attachments:
        if len(which) == 0:
            return _empty()
        boundaries = shapely.boundary(geoms[which])
        poly_i, edge_i = self.tree.query(boundaries, predicate="intersects")
        if len(poly_i) == 0:
            return _empty()
        cuts = shapely.intersection(boundaries[poly_i], self.lines[edge_i])
        coords, pair = shapely.get_coordinates(cuts, return_index=True)
        points = shapely.points(coords)
        edge = edge_i[pair]
        fraction = shapely.line_locate_point(self.lines[edge], points, normalized=True)
        return Attachments(which[poly_i[pair]], edge, np.nan_to_num(fraction), np.zeros(len(edge)))

    def _nearest(self, which: IntArray, geoms: ObjectArray) -> Attachments:
        if len(which) == 0:
            return _empty()
        geom_i, edge_i = self.tree.query_nearest(geoms[which], all_matches=False)
        chosen = geoms[which][geom_i]
        lines = self.lines[edge_i]
        link = shapely.shortest_line(lines, chosen)
        on_edge = shapely.get_point(link, 0)
        fraction = shapely.line_locate_point(lines, on_edge, normalized=True)
        offset = shapely.length(link)
        return Attachments(which[geom_i], edge_i, np.nan_to_num(fraction), offset)


_FIELDS = ("owner", "edge", "fraction", "offset")


def _empty() -> Attachments:
    none = np.zeros(0, dtype=np.int64)
    return Attachments(none, none, np.zeros(0), np.zeros(0))


def _undirected_min(
    u: IntArray, v: IntArray, length: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Both directions of every edge, the shortest of any parallels, no self-loops."""
    frame = pd.DataFrame(
        {"a": np.concatenate([u, v]), "b": np.concatenate([v, u]), "w": np.tile(length, 2)}
    )
    frame = frame[frame["a"] != frame["b"]]
    shortest = frame.groupby(["a", "b"], sort=False)["w"].min().reset_index()
    return (
        shortest["a"].to_numpy(dtype=np.int64),
        shortest["b"].to_numpy(dtype=np.int64),
        shortest["w"].to_numpy(dtype=float),
    )


def _keep_min(
    best: FloatArray, best_source: IntArray, owner: IntArray, dist: FloatArray, source: IntArray
) -> None:
    """Lower ``best[owner]`` to ``dist`` where smaller, remembering the source."""
    if len(owner) == 0:
        return
    order = np.lexsort((dist, owner))
    owner, dist, source = owner[order], dist[order], source[order]
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    owner, dist, source = owner[first], dist[first], source[first]
    better = dist < best[owner]
    best[owner[better]] = dist[better]
    best_source[owner[better]] = source[better]
