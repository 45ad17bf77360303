"""Make grids rounder by moving border units, keeping balance and contiguity.

Simulated annealing on the sum of the grids' Polsby-Popper values: a random border unit is
offered to a neighbouring grid; the move is taken when it makes the two grids rounder (or,
early on, with a probability that shrinks as the temperature falls), both grids stay inside
the workload band and the giving grid stays in one piece. The random stream comes from the
caller's seeded generator and the number of steps is fixed, so the result is reproducible.
"""

from __future__ import annotations

import math

import numpy as np

from gridmgmt.grids._layout import Layout


def anneal(
    layout: Layout,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    rng: np.random.Generator,
    steps: int,
    start_temperature: float = 0.004,
    end_temperature: float = 0.00005,
) -> int:
    """Improve compactness in place; returns the number of moves made.

    Parameters
    ----------
    layout
        The layout, changed in place.
    lo, hi
        Workload band of each grid; a move never takes a grid out of it (or further out).
    rng
        Seeded random generator.
    steps
        Number of proposals.
    start_temperature, end_temperature
        Geometric cooling schedule, in units of summed Polsby-Popper.
    """
    movable = [i for i in range(layout.n) if layout.movable[i]]
    if not movable or steps <= 0:
        return 0
    chance = rng.random(steps)
    side = rng.random(steps)
    pick = rng.random(steps)
    cooling = (end_temperature / start_temperature) ** (1.0 / max(steps - 1, 1))
    temperature = start_temperature
    labels, weight, loads = layout.labels, layout.weight, layout.W
    lo_l, hi_l = lo.tolist(), hi.tolist()
    moves = 0
    candidates: list[int] = []
    refresh = 0
    for step in range(steps):
        temperature *= cooling
        if step >= refresh:
            # Only border units can move; the border drifts, so the list is renewed often.
            candidates = [i for i in movable if layout.neighbour_grids(i)]
            refresh = step + max(len(candidates), 1)
            if not candidates:
                break
        i = candidates[int(pick[step] * len(candidates))]
        grids = layout.neighbour_grids(i)
        if not grids:
            continue
        dest = grids[int(side[step] * len(grids))]
        src = labels[i]
        w = weight[i]
        if w > 0 and (loads[dest] + w > hi_l[dest] or loads[src] - w < lo_l[src]):
            continue
        gain = layout.compactness_gain(i, dest)
        if gain < 0 and chance[step] >= math.exp(gain / temperature):
            continue
        if not layout.can_leave(i):
            continue
        layout.move(i, dest)
        moves += 1
    return moves
