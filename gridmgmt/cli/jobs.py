"""``gridmgmt jobs ...``: background jobs (后台任务), and the helper commands use to run one.

A command of a long action calls :func:`run_job`: it submits the job and, with ``--wait``
(the default), shows a progress bar until the job ends, returning its view; Ctrl-C cancels
the job. Without a Dask scheduler (``GRIDMGMT_DASK_SCHEDULER``) jobs run in this process,
so ``--no-wait`` needs a scheduler. Heavy modules are imported inside the functions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridmgmt.cli._app import app, database_url, settings

if TYPE_CHECKING:
    from pydantic import BaseModel

    from gridmgmt.config import Settings
    from gridmgmt.jobs import JobView
    from gridmgmt.services.actor import Actor

jobs_app = typer.Typer(
    help="Background jobs (后台任务): list, show and cancel long actions.", no_args_is_help=True
)
app.add_typer(jobs_app, name="jobs")
console = Console()
err = Console(stderr=True)

EXIT_CANCELLED = 130
"""Exit code of a command whose job was cancelled (as for Ctrl-C)."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="Show progress until the job ends (default), or print its id and return "
        "(needs GRIDMGMT_DASK_SCHEDULER: without it jobs run inside this command).",
    ),
]
"""The ``--wait/--no-wait`` option of commands that run a job; pass it to :func:`run_job`."""


def _settings(ctx: typer.Context) -> Settings:
    database_url(ctx)  # brings the schema up to date
    return settings(ctx)


def run_job(
    ctx: typer.Context,
    kind: str,
    params: BaseModel | dict[str, Any],
    *,
    wait: bool = True,
    actor: Actor | None = None,
) -> JobView:
    """Submit the job ``kind`` and, with ``wait``, show its progress until it ends.

    Parameters
    ----------
    ctx
        The command's context (``--db``, settings).
    kind
        A registered job kind; the command's module imports the module registering it.
    params
        The job's parameters.
    wait
        Follow the job with a progress bar (the :data:`WaitOpt` option's value).
    actor
        Who runs it; by default the local administrator (every county).

    Returns
    -------
    JobView
        The succeeded job (``wait``), or the queued one. A failed job raises its error (the
        CLI exits with its kind's code); a cancelled one exits with 130.
    """
    from gridmgmt.errors import InvalidInputError
    from gridmgmt.jobs import submit
    from gridmgmt.services.actor import SYSTEM

    config = _settings(ctx)
    if not wait and not config.dask_scheduler:
        msg = "--no-wait needs a Dask scheduler (GRIDMGMT_DASK_SCHEDULER): jobs run in process"
        raise InvalidInputError(msg)
    view = submit(kind, params, actor=actor or SYSTEM, settings=config)
    if not wait:
        err.print(f"job {view.id} queued: follow it with `gridmgmt jobs show {view.id}`")
        return view
    return follow(view.id, config, actor=actor or SYSTEM, label=kind)


def follow(job_id: str, config: Settings, *, actor: Actor, label: str = "") -> JobView:
    """Show a job's progress bar until it ends; Ctrl-C cancels it. The succeeded view."""
    from gridmgmt.jobs import JobState, cancel_job, error_of, wait

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label or job_id, total=1.0)

        def show(view: JobView) -> None:
            bar.update(task, completed=view.progress, description=view.message or label)

        try:
            view = wait(job_id, settings=config, on_update=show)
        except KeyboardInterrupt:
            bar.update(task, description="cancelling...")
            cancel_job(job_id, actor=actor, settings=config)
            view = wait(job_id, settings=config, timeout_s=30)
    if view.state is JobState.SUCCEEDED:
        return view
    error = error_of(view)
    if error is not None:
        raise error
    err.print(f"job {job_id} was cancelled; nothing was stored")
    raise typer.Exit(EXIT_CANCELLED)


def _table(views: list[JobView]) -> Table:
    table = Table("id", "kind", "counties", "by", "state", "progress", "message", "created")
    for view in views:
        table.add_row(
            view.id,
            view.kind,
            ",".join(view.counties),
            view.requested_by,
            view.state.value,
            f"{view.progress:.0%}",
            view.message or (view.error.message if view.error else ""),
            f"{view.created_at:%Y-%m-%d %H:%M:%S}",
        )
    return table


def _fields(view: JobView) -> list[tuple[str, str]]:
    def when(moment: Any) -> str:
        return "" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"

    return [
        ("id", view.id),
        ("kind", view.kind),
        ("state", view.state.value + (" (cancel asked)" if view.cancel_requested else "")),
        ("progress", f"{view.progress:.0%} {view.message}".rstrip()),
        ("counties", ", ".join(view.counties) or "every county"),
        ("requested by", view.requested_by),
        ("created", when(view.created_at)),
        ("started", when(view.started_at)),
        ("finished", when(view.finished_at)),
    ]


def _print(value: Any) -> None:
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


@jobs_app.command("list")
def list_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="At most this many.")] = 50,
    everyone: Annotated[
        bool, typer.Option("--all", help="Every user's jobs, not only this command line's.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The newest jobs, newest first."""
    from gridmgmt.jobs import list_jobs
    from gridmgmt.services.actor import SYSTEM

    views = list_jobs(actor=SYSTEM, settings=_settings(ctx), limit=limit, everyone=everyone)
    if as_json:
        _print(views)
    else:
        console.print(_table(views))


@jobs_app.command("show")
def show_command(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    as_json: JsonOpt = False,
) -> None:
    """A job's state, progress, result or error."""
    from gridmgmt.jobs import get_job
    from gridmgmt.services.actor import SYSTEM

    view = get_job(job_id, actor=SYSTEM, settings=_settings(ctx))
    if as_json:
        _print(view)
        return
    for name, value in _fields(view):
        console.print(f"[bold]{name}:[/bold] {value}", highlight=False)
    if view.result is not None:
        console.print_json(data=view.result)
    if view.error is not None:
        console.print(f"{view.error.kind}: {view.error.message}", highlight=False)


@jobs_app.command("cancel")
def cancel_command(
    ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job's id.")]
) -> None:
    """Cancel a queued or running job (it stores nothing); exit 5 if it has ended."""
    from gridmgmt.jobs import cancel_job
    from gridmgmt.services.actor import SYSTEM

    view = cancel_job(job_id, actor=SYSTEM, settings=_settings(ctx))
    state = "cancelled" if view.state.finished else "asked to stop"
    console.print(f"job {view.id}: {state}", highlight=False)
