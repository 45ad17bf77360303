"""Many-to-many travel time and distance on a road network (距离矩阵).

Each edge weight packs the travel time in centiseconds above the length in decimetres,
``weight = time_cs * scale + length_dm`` with ``scale`` a power of two above the longest
distance a route within :data:`HORIZON_H` hours can cover, so one shortest-path search finds
the fastest route and its length (ties in time go to the shorter one) in exact integers.
Routes longer than the horizon are reported as unreachable, which for a day's deliveries
they are.

The searches run on a contraction hierarchy of the network (收缩层次,
:mod:`gridmgmt.routing.hierarchy`), built once per network (its fingerprint: a day's
network with closures applied is another one) and kept in memory for the next matrix, so a
depot's several days and several depots on one network pay for it once. Queries sweep the
hierarchy for 16 sources at a time over the part above the targets (RPHAST), sources split
over threads. Node-to-node answers equal Dijkstra's on the same weights exactly (the former
scipy-based method counted a road of zero time and length as 1 dm; it is free here).

A place snapped to a road leaves it by either end of its segment (by the end it faces only,
on a one-way street) and is reached the same way: its matrix entry is the least over those
ends of the partial edge out, the node-to-node distance and the partial edge in, or the
direct drive along the segment when both places are on it in driving order. A place's
position along its edge is rounded to whole centiseconds and decimetres from the edge's
start, and partial edges are differences of positions, so they add up to the whole edge:
the entries are exactly shortest paths on the network with the places inserted into their
segments (a metric), and one place's entries do not depend on the others. The former method
split each segment at the places and rounded every piece by itself (:func:`point_graph`, now
only used to draw paths); entries differ from it by a few centiseconds at most, and where two
routes are that close in time the length reported may be the other route's.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing._arrays import FloatArray, IntArray
from gridmgmt.routing.closures import Closure, active_closures, apply_closures, closures_key
from gridmgmt.routing.hierarchy import INF, Hierarchy, build_hierarchy, many_to_many
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.snap import SnappedPoints, snap_points

#: Routes longer than this many hours of driving are reported as unreachable.
HORIZON_H = 72.0
_HORIZON_CS = round(HORIZON_H * 360_000)
_MAX_EXACT = 2.0**53
#: Hierarchies kept in memory, least recently used dropped first.
HIERARCHY_CACHE_SIZE = 4
_HIERARCHIES: OrderedDict[str, tuple[Hierarchy, int]] = OrderedDict()
_HIERARCHIES_LOCK = threading.Lock()


@dataclass(frozen=True)
class TravelMatrix:
    """Travel times and distances between two sets of places.

    Attributes
    ----------
    time_s
        Fastest travel time in seconds, ``inf`` when unreachable.
    distance_m
        Length of that fastest route in metres, ``inf`` when unreachable.
    """

    time_s: FloatArray
    distance_m: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        """``(sources, targets)``."""
        rows, cols = self.time_s.shape
        return int(rows), int(cols)


def node_matrix(
    network: RoadNetwork,
    sources: npt.ArrayLike,
    targets: npt.ArrayLike,
    *,
    workers: int | None = None,
) -> TravelMatrix:
    """Fastest travel time and its distance between network nodes.

    Parameters
    ----------
    network
        Road network.
    sources, targets
        Node indices.
    workers
        Threads; default every available core.

    Returns
    -------
    TravelMatrix
        ``len(sources) x len(targets)``.
    """
    sources = np.asarray(sources, np.int64).ravel()
    targets = np.asarray(targets, np.int64).ravel()
    for name, nodes in (("sources", sources), ("targets", targets)):
        if len(nodes) and (nodes.min() < 0 or nodes.max() >= network.num_nodes):
            msg = f"`{name}` must be node indices in [0, {network.num_nodes})"
            raise InvalidInputError(msg)
    hierarchy, scale = network_hierarchy(network, workers=workers)
    return _unpack(many_to_many(hierarchy, sources, targets, workers=workers), scale)


def point_matrix(
    network: RoadNetwork,
    points: SnappedPoints,
    *,
    access_speed_kmh: float = 10.0,
    workers: int | None = None,
) -> TravelMatrix:
    """Travel times and distances between snapped points, snap distances included.

    A trip starts and ends exactly at the snapped position and respects one-way streets
    (see the module notes). The straight line from a point to its road is added at both
    ends, driven or walked at ``access_speed_kmh``.

    Parameters
    ----------
    network
        Road network the points were snapped to.
    points
        Snapped points.
    access_speed_kmh
        Speed over the snap distance.
    workers
        Threads; default every available core.

    Returns
    -------
    TravelMatrix
        ``n x n`` with zeros on the diagonal.
    """
    if access_speed_kmh <= 0:
        msg = f"`access_speed_kmh` must be positive, got {access_speed_kmh}"
        raise InvalidInputError(msg)
    hierarchy, scale = network_hierarchy(network, workers=workers)
    edge, fraction = _canonical(network, points)
    leave, leave_cost, reach, reach_cost = _attachments(network, edge, fraction, scale)
    packed = many_to_many(hierarchy, leave, reach, leave_cost, reach_cost, workers=workers)
    _along_segment(network, edge, fraction, scale, packed)
    np.fill_diagonal(packed, 0)
    matrix = _unpack(packed, scale)
    offset = points.snap_distance_m
    extra_m = offset[:, None] + offset[None, :]
    np.fill_diagonal(extra_m, 0.0)
    return TravelMatrix(
        time_s=matrix.time_s + extra_m / (access_speed_kmh / 3.6),
        distance_m=matrix.distance_m + extra_m,
    )


def network_hierarchy(network: RoadNetwork, *, workers: int | None = None) -> tuple[Hierarchy, int]:
    """The contraction hierarchy of a network's packed weights, and the packing scale.

    Built on first use and kept in memory by the network's fingerprint (the
    :data:`HIERARCHY_CACHE_SIZE` most recently used).

    Parameters
    ----------
    network
        Road network (with a day's closures applied, if any).
    workers
        Threads for building it; default every available core.

    Returns
    -------
    tuple of Hierarchy and int
        The hierarchy and the scale that splits a packed distance into time and length.
    """
    key = network.fingerprint
    with _HIERARCHIES_LOCK:
        if key in _HIERARCHIES:
            _HIERARCHIES.move_to_end(key)
            return _HIERARCHIES[key]
    weights, scale = _packed_int_weights(network.time_s, network.length_m)
    hierarchy = build_hierarchy(
        network.num_nodes,
        network.edge_from,
        network.edge_to,
        weights,
        xy=(network.x, network.y),
        workers=workers,
    )
    with _HIERARCHIES_LOCK:
        _HIERARCHIES[key] = (hierarchy, scale)
        _HIERARCHIES.move_to_end(key)
        while len(_HIERARCHIES) > HIERARCHY_CACHE_SIZE:
            _HIERARCHIES.popitem(last=False)
    return hierarchy, scale


def _packed_int_weights(time_s: FloatArray, length_m: FloatArray) -> tuple[IntArray, int]:
    """Packed edge weights as exact integers (:data:`INF` beyond the horizon), and scale."""
    time_cs = np.maximum(np.rint(time_s * 100.0), 0.0)
    length_dm = np.maximum(np.rint(length_m * 10.0), 0.0)
    scale = int(_scale(time_cs, length_dm))
    return _pack(time_cs, length_dm, scale), scale


def _pack(time_cs: FloatArray, length_dm: FloatArray, scale: int) -> IntArray:
    within = time_cs <= _HORIZON_CS
    packed = np.where(within, time_cs, 0).astype(np.int64) * scale
    packed += np.where(within, length_dm, 0).astype(np.int64)
    return np.where(within, packed, INF)


def _position(network: RoadNetwork, edge: IntArray, fraction: FloatArray, scale: int) -> IntArray:
    """Packed time and length from the start of each edge to ``fraction`` of it.

    Both are rounded like a whole edge's, so at fraction 1 this is the edge's own weight and
    costs between two places on an edge, differences of positions, add up along it.
    :data:`INF` on an edge beyond the horizon.
    """
    whole = _pack(
        np.maximum(np.rint(network.time_s[edge] * 100.0), 0.0),
        np.maximum(np.rint(network.length_m[edge] * 10.0), 0.0),
        scale,
    )
    part = _pack(
        np.maximum(np.rint(fraction * network.time_s[edge] * 100.0), 0.0),
        np.maximum(np.rint(fraction * network.length_m[edge] * 10.0), 0.0),
        scale,
    )
    return np.where(whole >= INF, INF, part)


def _between(start: IntArray, end: IntArray) -> IntArray:
    """Cost from one position to a later one on the same edge (:data:`INF` stays)."""
    return np.where((start >= INF) | (end >= INF), INF, end - start)


def _canonical(network: RoadNetwork, points: SnappedPoints) -> tuple[IntArray, FloatArray]:
    """Each point on the lower-numbered direction of its segment, and its fraction there."""
    edge = np.asarray(points.edge, np.int64)
    fraction = np.asarray(points.fraction, np.float64)
    twin = network.twin[edge]
    flip = (twin >= 0) & (twin < edge)
    return np.where(flip, twin, edge), np.where(flip, 1.0 - fraction, fraction)


def _attachments(
    network: RoadNetwork, edge: IntArray, fraction: FloatArray, scale: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Nodes each point leaves by and is reached from, with the partial-edge costs.

    A point at fraction ``f`` of edge ``a -> b`` leaves via ``b`` and is reached from ``a``;
    with a twin ``b -> a`` it also leaves via ``a`` and is reached from ``b``. On a one-way
    street a point at one of the ends is that node.
    """
    a, b = network.edge_from[edge], network.edge_to[edge]
    twin = network.twin[edge]
    two_way = twin >= 0
    back = np.where(two_way, twin, edge)
    ones = np.ones(len(edge))
    forward = _position(network, edge, fraction, scale)
    backward = _position(network, back, 1.0 - fraction, scale)
    leave_back = _between(backward, _position(network, back, ones, scale))
    reach_back = backward
    at_start = np.where(fraction == 0.0, 0, INF)
    at_end = np.where(fraction == 1.0, 0, INF)
    leave = np.column_stack([b, a])
    leave_cost = np.column_stack(
        [
            _between(forward, _position(network, edge, ones, scale)),
            np.where(two_way, leave_back, at_start),
        ]
    )
    reach = np.column_stack([a, b])
    reach_cost = np.column_stack([forward, np.where(two_way, reach_back, at_end)])
    return leave, leave_cost, reach, reach_cost


def _along_segment(
    network: RoadNetwork, edge: IntArray, fraction: FloatArray, scale: int, packed: IntArray
) -> None:
    """Lower ``packed`` to the direct drive between points on the same segment."""
    order = np.lexsort((fraction, edge))
    bounds = np.flatnonzero(np.r_[True, edge[order][1:] != edge[order][:-1], True])
    for lo, hi in itertools.pairwise(bounds):
        if hi - lo < 2:
            continue
        group = order[lo:hi]
        e = np.full(len(group), edge[group[0]])
        f = fraction[group]
        ahead = f[None, :] >= f[:, None]  # row i to column j: driving forward
        at = _position(network, e, f, scale)
        direct = np.where(ahead, _between(at[:, None], at[None, :]), INF)
        if (twin := int(network.twin[e[0]])) >= 0:
            back = _position(network, np.full(len(group), twin), 1.0 - f, scale)
            direct = np.where(ahead, direct, _between(back[:, None], back[None, :]))
        block = np.ix_(group, group)
        packed[block] = np.minimum(packed[block], direct)


def point_graph(network: RoadNetwork, points: SnappedPoints) -> tuple[csr_matrix, float]:
    """The network as a sparse graph with every snapped point as an extra node.

    Point ``i`` is node ``network.num_nodes + i``; each point's segment is split there. For
    drawing the road path of a leg (:mod:`gridmgmt.routing.paths`); matrices do not need it.
    Weights pack time and distance (see the module notes, here at least 1 so that scipy keeps
    zero-length pieces); the returned scale splits them again.

    Parameters
    ----------
    network
        Road network the points were snapped to.
    points
        Snapped points.

    Returns
    -------
    tuple of scipy.sparse.csr_matrix and float
        The graph and the packing scale.
    """
    frm, to, time_s, length_m = _split_at_points(network, points)
    weights, scale = _packed_weights(time_s, length_m)
    return _csr(frm, to, weights, network.num_nodes + len(points)), scale


def _split_at_points(
    network: RoadNetwork, points: SnappedPoints
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Edges of the network plus, per snapped point, the pieces of its split segment."""
    frm = [network.edge_from]
    to = [network.edge_to]
    time_s = [network.time_s]
    length_m = [network.length_m]
    order = np.lexsort((points.fraction, points.edge))
    edges = points.edge[order]
    starts = np.flatnonzero(np.r_[True, edges[1:] != edges[:-1]])
    bounds = np.r_[starts, len(order)]
    for a, b in itertools.pairwise(bounds):
        group = order[a:b]
        edge = int(points.edge[group[0]])
        chain = np.r_[network.edge_from[edge], network.num_nodes + group, network.edge_to[edge]]
        cuts = np.r_[0.0, points.fraction[group], 1.0]
        share = np.diff(cuts)
        directions = [(chain[:-1], chain[1:], share, edge)]
        if (twin := int(network.twin[edge])) >= 0:
            directions.append((chain[1:], chain[:-1], share, twin))
        else:
            # Places at the same spot of a one-way street reach each other at no cost.
            same = share == 0
            directions.append((chain[1:][same], chain[:-1][same], share[same], edge))
        for u, v, part, e in directions:
            frm.append(u)
            to.append(v)
            time_s.append(part * network.time_s[e])
            length_m.append(part * network.length_m[e])
    return np.concatenate(frm), np.concatenate(to), np.concatenate(time_s), np.concatenate(length_m)


def _packed_weights(time_s: FloatArray, length_m: FloatArray) -> tuple[FloatArray, float]:
    time_cs = np.maximum(np.rint(time_s * 100.0), 0.0)
    length_dm = np.maximum(np.rint(length_m * 10.0), 0.0)
    scale = _scale(time_cs, length_dm)
    # A strictly positive weight: scipy would read an explicit zero as a missing edge.
    return np.maximum(time_cs * scale + length_dm, 1.0), scale


def _scale(time_cs: FloatArray, length_dm: FloatArray) -> float:
    """Power of two above the longest distance a route within the horizon can cover."""
    positive = time_cs > 0
    ratio = float(np.max(length_dm[positive] / time_cs[positive])) if positive.any() else 1.0
    zero_time_dm = float(length_dm[~positive].sum())
    bound = ratio * HORIZON_H * 360_000 + zero_time_dm
    scale = 2.0 ** math.ceil(math.log2(max(bound, 1.0) + 1))
    if scale * HORIZON_H * 360_000 >= _MAX_EXACT:
        msg = "road speeds too high to pack time and distance exactly; check the speed settings"
        raise InvalidInputError(msg)
    return scale


def _csr(frm: IntArray, to: IntArray, weights: FloatArray, n: int) -> csr_matrix:
    """Sparse graph keeping the lightest of parallel edges (csr would add them up)."""
    order = np.lexsort((weights, to, frm))
    frm, to, weights = frm[order], to[order], weights[order]
    first = np.r_[True, (frm[1:] != frm[:-1]) | (to[1:] != to[:-1])]
    return csr_matrix((weights[first], (frm[first], to[first])), shape=(n, n))


def _unpack(packed: IntArray, scale: int) -> TravelMatrix:
    time_s = np.empty(packed.shape, np.float64)
    distance_m = np.empty(packed.shape, np.float64)
    from gridmgmt.routing import _kernels  # numba loads on first use

    _kernels.split_packed(packed.ravel(), scale, _HORIZON_CS, time_s.ravel(), distance_m.ravel())
    return TravelMatrix(time_s=time_s, distance_m=distance_m)


class MatrixCache:
    """Travel matrices kept per network, day and closures (in memory, optionally on disk).

    Parameters
    ----------
    max_entries
        Matrices kept in memory; the least recently used goes first.
    directory
        Optional folder where matrices are also saved as ``.npz`` and read back.
    """

    def __init__(self, *, max_entries: int = 8, directory: str | Path | None = None) -> None:
        if max_entries < 1:
            msg = f"`max_entries` must be at least 1, got {max_entries}"
            raise InvalidInputError(msg)
        self.max_entries = max_entries
        self.directory = None if directory is None else Path(directory)
        self._entries: OrderedDict[str, TravelMatrix] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        network: RoadNetwork,
        day: date,
        closures: Sequence[Closure],
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        *,
        access_speed_kmh: float,
    ) -> str:
        """Cache key: network fingerprint, day, closures and the places (and access speed)."""
        digest = hashlib.sha256()
        digest.update(network.fingerprint.encode())
        digest.update(day.isoformat().encode())
        digest.update(closures_key(closures).encode())
        digest.update(np.ascontiguousarray(np.asarray(lon, np.float64)).tobytes())
        digest.update(np.ascontiguousarray(np.asarray(lat, np.float64)).tobytes())
        digest.update(repr(float(access_speed_kmh)).encode())
        return digest.hexdigest()[:40]

    def get(self, key: str) -> TravelMatrix | None:
        """The matrix stored under ``key``, or ``None``."""
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        if self.directory is not None and (path := self.directory / f"{key}.npz").exists():
            with np.load(path) as saved:
                matrix = TravelMatrix(time_s=saved["time_s"], distance_m=saved["distance_m"])
            self._remember(key, matrix)
            self.hits += 1
            return matrix
        self.misses += 1
        return None

    def put(self, key: str, matrix: TravelMatrix) -> None:
        """Store a matrix under ``key``."""
        self._remember(key, matrix)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            np.savez(
                self.directory / f"{key}.npz", time_s=matrix.time_s, distance_m=matrix.distance_m
            )

    def _remember(self, key: str, matrix: TravelMatrix) -> None:
        self._entries[key] = matrix
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def day_point_matrix(
    network: RoadNetwork,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    day: date,
    closures: Sequence[Closure] = (),
    cache: MatrixCache | None = None,
    access_speed_kmh: float = 10.0,
    workers: int | None = None,
) -> tuple[TravelMatrix, SnappedPoints]:
    """Travel matrix between places on a day, with that day's closures, through a cache.

    Parameters
    ----------
    network
        The full road network.
    lon, lat
        WGS-84 coordinates of the places (depots and stops).
    day
        Delivery day: closures active on it take their roads out.
    closures
        All known closures.
    cache
        Optional cache; the key is the network fingerprint, the day, the active closures
        and the places.
    access_speed_kmh
        Speed over the snap distance.
    workers
        Threads; default every available core.

    Returns
    -------
    tuple of TravelMatrix and SnappedPoints
        The matrix and where each place sits on the open roads.
    """
    active = active_closures(closures, day)
    open_network = apply_closures(network, active, day=day)
    snapped = snap_points(open_network, lon, lat)
    key = None
    if cache is not None:
        key = MatrixCache.key(network, day, active, lon, lat, access_speed_kmh=access_speed_kmh)
        if (hit := cache.get(key)) is not None:
            return hit, snapped
    matrix = point_matrix(open_network, snapped, access_speed_kmh=access_speed_kmh, workers=workers)
    if cache is not None and key is not None:
        cache.put(key, matrix)
    return matrix, snapped
