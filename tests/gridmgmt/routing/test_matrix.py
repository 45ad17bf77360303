from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from gridmgmt.routing.matrix import MatrixCache, day_point_matrix, node_matrix, point_matrix
from gridmgmt.routing.network import RoadNetwork, network_from_edges
from gridmgmt.routing.snap import snap_points
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


def test_worker_processes_give_the_same_matrix() -> None:
    network = perturbed_grid_network(12, 12, seed=2)
    nodes = np.arange(network.num_nodes)  # enough sources to split over processes
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
