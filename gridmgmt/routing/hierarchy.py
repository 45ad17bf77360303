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
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from numba import njit
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gridmgmt.routing.search import available_cores

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Array = npt.NDArray[Any]

#: Distance meaning "unreachable"; every distance the hierarchy returns is at most this.
INF: Final = 2**60
_UNSEEN: Final = 2**62  # marks an untouched entry of a search's distance array
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
    tail = np.asarray(tail, np.int64)
    head = np.asarray(head, np.int64)
    weight = np.asarray(weight, np.int64)
    if not len(tail) == len(head) == len(weight):
        msg = "`tail`, `head` and `weight` must have the same length"
        raise ValueError(msg)
    if len(weight) and (weight.min() < 0 or min(tail.min(), head.min()) < 0):
        msg = "weights and node indices must be non-negative"
        raise ValueError(msg)
    if len(tail) and max(tail.max(), head.max()) >= num_nodes:
        msg = f"arcs refer to nodes beyond `num_nodes` = {num_nodes}"
        raise ValueError(msg)
    keep = (tail != head) & (weight < INF)
    graph = _lightest(tail[keep], head[keep], weight[keep], np.ones(int(keep.sum()), np.int64))
    workers = workers or available_cores()
    separator = None
    if xy is not None and workers > 1 and num_nodes >= _SPLIT_MIN_NODES:
        separator = _separator(graph[0], graph[1], *xy)

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
        core_tail, core_head, core_weight, core_up = _core_arcs(
            len(separator), local[core[0]], local[core[1]], core[2]
        )
        rank[separator] = np.arange(len(separator)) + int((rank >= 0).sum())
        arcs.append((separator[core_tail], separator[core_head], core_weight, core_up))

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
    return _contract(
        len(nodes),
        local[tail[inside]],
        local[head[inside]],
        weight[inside],
        hops[inside],
        np.zeros(len(nodes), np.int64),
        frozen,
        _WITNESS_LIMIT,
    )


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
        _phast(
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
        raise ValueError(msg)
    if (costs < 0).any():
        msg = "attachment costs must be non-negative"
        raise ValueError(msg)
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
    mark = _downward_closure(n, hierarchy.down_start, hierarchy.down_tail, targets)
    sub = np.flatnonzero(mark)
    sub_of = np.full(n, -1, np.int64)
    sub_of[sub] = np.arange(len(sub))
    degree = np.diff(hierarchy.down_start)
    keep = np.repeat(mark, degree)
    sub_start = np.zeros(len(sub) + 1, np.int64)
    np.cumsum(degree[sub], out=sub_start[1:])
    sub_tail = sub_of[hierarchy.down_tail[keep]]
    return sub_of, sub_start, sub_tail, hierarchy.down_weight[keep]


@njit(cache=True, nogil=True)
def _downward_closure(
    n: int, down_start: IntArray, down_tail: IntArray, targets: IntArray
) -> npt.NDArray[np.bool_]:
    mark = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    top = 0
    for t in targets:
        if not mark[t]:
            mark[t] = True
            stack[top] = t
            top += 1
    while top > 0:
        top -= 1
        v = stack[top]
        for e in range(down_start[v], down_start[v + 1]):
            u = down_tail[e]
            if not mark[u]:
                mark[u] = True
                stack[top] = u
                top += 1
    return mark


@njit(cache=True, nogil=True)
def _core_arcs(
    c: int, tail: IntArray, head: IntArray, weight: IntArray
) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
    """Hierarchy arcs of a small core whose nodes are numbered by rank.

    The core is replaced by its exact distances (Floyd-Warshall), which need no shortcuts
    in any order; an arc ``u -> x`` is left out when a node above both lies on a shortest
    path between them, so the up-down path through it stands in (perfect customisation).
    """
    d = np.full((c, c), INF, np.int64)
    for i in range(c):
        d[i, i] = 0
    for e in range(len(tail)):
        d[tail[e], head[e]] = min(d[tail[e], head[e]], weight[e])
    for k in range(c):
        for i in range(c):
            dik = d[i, k]
            if dik >= INF:
                continue
            for j in range(c):
                via = dik + d[k, j]
                if via < d[i, j]:
                    d[i, j] = via
    rec_tail = np.empty(c * c, np.int64)
    rec_head = np.empty(c * c, np.int64)
    rec_weight = np.empty(c * c, np.int64)
    rec_up = np.empty(c * c, np.bool_)
    count = 0
    for i in range(c):
        for j in range(c):
            if i == j or d[i, j] >= INF:
                continue
            needed = True
            for w in range(max(i, j) + 1, c):
                if d[i, w] + d[w, j] == d[i, j]:
                    needed = False
                    break
            if needed:
                rec_tail[count] = i
                rec_head[count] = j
                rec_weight[count] = d[i, j]
                rec_up[count] = i < j
                count += 1
    return rec_tail[:count], rec_head[:count], rec_weight[:count], rec_up[:count]


# --------------------------------------------------------------------------- indexed heap
@njit(cache=True, nogil=True)
def _sift_up(hkey: Array, hnode: IntArray, pos: IntArray, i: int) -> None:
    key = hkey[i]
    node = hnode[i]
    while i > 0:
        parent = (i - 1) >> 1
        if hkey[parent] <= key:
            break
        hkey[i] = hkey[parent]
        hnode[i] = hnode[parent]
        pos[hnode[i]] = i
        i = parent
    hkey[i] = key
    hnode[i] = node
    pos[node] = i


@njit(cache=True, nogil=True)
def _sift_down(hkey: Array, hnode: IntArray, pos: IntArray, i: int, size: int) -> None:
    key = hkey[i]
    node = hnode[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and hkey[child + 1] < hkey[child]:
            child += 1
        if hkey[child] >= key:
            break
        hkey[i] = hkey[child]
        hnode[i] = hnode[child]
        pos[hnode[i]] = i
        i = child
    hkey[i] = key
    hnode[i] = node
    pos[node] = i


@njit(cache=True, nogil=True)
def _heap_set(hkey: Array, hnode: IntArray, pos: IntArray, size: int, node: int, key: float) -> int:
    """Insert ``node`` with ``key`` or change its key; returns the new heap size."""
    i = pos[node]
    if i < 0:
        hkey[size] = key
        hnode[size] = node
        pos[node] = size
        _sift_up(hkey, hnode, pos, size)
        return size + 1
    old = hkey[i]
    hkey[i] = key
    if key < old:
        _sift_up(hkey, hnode, pos, i)
    else:
        _sift_down(hkey, hnode, pos, i, size)
    return size


@njit(cache=True, nogil=True)
def _heap_pop(hkey: Array, hnode: IntArray, pos: IntArray, size: int) -> int:
    """Remove the top (read ``hnode[0]``, ``hkey[0]`` first); returns the new heap size."""
    pos[hnode[0]] = -1
    size -= 1
    if size > 0:
        hkey[0] = hkey[size]
        hnode[0] = hnode[size]
        pos[hnode[0]] = 0
        _sift_down(hkey, hnode, pos, 0, size)
    return size


# --------------------------------------------------------------------------- contraction
@njit(cache=True, nogil=True)
def _add_arc(
    beg: IntArray,
    length: IntArray,
    cap: IntArray,
    pnode: IntArray,
    pweight: IntArray,
    phops: IntArray,
    fill: int,
    a: int,
    b: int,
    w: int,
    h: int,
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Add ``a -> b`` to one side of the dynamic graph, keeping the lighter of parallel arcs.

    Each node's arcs sit in a block of a shared pool; a full block moves to the pool's end
    with twice the room. Returns the (possibly reallocated) pool arrays and their fill.
    """
    for k in range(beg[a], beg[a] + length[a]):
        if pnode[k] == b:
            if w < pweight[k]:
                pweight[k] = w
                phops[k] = h
            return pnode, pweight, phops, fill
    if length[a] == cap[a]:
        new_cap = max(4, 2 * cap[a])
        if fill + new_cap > len(pnode):
            size = max(2 * len(pnode), fill + new_cap)
            pnode = _grow(pnode, size, fill)
            pweight = _grow(pweight, size, fill)
            phops = _grow(phops, size, fill)
        old = beg[a]
        for k in range(length[a]):
            pnode[fill + k] = pnode[old + k]
            pweight[fill + k] = pweight[old + k]
            phops[fill + k] = phops[old + k]
        beg[a] = fill
        cap[a] = new_cap
        fill += new_cap
    k = beg[a] + length[a]
    pnode[k] = b
    pweight[k] = w
    phops[k] = h
    length[a] += 1
    return pnode, pweight, phops, fill


@njit(cache=True, nogil=True)
def _grow(array: Array, size: int, used: int) -> Array:
    grown = np.empty(size, array.dtype)
    grown[:used] = array[:used]
    return grown


@njit(cache=True, nogil=True)
def _remove_arc(
    beg: IntArray,
    length: IntArray,
    pnode: IntArray,
    pweight: IntArray,
    phops: IntArray,
    a: int,
    b: int,
) -> None:
    last = beg[a] + length[a] - 1
    for k in range(beg[a], last + 1):
        if pnode[k] == b:
            pnode[k] = pnode[last]
            pweight[k] = pweight[last]
            phops[k] = phops[last]
            length[a] -= 1
            return


@njit(cache=True, nogil=True)
def _witness(
    source: int,
    skip: int,
    base: int,
    max_dist: int,
    limit: int,
    beg: IntArray,
    length: IntArray,
    pnode: IntArray,
    pweight: IntArray,
    scratch: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    pending: int,
) -> int:
    """Bounded Dijkstra from ``source`` avoiding ``skip``; returns how many nodes it touched.

    ``goal[x]`` is the weight of ``skip -> x`` for the ``pending`` out-neighbours of
    ``skip`` (-1 for other nodes): a witness for ``x`` is a path no longer than
    ``base + goal[x]``. The search stops once every goal has one, beyond ``max_dist`` or
    after ``limit`` settled nodes. ``dist`` holds upper bounds (lengths of real paths) for
    the touched nodes afterwards; the caller resets them.
    """
    dist, touched, hkey, hnode, goal = scratch
    cap = len(hkey)
    dist[source] = 0
    touched[0] = source
    count = 1
    if goal[source] >= 0:
        pending -= 1
    # A binary heap with lazy deletion: stale entries are skipped when they come up.
    hkey[0] = 0
    hnode[0] = source
    size = 1
    settled = 0
    while size > 0 and pending > 0:
        d = hkey[0]
        u = hnode[0]
        size -= 1
        if size > 0:
            key = hkey[size]
            node = hnode[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and hkey[c + 1] < hkey[c]:
                    c += 1
                if hkey[c] >= key:
                    break
                hkey[i] = hkey[c]
                hnode[i] = hnode[c]
                i = c
            hkey[i] = key
            hnode[i] = node
        if d > dist[u]:
            continue
        if d > max_dist or settled >= limit:
            break
        settled += 1
        for k in range(beg[u], beg[u] + length[u]):
            x = pnode[k]
            if x == skip:
                continue
            nd = d + pweight[k]
            old = dist[x]
            if nd < old:
                if old == _UNSEEN:
                    touched[count] = x
                    count += 1
                g = goal[x]
                if g >= 0 and nd <= base + g < old:
                    pending -= 1
                dist[x] = nd
                if size == cap:
                    return count  # out of room: what was found still holds
                i = size
                size += 1
                while i > 0:
                    parent = (i - 1) >> 1
                    if hkey[parent] <= nd:
                        break
                    hkey[i] = hkey[parent]
                    hnode[i] = hnode[parent]
                    i = parent
                hkey[i] = nd
                hnode[i] = x
    return count


@njit(cache=True, nogil=True)
def _simulate(
    v: int,
    limit: int,
    graph: tuple[IntArray, ...],
    scratch: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    level: IntArray,
    found: tuple[IntArray, IntArray, IntArray, IntArray],
) -> tuple[float, int]:
    """Contract ``v`` on paper: its priority and the shortcuts it needs.

    The priority is the depth of ``v`` in the hierarchy so far, plus the shortcuts it would
    add over the arcs it removes, plus the same for the original arcs they stand for
    (hops). The first ``len(found[0])`` shortcuts go to ``found``; returns the priority and
    how many shortcuts there are.
    """
    o_beg, o_len, o_node, o_weight, o_hops, i_beg, i_len, i_node, i_weight, i_hops = graph
    dist, touched, _, _, goal = scratch
    f_tail, f_head, f_weight, f_hops = found
    removed = o_len[v] + i_len[v]
    if removed == 0:
        return float(level[v]), 0
    removed_hops = 0
    max_out = 0
    for k in range(o_beg[v], o_beg[v] + o_len[v]):
        removed_hops += o_hops[k]
        max_out = max(max_out, o_weight[k])
        goal[o_node[k]] = o_weight[k]
    added = 0
    added_hops = 0
    for j in range(i_beg[v], i_beg[v] + i_len[v]):
        removed_hops += i_hops[j]
        if o_len[v] == 0:
            continue
        u = i_node[j]
        w1 = i_weight[j]
        count = _witness(
            u, v, w1, w1 + max_out, limit, o_beg, o_len, o_node, o_weight, scratch, o_len[v]
        )
        for k in range(o_beg[v], o_beg[v] + o_len[v]):
            x = o_node[k]
            w = w1 + o_weight[k]
            if x != u and dist[x] > w:
                if added < len(f_tail):
                    f_tail[added] = u
                    f_head[added] = x
                    f_weight[added] = min(w, INF)
                    f_hops[added] = i_hops[j] + o_hops[k]
                added += 1
                added_hops += i_hops[j] + o_hops[k]
        for i in range(count):
            dist[touched[i]] = _UNSEEN
    for k in range(o_beg[v], o_beg[v] + o_len[v]):
        goal[o_node[k]] = -1
    return level[v] + 2 * added / removed + added_hops / max(removed_hops, 1), added


@njit(cache=True, nogil=True)
def _contract(
    n: int,
    tail: IntArray,
    head: IntArray,
    weight: IntArray,
    hops: IntArray,
    level: IntArray,
    frozen: BoolArray,
    limit: int,
) -> tuple[Any, ...]:
    """Contract every node but the frozen ones.

    Returns the rank of each node (-1 if frozen), the arcs of the hierarchy (arc ``k``
    goes from ``rec_tail[k]`` to ``rec_head[k]``, upwards if ``rec_up[k]``), the number of
    shortcuts, and the arcs left between the frozen nodes with their hops. ``level`` is
    updated in place.
    """
    m = len(tail)
    # The dynamic graph: out-arcs and in-arcs of each node in blocks of two pools.
    o_len = np.zeros(n, np.int64)
    i_len = np.zeros(n, np.int64)
    for e in range(m):
        o_len[tail[e]] += 1
        i_len[head[e]] += 1
    o_cap = o_len + 2
    i_cap = i_len + 2
    o_beg = np.zeros(n, np.int64)
    i_beg = np.zeros(n, np.int64)
    for v in range(1, n):
        o_beg[v] = o_beg[v - 1] + o_cap[v - 1]
        i_beg[v] = i_beg[v - 1] + i_cap[v - 1]
    o_fill = o_beg[n - 1] + o_cap[n - 1] if n else 0
    i_fill = i_beg[n - 1] + i_cap[n - 1] if n else 0
    o_node = np.empty(2 * o_fill + 16, np.int64)
    o_weight = np.empty(2 * o_fill + 16, np.int64)
    o_hops = np.empty(2 * o_fill + 16, np.int64)
    i_node = np.empty(2 * i_fill + 16, np.int64)
    i_weight = np.empty(2 * i_fill + 16, np.int64)
    i_hops = np.empty(2 * i_fill + 16, np.int64)
    o_len[:] = 0
    i_len[:] = 0
    for e in range(m):
        a, b = tail[e], head[e]
        k = o_beg[a] + o_len[a]
        o_node[k], o_weight[k], o_hops[k] = b, weight[e], hops[e]
        o_len[a] += 1
        k = i_beg[b] + i_len[b]
        i_node[k], i_weight[k], i_hops[k] = a, weight[e], hops[e]
        i_len[b] += 1

    scratch = (
        np.full(n, _UNSEEN, np.int64),  # dist
        np.empty(n, np.int64),  # touched
        np.empty(4 * n + 16, np.int64),  # heap keys
        np.empty(4 * n + 16, np.int64),  # heap nodes
        np.full(n, -1, np.int64),  # goal
    )
    found_cap = 1024
    found = (
        np.empty(found_cap, np.int64),
        np.empty(found_cap, np.int64),
        np.empty(found_cap, np.int64),
        np.empty(found_cap, np.int64),
    )
    rank = np.full(n, -1, np.int64)
    queue_key = np.empty(n, np.float64)
    queue_node = np.empty(n, np.int64)
    queue_pos = np.full(n, -1, np.int64)
    size = 0
    graph = (o_beg, o_len, o_node, o_weight, o_hops, i_beg, i_len, i_node, i_weight, i_hops)
    for v in range(n):
        if not frozen[v]:
            p, _ = _simulate(v, limit, graph, scratch, level, found)
            size = _heap_set(queue_key, queue_node, queue_pos, size, v, p)

    rec_cap = 2 * m + 16
    rec_tail = np.empty(rec_cap, np.int64)
    rec_head = np.empty(rec_cap, np.int64)
    rec_weight = np.empty(rec_cap, np.int64)
    rec_up = np.empty(rec_cap, np.bool_)
    recorded = 0
    shortcuts = 0
    next_rank = 0
    while size > 0:
        v = queue_node[0]
        key = queue_key[0]
        graph = (o_beg, o_len, o_node, o_weight, o_hops, i_beg, i_len, i_node, i_weight, i_hops)
        # Lazy update: a node whose priority went up waits for its new turn.
        p, added = _simulate(v, limit, graph, scratch, level, found)
        if p > key and size > 1:
            size = _heap_set(queue_key, queue_node, queue_pos, size, v, p)
            continue
        if added > found_cap:
            found_cap = 2 * added
            found = (
                np.empty(found_cap, np.int64),
                np.empty(found_cap, np.int64),
                np.empty(found_cap, np.int64),
                np.empty(found_cap, np.int64),
            )
            p, added = _simulate(v, limit, graph, scratch, level, found)
        size = _heap_pop(queue_key, queue_node, queue_pos, size)

        # Record v's arcs: its neighbours are all still there, hence above it.
        need = recorded + o_len[v] + i_len[v]
        if need > rec_cap:
            rec_cap = max(2 * rec_cap, need)
            rec_tail = _grow(rec_tail, rec_cap, recorded)
            rec_head = _grow(rec_head, rec_cap, recorded)
            rec_weight = _grow(rec_weight, rec_cap, recorded)
            rec_up = _grow(rec_up, rec_cap, recorded)
        for k in range(o_beg[v], o_beg[v] + o_len[v]):
            rec_tail[recorded], rec_head[recorded] = v, o_node[k]
            rec_weight[recorded], rec_up[recorded] = o_weight[k], True
            recorded += 1
        for k in range(i_beg[v], i_beg[v] + i_len[v]):
            rec_tail[recorded], rec_head[recorded] = i_node[k], v
            rec_weight[recorded], rec_up[recorded] = i_weight[k], False
            recorded += 1

        # Take v out, then add the shortcuts it needs.
        # Neighbours sink deeper; the rest of their priority is refreshed when they come up.
        for k in range(o_beg[v], o_beg[v] + o_len[v]):
            x = o_node[k]
            _remove_arc(i_beg, i_len, i_node, i_weight, i_hops, x, v)
            size = _deepen(x, level[v] + 1, level, queue_key, queue_node, queue_pos, size)
        for k in range(i_beg[v], i_beg[v] + i_len[v]):
            u = i_node[k]
            _remove_arc(o_beg, o_len, o_node, o_weight, o_hops, u, v)
            size = _deepen(u, level[v] + 1, level, queue_key, queue_node, queue_pos, size)
        f_tail, f_head, f_weight, f_hops = found
        for k in range(added):
            u, x, w, h = f_tail[k], f_head[k], f_weight[k], f_hops[k]
            o_node, o_weight, o_hops, o_fill = _add_arc(
                o_beg, o_len, o_cap, o_node, o_weight, o_hops, o_fill, u, x, w, h
            )
            i_node, i_weight, i_hops, i_fill = _add_arc(
                i_beg, i_len, i_cap, i_node, i_weight, i_hops, i_fill, x, u, w, h
            )
        shortcuts += added
        o_len[v] = 0
        i_len[v] = 0
        rank[v] = next_rank
        next_rank += 1
    left = 0
    for v in range(n):
        left += o_len[v]
    res_tail = np.empty(left, np.int64)
    res_head = np.empty(left, np.int64)
    res_weight = np.empty(left, np.int64)
    res_hops = np.empty(left, np.int64)
    left = 0
    for v in range(n):
        for k in range(o_beg[v], o_beg[v] + o_len[v]):
            res_tail[left], res_head[left] = v, o_node[k]
            res_weight[left], res_hops[left] = o_weight[k], o_hops[k]
            left += 1
    return (
        rank,
        rec_tail[:recorded].copy(),
        rec_head[:recorded].copy(),
        rec_weight[:recorded].copy(),
        rec_up[:recorded].copy(),
        shortcuts,
        res_tail,
        res_head,
        res_weight,
        res_hops,
    )


@njit(cache=True, nogil=True)
def _deepen(
    x: int,
    depth: int,
    level: IntArray,
    queue_key: FloatArray,
    queue_node: IntArray,
    queue_pos: IntArray,
    size: int,
) -> int:
    """Raise the depth of ``x`` (and its priority, if it is queued)."""
    if depth > level[x]:
        if queue_pos[x] >= 0:
            key = queue_key[queue_pos[x]] + (depth - level[x])
            size = _heap_set(queue_key, queue_node, queue_pos, size, x, key)
        level[x] = depth
    return size


# --------------------------------------------------------------------------- PHAST queries
@njit(cache=True, nogil=True)
def _phast(
    up_start: IntArray,
    up_head: IntArray,
    up_weight: IntArray,
    sub_of: IntArray,
    sub_start: IntArray,
    sub_tail: IntArray,
    sub_weight: IntArray,
    src_pos: IntArray,
    src_cost: IntArray,
    tgt_sub: IntArray,
    tgt_cost: IntArray,
    out: IntArray,
    first: int,
    last: int,
    batch: int,
) -> None:
    """Rows ``first:last`` of ``out``: upward searches, then one sweep per batch of sources."""
    n = len(up_start) - 1
    m = len(sub_start) - 1
    table = np.empty((m, batch), np.int64)
    stamp = np.full(m, -1, np.int64)
    dist = np.full(n, _UNSEEN, np.int64)
    touched = np.empty(n, np.int64)
    hkey = np.empty(n, np.int64)
    hnode = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    best = np.empty(batch, np.int64)
    num_targets = tgt_sub.shape[0]
    for b0 in range(first, last, batch):
        b1 = min(b0 + batch, last)
        for k in range(b1 - b0):
            s = b0 + k
            size = 0
            count = 0
            for j in range(src_pos.shape[1]):
                v = src_pos[s, j]
                c = src_cost[s, j]
                if v < 0:
                    continue
                if dist[v] == _UNSEEN:
                    touched[count] = v
                    count += 1
                if c < dist[v]:
                    dist[v] = c
                    size = _heap_set(hkey, hnode, pos, size, v, c)
            while size > 0:
                u = hnode[0]
                d = hkey[0]
                size = _heap_pop(hkey, hnode, pos, size)
                r = sub_of[u]
                if r >= 0:
                    if stamp[r] != b0:
                        table[r, :] = INF
                        stamp[r] = b0
                    table[r, k] = d
                for e in range(up_start[u], up_start[u + 1]):
                    x = up_head[e]
                    nd = d + up_weight[e]
                    if nd < dist[x]:
                        if dist[x] == _UNSEEN:
                            touched[count] = x
                            count += 1
                        dist[x] = nd
                        size = _heap_set(hkey, hnode, pos, size, x, nd)
            for i in range(count):
                dist[touched[i]] = _UNSEEN
        # The sweep: nodes from the top down, each from the arcs entering it from above.
        for i in range(m):
            if stamp[i] == b0:
                for k in range(batch):
                    best[k] = table[i, k]
            else:
                best[:] = INF
            for e in range(sub_start[i], sub_start[i + 1]):
                j = sub_tail[e]
                w = sub_weight[e]
                for k in range(batch):
                    c = table[j, k] + w
                    if c < best[k]:
                        best[k] = c
            for k in range(batch):
                table[i, k] = min(best[k], INF)
        for t in range(num_targets):
            for k in range(b1 - b0):
                best[k] = INF
            for j in range(tgt_sub.shape[1]):
                r = tgt_sub[t, j]
                if r < 0:
                    continue
                c = tgt_cost[t, j]
                for k in range(b1 - b0):
                    best[k] = min(best[k], table[r, k] + c)
            for k in range(b1 - b0):
                out[b0 + k, t] = min(best[k], INF)
