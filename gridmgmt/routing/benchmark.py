"""Solve standard VRPLIB instances and compare with their best-known solutions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.search import available_cores, solve_problem
from gridmgmt.routing.vrplib_io import read_vrplib, routes_cost, solution_routes


@dataclass(frozen=True)
class VrplibResult:
    """The answer to one VRPLIB instance.

    Attributes
    ----------
    instance
        Instance name.
    kind
        ``"CVRP"`` or ``"VRPTW"``.
    convention
        Rounding convention the cost is given in (``"round"`` or ``"dimacs"``).
    cost
        Total distance in that convention.
    routes
        Customer indices per route as in ``.sol`` files (depot 0, customers 1..n-1).
    feasible
        Whether every constraint of the instance holds.
    num_routes
        Number of routes.
    time_s
        Wall-clock seconds.
    time_limit
        Budget in seconds (``None`` when bounded by iterations only).
    seed
        Seed of the first worker.
    workers
        Parallel searches.
    rounds
        Rounds of restarting the searches from the best so far.
    iterations
        Search iterations, summed over workers.
    """

    instance: str
    kind: str
    convention: str
    cost: float
    routes: list[list[int]]
    feasible: bool
    num_routes: int
    time_s: float
    time_limit: float | None
    seed: int
    workers: int
    rounds: int
    iterations: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary, ready for JSON."""
        return asdict(self)


def solve_vrplib(
    path: str | Path,
    *,
    time_limit: float | None = 60.0,
    seed: int = 0,
    workers: int | None = None,
    rounds: int = 4,
    max_iterations: int | None = None,
) -> VrplibResult:
    """Solve a CVRP or VRPTW instance in VRPLIB format.

    Parameters
    ----------
    path
        Instance file (``.vrp``).
    time_limit
        Wall-clock budget in seconds.
    seed
        Seed of the first search.
    workers
        Parallel searches; default: every available core.
    rounds
        Rounds in which the parallel searches restart from the best solution so far
        (with one worker the search simply runs on).
    max_iterations
        Optional iteration bound per search, for machine-independent results.

    Returns
    -------
    VrplibResult
        Cost in the instance's convention and routes as in ``.sol`` files.
    """
    instance = read_vrplib(path)
    workers = workers or available_cores()
    outcome = solve_problem(
        instance.data,
        time_limit=time_limit,
        max_iterations=max_iterations,
        seed=seed,
        workers=workers,
        rounds=rounds,
    )
    routes = solution_routes(outcome.solution)
    return VrplibResult(
        instance=instance.name,
        kind=instance.kind,
        convention=instance.convention,
        cost=routes_cost(instance, routes),
        routes=routes,
        feasible=bool(outcome.solution.is_feasible()),
        num_routes=len(routes),
        time_s=round(outcome.runtime_s, 3),
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        rounds=rounds,
        iterations=outcome.iterations,
    )


def gap_percent(cost: float, best_known: float) -> float:
    """Relative gap to a best-known cost, in percent.

    Parameters
    ----------
    cost
        Cost found.
    best_known
        Best-known cost (positive).

    Returns
    -------
    float
        ``100 * (cost - best_known) / best_known``.
    """
    if best_known <= 0:
        msg = f"`best_known` must be positive, got {best_known}"
        raise InvalidInputError(msg)
    return 100.0 * (cost - best_known) / best_known
