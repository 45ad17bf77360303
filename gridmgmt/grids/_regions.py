"""Split the free part of a county into regions that get whole numbers of grids.

Fixed lines and the gaps between separate parts of a county cut the units into zones that
no grid may span. Each zone gets a number of grids in proportion to its workload. A zone too
light for a grid of its own joins a neighbour: across the fixed line it shares most border
with (the grid then crosses that line, and the report says so), or, for a separate part of
the county (an exclave, 飞地) that has no fixed-line neighbour, through the shortest link to
the nearest part. An exclave also joins when a whole number of grids of its own could not be
balanced within the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gridmgmt.grids.units import EdgeKind, Units


@dataclass
class RegionPlan:
    """How the free units are grouped into regions and how many grids each gets.

    Attributes
    ----------
    region
        Region of each unit, -1 for units that are not free.
    grids
        Number of grids of each region.
    move_edges, connect_edges
        Masks over the unit edges: adjacencies units may cross, and that hold grids together.
    notes
        Human-readable notes on joined zones (fixed lines crossed, exclaves joined).
    """

    region: np.ndarray
    grids: list[int]
    move_edges: np.ndarray
    connect_edges: np.ndarray
    notes: list[str] = field(default_factory=list)
    fixed_lines_crossed: int = 0
    exclaves_joined: int = 0
    region_deviation: float = 0.0


def plan_regions(
    units: Units, free: np.ndarray, weight: np.ndarray, n_grids: int, *, tolerance: float
) -> RegionPlan:
    """Group free units into regions and share ``n_grids`` grids among them."""
    i, j = units.edges[:, 0], units.edges[:, 1]
    both_free = free[i] & free[j]
    kind = units.edge_kind
    enabled = both_free & (kind == EdgeKind.OPEN)
    zone = _zones(units.n, units.edges[enabled], free)
    n_zone = int(zone.max()) + 1 if (zone >= 0).any() else 0
    groups = _UnionFind(n_zone)
    zone_weight = np.bincount(zone[free], weights=weight[free], minlength=n_zone)
    target = weight[free].sum() / n_grids if n_grids > 0 else 0.0
    plan = RegionPlan(zone, [], enabled.copy(), enabled.copy())
    while True:
        roots = groups.roots()
        group_weight = dict.fromkeys(roots, 0.0)
        for z in range(n_zone):
            group_weight[groups.find(z)] += zone_weight[z]
        group_of_zone = np.array([groups.find(z) for z in range(n_zone)], dtype=np.int64)
        unit_group = np.where(zone >= 0, group_of_zone[np.maximum(zone, 0)], -1)
        borders = _group_borders(units, unit_group, both_free)
        pick = _zone_to_join(
            roots, group_weight, borders, target, tolerance, force=len(roots) > n_grids
        )
        if pick is None:
            break
        small, host, join_kind = pick
        gi, gj = unit_group[i], unit_group[j]
        link = (
            both_free
            & (kind != EdgeKind.OPEN)
            & (((gi == small) & (gj == host)) | ((gi == host) & (gj == small)))
        )
        plan.move_edges |= link
        plan.connect_edges |= link
        groups.union(small, host)
        if join_kind == EdgeKind.FIXED:
            plan.fixed_lines_crossed += 1
            plan.notes.append(
                "a zone too light for a grid of its own joins its neighbour across a fixed line"
            )
        else:
            plan.exclaves_joined += 1
            plan.notes.append("a separate part of the county (exclave) joins its nearest grid")
    roots = groups.roots()
    index = {g: r for r, g in enumerate(roots)}
    region_of_zone = np.array([index[groups.find(z)] for z in range(n_zone)], dtype=np.int64)
    plan.region = np.where(zone >= 0, region_of_zone[np.maximum(zone, 0)], -1)
    region_weight = np.bincount(region_of_zone, weights=zone_weight, minlength=len(roots))
    plan.grids = allocate(region_weight.tolist(), n_grids)
    if target > 0 and len(plan.grids) > 1:
        means = region_weight / np.maximum(plan.grids, 1) / target - 1
        plan.region_deviation = float(np.abs(means).max())
        if plan.region_deviation > tolerance / 2:
            plan.notes.append(
                f"fixed lines split the workload unevenly: with whole grids per zone, zone "
                f"means differ from the county mean by up to {plan.region_deviation:.1%}"
            )
    return plan


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, child: int, host: int) -> None:
        self.parent[self.find(child)] = self.find(host)

    def roots(self) -> list[int]:
        return sorted({self.find(x) for x in range(len(self.parent))})


def allocate(weights: list[float], n_grids: int) -> list[int]:
    """Whole numbers of grids per region, summing to ``n_grids``, keeping grids near the mean.

    Every region gets at least one grid.
    """
    if not weights:
        return []
    total = sum(weights)
    target = total / n_grids if n_grids > 0 else 0.0
    counts = [max(1, round(w / target)) if target > 0 else 1 for w in weights]
    while sum(counts) > n_grids:
        options = [r for r, c in enumerate(counts) if c > 1]
        if not options:
            break
        r = min(options, key=lambda r: (weights[r] / (counts[r] - 1), r))
        counts[r] -= 1
    while sum(counts) < n_grids:
        r = max(range(len(weights)), key=lambda r: (weights[r] / counts[r], -r))
        counts[r] += 1
    return counts


def _zones(n: int, edges: np.ndarray, free: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    zone = np.full(n, -1, dtype=np.int64)
    _, dense = np.unique(labels[free], return_inverse=True)
    zone[free] = dense.ravel()
    return zone


def _group_borders(
    units: Units, unit_group: np.ndarray, both_free: np.ndarray
) -> dict[tuple[int, int], tuple[int, float]]:
    """For each pair of groups: the closest edge kind joining them and its shared length."""
    out: dict[tuple[int, int], tuple[int, float]] = {}
    kind = units.edge_kind
    for e in np.flatnonzero(both_free & (kind != EdgeKind.OPEN)):
        a = int(unit_group[units.edges[e, 0]])
        b = int(unit_group[units.edges[e, 1]])
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        k_old, length = out.get(key, (int(EdgeKind.LINK), 0.0))
        out[key] = (min(k_old, int(kind[e])), length + float(units.edge_length_m[e]))
    return out


def _zone_to_join(
    groups: list[int],
    weight: dict[int, float],
    joint: dict[tuple[int, int], tuple[int, float]],
    target: float,
    tolerance: float,
    *,
    force: bool,
) -> tuple[int, int, int] | None:
    """The lightest group that should join a neighbour, the neighbour, and the edge kind."""
    for g in sorted(groups, key=lambda g: (weight[g], g)):
        borders = [
            (kind, length, b if a == g else a)
            for (a, b), (kind, length) in joint.items()
            if g in (a, b)
        ]
        if not borders:
            continue
        has_fixed = any(k == EdgeKind.FIXED for k, _, _ in borders)
        own = round(weight[g] / target) if target > 0 else 1
        too_light = target > 0 and own == 0
        exclave_off = (
            not has_fixed and target > 0 and abs(weight[g] / (target * max(own, 1)) - 1) > tolerance
        )
        if too_light or exclave_off or force:
            kind, _, host = min(borders, key=lambda t: (t[0], -t[1], t[2]))
            return g, host, kind
    return None
