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

from gridmgmt.grids._layout import Layout

# Price steps per grid, and the balance (share of the target) at which pricing stops.
_PRICE_STEPS = 40
_PRICE_TOLERANCE = 0.02
# Stop when this many steps per grid bring no improvement.
_PRICE_PATIENCE = 5
# Entropic transport: Sinkhorn rounds per halving of the temperature, and the last one.
_SINKHORN_ROUNDS = 10
_SINKHORN_EPS = 0.01


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
    prices = np.zeros(k)
    for _ in range(iterations):
        new, prices = _assign(pts, weight, centres, scale, prices)
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


def _assign(
    pts: np.ndarray, weight: np.ndarray, centres: np.ndarray, scale: float, prices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Power-diagram labels whose prices balance the workload; returns labels and prices."""
    dist = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) / scale
    heavy = np.flatnonzero(weight > 0)
    if len(heavy) == 0:
        return dist.argmin(axis=1), prices
    prices, off = _balance_prices(dist[heavy], weight[heavy], prices)
    if off > 2 * _PRICE_TOLERANCE:
        # Coordinate ascent zig-zags when densities differ wildly (a county seat holding a
        # third of the work); entropic transport finds the right region, ascent polishes.
        warm, warm_off = _balance_prices(
            dist[heavy], weight[heavy], _sinkhorn_prices(dist[heavy], weight[heavy])
        )
        if warm_off < off:
            prices = warm
    return (dist - prices[None, :]).argmin(axis=1), prices


def _sinkhorn_prices(dist: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Dual prices of the entropic transport of ``weight`` to equal shares, eps-scaled."""
    n, k = dist.shape
    log_a = np.log(weight / weight.sum())
    log_b = np.full(k, -np.log(k))
    f, g = np.zeros(n), np.zeros(k)
    eps = max(float(dist.max()), 1.0)
    while True:
        for _ in range(_SINKHORN_ROUNDS):
            f = eps * (log_a - _logsumexp((g[None, :] - dist) / eps, axis=1))
            g = eps * (log_b - _logsumexp((f[:, None] - dist) / eps, axis=0))
        if eps <= _SINKHORN_EPS:
            return g
        eps = max(eps / 2, _SINKHORN_EPS)


def _logsumexp(values: np.ndarray, *, axis: int) -> np.ndarray:
    top = values.max(axis=axis, keepdims=True)
    total = np.log(np.exp(values - top).sum(axis=axis)) + np.squeeze(top, axis=axis)
    return np.asarray(total, dtype=float)


def _balance_prices(
    dist: np.ndarray, weight: np.ndarray, prices: np.ndarray
) -> tuple[np.ndarray, float]:
    """Coordinate ascent on the transport dual: fix the worst grid's price each step.

    Lowering a grid's price pushes its units with the smallest margin to their next-best
    grid; raising it pulls in the nearest outsiders. Each step sets one grid's workload as
    close to the target as whole units allow. Returns the best prices seen and their
    largest relative deviation.
    """
    n, k = dist.shape
    target = weight.sum() / k
    rows = np.arange(n)
    prices = prices.copy()
    cost = dist - prices[None, :]
    labels = cost.argmin(axis=1)
    own = cost[rows, labels]
    load = np.bincount(labels, weights=weight, minlength=k)
    best, best_dev, best_step = prices.copy(), np.inf, 0
    for step in range(_PRICE_STEPS * k):
        off = np.abs(load - target)
        worst = int(off.argmax())
        if off[worst] < best_dev:
            best, best_dev, best_step = prices.copy(), float(off[worst]), step
        if off[worst] <= _PRICE_TOLERANCE * target or step - best_step > _PRICE_PATIENCE * k:
            break
        over = load[worst] > target
        inside = np.flatnonzero(labels == worst) if over else np.flatnonzero(labels != worst)
        if over:
            others = cost[inside]
            others[:, worst] = np.inf
            second = others.argmin(axis=1)
            margin = others[np.arange(len(inside)), second] - own[inside]
        else:
            margin = cost[inside, worst] - own[inside]
        order = np.argsort(margin, kind="stable")
        cut = _nearest_prefix(np.cumsum(weight[inside][order]), abs(load[worst] - target))
        step = margin[order[cut]]
        nxt = margin[order[cut + 1]] if cut + 1 < len(order) else step + 1.0
        delta = (step + nxt) / 2 if nxt > step else step + 1e-12
        chosen = inside[order[: cut + 1]]
        if over:
            prices[worst] -= delta
            cost[:, worst] += delta
            stay = labels == worst
            own[stay] += delta
            new_label = second[order[: cut + 1]]
        else:
            prices[worst] += delta
            cost[:, worst] -= delta
            own[labels == worst] -= delta
            new_label = np.full(len(chosen), worst)
        np.subtract.at(load, labels[chosen], weight[chosen])
        np.add.at(load, new_label, weight[chosen])
        labels[chosen] = new_label
        own[chosen] = cost[chosen, new_label]
    return best, best_dev / target


def _nearest_prefix(moved: np.ndarray, need: float) -> int:
    """Index of the last unit of the prefix whose moved workload lands nearest ``need``."""
    cut = int(np.searchsorted(moved, need))
    if cut >= len(moved) or (cut > 0 and abs(moved[cut - 1] - need) <= abs(moved[cut] - need)):
        cut -= 1
    return max(0, min(cut, len(moved) - 1))


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
