"""Rebalance existing grids after retailers were added, closed or moved (网格动态调整).

The county is cut into base units that respect the current grid borders, so every unit
starts in the grid it lies in. A flow plan over the grid adjacency graph decides how much
workload must cross each border to bring every grid back within the tolerance (the least
workload moved, chains across several grids included), and each transfer takes the units
that move the fewest existing retailers per minute of workload first (units full of new
retailers before settled ones), nearest the shared border first among equals, never breaking
a grid in two. Locked grids neither give nor take units; grid ids never change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmgmt.crs import WGS84, metric_crs
from gridmgmt.errors import InvalidInputError
from gridmgmt.grids._balance import Score, balance, plan_flows
from gridmgmt.grids._inputs import GeometryInput, check_grids, check_retailers, county_geometry
from gridmgmt.grids._layout import Layout
from gridmgmt.grids.assign import GridIndex
from gridmgmt.grids.design import grid_table
from gridmgmt.grids.metrics import max_deviation
from gridmgmt.grids.partition import DEFAULT_SPARSE_TOLERANCE, DEFAULT_TOLERANCE
from gridmgmt.grids.units import (
    DEFAULT_BASE_RESOLUTION,
    DEFAULT_MAX_RESOLUTION,
    DEFAULT_MAX_SHARE,
    EdgeKind,
    Units,
    build_units,
)
from gridmgmt.grids.workload import WorkloadTable, retailer_workload

__all__ = [
    "Rebalance",
    "RebalanceReport",
    "churn_pair_cost",
    "churn_score",
    "rebalance_grids",
    "send_units_home",
]

# Share of the band the flow plan aims for: all of it, since every extra minute moved is a
# retailer reassigned; single-unit fixes clean up what whole units overshoot.
_INNER = 0.95


@dataclass(frozen=True)
class RebalanceReport:
    """Figures of a rebalance.

    Attributes
    ----------
    n_grids, n_locked
        Grids in total and locked ones.
    max_deviation_before, max_deviation_after
        Largest relative deviation of an unlocked grid's workload from their mean.
    tolerance
        Deviation the rebalance aimed for (the sparse tolerance when the requested one was
        out of reach).
    within_tolerance
        Whether every unlocked grid ended within ``tolerance``.
    sparse_fallback
        Whether the requested tolerance was out of reach.
    n_existing
        Retailers that had a grid before.
    n_moved
        Existing retailers whose grid the rebalance changed.
    moved_share
        ``n_moved / n_existing``.
    n_changed_grids
        Grids whose border changed.
    least_flow_share
        The least workload that must cross grid borders to reach the tolerance (the flow
        plan's optimum, new retailers' workload included), as a share of the existing
        workload. Less the new retailers' share, it bounds from below the existing workload
        any border-moving rebalance reassigns: growth far from the county seat needs work
        relayed across several grids, and this says how much.
    seconds
        Wall time.
    """

    n_grids: int
    n_locked: int
    max_deviation_before: float
    max_deviation_after: float
    tolerance: float
    within_tolerance: bool
    sparse_fallback: bool
    n_existing: int
    n_moved: int
    moved_share: float
    n_changed_grids: int
    least_flow_share: float
    seconds: float


@dataclass(frozen=True)
class Rebalance:
    """Rebalanced grids.

    Attributes
    ----------
    grids
        Same ids as the input, new borders, with the columns of
        :func:`~gridmgmt.grids.design.grid_table`.
    assignment
        ``licence_no`` and ``grid_id`` of every retailer, indexed like the input.
    moved
        Existing retailers the rebalance moved: ``licence_no``, ``from_grid``, ``to_grid``.
    report
        The figures.
    """

    grids: gpd.GeoDataFrame
    assignment: pd.DataFrame
    moved: pd.DataFrame
    report: RebalanceReport


def rebalance_grids(
    county_boundary: GeometryInput,
    grids: gpd.GeoDataFrame,
    retailers: gpd.GeoDataFrame,
    *,
    locked: Iterable[object] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    sparse_tolerance: float = DEFAULT_SPARSE_TOLERANCE,
    fixed_lines: GeometryInput | None = None,
    workload_table: WorkloadTable | None = None,
    existing_column: str = "grid_id",
    max_share: float = DEFAULT_MAX_SHARE,
    base_resolution: int = DEFAULT_BASE_RESOLUTION,
    max_resolution: int = DEFAULT_MAX_RESOLUTION,
) -> Rebalance:
    """Bring grids back within the workload tolerance, moving as few retailers as possible.

    Parameters
    ----------
    county_boundary
        The county, EPSG:4326.
    grids
        Current grids (``grid_id``, polygon), EPSG:4326, tiling the county.
    retailers
        Current retailers (columns as for :func:`~gridmgmt.grids.design.design_grids`).
    locked
        Ids of grids to leave exactly as they are.
    tolerance
        Largest relative deviation of a grid's workload from the mean of unlocked grids.
    sparse_tolerance
        Deviation accepted, and reported, when ``tolerance`` is out of reach.
    fixed_lines
        Lines no border move may cross.
    workload_table
        Visit minutes by tier and business type.
    existing_column
        Column of ``retailers`` holding the grid a retailer had before (new retailers have
        none); without it every retailer inside a grid counts as existing.
    max_share, base_resolution, max_resolution
        Base-unit settings, as for design.

    Returns
    -------
    Rebalance
        New grids, assignment, moved retailers and report.

    Raises
    ------
    ValueError
        If a locked id is not a grid, or the inputs are invalid.
    """
    started = time.perf_counter()
    check_retailers(retailers)
    check_grids(grids)
    locked_ids = _locked_ids(grids, locked)
    county = county_geometry(county_boundary)
    crs = metric_crs(county)
    weights = retailer_workload(retailers, table=workload_table).to_numpy(float)
    points = np.asarray(retailers.geometry.array)
    before = GridIndex(grids).assign(points)
    # Retailers already in a grid; the others are new and do not count as moved.
    existing = (
        retailers[existing_column].notna().to_numpy()
        if existing_column in retailers.columns
        else pd.notna(before)
    )
    ids = sorted(grids["grid_id"], key=str)
    target = _free_target(weights, before, [g for g in ids if g not in locked_ids])
    units = build_units(
        county,
        points,
        weights,
        target_workload=target,
        max_share=max_share,
        base_resolution=base_resolution,
        max_resolution=max_resolution,
        fixed_lines=fixed_lines,
        partition=grids,
        locked=locked_ids,
        crs=crs,
    )
    labels = _current_labels(units, ids)
    layout = _layout(units, labels, ids, locked_ids)
    churn = _existing_per_unit(units, existing)
    dev_before = max_deviation([layout.W[g] for g in range(len(ids)) if not layout.frozen[g]])
    existing_weight = float(weights[existing].sum())
    least_flow = _least_flow(layout, target, tolerance) / max(existing_weight, 1e-9)
    ok, used = _balance(layout, labels, churn, target, tolerance, sparse_tolerance)
    new_labels = layout.labels_array()
    new_grids = _new_grids(grids, units, labels, new_labels, ids, locked_ids)
    after = GridIndex(new_grids).assign(points)
    moved = _moved(retailers, before, after, existing)
    table = grid_table(new_grids, retailers, after, weights)
    free = ~table["locked"].to_numpy(bool)
    dev_after = max_deviation(table.loc[free, "workload"])
    n_existing = int(existing.sum())
    report = RebalanceReport(
        n_grids=len(ids),
        n_locked=len(locked_ids),
        max_deviation_before=float(dev_before),
        max_deviation_after=float(dev_after),
        tolerance=used,
        within_tolerance=bool(ok and dev_after <= used + 1e-9),
        sparse_fallback=used != tolerance,
        n_existing=n_existing,
        n_moved=len(moved),
        moved_share=len(moved) / max(n_existing, 1),
        n_changed_grids=len(_changed(labels, new_labels)),
        least_flow_share=float(least_flow),
        seconds=time.perf_counter() - started,
    )
    assignment = pd.DataFrame(
        {"licence_no": retailers["licence_no"].to_numpy(), "grid_id": after},
        index=retailers.index,
    )
    return Rebalance(table, assignment, moved, report)


def _existing_per_unit(units: Units, existing: np.ndarray) -> np.ndarray:
    """How many existing retailers each unit holds: what moving it costs."""
    return np.bincount(
        units.retailer_unit[existing & (units.retailer_unit >= 0)], minlength=units.n
    )


def _locked_ids(grids: gpd.GeoDataFrame, locked: Iterable[object]) -> frozenset[object]:
    locked_ids = frozenset(locked)
    unknown = locked_ids - set(grids["grid_id"])
    if unknown:
        msg = f"locked grids {sorted(map(str, unknown))} are not among the grid ids"
        raise InvalidInputError(msg)
    return locked_ids


def _free_target(weights: np.ndarray, before: np.ndarray, free_ids: list[object]) -> float:
    """The mean workload of the grids that may change, as they are now."""
    weight_by_grid = pd.Series(weights).groupby(pd.Series(before, dtype=object)).sum()
    free_weight = float(weight_by_grid.reindex(free_ids).fillna(0).sum())
    return free_weight / max(len(free_ids), 1)


def _balance(
    layout: Layout,
    labels: np.ndarray,
    churn: np.ndarray,
    target: float,
    tolerance: float,
    sparse_tolerance: float,
) -> tuple[bool, float]:
    """Balance ``layout`` within ``tolerance``, else the sparse one, moving few retailers.

    Returns whether it succeeded and the tolerance it used; on success units that can go
    back to their current grid within the band do.
    """
    score = churn_score(layout, churn.astype(float))
    pair_cost = churn_pair_cost(layout, churn.astype(float))
    used = tolerance
    ok = _balance_within(layout, target, tolerance, score, pair_cost)
    if not ok and sparse_tolerance > tolerance:
        used = sparse_tolerance
        ok = _balance_within(layout, target, sparse_tolerance, score, pair_cost)
    if ok:
        send_units_home(layout, labels, churn, *_band(layout, target, used))
    return ok, used


def churn_score(layout: Layout, churn: np.ndarray) -> Score:
    """Prefer units that move few existing retailers per minute of workload, then nearness.

    A unit without workload is valued like a typical unit, so it is taken only where it
    opens the way to cheaper ones.
    """
    weight = np.asarray(layout.weight)
    heavy = weight > 0
    ratio = np.where(heavy, churn / np.where(heavy, weight, 1.0), 0.0)
    typical = float(np.median(ratio[heavy])) if heavy.any() else 1.0
    ratio = np.where(heavy, ratio, typical).tolist()
    scale = max(sum(layout.area) / max(layout.k, 1), 1.0)
    nearness = 0.5 * max(typical, 1e-9)

    def score(i: int, src: int, dest: int) -> float:
        sx, sy = layout.centroid(src)
        dx, dy = layout.centroid(dest)
        x, y = layout.x[i], layout.y[i]
        geo = ((x - dx) ** 2 + (y - dy) ** 2 - (x - sx) ** 2 - (y - sy) ** 2) / scale
        return float(ratio[i] + nearness * geo)

    return score


def churn_pair_cost(layout: Layout, churn: np.ndarray) -> Callable[[int, int], float]:
    """Cost of moving workload from one grid to another: existing retailers per minute.

    Measured on the giving grid's units along the shared border, relative to the county's
    typical rate, so the flow plan prefers borders where new retailers can go first.
    """
    weight = np.asarray(layout.weight)
    heavy = weight > 0
    total_rate = churn[heavy].sum() / weight[heavy].sum() if heavy.any() else 1.0
    typical = max(float(total_rate), 1e-9)

    def cost(src: int, dest: int) -> float:
        border = [
            i
            for i in layout.members[src]
            if weight[i] > 0 and any(layout.labels[j] == dest for j in layout.move_nbrs[i])
        ]
        if not border:
            return 1.0
        rate = churn[border].sum() / weight[border].sum()
        return float(np.clip(rate / typical, 0.2, 5.0))

    return cost


def _current_labels(units: Units, ids: list[object]) -> np.ndarray:
    """Grid index of each unit; units in gaps between grids join a neighbouring grid."""
    index = {g: k for k, g in enumerate(ids)}
    labels = np.array([index.get(g, -1) for g in units.frame["grid"]], dtype=np.int64)
    neighbours: list[list[int]] = [[] for _ in range(units.n)]
    for i, j in units.edges.tolist():
        neighbours[i].append(j)
        neighbours[j].append(i)
    while (labels < 0).any():
        changed = False
        for i in np.flatnonzero(labels < 0):
            known = sorted(labels[j] for j in neighbours[i] if labels[j] >= 0)
            if known:
                labels[i] = known[0]
                changed = True
        if not changed:
            labels[labels < 0] = 0
    return labels


def _layout(
    units: Units, labels: np.ndarray, ids: list[object], locked: frozenset[object]
) -> Layout:
    frozen = np.array([g in locked for g in ids])
    movable = ~frozen[labels]
    i, j = units.edges[:, 0], units.edges[:, 1]
    open_edge = units.edge_kind == EdgeKind.OPEN
    move = open_edge & movable[i] & movable[j]
    # Fixed-line and exclave links inside one grid keep holding it together.
    connect = move | (labels[i] == labels[j])
    return Layout(
        units, labels, len(ids), move_edges=move, connect_edges=connect,
        movable=movable, frozen=frozen,
    )  # fmt: skip


def send_units_home(
    layout: Layout, home: np.ndarray, churn: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> int:
    """Undo moves the balance does not need, most existing retailers first.

    A moved unit goes back to its grid where both grids stay inside ``[lo, hi]`` and in one
    piece; where the band stands in the way, it swaps with a unit of its home grid that
    moves fewer existing retailers (or itself returns home). Returns the units sent home.
    """
    weight = layout.weight
    labels = layout.labels
    sent = 0
    for _ in range(layout.n):
        away = sorted(
            (i for i in range(layout.n) if labels[i] != home[i] and churn[i] > 0),
            key=lambda i: (-churn[i], i),
        )
        progress = 0
        for i in away:
            here, back = labels[i], int(home[i])
            if labels[i] == back or back not in layout.neighbour_grids(i):
                continue
            if not layout.can_leave(i):
                continue
            w = weight[i]
            if layout.W[here] - w >= lo[here] and layout.W[back] + w <= hi[back]:
                layout.move(i, back)
                progress += 1
                continue
            if _swap_home(layout, i, here, back, home, churn, lo, hi):
                progress += 1
        sent += progress
        if not progress:
            break
    return sent


def _swap_home(
    layout: Layout,
    i: int,
    here: int,
    back: int,
    home: np.ndarray,
    churn: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> bool:
    """Send ``i`` home and a cheaper unit of its home grid over to ``here`` instead."""
    weight = layout.weight
    labels = layout.labels
    layout.move(i, back)
    options = sorted(
        {j for u in layout.members[here] for j in layout.move_nbrs[u] if labels[j] == back} - {i},
        key=lambda j: (churn[j] if home[j] != here else -churn[j], j),
    )
    for j in options:
        cost = churn[j] if home[j] != here else -churn[j]
        if cost >= churn[i]:
            break
        w_here = layout.W[here] + weight[j]
        w_back = layout.W[back] - weight[j]
        if not (lo[here] <= w_here <= hi[here] and lo[back] <= w_back <= hi[back]):
            continue
        if layout.can_leave(j):
            layout.move(j, here)
            return True
    layout.move(i, here)
    return False


def _band(layout: Layout, target: float, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Workload band of each grid; locked grids are unbounded."""
    lo = np.full(layout.k, target * (1 - tolerance))
    hi = np.full(layout.k, target * (1 + tolerance))
    frozen = np.array(layout.frozen)
    lo[frozen], hi[frozen] = -np.inf, np.inf
    return lo, hi


def _least_flow(layout: Layout, target: float, tolerance: float) -> float:
    """Total workload the unit-cost flow plan moves across borders to reach the band."""
    lo, hi = _band(layout, target, tolerance)
    return float(sum(amount for _, _, amount in plan_flows(layout, lo, hi)))


def _balance_within(
    layout: Layout,
    target: float,
    tolerance: float,
    score: Score,
    pair_cost: Callable[[int, int], float],
) -> bool:
    lo, hi = _band(layout, target, tolerance)
    return balance(layout, lo, hi, inner=_INNER, score=score, pair_cost=pair_cost)


def _new_grids(
    grids: gpd.GeoDataFrame,
    units: Units,
    old: np.ndarray,
    new: np.ndarray,
    ids: list[object],
    locked: frozenset[object],
) -> gpd.GeoDataFrame:
    """Grids with new borders where units moved; untouched grids keep their geometry."""
    changed = _changed(old, new)
    pieces = units.dissolve(new)
    original = dict(zip(grids["grid_id"], grids.geometry, strict=True))
    geometry = [pieces[g] if g in changed else original[ids[g]] for g in range(len(ids))]
    return gpd.GeoDataFrame(
        {"grid_id": ids, "locked": [g in locked for g in ids]},
        geometry=geometry,
        crs=WGS84,
    )


def _changed(old: np.ndarray, new: np.ndarray) -> set[int]:
    diff = old != new
    return set(old[diff].tolist()) | set(new[diff].tolist())


def _moved(
    retailers: gpd.GeoDataFrame, before: np.ndarray, after: np.ndarray, existing: np.ndarray
) -> pd.DataFrame:
    before_s = pd.Series(before, dtype=object)
    after_s = pd.Series(after, dtype=object)
    changed = existing & before_s.notna().to_numpy() & (before_s != after_s).to_numpy()
    return pd.DataFrame(
        {
            "licence_no": retailers["licence_no"].to_numpy()[changed],
            "from_grid": before_s.to_numpy()[changed],
            "to_grid": after_s.to_numpy()[changed],
        }
    )
