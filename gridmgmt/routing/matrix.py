"""Many-to-many travel time and distance on a road network (距离矩阵).

One Dijkstra per source (scipy.sparse.csgraph, sources split over processes) finds the
fastest route to every target and, in the same pass, its length: each edge weight packs
the travel time in centiseconds above the length in decimetres,
``weight = time_cs * 2**27 + length_dm``. Sums of such integers are exact in float64, so
the total splits back into time and the length of the fastest route (ties in time go to
the shorter one). The packing is exact for routes under :data:`HORIZON_H` hours; longer
ones are reported as unreachable, which for a day's deliveries they are.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from gridmgmt.routing.closures import Closure, active_closures, apply_closures, closures_key
from gridmgmt.routing.network import FloatArray, IntArray, RoadNetwork
from gridmgmt.routing.search import available_cores, process_context
from gridmgmt.routing.snap import SnappedPoints, snap_points

#: Routes longer than this many hours of driving are reported as unreachable.
HORIZON_H = 72.0
_MAX_EXACT = 2.0**53
_CHUNK = 32


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
        Processes running Dijkstra; default every available core.

    Returns
    -------
    TravelMatrix
        ``len(sources) x len(targets)``.
    """
    weights, scale = _packed_weights(network.time_s, network.length_m)
    graph = _csr(network.edge_from, network.edge_to, weights, network.num_nodes)
    sources = np.asarray(sources, np.int64)
    targets = np.asarray(targets, np.int64)
    return _unpack(_solve(graph, sources, targets, workers), scale)


def point_matrix(
    network: RoadNetwork,
    points: SnappedPoints,
    *,
    access_speed_kmh: float = 10.0,
    workers: int | None = None,
) -> TravelMatrix:
    """Travel times and distances between snapped points, snap distances included.

    Each point becomes a node on its road segment (the segment is split there), so a trip
    starts and ends exactly at the snapped position and respects one-way streets. The
    straight line from a point to its road is added at both ends, driven or walked at
    ``access_speed_kmh``.

    Parameters
    ----------
    network
        Road network the points were snapped to.
    points
        Snapped points.
    access_speed_kmh
        Speed over the snap distance.
    workers
        Processes running Dijkstra; default every available core.

    Returns
    -------
    TravelMatrix
        ``n x n`` with zeros on the diagonal.
    """
    if access_speed_kmh <= 0:
        msg = f"`access_speed_kmh` must be positive, got {access_speed_kmh}"
        raise ValueError(msg)
    graph, scale = point_graph(network, points)
    ids = network.num_nodes + np.arange(len(points))
    matrix = _unpack(_solve(graph, ids, ids, workers), scale)
    offset = points.snap_distance_m
    extra_m = offset[:, None] + offset[None, :]
    np.fill_diagonal(extra_m, 0.0)
    return TravelMatrix(
        time_s=matrix.time_s + extra_m / (access_speed_kmh / 3.6),
        distance_m=matrix.distance_m + extra_m,
    )


def point_graph(network: RoadNetwork, points: SnappedPoints) -> tuple[csr_matrix, float]:
    """The network as a sparse graph with every snapped point as an extra node.

    Point ``i`` is node ``network.num_nodes + i``. Weights pack time and distance (see the
    module notes); the returned scale splits them again.

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
        raise ValueError(msg)
    return scale


def _csr(frm: IntArray, to: IntArray, weights: FloatArray, n: int) -> csr_matrix:
    """Sparse graph keeping the lightest of parallel edges (csr would add them up)."""
    order = np.lexsort((weights, to, frm))
    frm, to, weights = frm[order], to[order], weights[order]
    first = np.r_[True, (frm[1:] != frm[:-1]) | (to[1:] != to[:-1])]
    return csr_matrix((weights[first], (frm[first], to[first])), shape=(n, n))


def _solve(
    graph: csr_matrix, sources: IntArray, targets: IntArray, workers: int | None
) -> FloatArray:
    """Packed distances from each source to each target, sources split over processes."""
    workers = workers or available_cores()
    chunks = [sources[i : i + _CHUNK] for i in range(0, len(sources), _CHUNK)]
    if workers == 1 or len(chunks) < 4:
        parts = [_dijkstra_rows(graph, c, targets) for c in chunks]
    else:
        # scipy's Dijkstra holds the GIL, so threads would take turns: use processes.
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=process_context(),
            initializer=_set_worker_graph,
            initargs=(graph, targets),
        ) as pool:
            parts = list(pool.map(_worker_rows, chunks))
    return np.vstack(parts) if parts else np.zeros((0, len(targets)))


def _dijkstra_rows(graph: csr_matrix, sources: IntArray, targets: IntArray) -> FloatArray:
    found: FloatArray = dijkstra(graph, directed=True, indices=sources)
    return found[:, targets]


_WORKER: dict[str, Any] = {}


def _set_worker_graph(graph: csr_matrix, targets: IntArray) -> None:
    _WORKER["graph"], _WORKER["targets"] = graph, targets


def _worker_rows(sources: IntArray) -> FloatArray:
    return _dijkstra_rows(_WORKER["graph"], sources, _WORKER["targets"])


def _unpack(packed: FloatArray, scale: float) -> TravelMatrix:
    reachable = np.isfinite(packed)
    time_cs = np.where(reachable, np.floor(np.where(reachable, packed, 0) / scale), np.inf)
    length_dm = np.where(reachable, packed - np.where(reachable, time_cs, 0) * scale, np.inf)
    beyond = time_cs > HORIZON_H * 360_000
    time_cs[beyond] = np.inf
    length_dm[beyond] = np.inf
    return TravelMatrix(time_s=time_cs / 100.0, distance_m=length_dm / 10.0)


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
            raise ValueError(msg)
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
        Processes running Dijkstra.

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
