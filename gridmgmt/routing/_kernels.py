"""Compiled routing kernels (numba): the contraction hierarchy's contraction, witness
searches and PHAST sweeps, and the split of packed distances into time and length.

Imported on first use by :mod:`gridmgmt.routing.hierarchy` and :mod:`gridmgmt.routing.matrix`,
so that importing gridmgmt does not load numba."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from gridmgmt.routing._arrays import INF, UNSEEN, Array, BoolArray, FloatArray, IntArray


@njit(cache=True, nogil=True)
def downward_closure(
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
def core_arcs(
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
                if old == UNSEEN:
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
            dist[touched[i]] = UNSEEN
    for k in range(o_beg[v], o_beg[v] + o_len[v]):
        goal[o_node[k]] = -1
    return level[v] + 2 * added / removed + added_hops / max(removed_hops, 1), added


@njit(cache=True, nogil=True)
def contract(
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
    o_beg, o_len, o_cap, o_node, o_weight, o_hops, o_fill = _arc_pool(n, tail, head, weight, hops)
    i_beg, i_len, i_cap, i_node, i_weight, i_hops, i_fill = _arc_pool(n, head, tail, weight, hops)

    scratch = (
        np.full(n, UNSEEN, np.int64),  # dist
        np.empty(n, np.int64),  # touched
        np.empty(4 * n + 16, np.int64),  # heap keys
        np.empty(4 * n + 16, np.int64),  # heap nodes
        np.full(n, -1, np.int64),  # goal
    )
    found_cap = 1024
    found = _shortcut_buffers(found_cap)
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
            found = _shortcut_buffers(found_cap)
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
        recorded = _record_arcs(v, graph, rec_tail, rec_head, rec_weight, rec_up, recorded)

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
    res_tail, res_head, res_weight, res_hops = _remaining_arcs(
        n, o_beg, o_len, o_node, o_weight, o_hops
    )
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
def _arc_pool(
    n: int, frm: IntArray, to: IntArray, weight: IntArray, hops: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, int]:
    """The arcs of each node ``frm -> to`` in its own block of a pool, with room to grow.

    Returns the block starts, lengths and capacities, the pool's other ends, weights and
    hops, and the pool's fill (where a block that outgrows its room moves to).
    """
    length = np.zeros(n, np.int64)
    for e in range(len(frm)):
        length[frm[e]] += 1
    cap = length + 2
    beg = np.zeros(n, np.int64)
    for v in range(1, n):
        beg[v] = beg[v - 1] + cap[v - 1]
    fill = beg[n - 1] + cap[n - 1] if n else 0
    node = np.empty(2 * fill + 16, np.int64)
    arc_weight = np.empty(2 * fill + 16, np.int64)
    arc_hops = np.empty(2 * fill + 16, np.int64)
    length[:] = 0
    for e in range(len(frm)):
        a = frm[e]
        k = beg[a] + length[a]
        node[k], arc_weight[k], arc_hops[k] = to[e], weight[e], hops[e]
        length[a] += 1
    return beg, length, cap, node, arc_weight, arc_hops, fill


@njit(cache=True, nogil=True)
def _shortcut_buffers(cap: int) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Room for ``cap`` shortcuts found by a simulated contraction (tail, head, weight, hops)."""
    return (
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
    )


@njit(cache=True, nogil=True)
def _record_arcs(
    v: int,
    graph: tuple[Any, ...],
    rec_tail: IntArray,
    rec_head: IntArray,
    rec_weight: IntArray,
    rec_up: BoolArray,
    recorded: int,
) -> int:
    """Record node ``v``'s arcs in the hierarchy (out-arcs up, in-arcs down); the count."""
    o_beg, o_len, o_node, o_weight, _, i_beg, i_len, i_node, i_weight, _ = graph
    for k in range(o_beg[v], o_beg[v] + o_len[v]):
        rec_tail[recorded], rec_head[recorded] = v, o_node[k]
        rec_weight[recorded], rec_up[recorded] = o_weight[k], True
        recorded += 1
    for k in range(i_beg[v], i_beg[v] + i_len[v]):
        rec_tail[recorded], rec_head[recorded] = i_node[k], v
        rec_weight[recorded], rec_up[recorded] = i_weight[k], False
        recorded += 1
    return recorded


@njit(cache=True, nogil=True)
def _remaining_arcs(
    n: int,
    beg: IntArray,
    length: IntArray,
    node: IntArray,
    weight: IntArray,
    hops: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The arcs left in the pool (between frozen nodes): tails, heads, weights, hops."""
    left = 0
    for v in range(n):
        left += length[v]
    res_tail = np.empty(left, np.int64)
    res_head = np.empty(left, np.int64)
    res_weight = np.empty(left, np.int64)
    res_hops = np.empty(left, np.int64)
    left = 0
    for v in range(n):
        for k in range(beg[v], beg[v] + length[v]):
            res_tail[left], res_head[left] = v, node[k]
            res_weight[left], res_hops[left] = weight[k], hops[k]
            left += 1
    return res_tail, res_head, res_weight, res_hops


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
def phast(
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
    dist = np.full(n, UNSEEN, np.int64)
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
                if dist[v] == UNSEEN:
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
                        if dist[x] == UNSEEN:
                            touched[count] = x
                            count += 1
                        dist[x] = nd
                        size = _heap_set(hkey, hnode, pos, size, x, nd)
            for i in range(count):
                dist[touched[i]] = UNSEEN
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


@njit(cache=True, nogil=True)
def split_packed(
    packed: IntArray, scale: int, horizon_cs: int, time_s: FloatArray, distance_m: FloatArray
) -> None:
    """Time (s) and length (m) of packed distances, ``inf`` when beyond the horizon."""
    for i in range(len(packed)):
        time_cs = packed[i] // scale
        if packed[i] >= INF or time_cs > horizon_cs:
            time_s[i] = np.inf
            distance_m[i] = np.inf
        else:
            time_s[i] = time_cs / 100.0
            distance_m[i] = (packed[i] - time_cs * scale) / 10.0
