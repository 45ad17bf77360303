"""``gridmgmt batch run``: a province's batch work on Dask (批量计算), with a progress bar.

Without ``--scheduler`` (or ``GRIDMGMT_DASK_SCHEDULER``) the command starts a local Dask
cluster of ``--workers`` processes of one thread each on the loopback address, and stops it
at the end; with one, the tasks go to that scheduler's workers, which need gridmgmt, the
same database (PostgreSQL, or a SQLite file on a shared disk) and the roads file at the same
path. Each task is one transaction: a failed one stores nothing. The command exits 0 when
every task succeeded and :data:`EXIT_TASKS_FAILED` when some failed (the table names them).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from gridmgmt.cli._app import app, database_url, settings
from gridmgmt.errors import InvalidInputError
from gridmgmt.jobs.cluster import HTTP_ADDRESS, client_for

if TYPE_CHECKING:
    from distributed import Client

    from gridmgmt.services.batch import BatchReport, TaskOutcome

batch_app = typer.Typer(
    help="Batch runs on Dask over many counties: grids, delivery days and weeks, case links.",
    no_args_is_help=True,
)
app.add_typer(batch_app, name="batch")
console = Console()
err = Console(stderr=True)

EXIT_TASKS_FAILED: Final = 7
"""Exit code when the batch ran but some of its tasks failed."""
ALL_PARTS: Final = "grids,days,weeks,cases"
DATE_FORMAT: Final = "%Y-%m-%d"


def _parts(text: str) -> tuple[str, ...]:
    from gridmgmt.services.batch import BatchPart

    names = [part.strip() for part in text.split(",") if part.strip()]
    known = {part.value for part in BatchPart}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        msg = f"--parts: {', '.join(unknown) or 'nothing'} given; choose from {ALL_PARTS}"
        raise InvalidInputError(msg, [{"field": "parts", "message": msg}])
    return tuple(part.value for part in BatchPart if part.value in names)


@contextmanager
def dask_client(address: str | None, workers: int) -> Iterator[Client]:
    """A client of the scheduler at ``address``, else of a local cluster of ``workers``
    processes (one thread each, loopback only), closed at the end."""
    if address:
        yield client_for(address)
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=HTTP_ADDRESS,  # two batches on one machine never clash
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _table(report: BatchReport) -> Table:
    table = Table("part", "tasks", "ok", "failed", "total s", "max s", title="batch by part")
    for part, totals in report.by_part().items():
        table.add_row(
            part.value,
            str(totals.count),
            str(totals.ok),
            str(totals.failed),
            f"{totals.total_seconds:.1f}",
            f"{totals.max_seconds:.1f}",
        )
    return table


def _failures(report: BatchReport) -> Table:
    table = Table("task", "attempts", "message", title="failed tasks", title_justify="left")
    for outcome in report.failed:
        table.add_row(outcome.task.key, str(outcome.attempts), outcome.message)
    return table


@batch_app.command("run")
def run_command(
    ctx: typer.Context,
    parts: Annotated[
        str, typer.Option("--parts", help=f"Parts to run, comma-separated: {ALL_PARTS}.")
    ] = ALL_PARTS,
    day: Annotated[
        dt.datetime | None,
        typer.Option(
            "--day",
            formats=[DATE_FORMAT],
            help="Delivery day of every depot (default: its county's first order date).",
        ),
    ] = None,
    week_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--week-of",
            formats=[DATE_FORMAT],
            help="Any date of the week to plan (default: the day's).",
        ),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=0.1,
            help="Solver seconds per solve (a day; each day of a week), at most the "
            "max_solver_seconds setting.",
        ),
    ] = 10.0,
    max_iterations: Annotated[
        int | None,
        typer.Option("--max-iterations", min=1, help="Iteration bound of each route search."),
    ] = None,
    retailers_per_grid: Annotated[
        int,
        typer.Option(
            "--retailers-per-grid", min=1, help="Retailers to visit per grid (the grid count)."
        ),
    ] = 120,
    county: Annotated[
        list[str] | None,
        typer.Option("--county", help="A county to run (repeatable; default: every county)."),
    ] = None,
    roads: Annotated[
        Path | None,
        typer.Option(
            "--roads", help="OSM road network for routes, at the same path on every worker."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Design counties that have grids again.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of designs and searches.")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: "
            "$GRIDMGMT_DASK_SCHEDULER; none: a local cluster).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, help="Worker processes of the local cluster."),
    ] = max(1, os.cpu_count() or 1),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run grid designs, delivery days and weeks and the case-link graph as Dask tasks."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.batch import (
        BatchOptions,
        BatchPart,
        batch_tasks,
        require_shared_database,
        run_batch,
    )
    from gridmgmt.store import db

    config = settings(ctx)
    require_shared_database(config.database_url)
    url = database_url(ctx)
    options = BatchOptions(
        parts=tuple(BatchPart(part) for part in _parts(parts)),
        day=None if day is None else day.date(),
        week_of=None if week_of is None else week_of.date(),
        time_limit=time_limit,
        max_iterations=max_iterations,
        retailers_per_grid=retailers_per_grid,
        roads=roads,
        counties=tuple(county or ()),
        replace_grids=replace,
        seed=seed,
    )
    capped = options.capped(config)
    if capped.time_limit < options.time_limit:
        err.print(f"note: --time-limit capped at {capped.time_limit:g} s (max_solver_seconds)")
    with db.transaction(url, busy_timeout_ms=config.sqlite_busy_timeout_ms) as session:
        tasks = batch_tasks(session, SYSTEM, capped)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        dask_client(scheduler or config.dask_scheduler, workers) as client,
        Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar,
    ):
        shown = bar.add_task("batch", total=len(tasks))

        def progress(done: int, _total: int, outcome: TaskOutcome) -> None:
            state = "done" if outcome.ok else "FAILED"
            bar.update(shown, completed=done, description=f"{outcome.task.key} {state}")

        report = run_batch(url, SYSTEM, tasks, capped, client, progress=progress)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        console.print(_table(report))
        if report.failed:
            console.print(_failures(report))
        console.print(f"{len(report.outcomes)} tasks in {report.wall_seconds:.1f} s")
    if report.failed:
        raise typer.Exit(EXIT_TASKS_FAILED)
