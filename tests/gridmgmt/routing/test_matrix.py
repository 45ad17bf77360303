from __future__ import annotations

import heapq
import itertools
from datetime import date
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import box

from gridmgmt.routing import matrix as travel
from gridmgmt.routing.closures import Closure
from gridmgmt.routing.matrix import (
    HORIZON_H,
    MatrixCache,
    TravelMatrix,
    day_point_matrix,
    network_hierarchy,
    node_matrix,
    point_graph,
    point_matrix,
)
from gridmgmt.routing.network import RoadNetwork, network_from_edges
from gridmgmt.routing.snap import SnappedPoints, snap_points, snap_xy
from gridmgmt.routing.synthetic import perturbed_grid_network

LON0, LAT0 = 112.5, 40.5
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * np.cos(np.radians(LAT0))


@pytest.fixture
def loop() -> RoadNetwork:
    """A rectangle 0 -> 1 -> 2 -> 3 -> 0 with the south side 0 -> 1 one-way, all 30 km/h."""
    lon = [LON0, LON0 + 0.004, LON0 + 0.004, LON0]
    lat = [LAT0, LAT0, LAT0 + 0.002, LAT0 + 0.002]
    edges = [(0, 1, 30.0, False), (1, 2, 30.0, True), (2, 3, 30.0, True), (3, 0, 30.0, True)]
    return network_from_edges(lon, lat, edges)


def _south_side(loop: RoadNetwork, share: float, metres_south: float) -> tuple[float, float]:
    return LON0 + 0.004 * share, LAT0 - metres_south / M_PER_DEG_LAT


def test_matrix_matches_networkx_on_a_grid_with_one_way_streets() -> None:
    network = perturbed_grid_network(15, 15, drop_share=0.1, oneway_share=0.3, seed=4)
    nodes = np.random.default_rng(1).choice(network.num_nodes, 25, replace=False)
    matrix = node_matrix(network, nodes, nodes, workers=2)
    graph = network.to_networkx()
    for i, source in enumerate(nodes):
        times, paths = nx.single_source_dijkstra(graph, int(source), weight="time_s")
        for j, target in enumerate(nodes):
            path = paths[int(target)]
            length = sum(
                min(
                    d["length_m"]
                    for d in graph[u][v].values()
                    if d["time_s"] == min(e["time_s"] for e in graph[u][v].values())
                )
                for u, v in itertools.pairwise(path)
            )
            assert matrix.time_s[i, j] == pytest.approx(times[int(target)], abs=0.01 * len(path))
            assert matrix.distance_m[i, j] == pytest.approx(length, abs=0.05 * len(path) + 1e-6)
    assert not np.allclose(matrix.time_s, matrix.time_s.T)  # one-way streets break symmetry


def test_worker_threads_give_the_same_matrix() -> None:
    network = perturbed_grid_network(12, 12, seed=2)
    nodes = np.arange(network.num_nodes)  # enough sources to split over threads
    one = node_matrix(network, nodes, nodes, workers=1)
    two = node_matrix(network, nodes, nodes, workers=2)
    np.testing.assert_array_equal(one.time_s, two.time_s)
    np.testing.assert_array_equal(one.distance_m, two.distance_m)


def test_snapping_keeps_distance_to_the_road(loop: RoadNetwork) -> None:
    lon, lat = zip(_south_side(loop, 0.25, 20.0), _south_side(loop, 0.75, 10.0), strict=True)
    snapped = snap_points(loop, lon, lat)
    assert snapped.snap_distance_m == pytest.approx([20.0, 10.0], abs=0.2)
    assert snapped.fraction == pytest.approx([0.25, 0.75], abs=0.002)
    south = np.flatnonzero((loop.edge_from == 0) & (loop.edge_to == 1))[0]
    assert snapped.edge.tolist() == [south, south]


def test_point_matrix_adds_snap_distance_and_respects_one_way(loop: RoadNetwork) -> None:
    lon, lat = zip(_south_side(loop, 0.25, 20.0), _south_side(loop, 0.75, 10.0), strict=True)
    snapped = snap_points(loop, lon, lat)
    matrix = point_matrix(loop, snapped, access_speed_kmh=10.0)
    length = dict(
        zip(
            zip(loop.edge_from.tolist(), loop.edge_to.tolist(), strict=True),
            loop.length_m,
            strict=True,
        )
    )
    south, east, north, west = length[0, 1], length[1, 2], length[2, 3], length[3, 0]
    offsets = snapped.snap_distance_m.sum()
    # P -> Q straight along the one-way street.
    forward = (snapped.fraction[1] - snapped.fraction[0]) * south
    assert matrix.distance_m[0, 1] == pytest.approx(forward + offsets, abs=0.3)
    assert matrix.time_s[0, 1] == pytest.approx(
        forward / (30 / 3.6) + offsets / (10 / 3.6), abs=0.05
    )
    # Q -> P must go round the block: on to corner 1, north, west, south, then along to P.
    around = (1 - snapped.fraction[1]) * south + east + north + west + snapped.fraction[0] * south
    assert matrix.distance_m[1, 0] == pytest.approx(around + offsets, abs=0.3)
    assert np.diag(matrix.time_s).tolist() == [0.0, 0.0]


def test_points_on_the_same_spot_cost_nothing_but_their_offsets(loop: RoadNetwork) -> None:
    spot = _south_side(loop, 0.5, 0.0)
    snapped = snap_points(loop, [spot[0], spot[0]], [spot[1], spot[1]])
    matrix = point_matrix(loop, snapped)
    assert matrix.distance_m[0, 1] == pytest.approx(0.0, abs=0.3)
    assert matrix.distance_m[1, 0] == pytest.approx(0.0, abs=0.3)


def test_cache_is_keyed_by_network_day_and_places(loop: RoadNetwork, tmp_path: Path) -> None:
    cache = MatrixCache(directory=tmp_path)
    lon, lat = zip(_south_side(loop, 0.25, 20.0), _south_side(loop, 0.75, 10.0), strict=True)
    first, _ = day_point_matrix(loop, lon, lat, day=date(2022, 4, 1), cache=cache)
    again, _ = day_point_matrix(loop, lon, lat, day=date(2022, 4, 1), cache=cache)
    assert (cache.hits, cache.misses) == (1, 1)
    assert again is first
    day_point_matrix(loop, lon, lat, day=date(2022, 4, 2), cache=cache)
    assert cache.misses == 2
    fresh = MatrixCache(directory=tmp_path)  # another process: read back from disk
    from_disk, _ = day_point_matrix(loop, lon, lat, day=date(2022, 4, 1), cache=fresh)
    assert fresh.hits == 1
    np.testing.assert_array_equal(from_disk.time_s, first.time_s)


# --------------------------------------------------------------------------- references
def split_graph_matrix(network: RoadNetwork, points: SnappedPoints) -> TravelMatrix:
    """The former method: scipy's Dijkstra on the network split at the points (no access)."""
    graph, scale = point_graph(network, points)
    ids = network.num_nodes + np.arange(len(points))
    packed = dijkstra(graph, directed=True, indices=ids)[:, ids]
    return unpack_float(packed, scale)


def unpack_float(packed: npt.NDArray[np.float64], scale: float) -> TravelMatrix:
    time_cs = np.floor(packed / scale)
    length_dm = packed - time_cs * scale
    beyond = ~np.isfinite(packed) | (time_cs > HORIZON_H * 360_000)
    return TravelMatrix(
        time_s=np.where(beyond, np.inf, time_cs / 100.0),
        distance_m=np.where(beyond, np.inf, length_dm / 10.0),
    )


def heap_dijkstra(
    arcs: dict[object, list[tuple[object, int]]], source: object
) -> dict[object, int]:
    dist = {source: 0}
    queue: list[tuple[int, int, object]] = [(0, 0, source)]
    tick = 0
    while queue:
        d, _, u = heapq.heappop(queue)
        if d > dist[u]:
            continue
        for v, w in arcs.get(u, []):
            if d + w < dist.get(v, 2**62):
                dist[v] = d + w
                tick += 1
                heapq.heappush(queue, (d + w, tick, v))
    return dist


def inserted_places_matrix(network: RoadNetwork, points: SnappedPoints) -> TravelMatrix:
    """Dijkstra over the network with every place inserted into its segment as a node.

    A piece of a segment costs the difference of the rounded time and length from the
    segment's start, so the pieces add up to the whole edge; on a one-way street places on
    the same spot (or at an end) reach each other for nothing.
    """
    _, scale = network_hierarchy(network)

    def at(edge: int, f: float) -> int:
        time_cs = round(f * network.time_s[edge] * 100.0)
        return time_cs * scale + round(f * network.length_m[edge] * 10.0)

    arcs: dict[object, list[tuple[object, int]]] = {}
    for e in range(network.num_edges):
        a, b = int(network.edge_from[e]), int(network.edge_to[e])
        arcs.setdefault(a, []).append((b, at(e, 1.0)))
    for e in np.unique(points.edge).tolist():
        on = sorted(np.flatnonzero(points.edge == e).tolist(), key=lambda i: points.fraction[i])
        chain: list[object] = [int(network.edge_from[e]), *(("p", i) for i in on)]
        chain.append(int(network.edge_to[e]))
        where = [0.0, *(float(points.fraction[i]) for i in on), 1.0]
        twin = int(network.twin[e])
        for (u, fu), (v, fv) in itertools.pairwise(zip(chain, where, strict=True)):
            arcs.setdefault(u, []).append((v, at(e, fv) - at(e, fu)))
            if twin >= 0:
                arcs.setdefault(v, []).append((u, at(twin, 1 - fu) - at(twin, 1 - fv)))
            elif fu == fv:
                arcs.setdefault(v, []).append((u, 0))
    n = len(points)
    packed = np.full((n, n), np.inf)
    for i in range(n):
        dist = heap_dijkstra(arcs, ("p", i))
        for j in range(n):
            packed[i, j] = dist.get(("p", j), np.inf)
    extra_m = points.snap_distance_m[:, None] + points.snap_distance_m[None, :]
    np.fill_diagonal(extra_m, 0.0)
    base = unpack_float(packed, float(scale))
    return TravelMatrix(base.time_s + extra_m / (10 / 3.6), base.distance_m + extra_m)


def crowded_points(network: RoadNetwork, seed: int, n: int = 40) -> SnappedPoints:
    """Random places, then several on one two-way and one one-way segment: in order, out
    of order, on the same spot and at both ends."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(network.x.min(), network.x.max(), n)
    y = rng.uniform(network.y.min(), network.y.max(), n)
    points = snap_xy(network, x, y)
    edge, fraction = points.edge.copy(), points.fraction.copy()
    two_way = int(np.flatnonzero(network.twin > np.arange(network.num_edges))[0])
    one_way = int(np.flatnonzero(network.twin < 0)[0])
    for start, e in ((0, two_way), (8, one_way)):
        edge[start : start + 8] = e
        fraction[start : start + 8] = [0.7, 0.2, 0.45, 0.45, 0.0, 1.0, 0.9, 0.2]
    return SnappedPoints(edge, fraction, points.snap_distance_m, points.x, points.y)


# --------------------------------------------------------------------------- exactness
def test_node_matrix_equals_dijkstra_on_the_packed_weights() -> None:
    network = perturbed_grid_network(16, 16, drop_share=0.1, oneway_share=0.3, seed=8)
    nodes = np.random.default_rng(2).choice(network.num_nodes, 70, replace=False)
    weights, scale = travel._packed_weights(network.time_s, network.length_m)
    graph = travel._csr(network.edge_from, network.edge_to, weights, network.num_nodes)
    expected = unpack_float(dijkstra(graph, directed=True, indices=nodes)[:, nodes], scale)
    got = node_matrix(network, nodes, nodes)
    np.testing.assert_array_equal(got.time_s, expected.time_s)
    np.testing.assert_array_equal(got.distance_m, expected.distance_m)


def test_zero_length_roads_cost_nothing() -> None:
    lon = [LON0, LON0, LON0 + 0.002]  # two junctions on the same spot
    lat = [LAT0, LAT0, LAT0]
    network = network_from_edges(lon, lat, [(0, 1, 30.0, True), (1, 2, 30.0, False)])
    matrix = node_matrix(network, [0, 1, 2], [0, 1, 2])
    assert matrix.distance_m[0, 1] == 0.0
    assert matrix.distance_m[0, 2] == round(network.length_m[2] * 10) / 10
    assert np.isinf(matrix.time_s[2, 0])  # one-way: no way back


@pytest.mark.parametrize("seed", [0, 1])
def test_point_matrix_equals_dijkstra_with_the_places_inserted(seed: int) -> None:
    network = perturbed_grid_network(12, 12, drop_share=0.1, oneway_share=0.3, seed=seed)
    points = crowded_points(network, seed)
    got = point_matrix(network, points)
    expected = inserted_places_matrix(network, points)
    np.testing.assert_array_equal(got.time_s, expected.time_s)
    np.testing.assert_array_equal(got.distance_m, expected.distance_m)


def test_point_matrix_is_within_rounding_of_splitting_the_roads() -> None:
    network = perturbed_grid_network(14, 14, drop_share=0.1, oneway_share=0.3, seed=5)
    points = crowded_points(network, 5, n=60)
    got = point_matrix(network, points)
    split = split_graph_matrix(network, points)
    extra_m = points.snap_distance_m[:, None] + points.snap_distance_m[None, :]
    np.fill_diagonal(extra_m, 0.0)
    time_diff = np.abs(got.time_s - extra_m / (10 / 3.6) - split.time_s)
    length_diff = np.abs(got.distance_m - extra_m - split.distance_m)
    # Each partial edge is rounded by itself, up to 8 places share a segment here.
    assert time_diff.max() <= 0.05 + 1e-9
    assert np.mean(length_diff <= 0.5 + 1e-9) > 0.95


def test_places_on_one_segment_drive_straight_in_travel_order(loop: RoadNetwork) -> None:
    east = int(np.flatnonzero((loop.edge_from == 1) & (loop.edge_to == 2))[0])
    south = int(np.flatnonzero((loop.edge_from == 0) & (loop.edge_to == 1))[0])
    edge = np.array([east, east, east, south, south, south])
    fraction = np.array([0.2, 0.6, 0.6, 0.3, 0.8, 0.8])
    zeros = np.zeros(6)
    points = SnappedPoints(edge, fraction, zeros, zeros, zeros)
    matrix = point_matrix(loop, points)
    east_m, south_m = loop.length_m[east], loop.length_m[south]
    assert matrix.distance_m[0, 1] == pytest.approx(0.4 * east_m, abs=0.1)
    assert matrix.distance_m[1, 0] == pytest.approx(0.4 * east_m, abs=0.1)  # two-way
    assert matrix.distance_m[1, 2] == matrix.distance_m[2, 1] == 0.0  # same spot
    assert matrix.distance_m[3, 4] == pytest.approx(0.5 * south_m, abs=0.1)
    assert matrix.distance_m[4, 5] == matrix.distance_m[5, 4] == 0.0  # same spot, one-way
    around = loop.length_m.sum() / 2 + south_m / 2  # west, north, east sides, then on
    assert matrix.distance_m[4, 3] == pytest.approx(around - 0.5 * south_m, abs=0.3)


# --------------------------------------------------------------------------- hierarchy cache
def test_hierarchy_is_built_once_per_network_and_day(
    loop: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    build = travel.build_hierarchy

    def counting(*args: object, **kwargs: object) -> object:
        built.append(1)
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(travel, "build_hierarchy", counting)
    monkeypatch.setattr(travel, "_HIERARCHIES", type(travel._HIERARCHIES)())
    lon, lat = zip(_south_side(loop, 0.25, 20.0), _south_side(loop, 0.75, 10.0), strict=True)
    node_matrix(loop, [0, 1], [2, 3])
    day_point_matrix(loop, lon, lat, day=date(2022, 4, 1))
    day_point_matrix(loop, lon, lat, day=date(2022, 4, 2))
    assert len(built) == 1  # a depot's days and its places share one hierarchy
    north_side = box(LON0 + 0.001, LAT0 + 0.0015, LON0 + 0.003, LAT0 + 0.0025)
    works = Closure("works", north_side, start=date(2022, 4, 2), end=date(2022, 4, 3))
    closed, _ = day_point_matrix(loop, lon, lat, day=date(2022, 4, 2), closures=[works])
    assert len(built) == 2  # the day's network without the north side is another one
    assert np.isinf(closed.time_s[1, 0])  # and Q can no longer get back round to P
    day_point_matrix(loop, lon, lat, day=date(2022, 4, 1), closures=[works])
    assert len(built) == 2  # not active that day: the full network again
    for k in range(travel.HIERARCHY_CACHE_SIZE):
        node_matrix(perturbed_grid_network(3, 3, seed=k), [0], [1])
    node_matrix(loop, [0], [1])
    assert len(built) == 3 + travel.HIERARCHY_CACHE_SIZE  # least recently used went first
