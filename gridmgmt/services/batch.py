"""Batch runs over a province on Dask distributed (批量计算): grids, delivery days and weeks,
the case-link graph.

:func:`batch_tasks` lists the work for an administrator: a grid design per county
(``grids``), a delivery day per depot (``days``), a week per depot (``weeks``, run after that
depot's day) and the case-link graph over all counties (``cases``). :func:`run_task` runs one
task in its own transaction against the shared database, reusing the services the faces use,
so a task that fails or whose worker is killed leaves nothing half written. :func:`run_batch`
submits every task to a Dask client (``retries=2``) and reports each as it completes.

A task that meets bad data (a :class:`~gridmgmt.errors.GridmgmtError`) ends as a failed
outcome and is not retried; any other exception (a lost database, a bug, a lost worker)
propagates, so Dask runs the task again. A busy or lost database
(:class:`~gridmgmt.errors.UnavailableError`) is retried too.

Workers reach the database by its URL: a SQLite file on a disk they share, or PostgreSQL;
never a SQLite in-memory database (each worker process would get its own, empty).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gridmgmt.domain import RetailerStatus
from gridmgmt.errors import GridmgmtError, InvalidInputError, NotFoundError, UnavailableError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases.network_jobs import build_networks
from gridmgmt.services.grids import check_design, design_county_grids
from gridmgmt.services.records import county_codes
from gridmgmt.services.routes.requests import PlanRequest, WeekRequest
from gridmgmt.services.routes.stored import plan_and_store_day, plan_and_store_week
from gridmgmt.store import db
from gridmgmt.store.models import Depot, Order, Retailer

if TYPE_CHECKING:
    from distributed import Client, Future

    from gridmgmt.config import Settings

__all__ = [
    "RETRIES",
    "BatchOptions",
    "BatchPart",
    "BatchReport",
    "BatchTask",
    "PartTotals",
    "TaskOutcome",
    "batch_tasks",
    "grid_count",
    "require_shared_database",
    "run_batch",
    "run_task",
]

RETRIES: Final = 2
"""Dask retries of a task that raised outside the domain (3 attempts in all)."""
DEFAULT_RETAILERS_PER_GRID: Final = 120
DEFAULT_TIME_LIMIT_S: Final = 10.0


class BatchPart(StrEnum):
    """The parts of a batch run, in the order they are listed and submitted."""

    GRIDS = "grids"
    DAYS = "days"
    WEEKS = "weeks"
    CASES = "cases"


@dataclass(frozen=True)
class BatchOptions:
    """What a batch run does and how hard each solve may try.

    Parameters
    ----------
    parts
        The parts to run.
    day
        The delivery day of every depot; None: the first order date of its county.
    week_of
        Any date of the week planned for every depot; None: the week of its day.
    time_limit
        Solver seconds per solve (a day, each day of a week), capped by the deployment's
        ``max_solver_seconds`` (:meth:`capped`).
    retailers_per_grid
        Retailers to visit per grid: a county's grid count is its retailers to visit over
        this, at least one (:func:`grid_count`).
    max_iterations
        Iteration bound of each route search; None: the time limit ends it.
    roads
        OSM road network of the region for routes; every worker must see this path.
    counties
        The counties to run (grids, depots); empty: every county of the actor.
    replace_grids
        Design counties that have grids again (locked grids are kept); without it such a
        county's task fails with a conflict and changes nothing.
    seed
        Seed of the grid designs and route searches.
    max_grids
        Most grids one design may have (the ``max_grids`` setting).
    """

    parts: tuple[BatchPart, ...] = tuple(BatchPart)
    day: dt.date | None = None
    week_of: dt.date | None = None
    time_limit: float = DEFAULT_TIME_LIMIT_S
    retailers_per_grid: int = DEFAULT_RETAILERS_PER_GRID
    max_iterations: int | None = None
    roads: Path | None = None
    counties: tuple[str, ...] = ()
    replace_grids: bool = False
    seed: int = 0
    max_grids: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.parts:
            problems.append(("parts", "give at least one part"))
        if not self.time_limit > 0:
            problems.append(("time_limit", f"must be positive, not {self.time_limit}"))
        if self.retailers_per_grid < 1:
            problems.append(("retailers_per_grid", "must be at least 1"))
        if self.max_iterations is not None and self.max_iterations < 1:
            problems.append(("max_iterations", "must be at least 1"))
        if problems:
            msg = "; ".join(f"{name}: {message}" for name, message in problems)
            raise InvalidInputError(msg, [{"field": n, "message": m} for n, m in problems])

    def capped(self, settings: Settings) -> BatchOptions:
        """These options within the deployment's limits: the time limit at most
        ``max_solver_seconds``, ``max_grids`` from the settings, the settings' roads file
        when none was given."""
        from gridmgmt.services.routes.planning import roads_file

        return replace(
            self,
            time_limit=min(self.time_limit, settings.max_solver_seconds),
            max_grids=settings.max_grids if self.max_grids is None else self.max_grids,
            roads=self.roads or roads_file(settings),
        )


@dataclass(frozen=True)
class BatchTask:
    """One task of a batch: a part, what it is for and who runs it.

    ``county_code`` is set for every task but ``cases``; ``depot_code`` and ``date`` (the
    day, or the date whose week is planned) for ``days`` and ``weeks``.
    """

    part: BatchPart
    actor: Actor
    county_code: str | None = None
    depot_code: str | None = None
    date: dt.date | None = None

    @property
    def key(self) -> str:
        """A readable name, unique in a batch: ``grids:150924``, ``days:D150924@2026-11-16``."""
        if self.part is BatchPart.CASES:
            return "cases"
        if self.depot_code is None:
            return f"{self.part.value}:{self.county_code}"
        when = "" if self.date is None else f"@{self.date.isoformat()}"
        return f"{self.part.value}:{self.depot_code}{when}"


@dataclass(frozen=True)
class TaskOutcome:
    """How a task ended: ok or failed, its seconds (the last attempt), a message, the
    attempts Dask made, and the task's figures (grids, km, networks...)."""

    task: BatchTask
    ok: bool
    seconds: float
    message: str
    attempts: int = 1
    figures: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The outcome as one JSON object."""
        return {
            "task": self.task.key,
            "part": self.task.part.value,
            "county_code": self.task.county_code,
            "depot_code": self.task.depot_code,
            "date": None if self.task.date is None else self.task.date.isoformat(),
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
            "message": self.message,
            "figures": dict(self.figures),
        }


@dataclass(frozen=True)
class PartTotals:
    """One part's tasks: how many, ok and failed, total and largest seconds."""

    count: int
    ok: int
    failed: int
    total_seconds: float
    max_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "ok": self.ok,
            "failed": self.failed,
            "total_s": round(self.total_seconds, 3),
            "max_s": round(self.max_seconds, 3),
        }


@dataclass(frozen=True)
class BatchReport:
    """Every task's outcome (in task order) and the wall seconds of the whole run."""

    outcomes: list[TaskOutcome]
    wall_seconds: float

    @property
    def failed(self) -> list[TaskOutcome]:
        """The outcomes that failed."""
        return [outcome for outcome in self.outcomes if not outcome.ok]

    def by_part(self) -> dict[BatchPart, PartTotals]:
        """Totals per part, in part order (parts without tasks are left out)."""
        totals = {}
        for part in BatchPart:
            mine = [o for o in self.outcomes if o.task.part is part]
            if not mine:
                continue
            seconds = [o.seconds for o in mine]
            ok = sum(o.ok for o in mine)
            totals[part] = PartTotals(len(mine), ok, len(mine) - ok, sum(seconds), max(seconds))
        return totals

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object: wall seconds, totals by part, every outcome."""
        return {
            "wall_s": round(self.wall_seconds, 3),
            "tasks": len(self.outcomes),
            "failed": len(self.failed),
            "by_part": {part.value: t.to_json() for part, t in self.by_part().items()},
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
        }


def require_shared_database(url: str) -> None:
    """Refuse a database Dask workers cannot share: SQLite in memory.

    Raises
    ------
    InvalidInputError
        The URL is a SQLite in-memory database.
    """
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = (
        database in {"", ":memory:"}
        or database.startswith("file::memory:")
        or parsed.query.get("mode") == "memory"
    )
    if parsed.get_backend_name() == "sqlite" and in_memory:
        msg = (
            f"{db.redacted_url(url)} is a SQLite database in memory: Dask workers need a "
            "shared file (sqlite:///path/on/a/shared/disk.db) or PostgreSQL"
        )
        raise InvalidInputError(msg, [{"field": "database_url", "message": msg}])


# --- listing ---------------------------------------------------------------------------------


def grid_count(session: Session, county: str, retailers_per_grid: int) -> int:
    """The grids a batch designs for a county: retailers to visit (not closed) over
    ``retailers_per_grid``, rounded, at least one."""
    to_visit = select(func.count(Retailer.id)).where(
        Retailer.county_code == county, Retailer.status != RetailerStatus.CLOSED
    )
    return max(1, round(int(session.scalar(to_visit) or 0) / retailers_per_grid))


def _counties(session: Session, actor: Actor, wanted: Sequence[str]) -> list[str]:
    mine = county_codes(session, actor)
    if not wanted:
        return mine
    for code in wanted:
        if code not in mine:
            raise NotFoundError("county", code)
    return sorted(set(wanted))


def _first_order_dates(session: Session, counties: list[str]) -> dict[str, dt.date]:
    stmt = (
        select(Order.county_code, func.min(Order.order_date))
        .where(Order.county_code.in_(counties))
        .group_by(Order.county_code)
    )
    return {str(code): day for code, day in session.execute(stmt)}


def _depots(session: Session, counties: list[str]) -> list[tuple[str, str]]:
    stmt = select(Depot.code, Depot.county_code).where(Depot.county_code.in_(counties))
    return [(str(code), str(county)) for code, county in session.execute(stmt.order_by(Depot.code))]


def _check_roads(options: BatchOptions) -> None:
    routes = {BatchPart.DAYS, BatchPart.WEEKS} & set(options.parts)
    if routes and (options.roads is None or not Path(options.roads).is_file()):
        msg = f"road network file {options.roads} does not exist (needed for days and weeks)"
        raise InvalidInputError(msg, [{"field": "roads", "message": msg}])


@requires(Action.RUN_BATCH)
def batch_tasks(session: Session, actor: Actor, options: BatchOptions) -> list[BatchTask]:
    """The tasks of a batch run for ``actor``, by part: grids, days, weeks, cases.

    Grids: one design per county. Days: one per depot, on ``options.day`` or else the first
    order date of the depot's county (a depot whose county has no orders then gets no day
    and no week). Weeks: one per depot, the week of ``options.week_of`` or of its day; it
    runs after that depot's day (:func:`run_batch`). Cases: one task over all counties.

    Raises
    ------
    NotFoundError
        A county of ``options.counties`` does not exist or is not the actor's.
    InvalidInputError
        Days or weeks are asked for and the road network file does not exist.
    """
    counties = _counties(session, actor, options.counties)
    _check_roads(options)
    parts = set(options.parts)
    tasks = [BatchTask(BatchPart.GRIDS, actor, county_code=c) for c in counties]
    tasks = tasks if BatchPart.GRIDS in parts else []
    firsts = _first_order_dates(session, counties)
    depots = [
        (code, county, options.day or firsts.get(county))
        for code, county in _depots(session, counties)
    ]
    routed = [(code, county, day) for code, county, day in depots if day is not None]
    if BatchPart.DAYS in parts:
        tasks += [BatchTask(BatchPart.DAYS, actor, c, d, day) for d, c, day in routed]
    if BatchPart.WEEKS in parts:
        tasks += [
            BatchTask(BatchPart.WEEKS, actor, c, d, options.week_of or day) for d, c, day in routed
        ]
    if BatchPart.CASES in parts:
        tasks.append(BatchTask(BatchPart.CASES, actor))
    return tasks


# --- one task --------------------------------------------------------------------------------

Figures = dict[str, Any]


def _design(session: Session, task: BatchTask, options: BatchOptions) -> Figures:
    county = str(task.county_code)
    n_grids = grid_count(session, county, options.retailers_per_grid)
    if options.max_grids is not None:
        n_grids = min(n_grids, options.max_grids)
    settings: dict[str, Any] = {
        "n_grids": n_grids,
        "replace": options.replace_grids,
        "max_grids": options.max_grids,
    }
    check_design(session, task.actor, county, **settings)
    design = design_county_grids(session, task.actor, county, seed=options.seed, **settings)
    report = design.report
    return {
        "grids": report.n_grids,
        "retailers": len(design.assignment),
        "max_deviation": round(float(report.max_deviation), 4),
        "within_tolerance": bool(report.within_tolerance),
    }


def _solver(options: BatchOptions) -> dict[str, Any]:
    return {
        "time_limit": options.time_limit,
        "max_iterations": options.max_iterations,
        "seed": options.seed,
    }


def _roads(options: BatchOptions) -> Path:
    if options.roads is None:
        msg = "no road network file given for days and weeks"
        raise InvalidInputError(msg, [{"field": "roads", "message": msg}])
    return Path(options.roads)


def _day(session: Session, task: BatchTask, options: BatchOptions) -> Figures:
    request = PlanRequest.of(depot_code=task.depot_code, date=task.date, **_solver(options))
    stored = plan_and_store_day(session, task.actor, request, roads=_roads(options))
    version = stored.version
    return {
        "version": version.version,
        "km": round(version.km, 1),
        "vehicles": version.vehicles,
        "orders_served": version.orders_served,
        "orders_unserved": version.orders_unserved,
    }


def _week(session: Session, task: BatchTask, options: BatchOptions) -> Figures:
    request = WeekRequest.of(depot_code=task.depot_code, week_of=task.date, **_solver(options))
    stored = plan_and_store_week(session, task.actor, request, roads=_roads(options))
    versions = stored.versions.values()
    return {
        "days": len(stored.versions),
        "km": round(sum(v.km for v in versions), 1),
        "orders_served": sum(v.orders_served for v in versions),
        "orders_unserved": sum(v.orders_unserved for v in versions),
    }


def _cases(session: Session, task: BatchTask, _options: BatchOptions) -> Figures:
    built = build_networks(session, task.actor)
    return built.model_dump()


_RUNNERS: Final[dict[BatchPart, Callable[[Session, BatchTask, BatchOptions], Figures]]] = {
    BatchPart.GRIDS: _design,
    BatchPart.DAYS: _day,
    BatchPart.WEEKS: _week,
    BatchPart.CASES: _cases,
}


def run_task(
    url: str, task: BatchTask, options: BatchOptions, after: TaskOutcome | None = None
) -> TaskOutcome:
    """Run one task in its own transaction on the database at ``url`` (a Dask task).

    Everything the task writes commits together at its end, or not at all. ``after`` is
    the outcome of the task this one waits for (a week waits for its depot's day); Dask
    passes it once that task is done.

    Returns
    -------
    TaskOutcome
        Ok with the task's figures, or failed with the message of the domain error
        (:class:`~gridmgmt.errors.GridmgmtError`) that stopped it; the attempts are filled
        in by :func:`run_batch`.

    Raises
    ------
    UnavailableError
        The database was busy or lost (Dask retries the task).
    Exception
        Anything else that is not a domain error (Dask retries the task).
    """
    del after  # only orders the tasks
    started = time.perf_counter()
    try:
        with db.transaction(url) as session:
            figures = _RUNNERS[task.part](session, task, options)
    except UnavailableError:
        raise
    except GridmgmtError as error:
        message = f"{error.kind}: {error.message}"
        return TaskOutcome(task, ok=False, seconds=time.perf_counter() - started, message=message)
    seconds = time.perf_counter() - started
    return TaskOutcome(task, ok=True, seconds=seconds, message="", figures=figures)


# --- the whole batch -------------------------------------------------------------------------

Progress = Callable[[int, int, TaskOutcome], None]


def _attempts_left(keys: list[str], dask_scheduler: Any = None) -> dict[str, int]:
    """On the scheduler: the retries each task has left (Dask counts them down)."""
    tasks = dask_scheduler.tasks
    return {key: tasks[key].retries for key in keys if key in tasks}


def _attempts(client: Client, future: Future[TaskOutcome]) -> int:
    left = client.run_on_scheduler(_attempts_left, [future.key])  # type: ignore[no-untyped-call]
    return 1 + RETRIES - int(left.get(future.key, RETRIES))


def _outcome(
    client: Client,
    future: Future[TaskOutcome],
    task: BatchTask,
    after: tuple[BatchTask, Future[TaskOutcome]] | None,
) -> TaskOutcome:
    if future.status == "finished":
        return replace(future.result(), attempts=_attempts(client, future))
    if after is not None and after[1].status == "error":
        message = f"not run: {after[0].key}, which it waits for, failed"
        return TaskOutcome(task, ok=False, seconds=0.0, message=message, attempts=0)
    attempts = _attempts(client, future)
    error = future.exception()
    message = f"failed after {attempts} attempts: {type(error).__name__}: {error}"
    return TaskOutcome(task, ok=False, seconds=0.0, message=message, attempts=attempts)


@requires(Action.RUN_BATCH)
def run_batch(
    url: str,
    actor: Actor,
    tasks: Sequence[BatchTask],
    options: BatchOptions,
    client: Client,
    progress: Progress | None = None,
) -> BatchReport:
    """Run ``tasks`` on the Dask cluster of ``client``; report every outcome.

    Each task is :func:`run_task` submitted with ``retries=2`` (``pure=False``); a week
    waits for its depot's day. ``progress(done, total, outcome)`` is called as each task
    completes. A task that failed even after its retries is reported as failed, and the
    others still run (but a week whose day failed so is not run: attempts 0).

    Raises
    ------
    InvalidInputError
        The database is one the workers cannot share (SQLite in memory).
    """
    require_shared_database(url)
    from distributed import as_completed

    started = time.perf_counter()
    submitted: dict[Any, tuple[int, BatchTask]] = {}
    days: dict[str | None, tuple[BatchTask, Future[TaskOutcome]]] = {}
    waits: dict[Any, tuple[BatchTask, Future[TaskOutcome]]] = {}
    futures = []
    for index, task in enumerate(tasks):
        day = days.get(task.depot_code) if task.part is BatchPart.WEEKS else None
        future = client.submit(
            run_task,
            url,
            task,
            options,
            None if day is None else day[1],
            key=f"gridmgmt-batch-{task.key}-{index}-{time.time_ns()}",
            retries=RETRIES,
            pure=False,
        )
        if task.part is BatchPart.DAYS:
            days[task.depot_code] = (task, future)
        if day is not None:
            waits[future.key] = day
        submitted[future.key] = (index, task)
        futures.append(future)
    outcomes: list[TaskOutcome | None] = [None] * len(futures)
    for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):
        index, task = submitted[future.key]
        outcome = _outcome(client, future, task, waits.get(future.key))
        outcomes[index] = outcome
        if progress is not None:
            progress(done, len(futures), outcome)
    wall = time.perf_counter() - started
    return BatchReport([o for o in outcomes if o is not None], wall)
