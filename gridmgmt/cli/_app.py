"""The root typer application, its global options, and the CLI's one error wrapper.

Every command runs inside :class:`ReportingGroup`, which maps the error family to exit codes
(:mod:`gridmgmt.errors`: 2 invalid input, 3 not found, 4 access denied, 5 conflict,
6 unavailable) with a one-line message on stderr; an unexpected error (a bug) prints a short
message naming a log file with the traceback and exits 1. Commands open their unit of work
with :func:`unit_of_work`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gridmgmt.cli.commands import LazyCommands
from gridmgmt.errors import EXIT_UNEXPECTED, GridmgmtError, InvalidInputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gridmgmt.config import Settings

DEBUG_ENV = "GRIDMGMT_DEBUG"
"""Set to 1 to let unexpected errors raise with their traceback (for developers)."""


def report_error(error: GridmgmtError) -> None:
    """Print a service error as users see it: one line, then its problems, on stderr.

    Problems in input files are listed compiler-style instead (``FILE:ROW: FIELD: MESSAGE``,
    one a line, which editors can jump to), with the summary last.
    """
    problems = getattr(error, "problems", None) or []
    if problems and all(problem.get("file") for problem in problems):
        for problem in problems:
            row = "" if problem.get("row") is None else f"{problem['row']}:"
            field = f" {problem['field']}:" if problem.get("field") else ""
            typer.echo(f"{problem['file']}:{row}{field} {problem.get('message', '')}", err=True)
        typer.echo(error.message, err=True)
        return
    typer.echo(f"error: {error.message}", err=True)
    for problem in problems:
        where = ", ".join(
            f"{key} {problem[key]}" for key in ("file", "row", "field") if problem.get(key)
        )
        typer.echo(f"  {where + ': ' if where else ''}{problem.get('message', '')}", err=True)


def _log_unexpected(error: BaseException) -> Path:
    path = Path(tempfile.gettempdir()) / f"gridmgmt-error-{os.getpid()}.log"
    path.write_text(
        "".join(traceback.format_exception(error)) + f"argv: {sys.argv}\n", encoding="utf-8"
    )
    return path


class ReportingGroup(LazyCommands):
    """The root group: runs a command and turns errors into messages and exit codes.

    Its commands are imported on first use (:class:`gridmgmt.cli.commands.LazyCommands`).
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except GridmgmtError as error:
            report_error(error)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as error:
            if os.environ.get(DEBUG_ENV) == "1":
                raise
            log = _log_unexpected(error)
            typer.echo(
                f"error: unexpected {type(error).__name__}: {error} "
                f"(a bug; the traceback is in {log})",
                err=True,
            )
            raise typer.Exit(EXIT_UNEXPECTED) from None


app = typer.Typer(
    name="gridmgmt",
    help="Grid management, delivery routes and case links for county tobacco monopoly bureaus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=ReportingGroup,
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: $GRIDMGMT_DATABASE_URL or sqlite:///gridmgmt.db).",
            envvar="GRIDMGMT_DATABASE_URL",
        ),
    ] = None,
) -> None:
    ctx.obj = {"db": db}


def settings(ctx: typer.Context) -> Settings:
    """The settings of this invocation: the environment's, with ``--db`` applied.

    Services get what they need from here (the roads file, the demo folder), never from a
    process-wide read of their own.
    """
    from gridmgmt.config import get_settings

    base = get_settings()
    url = (ctx.find_root().obj or {}).get("db")
    return base.model_copy(update={"database_url": url}) if url else base


def database_url(ctx: typer.Context) -> str:
    """The database URL for this invocation: ``--db``, else the settings' default.

    The schema is brought up to date first, so every command can rely on it.
    """
    from gridmgmt.store.db import upgrade

    url = settings(ctx).database_url
    upgrade(url)
    return url


@contextmanager
def unit_of_work(ctx: typer.Context) -> Iterator[Session]:
    """The command's one transaction: committed when the block ends, rolled back on error.

    Errors are reported by :class:`ReportingGroup`; a missing input file is invalid input.
    """
    from gridmgmt.store import db

    try:
        timeout = settings(ctx).sqlite_busy_timeout_ms
        with db.transaction(database_url(ctx), busy_timeout_ms=timeout) as session:
            yield session
    except FileNotFoundError as error:
        raise InvalidInputError(f"file not found: {error.filename or error}") from None
