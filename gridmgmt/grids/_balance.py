"""Bring grids within a workload band by moving units across grid borders.

First a small linear programme over the grid adjacency graph decides how much workload
should cross each grid border (the least total movement that lands every grid inside the
band, chains included: an overloaded town grid can hand work on to a grid two borders
away). Each planned transfer is then carried out by peeling units off the giving grid,
starting at the shared border, in the order a score prefers, never breaking the giving grid
into pieces. A few rounds of this, then single-unit fixes and two-step chains (a grid with
too thin a margin to pass work on passes one unit and takes one back), settle the rest.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from gridmgmt.grids._layout import Layout

# Score of moving unit i from grid src to grid dest; lower moves first.
Score = Callable[[int, int, int], float]

_SLACK_COST = 1e4


def violation(layout: Layout, lo: np.ndarray, hi: np.ndarray) -> float:
    """Total workload outside the band over all grids that can change."""
    total = 0.0
    for g in range(layout.k):
        if layout.frozen[g]:
            continue
        w = layout.W[g]
        total += max(0.0, lo[g] - w) + max(0.0, w - hi[g])
    return total


def balance(
    layout: Layout,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    inner: float,
    score: Score,
    pair_cost: Callable[[int, int], float] | None = None,
    rounds: int = 6,
) -> bool:
    """Move units until every grid's workload is inside ``[lo, hi]``, if possible.

    Parameters
    ----------
    layout
        The layout, changed in place.
    lo, hi
        Band of each grid.
    inner
        Share (0-1] of the band the flow plan aims for, leaving room for whole units.
    score
        Preference among movable units.
    pair_cost
        Cost per unit of workload moved from one grid to another (1 when not given).
    rounds
        Plan-and-transfer rounds before single-unit fixes.

    Returns
    -------
    bool
        Whether every grid ended inside its band.
    """
    bounded = np.isfinite(lo) & np.isfinite(hi)
    aim_lo, aim_hi = lo.copy(), hi.copy()
    mid = (lo[bounded] + hi[bounded]) / 2
    aim_lo[bounded] = mid - (mid - lo[bounded]) * inner
    aim_hi[bounded] = mid + (hi[bounded] - mid) * inner
    for _ in range(rounds):
        if violation(layout, lo, hi) <= 1e-9:
            return True
        flows = plan_flows(layout, aim_lo, aim_hi, pair_cost=pair_cost)
        before = violation(layout, lo, hi)
        for src, dest, amount in flows:
            transfer(layout, src, dest, amount, score, lo=lo, hi=hi)
        if violation(layout, lo, hi) >= before - 1e-9:
            break
    fix_single_units(layout, lo, hi, score)
    if violation(layout, lo, hi) > 1e-9:
        fix_by_chains(layout, lo, hi)
        fix_single_units(layout, lo, hi, score)
    return violation(layout, lo, hi) <= 1e-9


def grid_pairs(layout: Layout) -> list[tuple[int, int]]:
    """Ordered pairs (src, dest) of grids where some unit of src borders dest."""
    pairs: set[tuple[int, int]] = set()
    labels = layout.labels
    for i in range(layout.n):
        if not layout.movable[i]:
            continue
        src = labels[i]
        if layout.frozen[src]:
            continue
        for j in layout.move_nbrs[i]:
            dest = labels[j]
            if dest != src and not layout.frozen[dest]:
                pairs.add((src, dest))
    return sorted(pairs)


def plan_flows(
    layout: Layout,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    pair_cost: Callable[[int, int], float] | None = None,
) -> list[tuple[int, int, float]]:
    """Workload to move across each grid border so every grid lands inside ``[lo, hi]``.

    Minimises the total workload moved (weighted by ``pair_cost`` when given); grids that
    cannot reach the band get as close as the graph allows.
    """
    pairs = grid_pairs(layout)
    grids = [g for g in range(layout.k) if not layout.frozen[g]]
    if not pairs or not grids:
        return []
    row = {g: r for r, g in enumerate(grids)}
    n_pair, n_grid = len(pairs), len(grids)
    src = np.array([row[a] for a, _ in pairs])
    dst = np.array([row[b] for _, b in pairs])
    flow_cols = np.arange(n_pair)
    # Rows 0..n_grid-1: out - in - short <= W - lo; rows n_grid..: in - out - excess <= hi - W.
    rows = np.concatenate([src, dst, n_grid + src, n_grid + dst])
    cols = np.concatenate([flow_cols] * 4)
    vals = np.concatenate([np.ones(n_pair), -np.ones(n_pair), -np.ones(n_pair), np.ones(n_pair)])
    slack_rows = np.arange(2 * n_grid)
    slack_cols = n_pair + slack_rows
    matrix = coo_matrix(
        (
            np.concatenate([vals, -np.ones(2 * n_grid)]),
            (np.concatenate([rows, slack_rows]), np.concatenate([cols, slack_cols])),
        ),
        shape=(2 * n_grid, n_pair + 2 * n_grid),
    ).tocsr()
    work = np.array([layout.W[g] for g in grids])
    bound = np.concatenate([work - lo[grids], hi[grids] - work])
    costs = np.array([1.0 if pair_cost is None else pair_cost(a, b) for a, b in pairs])
    # A whisker of tie-breaking keeps the plan unique, hence deterministic.
    costs = costs * (1 + 1e-6 * np.arange(n_pair) / max(n_pair, 1))
    objective = np.concatenate([costs, np.full(2 * n_grid, _SLACK_COST)])
    result = linprog(objective, A_ub=matrix, b_ub=bound, bounds=(0, None), method="highs")
    if result.status != 0:
        return []
    flows = result.x[:n_pair]
    plan = [(a, b, float(f)) for (a, b), f in zip(pairs, flows, strict=True) if f > 1e-9]
    plan.sort(key=lambda t: (-t[2], t[0], t[1]))
    return plan


def transfer(
    layout: Layout,
    src: int,
    dest: int,
    amount: float,
    score: Score,
    *,
    lo: np.ndarray,
    hi: np.ndarray,
) -> float:
    """Move about ``amount`` workload from ``src`` to ``dest``, border units first.

    Units are taken in score order from the border inwards (for a linear score, a straight
    border sweeping into ``src``). A unit is taken if it brings the moved total closer to
    ``amount`` or overshoots harmlessly (both grids stay inside their band); the first that
    does neither ends the transfer. Where taking a unit would cut ``src`` in two (a narrow
    neck), it goes together with the part it cuts off. Returns the workload moved.
    """
    labels = layout.labels
    heap: list[tuple[float, int]] = []
    queued: set[int] = set()
    for i in sorted(layout.members[src]):
        if layout.movable[i] and any(labels[j] == dest for j in layout.move_nbrs[i]):
            heapq.heappush(heap, (score(i, src, dest), i))
            queued.add(i)
    moved = 0.0
    while heap and moved < amount:
        _, i = heapq.heappop(heap)
        if labels[i] != src:
            continue
        group = [i] if layout.can_leave(i) else layout.cut_off_by(i)
        if not group:
            continue
        w = sum(layout.weight[u] for u in group)
        closer = abs(moved + w - amount) < abs(moved - amount)
        harmless = layout.W[src] - w >= lo[src] and layout.W[dest] + w <= hi[dest]
        if w > 0 and not (closer or harmless):
            # The border sweeps on in score order: going round this unit would carve a
            # thin arm into src, so the transfer ends here, as close as it gets.
            break
        for u in group:
            layout.move(u, dest)
        moved += w
        for u in group:
            for j in layout.move_nbrs[u]:
                if j not in queued and labels[j] == src and layout.movable[j]:
                    heapq.heappush(heap, (score(j, src, dest), j))
                    queued.add(j)
    return moved


def fix_single_units(layout: Layout, lo: np.ndarray, hi: np.ndarray, score: Score) -> None:
    """Greedy single-unit moves, each reducing the total band violation, best first."""
    for _ in range(layout.n):
        best: tuple[float, float, int, int] | None = None
        for g in range(layout.k):
            if layout.frozen[g]:
                continue
            w = layout.W[g]
            if w > hi[g]:
                best = _better(best, _best_out_move(layout, g, lo, hi, score))
            elif w < lo[g]:
                best = _better(best, _best_in_move(layout, g, lo, hi, score))
        if best is None:
            return
        layout.move(best[2], best[3])


def _better(
    a: tuple[float, float, int, int] | None, b: tuple[float, float, int, int] | None
) -> tuple[float, float, int, int] | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _gain(layout: Layout, i: int, dest: int, lo: np.ndarray, hi: np.ndarray) -> float:
    """Reduction of the band violation if ``i`` moves to ``dest``."""
    src = layout.labels[i]
    w = layout.weight[i]

    def off(g: int, value: float) -> float:
        return max(0.0, float(lo[g]) - value) + max(0.0, value - float(hi[g]))

    before = off(src, layout.W[src]) + off(dest, layout.W[dest])
    after = off(src, layout.W[src] - w) + off(dest, layout.W[dest] + w)
    return before - after


def _best_out_move(
    layout: Layout, g: int, lo: np.ndarray, hi: np.ndarray, score: Score
) -> tuple[float, float, int, int] | None:
    best = None
    for i in sorted(layout.members[g]):
        if layout.weight[i] <= 0:
            continue
        for dest in layout.neighbour_grids(i):
            gain = _gain(layout, i, dest, lo, hi)
            if gain > 1e-9 and layout.can_leave(i):
                best = _better(best, (-gain, score(i, g, dest), i, dest))
    return best


def _best_in_move(
    layout: Layout, g: int, lo: np.ndarray, hi: np.ndarray, score: Score
) -> tuple[float, float, int, int] | None:
    best = None
    labels = layout.labels
    seen: set[int] = set()
    for u in sorted(layout.members[g]):
        for i in layout.move_nbrs[u]:
            src = labels[i]
            if src == g or i in seen or layout.frozen[src] or layout.weight[i] <= 0:
                continue
            seen.add(i)
            gain = _gain(layout, i, g, lo, hi)
            if gain > 1e-9 and layout.can_leave(i):
                best = _better(best, (-gain, score(i, src, g), i, g))
    return best


def fix_by_chains(layout: Layout, lo: np.ndarray, hi: np.ndarray) -> None:
    """Two-step moves for grids no single move can fix.

    An underloaded grid takes a unit from a neighbour, which takes one back from a third
    grid with room to spare (and the mirror image for an overloaded grid), so that workload
    travels across a grid whose own margin is too thin to pass it on in one step.
    """
    for _ in range(layout.k):
        before = violation(layout, lo, hi)
        if before <= 1e-9:
            return
        for g in range(layout.k):
            if layout.frozen[g] or lo[g] <= layout.W[g] <= hi[g]:
                continue
            if _chain_for(layout, g, lo, hi, before):
                break
        else:
            return


def _chain_for(layout: Layout, g: int, lo: np.ndarray, hi: np.ndarray, before: float) -> bool:
    """Try a chain that lowers the total violation, starting at grid ``g``."""
    labels = layout.labels
    under = layout.W[g] < lo[g]
    firsts = _border_units(layout, g, take=under)
    for u, other in firsts:
        giver, taker = (other, g) if under else (g, other)
        if not layout.can_leave(u):
            continue
        layout.move(u, taker)
        middle = giver if under else taker
        for x, third in _border_units(layout, middle, take=under):
            if third == g or layout.weight[x] <= 0:
                continue
            src, dst = (third, middle) if under else (middle, third)
            if labels[x] != src or not layout.can_leave(x):
                continue
            layout.move(x, dst)
            if violation(layout, lo, hi) < before - 1e-9:
                return True
            layout.move(x, src)
        layout.move(u, giver)
    return False


def _border_units(layout: Layout, g: int, *, take: bool) -> list[tuple[int, int]]:
    """Movable weighted units on ``g``'s border: units ``g`` could take (from their grid) if
    ``take``, else units of ``g`` it could give away; paired with the other grid."""
    labels = layout.labels
    out: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for u in sorted(layout.members[g]):
        for j in layout.move_nbrs[u]:
            other = labels[j]
            if other == g or layout.frozen[other]:
                continue
            unit = j if take else u
            if layout.weight[unit] <= 0 or not layout.movable[unit] or (unit, other) in seen:
                continue
            seen.add((unit, other))
            out.append((unit, other))
    return out
