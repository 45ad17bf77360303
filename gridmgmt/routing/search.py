"""Run PyVRP's search on problem data: a time limit, an iteration limit, several cores.

With ``workers > 1`` independent searches with consecutive seeds run in separate
processes and the best feasible solution wins (ties go to the lowest seed), so the
result is reproducible for a seed whenever the search is bounded by iterations rather
than by wall-clock time.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pyvrp
from pyvrp import ProblemData, Solution
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion


@dataclass(frozen=True)
class SearchOutcome:
    """The best solution a search found.

    Attributes
    ----------
    solution
        Best solution (feasible if any feasible one was found).
    cost
        Its objective value (``inf`` if no feasible solution was found).
    iterations
        Iterations run, summed over workers.
    runtime_s
        Wall-clock seconds from the call to the return.
    seed
        Seed of the worker that found the solution.
    """

    solution: Solution
    cost: float
    iterations: int
    runtime_s: float
    seed: int


def available_cores() -> int:
    """Number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def solve_problem(
    data: ProblemData,
    *,
    time_limit: float | None = 10.0,
    max_iterations: int | None = None,
    seed: int = 0,
    workers: int = 1,
    initial_solution: Solution | None = None,
) -> SearchOutcome:
    """Solve problem data with PyVRP's iterated local search.

    Parameters
    ----------
    data
        Problem data.
    time_limit
        Wall-clock budget in seconds for the whole call, or ``None`` for no time bound.
    max_iterations
        Iteration bound per worker, or ``None``. Give one for results that do not depend
        on the machine's speed.
    seed
        Seed of the first worker; worker ``k`` uses ``seed + k``.
    workers
        Independent searches to run in parallel processes (1 runs in this process).
    initial_solution
        Warm start, for example the current plan when replanning.

    Returns
    -------
    SearchOutcome
        The best solution over all workers.
    """
    if time_limit is None and max_iterations is None:
        msg = "give `time_limit`, `max_iterations` or both; the search needs a bound"
        raise ValueError(msg)
    if time_limit is not None and time_limit <= 0:
        msg = f"`time_limit` must be positive, got {time_limit}"
        raise ValueError(msg)
    if workers < 1:
        msg = f"`workers` must be at least 1, got {workers}"
        raise ValueError(msg)
    start = time.monotonic()
    deadline = None if time_limit is None else time.time() + time_limit
    jobs = [(data, deadline, max_iterations, seed + k, initial_solution) for k in range(workers)]
    if workers == 1:
        results = [_run_search(*jobs[0])]
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context()) as pool:
            results = list(pool.map(_run_search, *zip(*jobs, strict=True)))
    best = min(results, key=lambda r: (not r[0].is_feasible(), r[1], r[3]))
    return SearchOutcome(
        solution=best[0],
        cost=best[1],
        iterations=sum(r[2] for r in results),
        runtime_s=time.monotonic() - start,
        seed=best[3],
    )


def _process_context() -> multiprocessing.context.BaseContext:
    # Fork starts at once and does not re-import the caller's main module; it is only safe
    # while this process runs a single thread (a web server has more: spawn there).
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _stopping_criterion(deadline: float | None, max_iterations: int | None) -> StoppingCriterion:
    criteria: list[StoppingCriterion] = []
    if deadline is not None:
        # At least a sliver of search even if process start-up ate the budget.
        criteria.append(MaxRuntime(max(deadline - time.time(), 0.05)))
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    return criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)


def _run_search(
    data: ProblemData,
    deadline: float | None,
    max_iterations: int | None,
    seed: int,
    initial_solution: Solution | None,
) -> tuple[Solution, float, int, int]:
    stop = _stopping_criterion(deadline, max_iterations)
    result = pyvrp.solve(
        data,
        stop,
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial_solution,
    )
    return result.best, float(result.cost()), result.num_iterations, seed
