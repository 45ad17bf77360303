"""A first, balanced and compact cut of a region into grids: a capacity-constrained power
diagram.

Grid centres start k-means++-style. Each round, units with workload are assigned to
centres by a transport linear programme (least workload-weighted squared distance, every
grid receiving exactly its share of the workload); its dual prices turn the assignment into
a power diagram, which also places the units without workload (empty countryside) with
straight borders. Centres then move to the area centroid of their grid, and the round
repeats (Lloyd's method), which rounds grids off. Only the few units the programme splits
between grids are rounded, so grids come out within a unit's workload of the target.
Power cells are convex, but a region that is not (a bent county, a county with a lake) can
still cut a grid in two; :func:`repair_contiguity` hands stray pieces to a neighbour.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from gridmgmt.grids._layout import Layout

_CANDIDATES = 8


def power_partition(
    xy: np.ndarray,
    weight: np.ndarray,
    area: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator,
    iterations: int = 12,
) -> np.ndarray:
    """Labels ``0..k-1`` of units cut into ``k`` balanced, compact cells.

    Parameters
    ----------
    xy
        ``(n, 2)`` metric centroids of the units.
    weight
        Workload of each unit.
    area
        Area of each unit.
    k
        Number of grids.
    rng
        Seeded random generator (for the starting centres).
    iterations
        Most Lloyd rounds.
    """
    n = len(xy)
    if k <= 1 or n <= k:
        return np.arange(n) % max(k, 1) if n <= k else np.zeros(n, dtype=np.int64)
    origin = xy.mean(axis=0)
    pts = xy - origin
    scale = float(area.sum()) / k
    centres = _initial_centres(pts, weight, area, k, rng)
    labels = np.full(n, -1, dtype=np.int64)
    for _ in range(iterations):
        new = _assign(pts, weight, centres, scale)
        if np.array_equal(new, labels):
            break
        labels = new
        centres = _area_centroids(pts, area, labels, k, centres)
    return labels


def _initial_centres(
    pts: np.ndarray, weight: np.ndarray, area: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    mass = area / area.sum()
    if weight.sum() > 0:
        mass = mass + weight / weight.sum()
    mass = mass / mass.sum()
    first = int(rng.choice(len(pts), p=mass))
    centres = [pts[first]]
    d2 = ((pts - pts[first]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = mass * d2
        total = p.sum()
        pick = int(rng.choice(len(pts), p=p / total)) if total > 0 else int(rng.integers(len(pts)))
        centres.append(pts[pick])
        d2 = np.minimum(d2, ((pts - pts[pick]) ** 2).sum(axis=1))
    return np.array(centres)


def _assign(pts: np.ndarray, weight: np.ndarray, centres: np.ndarray, scale: float) -> np.ndarray:
    """Balanced assignment of weighted units, power-diagram placement of the rest."""
    k = len(centres)
    dist = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) / scale
    heavy = np.flatnonzero(weight > 0)
    if len(heavy) == 0:
        return dist.argmin(axis=1)
    for width in (min(k, _CANDIDATES), k):
        solved = _transport(dist[heavy], weight[heavy], width)
        if solved is not None:
            break
    else:
        return dist.argmin(axis=1)
    heavy_labels, prices = solved
    labels = (dist - prices[None, :]).argmin(axis=1)
    labels[heavy] = heavy_labels
    return labels


def _transport(
    dist: np.ndarray, weight: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Least-cost split of weighted units over their ``width`` nearest centres."""
    n, k = dist.shape
    near = np.argsort(dist, axis=1, kind="stable")[:, :width]
    rows_i = np.repeat(np.arange(n), width)
    cols_c = near.ravel()
    n_var = len(rows_i)
    var = np.arange(n_var)
    matrix = coo_matrix(
        (
            np.concatenate([np.ones(n_var), weight[rows_i]]),
            (np.concatenate([rows_i, n + cols_c]), np.concatenate([var, var])),
        ),
        shape=(n + k, n_var),
    ).tocsr()
    target = np.full(k, weight.sum() / k)
    rhs = np.concatenate([np.ones(n), target])
    cost = weight[rows_i] * dist[rows_i, cols_c]
    result = linprog(cost, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
    if result.status != 0:
        return None
    share = result.x.reshape(n, width)
    labels = near[np.arange(n), share.argmax(axis=1)]
    prices = np.asarray(result.eqlin.marginals[n:], dtype=float)
    return labels, prices


def _area_centroids(
    pts: np.ndarray, area: np.ndarray, labels: np.ndarray, k: int, old: np.ndarray
) -> np.ndarray:
    total = np.bincount(labels, weights=area, minlength=k)
    sx = np.bincount(labels, weights=area * pts[:, 0], minlength=k)
    sy = np.bincount(labels, weights=area * pts[:, 1], minlength=k)
    centres = old.copy()
    ok = total > 0
    centres[ok, 0] = sx[ok] / total[ok]
    centres[ok, 1] = sy[ok] / total[ok]
    return centres


def repair_contiguity(layout: Layout) -> int:
    """Give every stray piece of a grid to the neighbouring grid it borders most.

    Each grid keeps its piece with the most workload. Returns the number of units moved.
    """
    moved = 0
    changed = True
    while changed:
        changed = False
        for g in range(layout.k):
            if layout.frozen[g]:
                continue
            for piece in layout.grid_components(g)[1:]:
                dest = _best_neighbour(layout, piece, g)
                if dest is None:
                    continue
                for u in piece:
                    layout.move(u, dest)
                moved += len(piece)
                changed = True
    return moved


def _best_neighbour(layout: Layout, piece: list[int], grid: int) -> int | None:
    inside = set(piece)
    shared: dict[int, float] = {}
    lengths = {}
    for u in piece:
        lengths.update({(u, j): length for j, length in layout.touch[u]})
        for j in layout.move_nbrs[u]:
            g = layout.labels[j]
            if j in inside or g == grid or layout.frozen[g]:
                continue
            # Links between separate parts have no length; count them a little.
            shared[g] = shared.get(g, 0.0) + lengths.get((u, j), 1e-6)
    if not shared:
        return None
    return min(shared, key=lambda g: (-shared[g], g))
