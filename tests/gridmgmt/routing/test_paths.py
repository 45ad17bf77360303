"""Road paths of legs on the contraction hierarchy, against the former scipy method."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from gridmgmt.routing.matrix import point_graph, point_matrix
from gridmgmt.routing.network import RoadNetwork, network_from_edges
from gridmgmt.routing.paths import leg_paths
from gridmgmt.routing.snap import SnappedPoints, snap_xy
from gridmgmt.routing.synthetic import perturbed_grid_network


def scipy_leg_paths(
    network: RoadNetwork, points: SnappedPoints, legs: list[tuple[int, int]]
) -> list[list[int]]:
    """The former method: one scipy Dijkstra per source on the network split at the places;
    the junctions between the places of each leg."""
    graph, _ = point_graph(network, points)
    offset = network.num_nodes
    sources = sorted({a for a, _ in legs})
    _, pred = dijkstra(
        graph, directed=True, indices=[offset + a for a in sources], return_predecessors=True
    )
    row = {a: i for i, a in enumerate(sources)}
    paths = []
    for a, b in legs:
        node, path = offset + b, []
        while node != offset + a and node >= 0:
            node = int(pred[row[a], node])
            path.append(node)
        paths.append([n for n in reversed(path[:-1]) if n < offset] if node >= 0 else [])
    return paths


def _places(network: RoadNetwork, seed: int, n: int) -> SnappedPoints:
    rng = np.random.default_rng(seed)
    x = rng.uniform(network.x.min(), network.x.max(), n)
    y = rng.uniform(network.y.min(), network.y.max(), n)
    return snap_xy(network, x, y)


@pytest.mark.parametrize("seed", [3, 4])
def test_leg_paths_equal_scipy_dijkstra_on_the_split_network(seed: int) -> None:
    network = perturbed_grid_network(12, 12, drop_share=0.1, oneway_share=0.3, seed=seed)
    points = _places(network, seed, 25)
    legs = [(a, b) for a, b in itertools.permutations(range(len(points)), 2)]
    got = leg_paths(network, points, legs)
    expected = scipy_leg_paths(network, points, legs)
    # Both are shortest paths; they could differ only where rounding each split piece by
    # itself (the former method) reorders two routes within a few centiseconds: not here.
    assert got == expected
    assert sum(len(p) for p in got) > 5 * len(legs)


@pytest.mark.parametrize("seed", [3, 4])
def test_leg_paths_drive_the_time_the_matrix_measured(seed: int) -> None:
    network = perturbed_grid_network(12, 12, drop_share=0.1, oneway_share=0.3, seed=seed)
    points = _places(network, seed + 10, 20)
    legs = [(a, b) for a, b in itertools.permutations(range(len(points)), 2)]
    matrix = point_matrix(network, points)
    access_s = (points.snap_distance_m[:, None] + points.snap_distance_m[None, :]) / (10 / 3.6)
    edge_time = {}
    for e in range(network.num_edges):
        key = (int(network.edge_from[e]), int(network.edge_to[e]))
        edge_time[key] = min(edge_time.get(key, np.inf), round(network.time_s[e] * 100))
    for (a, b), path in zip(legs, leg_paths(network, points, legs), strict=True):
        on_network = matrix.time_s[a, b] - access_s[a, b]
        inner_cs = sum(edge_time[(u, v)] for u, v in itertools.pairwise(path))
        # The junction-to-junction part is exact; the ends are parts of one road each.
        assert inner_cs / 100 <= on_network + 1e-6
        if path:
            first_road = points.edge[a]
            last_road = points.edge[b]
            ends = network.time_s[first_road] + network.time_s[last_road]
            assert on_network - inner_cs / 100 <= ends + 0.02


def test_same_segment_goes_straight_and_unreachable_jumps() -> None:
    lon = [112.5, 112.504, 112.504, 112.5, 112.51]
    lat = [40.5, 40.5, 40.502, 40.502, 40.5]
    edges = [(0, 1, 30.0, False), (1, 2, 30.0, True), (2, 3, 30.0, True), (3, 0, 30.0, True)]
    loop = network_from_edges(lon[:4], lat[:4], edges)
    south = int(np.flatnonzero((loop.edge_from == 0) & (loop.edge_to == 1))[0])
    zeros = np.zeros(3)
    points = SnappedPoints(np.array([south] * 3), np.array([0.2, 0.7, 0.7]), zeros, zeros, zeros)
    forward, backward, same_spot = leg_paths(loop, points, [(0, 1), (1, 0), (1, 2)])
    assert forward == []  # straight along the one-way street
    assert backward == [1, 2, 3, 0]  # round the block: the street is one-way
    assert same_spot == []
    assert leg_paths(loop, points, []) == []
