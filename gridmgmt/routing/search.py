"""Run PyVRP's search on problem data: a time limit, an iteration limit, several cores.

With ``workers > 1`` searches with different seeds run in separate processes and the
best feasible solution wins (ties go to the lowest seed). With ``rounds > 1`` the budget
is cut into rounds and every worker restarts each round from the best solution so far.
Results are reproducible for a seed whenever the search is bounded by iterations rather
than by wall-clock time.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pyvrp
from pyvrp import ProblemData, Solution
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from gridmgmt.errors import InvalidInputError


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
    rounds: int = 1,
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
        Iteration bound per worker over all rounds, or ``None``. Give one for results that
        do not depend on the machine's speed.
    seed
        Base seed; worker ``k`` in round ``r`` uses ``seed + 1000 * r + k``.
    workers
        Searches running in parallel processes (1 runs in this process).
    rounds
        With several workers, the budget is cut into rounds; each round every worker
        restarts from the best solution so far, so no core keeps refining a poor one.
    initial_solution
        Warm start, for example the current plan when replanning.

    Returns
    -------
    SearchOutcome
        The best solution over all workers.
    """
    if time_limit is None and max_iterations is None:
        msg = "give `time_limit`, `max_iterations` or both; the search needs a bound"
        raise InvalidInputError(msg)
    if time_limit is not None and time_limit <= 0:
        msg = f"`time_limit` must be positive, got {time_limit}"
        raise InvalidInputError(msg)
    if workers < 1 or rounds < 1:
        msg = f"`workers` and `rounds` must be at least 1, got {workers} and {rounds}"
        raise InvalidInputError(msg)
    start = time.monotonic()
    end = None if time_limit is None else time.time() + time_limit
    rounds = rounds if workers > 1 else 1
    iters = None if max_iterations is None else max(max_iterations // rounds, 1)
    best: tuple[Solution, float, int, int] | None = None
    total_iterations = 0
    with _pool(data, workers) as run:
        for r in range(rounds):
            deadline = (
                None if end is None else end - (end - time.time()) * (rounds - r - 1) / (rounds - r)
            )
            warm = initial_solution if best is None else best[0]
            jobs = [(deadline, iters, seed + 1000 * r + k, warm) for k in range(workers)]
            results = run(jobs)
            total_iterations += sum(res[2] for res in results)
            candidates = results if best is None else [best, *results]
            best = min(candidates, key=lambda res: (not res[0].is_feasible(), res[1], res[3]))
    assert best is not None
    return SearchOutcome(
        solution=best[0],
        cost=best[1],
        iterations=total_iterations,
        runtime_s=time.monotonic() - start,
        seed=best[3],
    )


_Job = tuple[float | None, int | None, int, Solution | None]
_Found = tuple[Solution, float, int, int]


@contextmanager
def _pool(data: ProblemData, workers: int) -> Iterator[Callable[[list[_Job]], list[_Found]]]:
    """A function running a list of jobs on ``data``: in-process, or on a process pool."""
    if workers == 1:
        yield lambda jobs: [_run_search(data, *job) for job in jobs]
        return
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=process_context(),
        initializer=_set_worker_data,
        initargs=(data,),
    ) as pool:
        yield lambda jobs: list(pool.map(_run_worker_search, jobs))


_WORKER: dict[str, ProblemData] = {}


def _set_worker_data(data: ProblemData) -> None:
    _WORKER["data"] = data


def _run_worker_search(job: _Job) -> _Found:
    return _run_search(_WORKER["data"], *job)


def process_context() -> multiprocessing.context.BaseContext:
    """Start method for worker processes: fork while single-threaded, else spawn."""
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
