"""Cut base units into balanced, compact, contiguous grids (the design algorithm).

1. Zones: fixed lines and gaps between separate parts of the county split the free units
   into zones; each gets a whole number of grids by workload (``_regions``).
2. Seed: inside each region, a capacity-constrained power diagram (``_seed``): balanced to
   within a unit's workload and round, with stray pieces handed to neighbours.
3. Balance: a flow plan over the grid adjacency graph moves workload across grid borders
   until every grid is within the tolerance of the mean (``_balance``).
4. Compactness: simulated annealing of border units raises the grids' Polsby-Popper values
   without leaving the band or breaking a grid (``_compact``).

Every random choice comes from one generator seeded by ``seed`` and every loop has a fixed
length, so the same inputs and seed give the same grids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gridmgmt.errors import InvalidInputError
from gridmgmt.grids._balance import Score, balance
from gridmgmt.grids._compact import anneal
from gridmgmt.grids._layout import Layout
from gridmgmt.grids._regions import plan_regions
from gridmgmt.grids._seed import power_partition, repair_contiguity
from gridmgmt.grids.units import Units

__all__ = ["Partition", "geometric_score", "partition_units"]

DEFAULT_TOLERANCE = 0.05
DEFAULT_SPARSE_TOLERANCE = 0.10
# Annealing proposals per movable unit.
DEFAULT_COMPACT_EFFORT = 30
_ANNEAL_SHARE = 0.97


@dataclass(frozen=True)
class Partition:
    """Units labelled with grids.

    Attributes
    ----------
    labels
        Grid index of each unit: ``0..n_free-1`` for designed grids, then one index per
        locked grid.
    n_free
        Number of designed grids.
    locked_ids
        Ids of the locked grids, in index order after the designed ones.
    target
        Mean workload of the designed grids.
    tolerance
        Band the designed grids were held to (the requested tolerance, or the sparse one).
    within_tolerance
        Whether every designed grid is inside that band.
    sparse_fallback
        Whether the requested tolerance was out of reach and the sparse one was used.
    balanced_on
        ``"workload"``, or ``"area"`` when there is no workload at all.
    notes
        What the zone planning had to do (fixed lines crossed, exclaves joined).
    """

    labels: np.ndarray
    n_free: int
    locked_ids: list[object]
    target: float
    tolerance: float
    within_tolerance: bool
    sparse_fallback: bool
    balanced_on: str
    fixed_lines_crossed: int = 0
    exclaves_joined: int = 0
    notes: list[str] = field(default_factory=list)
    move_edges: np.ndarray | None = None
    connect_edges: np.ndarray | None = None


def partition_units(
    units: Units,
    n_grids: int,
    *,
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    sparse_tolerance: float = DEFAULT_SPARSE_TOLERANCE,
    compact_effort: float = DEFAULT_COMPACT_EFFORT,
) -> Partition:
    """Cut the free (unlocked) units into ``n_grids`` grids.

    Parameters
    ----------
    units
        Base units; units marked ``locked`` keep their grid.
    n_grids
        Number of grids to design (locked grids not counted).
    seed
        Seed of every random choice.
    tolerance
        Largest relative deviation of a grid's workload from the mean.
    sparse_tolerance
        Deviation accepted, and reported, when ``tolerance`` cannot be reached.
    compact_effort
        Annealing proposals per movable unit (more: rounder grids, more time).

    Raises
    ------
    ValueError
        If ``n_grids`` is not positive or there are fewer free units than grids.
    """
    free = ~units.frame["locked"].to_numpy(bool)
    if n_grids < 1:
        msg = f"n_grids must be at least 1; got {n_grids}"
        raise InvalidInputError(msg)
    if free.sum() < n_grids:
        msg = f"{int(free.sum())} free units cannot make {n_grids} grids; use fewer grids"
        raise InvalidInputError(msg)
    weight, balanced_on = units.workload, "workload"
    if weight[free].sum() <= 0:
        weight, balanced_on = units.area_m2, "area"
    rng = np.random.default_rng(seed)
    plan = plan_regions(units, free, weight, n_grids, tolerance=tolerance)
    labels, locked_ids = _seed_labels(units, plan.region, plan.grids, weight, free, rng)
    n_total = n_grids + len(locked_ids)
    frozen = np.arange(n_total) >= n_grids
    layout = Layout(
        units,
        labels,
        n_total,
        move_edges=plan.move_edges,
        connect_edges=plan.connect_edges,
        movable=free,
        frozen=frozen,
        weights=weight,
    )
    repair_contiguity(layout)
    target = weight[free].sum() / n_grids
    score = geometric_score(layout)
    lo, hi = _band(target, tolerance, n_total, frozen)
    used, sparse = tolerance, False
    ok = balance(layout, lo, hi, inner=0.5, score=score)
    if not ok and sparse_tolerance > tolerance:
        used, sparse = sparse_tolerance, True
        lo, hi = _band(target, used, n_total, frozen)
        ok = balance(layout, lo, hi, inner=0.5, score=score)
    if ok:
        # Annealing keeps a sliver of the band in reserve, so that retailers lying exactly
        # on a border (counted by point-in-grid afterwards) cannot tip a grid over.
        lo, hi = _band(target, used * _ANNEAL_SHARE, n_total, frozen)
    # A grid already outside (the band out of reach, or the reserve) may not get worse.
    current = np.array(layout.W)
    lo, hi = np.minimum(lo, current), np.maximum(hi, current)
    steps = int(compact_effort * free.sum())
    anneal(layout, lo, hi, rng=rng, steps=steps)
    return Partition(
        labels=layout.labels_array(),
        n_free=n_grids,
        locked_ids=locked_ids,
        target=float(target),
        tolerance=used,
        within_tolerance=ok,
        sparse_fallback=sparse,
        balanced_on=balanced_on,
        fixed_lines_crossed=plan.fixed_lines_crossed,
        exclaves_joined=plan.exclaves_joined,
        notes=plan.notes,
        move_edges=plan.move_edges,
        connect_edges=plan.connect_edges,
    )


def geometric_score(layout: Layout) -> Score:
    """Prefer units nearer the receiving grid's centre than the giving grid's."""
    scale = max(sum(layout.area) / max(layout.k, 1), 1.0)

    def score(i: int, src: int, dest: int) -> float:
        sx, sy = layout.centroid(src)
        dx, dy = layout.centroid(dest)
        x, y = layout.x[i], layout.y[i]
        return ((x - dx) ** 2 + (y - dy) ** 2 - (x - sx) ** 2 - (y - sy) ** 2) / scale

    return score


def _seed_labels(
    units: Units,
    region: np.ndarray,
    grids: list[int],
    weight: np.ndarray,
    free: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[object]]:
    labels = np.full(units.n, -1, dtype=np.int64)
    offset = 0
    for r, k in enumerate(grids):
        members = np.flatnonzero(region == r)
        local = power_partition(
            units.centroid_xy[members], weight[members], units.area_m2[members], k, rng=rng
        )
        labels[members] = offset + local
        offset += k
    locked_ids = sorted(set(units.frame.loc[~free, "grid"]), key=str)
    index = {g: offset + r for r, g in enumerate(locked_ids)}
    labels[~free] = [index[g] for g in units.frame.loc[~free, "grid"]]
    return labels, locked_ids


def _band(
    target: float, tolerance: float, n_total: int, frozen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lo = np.full(n_total, target * (1 - tolerance))
    hi = np.full(n_total, target * (1 + tolerance))
    lo[frozen], hi[frozen] = -np.inf, np.inf
    return lo, hi
