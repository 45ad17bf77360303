"""A labelling of units into grids, kept up to date under single-unit moves.

The layout tracks each grid's workload, area and perimeter, so the effect of moving one
unit to a neighbouring grid (on balance and on Polsby-Popper compactness) costs a look at
the unit's few neighbours, and it checks that a grid stays in one piece when it gives a
unit away.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from gridmgmt.grids.units import Units

_FOUR_PI = 4.0 * math.pi


def polsby_popper_value(area: float, perimeter: float) -> float:
    """``4 pi A / P**2``, 0 for a degenerate shape."""
    return _FOUR_PI * area / (perimeter * perimeter) if perimeter > 0 else 0.0


class Layout:
    """Units labelled with grids, with running totals and move checks.

    Parameters
    ----------
    units
        The base units.
    labels
        Grid of each unit, ``0..n_grids-1``.
    n_grids
        Number of grids.
    move_edges
        Mask over ``units.edges`` of the adjacencies a unit may cross to change grid.
    connect_edges
        Mask over ``units.edges`` of the adjacencies that hold a grid together.
    movable
        Units that may change grid (locked units may not).
    frozen
        Grids that neither give nor take units.
    weights
        Workload of each unit; ``units.workload`` by default.
    """

    def __init__(
        self,
        units: Units,
        labels: np.ndarray,
        n_grids: int,
        *,
        move_edges: np.ndarray,
        connect_edges: np.ndarray,
        movable: np.ndarray,
        frozen: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> None:
        n = units.n
        self.n = n
        self.k = n_grids
        self.weight: list[float] = list(map(float, units.workload if weights is None else weights))
        self.area: list[float] = list(map(float, units.area_m2))
        self.exterior: list[float] = list(map(float, units.exterior_m))
        self.xy = units.centroid_xy
        # Centred coordinates keep the running centroid sums precise.
        origin = units.centroid_xy.mean(axis=0) if n else np.zeros(2)
        self.x: list[float] = (units.centroid_xy[:, 0] - origin[0]).tolist()
        self.y: list[float] = (units.centroid_xy[:, 1] - origin[1]).tolist()
        self.movable: list[bool] = list(map(bool, movable))
        self.frozen: list[bool] = list(map(bool, frozen))
        self.labels: list[int] = list(map(int, labels))
        self.touch: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        self.move_nbrs: list[list[int]] = [[] for _ in range(n)]
        self.conn_nbrs: list[list[int]] = [[] for _ in range(n)]
        for (i, j), length, mv, cn in zip(
            units.edges.tolist(),
            units.edge_length_m.tolist(),
            move_edges.tolist(),
            connect_edges.tolist(),
            strict=True,
        ):
            if length > 0:
                self.touch[i].append((j, length))
                self.touch[j].append((i, length))
            if mv:
                self.move_nbrs[i].append(j)
                self.move_nbrs[j].append(i)
            if cn or mv:
                self.conn_nbrs[i].append(j)
                self.conn_nbrs[j].append(i)
        self.conn_sets: list[set[int]] = [set(c) for c in self.conn_nbrs]
        self.members: list[set[int]] = [set() for _ in range(n_grids)]
        for i, g in enumerate(self.labels):
            self.members[g].add(i)
        self.recompute()

    def recompute(self) -> None:
        """Recompute every grid total from scratch."""
        k = self.k
        self.W = [0.0] * k
        self.A = [0.0] * k
        self.P = [0.0] * k
        self.SX = [0.0] * k
        self.SY = [0.0] * k
        for i, g in enumerate(self.labels):
            self.W[g] += self.weight[i]
            self.A[g] += self.area[i]
            self.SX[g] += self.area[i] * self.x[i]
            self.SY[g] += self.area[i] * self.y[i]
            self.P[g] += self.exterior[i]
            for j, length in self.touch[i]:
                if self.labels[j] != g:
                    self.P[g] += length

    def polsby_popper(self) -> np.ndarray:
        """Polsby-Popper of each grid."""
        return np.array([polsby_popper_value(a, p) for a, p in zip(self.A, self.P, strict=True)])

    def perimeter_delta(self, i: int, dest: int) -> tuple[float, float]:
        """Change of the source's and the destination's perimeter if ``i`` moves."""
        labels = self.labels
        src = labels[i]
        d_src = -self.exterior[i]
        d_dst = self.exterior[i]
        for j, length in self.touch[i]:
            g = labels[j]
            if g == src:
                d_src += length
                d_dst += length
            elif g == dest:
                d_src -= length
                d_dst -= length
            else:
                d_src -= length
                d_dst += length
        return d_src, d_dst

    def compactness_gain(self, i: int, dest: int) -> float:
        """Change of the sum of Polsby-Popper values if ``i`` moves to ``dest``."""
        src = self.labels[i]
        d_src, d_dst = self.perimeter_delta(i, dest)
        a = self.area[i]
        before = polsby_popper_value(self.A[src], self.P[src]) + polsby_popper_value(
            self.A[dest], self.P[dest]
        )
        after = polsby_popper_value(self.A[src] - a, self.P[src] + d_src) + polsby_popper_value(
            self.A[dest] + a, self.P[dest] + d_dst
        )
        return after - before

    def neighbour_grids(self, i: int) -> list[int]:
        """Grids (other than its own, not frozen) ``i`` could move to."""
        own = self.labels[i]
        out: list[int] = []
        for j in self.move_nbrs[i]:
            g = self.labels[j]
            if g != own and not self.frozen[g] and g not in out:
                out.append(g)
        return out

    def can_leave(self, i: int) -> bool:
        """Whether ``i``'s grid stays in one piece (and not empty) without ``i``."""
        if not self.movable[i]:
            return False
        src = self.labels[i]
        if self.frozen[src] or len(self.members[src]) <= 1:
            return False
        labels = self.labels
        same = [j for j in self.conn_nbrs[i] if labels[j] == src]
        if len(same) <= 1:
            return True
        # Cheap sufficient test: the grid's neighbours of i are linked among themselves.
        wanted = set(same)
        seen = {same[0]}
        stack = [same[0]]
        while stack:
            u = stack.pop()
            for v in self.conn_sets[u] & wanted:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        if len(seen) == len(wanted):
            return True
        return self._connected_without(i, src, wanted)

    def cut_off_by(self, i: int) -> list[int]:
        """``i`` and the parts of its grid that only hang on through ``i``.

        Empty when ``i`` cannot move or the grid's main part (most workload) would go.
        """
        src = self.labels[i]
        if not self.movable[i] or self.frozen[src]:
            return []
        labels = self.labels
        left = set(self.members[src])
        left.discard(i)
        pieces: list[list[int]] = []
        while left:
            start = min(left)
            left.discard(start)
            piece = [start]
            queue = deque([start])
            while queue:
                u = queue.popleft()
                for v in self.conn_nbrs[u]:
                    if v in left and labels[v] == src:
                        left.discard(v)
                        piece.append(v)
                        queue.append(v)
            pieces.append(piece)
        if len(pieces) < 2:
            return [i] if pieces else []
        pieces.sort(key=lambda p: (-sum(self.weight[u] for u in p), -len(p), min(p)))
        group = [i] + [u for piece in pieces[1:] for u in piece]
        if not all(self.movable[u] for u in group):
            return []
        return group

    def _connected_without(self, i: int, grid: int, wanted: set[int]) -> bool:
        labels = self.labels
        start = next(iter(sorted(wanted)))
        seen = {start, i}
        queue = deque([start])
        remaining = len(wanted) - 1
        while queue:
            u = queue.popleft()
            for v in self.conn_nbrs[u]:
                if v not in seen and labels[v] == grid:
                    seen.add(v)
                    if v in wanted:
                        remaining -= 1
                        if remaining == 0:
                            return True
                    queue.append(v)
        return remaining == 0

    def move(self, i: int, dest: int) -> None:
        """Move unit ``i`` to grid ``dest``, updating the totals."""
        src = self.labels[i]
        d_src, d_dst = self.perimeter_delta(i, dest)
        w, a = self.weight[i], self.area[i]
        self.W[src] -= w
        self.W[dest] += w
        self.A[src] -= a
        self.A[dest] += a
        ax, ay = a * self.x[i], a * self.y[i]
        self.SX[src] -= ax
        self.SX[dest] += ax
        self.SY[src] -= ay
        self.SY[dest] += ay
        self.P[src] += d_src
        self.P[dest] += d_dst
        self.labels[i] = dest
        self.members[src].discard(i)
        self.members[dest].add(i)

    def labels_array(self) -> np.ndarray:
        """Current labels as an array."""
        return np.array(self.labels, dtype=np.int64)

    def grid_components(self, grid: int) -> list[list[int]]:
        """Connected pieces of a grid, largest workload (then size) first."""
        labels = self.labels
        left = set(self.members[grid])
        pieces: list[list[int]] = []
        while left:
            start = min(left)
            piece = [start]
            left.discard(start)
            queue = deque([start])
            while queue:
                u = queue.popleft()
                for v in self.conn_nbrs[u]:
                    if v in left and labels[v] == grid:
                        left.discard(v)
                        piece.append(v)
                        queue.append(v)
            pieces.append(piece)
        pieces.sort(key=lambda p: (-sum(self.weight[u] for u in p), -len(p), min(p)))
        return pieces

    def centroid(self, grid: int) -> tuple[float, float]:
        """Area-weighted centroid of a grid, in the layout's centred metric coordinates."""
        area = self.A[grid]
        if area <= 0:
            return (math.nan, math.nan)
        return (self.SX[grid] / area, self.SY[grid] / area)
