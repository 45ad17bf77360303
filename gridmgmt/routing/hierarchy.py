"""Contraction hierarchy (收缩层次) for exact many-to-many shortest paths.

Preprocessing contracts the nodes of a directed graph with non-negative ``int64`` weights one
at a time, least important first. Contracting a node removes it and adds a shortcut
``u -> x`` for each pair of its neighbours ``u -> v -> x`` unless a witness search (a
Dijkstra from ``u`` that avoids ``v``, bounded by a settled-node limit) finds a path at
least as short. A witness that is not found only adds a superfluous shortcut, never a wrong
distance. A node's priority is its depth in the hierarchy so far plus the shortcuts it
would add over the arcs it removes (and the same counted in original arcs); priorities are
re-checked lazily when a node comes up, and its neighbours sink one level deeper when it
goes. With node coordinates and two threads, a large graph is first cut in two halves along
a line of nodes: the halves are contracted at the same time, and the line goes on top with
exact distances between its nodes (Floyd-Warshall) and only the arcs that no node above
both ends can stand in for.

Queries use PHAST / RPHAST (Delling, Goldberg, Nowatzyk and Werneck 2013): from each source
a Dijkstra over upward arcs only, then one linear sweep over the nodes from the most to the
least important, relaxing downward arcs. The sweep is restricted to the nodes from which a
target can be reached downwards (RPHAST) and done for 16 sources at once, so the inner loop
runs over a small vector of sources. Sources are split over threads (the numba kernels
release the GIL). Answers are exact: every distance equals Dijkstra's on the input graph.

Distances saturate at :data:`INF`, which means unreachable; weights at or above it are
dropped."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing._arrays import INF, Array, IntArray
from gridmgmt.routing.search import available_cores

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["INF", "Hierarchy", "build_hierarchy", "many_to_many"]

_BATCH: Final = 16  # sources swept together
_WITNESS_LIMIT: Final = 200  # settled nodes per witness search
_SPLIT_MIN_NODES: Final = 20_000  # smaller graphs are contracted in one piece
_MAX_SEPARATOR: Final = 800  # larger separators: the graph is contracted in one piece


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """A contraction hierarchy, stored for PHAST queries.

    Nodes are renumbered by *position*: 0 is the most important node (contracted last).
    Every arc of the hierarchy (original or shortcut) goes from a higher position to a
    lower one (upward) or from a lower position to a higher one (downward).

    Attributes
    ----------
    num_nodes
        Number of nodes of the input graph.
    position
        Position of each input node.
    up_start, up_head, up_weight
        Upward arcs leaving each position (CSR): heads have smaller positions.
    down_start, down_tail, down_weight
        Downward arcs entering each position (CSR): tails have smaller positions.
    shortcuts
        Shortcut arcs added by the contraction.
    build_s
        Seconds the preprocessing took.
    """

    num_nodes: int
    position: IntArray
    up_start: IntArray
    up_head: IntArray
    up_weight: IntArray
    down_start: IntArray
    down_tail: IntArray
    down_weight: IntArray
    shortcuts: int
    build_s: float

    @property
    def num_arcs(self) -> int:
        """Arcs of the hierarchy, shortcuts included."""
        return len(self.up_head) + len(self.down_tail)


def build_hierarchy(
    num_nodes: int,
    tail: npt.ArrayLike,
    head: npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    xy: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    workers: int | None = None,
) -> Hierarchy:
    """Contract a directed graph into a hierarchy.

    Parameters
    ----------
    num_nodes
        Number of nodes; arcs refer to ``0 .. num_nodes - 1``.
    tail, head
        End nodes of each arc. Parallel arcs and loops are allowed (the lightest parallel
        arc counts; loops never shorten a path).
    weight
        Non-negative integer weight of each arc; weights of :data:`INF` or more are dropped.
    xy
        Optional node coordinates. With them and two workers, a large graph is cut in two
        halves along a line of nodes; the halves are contracted at the same time and the
        line goes on top (see :func:`_core_arcs`).
    workers
        Threads; default every available core (two are used at most).

    Returns
    -------
    Hierarchy
        The hierarchy; query it with :func:`many_to_many`.
    """
    start = time.perf_counter()
    graph = _checked_arcs(num_nodes, tail, head, weight)
    workers = workers or available_cores()
    separator = None
    if xy is not None and workers > 1 and num_nodes >= _SPLIT_MIN_NODES:
        separator = _separator(graph[0], graph[1], *xy)
    rank, arcs, shortcuts = _contract(num_nodes, graph, separator)
    rec_tail, rec_head, rec_weight, rec_up = (
        np.concatenate(pieces) for pieces in zip(*arcs, strict=True)
    )
    position = (num_nodes - 1 - rank).astype(np.int64)
    up_start, up_head, up_weight = _csr(
        position[rec_tail[rec_up]], position[rec_head[rec_up]], rec_weight[rec_up], num_nodes
    )
    down = ~rec_up
    down_start, down_tail, down_weight = _csr(
        position[rec_head[down]], position[rec_tail[down]], rec_weight[down], num_nodes
    )
    return Hierarchy(
        num_nodes=num_nodes,
        position=position,
        up_start=up_start,
        up_head=up_head,
        up_weight=up_weight,
        down_start=down_start,
        down_tail=down_tail,
        down_weight=down_weight,
        shortcuts=shortcuts,
        build_s=time.perf_counter() - start,
    )


_Graph = tuple[IntArray, IntArray, IntArray, IntArray]


def _checked_arcs(
    num_nodes: int, tail: npt.ArrayLike, head: npt.ArrayLike, weight: npt.ArrayLike
) -> _Graph:
    """The arcs as ``int64`` arrays (tail, head, weight, hops), loops, arcs of :data:`INF`
    and all but the lightest of parallel arcs dropped; bad input refused."""
    tail = np.asarray(tail, np.int64)
    head = np.asarray(head, np.int64)
    weight = np.asarray(weight, np.int64)
    if not len(tail) == len(head) == len(weight):
        msg = "`tail`, `head` and `weight` must have the same length"
        raise InvalidInputError(msg)
    if len(weight) and (weight.min() < 0 or min(tail.min(), head.min()) < 0):
        msg = "weights and node indices must be non-negative"
        raise InvalidInputError(msg)
    if len(tail) and max(tail.max(), head.max()) >= num_nodes:
        msg = f"arcs refer to nodes beyond `num_nodes` = {num_nodes}"
        raise InvalidInputError(msg)
    keep = (tail != head) & (weight < INF)
    return _lightest(tail[keep], head[keep], weight[keep], np.ones(int(keep.sum()), np.int64))


def _contract(
    num_nodes: int, graph: _Graph, separator: IntArray | None
) -> tuple[IntArray, list[tuple[Array, ...]], int]:
    """Contract the graph (its halves at once, with a separator): every node's rank, the
    hierarchy's arcs (tail, head, weight, upwards) and the number of shortcuts."""
    rank = np.full(num_nodes, -1, np.int64)
    arcs: list[tuple[Array, ...]] = []
    shortcuts = 0
    if separator is None:
        parts = [np.arange(num_nodes)]
        results = [_contract_part(num_nodes, graph, parts[0], np.zeros(num_nodes, np.bool_))]
    else:
        in_separator = np.zeros(num_nodes, np.bool_)
        in_separator[separator] = True
        side = _halves(num_nodes, graph, in_separator)
        parts = [np.flatnonzero((side == k) | in_separator) for k in (0, 1)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(
                pool.map(
                    _contract_part,
                    [num_nodes] * 2,
                    [graph] * 2,
                    parts,
                    [in_separator[nodes] for nodes in parts],
                )
            )
    left = []
    for nodes, (part_rank, rec_tail, rec_head, rec_weight, rec_up, added, *rest) in zip(
        parts, results, strict=True
    ):
        done = part_rank >= 0
        rank[nodes[done]] = part_rank[done] + int((rank >= 0).sum())
        arcs.append((nodes[rec_tail], nodes[rec_head], rec_weight, rec_up))
        left.append(tuple(nodes[a] if i < 2 else a for i, a in enumerate(rest)))
        shortcuts += int(added)
    if separator is not None:
        # What is left: the separator with exact distances between its nodes, on top.
        core = _lightest(*(np.concatenate(pieces) for pieces in zip(*left, strict=True)))
        local = np.full(num_nodes, -1, np.int64)
        local[separator] = np.arange(len(separator))
        core_tail, core_head, core_weight, core_up = _kernels().core_arcs(
            len(separator), local[core[0]], local[core[1]], core[2]
        )
        rank[separator] = np.arange(len(separator)) + int((rank >= 0).sum())
        arcs.append((separator[core_tail], separator[core_head], core_weight, core_up))
    return rank, arcs, shortcuts


def _lightest(
    tail: IntArray, head: IntArray, weight: IntArray, hops: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The lightest of each group of parallel arcs (with its hops)."""
    order = np.lexsort((weight, head, tail))
    tail, head, weight, hops = tail[order], head[order], weight[order], hops[order]
    first = np.r_[True, (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])][: len(tail)]
    return tail[first], head[first], weight[first], hops[first]


def _contract_part(
    num_nodes: int,
    graph: tuple[IntArray, IntArray, IntArray, IntArray],
    nodes: IntArray,
    frozen: npt.NDArray[np.bool_],
) -> tuple[IntArray, ...]:
    """Contract the subgraph on ``nodes`` but its ``frozen`` ones; results in local ids."""
    tail, head, weight, hops = graph
    local = np.full(num_nodes, -1, np.int64)
    local[nodes] = np.arange(len(nodes))
    inside = (local[tail] >= 0) & (local[head] >= 0)
    contracted: tuple[IntArray, ...] = _kernels().contract(
        len(nodes),
        local[tail[inside]],
        local[head[inside]],
        weight[inside],
        hops[inside],
        np.zeros(len(nodes), np.int64),
        frozen,
        _WITNESS_LIMIT,
    )
    return contracted


def _separator(
    tail: IntArray, head: IntArray, x: npt.ArrayLike, y: npt.ArrayLike
) -> IntArray | None:
    """Nodes along the median line of the wider axis that cut the graph in two halves.

    Every arc across the line has an end among them. Returned least important first: the
    middle of the line last, recursively; ``None`` if there are too many.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    along, across = (x, y) if np.ptp(x) >= np.ptp(y) else (y, x)
    first = np.zeros(len(along), np.bool_)
    first[np.argsort(along, kind="stable")[: len(along) // 2]] = True
    cross = first[tail] != first[head]
    ends = np.r_[tail[cross], head[cross]]
    ends_first = np.unique(ends[first[ends]])
    ends_second = np.unique(ends[~first[ends]])
    line = ends_first if len(ends_first) <= len(ends_second) else ends_second
    if len(line) > _MAX_SEPARATOR:
        return None
    return line[_bisection_order(np.argsort(across[line], kind="stable"))]


def _halves(
    num_nodes: int,
    graph: tuple[IntArray, IntArray, IntArray, IntArray],
    in_separator: npt.NDArray[np.bool_],
) -> IntArray:
    """Side (0 or 1) of every node once the separator is out: its connected pieces are dealt
    to the two sides, largest first, to balance them."""
    tail, head = graph[0], graph[1]
    keep = ~in_separator[tail] & ~in_separator[head]
    adjacency = csr_matrix(
        (np.ones(int(keep.sum())), (tail[keep], head[keep])), shape=(num_nodes, num_nodes)
    )
    piece: IntArray
    _, piece = connected_components(adjacency, directed=True, connection="weak")
    sizes = np.bincount(piece[~in_separator], minlength=piece.max() + 1)
    side_of_piece = np.zeros(len(sizes), np.int64)
    load = [0, 0]
    for p in np.argsort(-sizes, kind="stable"):
        lighter = int(load[1] < load[0])
        side_of_piece[p] = lighter
        load[lighter] += int(sizes[p])
    return side_of_piece[piece]


def _bisection_order(items: IntArray) -> IntArray:
    """Items of a line, least important first: the middle one last, recursively."""
    order: list[int] = []
    stack = [(0, len(items), False)]
    while stack:
        lo, hi, emit = stack.pop()
        if hi <= lo:
            continue
        mid = (lo + hi) // 2
        if emit:
            order.append(int(items[mid]))
            continue
        stack += [(mid, mid + 1, True), (mid + 1, hi, False), (lo, mid, False)]
    return np.asarray(order, np.int64)


def _csr(row: IntArray, col: IntArray, weight: IntArray, n: int) -> tuple[IntArray, ...]:
    order = np.argsort(row, kind="stable")  # the arcs come in runs of one row: fast
    start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=start[1:])
    return start, col[order].astype(np.int64), weight[order].astype(np.int64)


def many_to_many(
    hierarchy: Hierarchy,
    source_nodes: npt.ArrayLike,
    target_nodes: npt.ArrayLike,
    source_costs: npt.ArrayLike | None = None,
    target_costs: npt.ArrayLike | None = None,
    *,
    workers: int | None = None,
) -> IntArray:
    """Shortest distances from every source to every target.

    A source or target may be attached to several nodes at a cost each (a place on a road
    leaves by either end): the distance from source ``s`` to target ``t`` is the least
    ``source_costs[s, a] + d(source_nodes[s, a], target_nodes[t, b]) + target_costs[t, b]``.

    Parameters
    ----------
    hierarchy
        The hierarchy of the graph.
    source_nodes, target_nodes
        Node indices, shape ``(S,)`` or ``(S, k)`` (``(T,)`` or ``(T, k)``); -1 for none.
    source_costs, target_costs
        Non-negative costs of the same shapes; default zero.
    workers
        Threads; default every available core.

    Returns
    -------
    numpy.ndarray of int64
        ``S x T`` distances, :data:`INF` when unreachable.
    """
    src, src_cost = _attachments(source_nodes, source_costs, hierarchy.num_nodes)
    tgt, tgt_cost = _attachments(target_nodes, target_costs, hierarchy.num_nodes)
    out = np.empty((len(src), len(tgt)), np.int64)  # the sweeps fill every entry
    if len(src) == 0 or len(tgt) == 0:
        return out
    position = hierarchy.position
    src_pos = np.where(src >= 0, position[np.maximum(src, 0)], -1)
    tgt_pos = np.where(tgt >= 0, position[np.maximum(tgt, 0)], -1)
    sub_of, sub_start, sub_tail, sub_weight = _restrict(hierarchy, tgt_pos[tgt_pos >= 0])
    tgt_sub = np.where(tgt_pos >= 0, sub_of[np.maximum(tgt_pos, 0)], -1)

    workers = max(1, min(workers or available_cores(), (len(src) + _BATCH - 1) // _BATCH))
    bounds = np.linspace(0, len(src), workers + 1).astype(np.int64)
    bounds = (bounds // _BATCH) * _BATCH
    bounds[-1] = len(src)

    def run(part: int) -> None:
        _kernels().phast(
            hierarchy.up_start,
            hierarchy.up_head,
            hierarchy.up_weight,
            sub_of,
            sub_start,
            sub_tail,
            sub_weight,
            src_pos,
            src_cost,
            tgt_sub,
            tgt_cost,
            out,
            int(bounds[part]),
            int(bounds[part + 1]),
            _BATCH,
        )

    if workers == 1:
        run(0)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, range(workers)))
    return out


def _attachments(
    nodes: npt.ArrayLike, costs: npt.ArrayLike | None, n: int
) -> tuple[IntArray, IntArray]:
    nodes = np.asarray(nodes, np.int64)
    if nodes.ndim == 1:
        nodes = nodes[:, None]
    costs = np.zeros(nodes.shape, np.int64) if costs is None else np.asarray(costs, np.int64)
    costs = costs.reshape(nodes.shape)
    if ((nodes < -1) | (nodes >= n)).any():
        msg = f"node indices must lie in [-1, {n})"
        raise InvalidInputError(msg)
    if (costs < 0).any():
        msg = "attachment costs must be non-negative"
        raise InvalidInputError(msg)
    none = (nodes < 0) | (costs >= INF)
    return (
        np.ascontiguousarray(np.where(none, -1, nodes)),
        np.ascontiguousarray(np.where(none, INF, costs)),
    )


def _restrict(
    hierarchy: Hierarchy, targets: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The downward graph on the nodes from which a target can be reached downwards."""
    n = hierarchy.num_nodes
    mark = _kernels().downward_closure(n, hierarchy.down_start, hierarchy.down_tail, targets)
    sub = np.flatnonzero(mark)
    sub_of = np.full(n, -1, np.int64)
    sub_of[sub] = np.arange(len(sub))
    degree = np.diff(hierarchy.down_start)
    keep = np.repeat(mark, degree)
    sub_start = np.zeros(len(sub) + 1, np.int64)
    np.cumsum(degree[sub], out=sub_start[1:])
    sub_tail = sub_of[hierarchy.down_tail[keep]]
    return sub_of, sub_start, sub_tail, hierarchy.down_weight[keep]


def _kernels() -> ModuleType:
    """The compiled kernels; numba loads (and compiles or reads its cache) on first use."""
    from gridmgmt.routing import _kernels

    return _kernels
