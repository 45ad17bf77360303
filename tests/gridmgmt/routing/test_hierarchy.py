from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgmt.routing import _kernels as kernels
from gridmgmt.routing import hierarchy as ch
from gridmgmt.routing.hierarchy import INF, build_hierarchy, many_to_many

IntArray = npt.NDArray[np.int64]


def dijkstra_rows(n: int, tail: IntArray, head: IntArray, weight: IntArray) -> IntArray:
    """All-pairs distances by a plain heapq Dijkstra per source, INF when unreachable."""
    out_arcs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for a, b, w in zip(tail.tolist(), head.tolist(), weight.tolist(), strict=True):
        if w < INF:
            out_arcs[a].append((b, w))
    table = np.full((n, n), INF, np.int64)
    for s in range(n):
        dist = {s: 0}
        queue = [(0, s)]
        while queue:
            d, u = heapq.heappop(queue)
            if d > dist[u]:
                continue
            for v, w in out_arcs[u]:
                if d + w < dist.get(v, INF):
                    dist[v] = d + w
                    heapq.heappush(queue, (d + w, v))
        for v, d in dist.items():
            table[s, v] = d
    return table


def random_graph(
    rng: np.random.Generator, n: int, m: int, *, max_weight: int = 20
) -> tuple[IntArray, IntArray, IntArray]:
    """Directed arcs (so one-way) with parallel arcs, loops and zero weights."""
    tail = rng.integers(0, n, m)
    head = rng.integers(0, n, m)
    weight = rng.integers(0, max_weight, m)
    weight[rng.random(m) < 0.1] = 0
    return tail, head, weight


def grid_graph(
    rng: np.random.Generator, side: int
) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A jittered street grid: two-way and one-way streets, some missing, coordinates."""
    node = np.arange(side * side).reshape(side, side)
    a = np.r_[node[:, :-1].ravel(), node[:-1, :].ravel()]
    b = np.r_[node[:, 1:].ravel(), node[1:, :].ravel()]
    keep = rng.random(len(a)) > 0.08
    a, b = a[keep], b[keep]
    weight = rng.integers(50, 150, len(a))
    one_way = rng.random(len(a)) < 0.2
    tail = np.r_[a, b[~one_way]]
    head = np.r_[b, a[~one_way]]
    both = np.r_[weight, weight[~one_way] + rng.integers(0, 3, int((~one_way).sum()))]
    y, x = np.divmod(np.arange(side * side), side)
    return tail, head, both, x + rng.uniform(-0.3, 0.3, len(x)), y.astype(float)


@pytest.mark.parametrize("seed", range(8))
def test_matches_dijkstra_on_random_directed_graphs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 70))
    tail, head, weight = random_graph(rng, n, int(rng.integers(n, 4 * n)))
    hierarchy = build_hierarchy(n, tail, head, weight)
    expected = dijkstra_rows(n, tail, head, weight)
    np.testing.assert_array_equal(many_to_many(hierarchy, np.arange(n), np.arange(n)), expected)
    assert (expected == INF).any()  # sparse random graphs leave some pairs unreachable


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 25),
    arcs=st.lists(
        st.tuples(st.integers(0, 24), st.integers(0, 24), st.sampled_from([0, 1, 2, 3, 7, 50])),
        max_size=80,
    ),
)
def test_matches_dijkstra_on_any_small_graph(n: int, arcs: list[tuple[int, int, int]]) -> None:
    arcs = [(a % n, b % n, w) for a, b, w in arcs]
    tail = np.array([a for a, _, _ in arcs], np.int64)
    head = np.array([b for _, b, _ in arcs], np.int64)
    weight = np.array([w for _, _, w in arcs], np.int64)
    hierarchy = build_hierarchy(n, tail, head, weight)
    got = many_to_many(hierarchy, np.arange(n), np.arange(n), workers=1)
    np.testing.assert_array_equal(got, dijkstra_rows(n, tail, head, weight))


def test_split_into_halves_with_an_exact_top_is_still_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    tail, head, weight, x, y = grid_graph(rng, 14)
    n = 14 * 14
    calls: list[int] = []
    core_arcs = kernels.core_arcs

    def spy(c: int, *args: IntArray) -> tuple[npt.NDArray[np.generic], ...]:
        calls.append(c)
        return core_arcs(c, *args)

    monkeypatch.setattr(ch, "_SPLIT_MIN_NODES", 0)
    monkeypatch.setattr(kernels, "core_arcs", spy)
    hierarchy = build_hierarchy(n, tail, head, weight, xy=(x, y), workers=2)
    assert len(calls) == 1
    assert 5 <= calls[0] <= 14  # one line of nodes across the grid went on top
    expected = dijkstra_rows(n, tail, head, weight)
    np.testing.assert_array_equal(many_to_many(hierarchy, np.arange(n), np.arange(n)), expected)
    single = build_hierarchy(n, tail, head, weight, xy=(x, y), workers=1)
    assert len(calls) == 1  # one worker: contracted in one piece, no separator
    np.testing.assert_array_equal(many_to_many(single, np.arange(n), np.arange(n)), expected)


def test_sources_and_targets_attached_to_several_nodes_at_a_cost() -> None:
    rng = np.random.default_rng(7)
    n = 40
    tail, head, weight = random_graph(rng, n, 120)
    hierarchy = build_hierarchy(n, tail, head, weight)
    sources = rng.integers(-1, n, (9, 2))
    targets = rng.integers(-1, n, (11, 3))
    source_costs = rng.integers(0, 30, sources.shape)
    target_costs = rng.integers(0, 30, targets.shape)
    target_costs[0, :] = INF  # attached at no usable node: never reached
    got = many_to_many(hierarchy, sources, targets, source_costs, target_costs, workers=2)

    d = dijkstra_rows(n, tail, head, weight)
    expected = np.full((9, 11), INF, np.int64)
    for s in range(9):
        for t in range(11):
            for a, ca in zip(sources[s], source_costs[s], strict=True):
                for b, cb in zip(targets[t], target_costs[t], strict=True):
                    if a >= 0 and b >= 0 and d[a, b] < INF and cb < INF:
                        expected[s, t] = min(expected[s, t], ca + d[a, b] + cb)
    np.testing.assert_array_equal(got, expected)
    assert (got[:, 0] == INF).all()


def test_threads_and_batches_give_the_same_rows() -> None:
    rng = np.random.default_rng(11)
    tail, head, weight, *_ = grid_graph(rng, 12)
    hierarchy = build_hierarchy(144, tail, head, weight)
    sources = rng.integers(0, 144, 37)  # not a multiple of the batch, with repeats
    one = many_to_many(hierarchy, sources, np.arange(144), workers=1)
    three = many_to_many(hierarchy, sources, np.arange(144), workers=3)
    np.testing.assert_array_equal(one, three)
    np.testing.assert_array_equal(one, dijkstra_rows(144, tail, head, weight)[sources])


def test_weights_beyond_inf_are_dropped_and_loops_ignored() -> None:
    tail = np.array([0, 1, 1, 2, 2])
    head = np.array([1, 2, 1, 0, 3])
    weight = np.array([4, 5, 0, INF, 2**61])
    hierarchy = build_hierarchy(4, tail, head, weight)
    got = many_to_many(hierarchy, np.arange(4), np.arange(4))
    assert got[0].tolist() == [0, 4, 9, INF]
    assert got[2].tolist() == [INF, INF, 0, INF]
    assert hierarchy.num_arcs >= 2


def test_empty_and_invalid_input() -> None:
    hierarchy = build_hierarchy(3, [], [], [])
    assert many_to_many(hierarchy, [0, 1], [2]).tolist() == [[INF], [INF]]
    assert many_to_many(hierarchy, np.zeros(0, np.int64), [0, 1]).shape == (0, 2)
    with pytest.raises(ValueError, match="beyond"):
        build_hierarchy(2, [0], [2], [1])
    with pytest.raises(ValueError, match="non-negative"):
        build_hierarchy(2, [0], [1], [-1])
    with pytest.raises(ValueError, match="same length"):
        build_hierarchy(2, [0, 1], [1], [1])
    with pytest.raises(ValueError, match="node indices"):
        many_to_many(hierarchy, [3], [0])
    with pytest.raises(ValueError, match="non-negative"):
        many_to_many(hierarchy, [0], [1], [-5])
