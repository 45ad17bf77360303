"""``gridmgmt import`` and ``gridmgmt export``: files in, files out."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.io.schemas import import_kinds

PROGRESS_THRESHOLD_ROWS = 5_000
"""Imports of at least this many rows show a progress bar (they take over a second)."""

_KINDS = ", ".join([*import_kinds(), "cases"])


class _ProgressBar:
    """A rich progress bar on stderr, shown only once an import turns out to be long."""

    def __init__(self, console: Console, description: str) -> None:
        self.console = console
        self.description = description
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.progress is None:
            if total < PROGRESS_THRESHOLD_ROWS:
                return
            self.progress = Progress(
                "{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=total)
        assert self.task is not None
        self.progress.update(self.task, completed=done, total=total)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()


@app.command("import")
def import_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"What the file holds: {_KINDS}.")],
    file: Annotated[Path, typer.Argument(help="CSV, Excel, GeoJSON, GeoPackage or Shapefile.")],
    crs: Annotated[
        str,
        typer.Option(
            "--crs",
            help="Coordinate system of the file: wgs84, gcj02 (Amap, Tencent), bd09 (Baidu) "
            "or cgcs2000.",
        ),
    ] = "wgs84",
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Text encoding of a file that is not UTF-8, e.g. gb18030."),
    ] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="GeoPackage layer to read.")] = None,
) -> None:
    """Import FILE as rows of KIND: all or nothing, upserting on each kind's natural key.

    Every problem is listed with its file, row and field, and the exit code is 2.
    """
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.imports import ImportReport

    with (
        _ProgressBar(Console(stderr=True), f"importing {kind}") as progress,
        unit_of_work(ctx) as session,
    ):
        if kind == "cases":  # JSON or CSV of cases and their entities
            from gridmgmt.services.cases import import_cases

            cases_report = import_cases(session, SYSTEM, file, crs=crs)
            report = ImportReport(**cases_report.model_dump())
        else:
            from gridmgmt.services.imports import import_file

            report = import_file(
                session,
                SYSTEM,
                kind,
                file,
                crs=crs,
                progress=progress,
                encoding=encoding,
                layer=layer,
            )
    typer.echo(
        f"{report.kind} from {report.file} ({report.crs}): {report.rows} rows, "
        f"inserted {report.inserted}, updated {report.updated}, unchanged {report.unchanged}"
    )
    if report.ignored_columns:
        typer.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command("export")
def export_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"What to export: {_KINDS}.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="geojson, csv or gpkg (default: from the -o suffix, else geojson).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: KIND.FORMAT).")
    ] = None,
) -> None:
    """Export every stored row of KIND in WGS-84 with all attributes."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.exports import SUFFIXES, default_output, export_kind

    if fmt is None:
        by_suffix = {suffix: name for name, suffix in SUFFIXES.items()}
        fmt = by_suffix.get(output.suffix.lower(), "geojson") if output else "geojson"
    out = output or default_output(kind, fmt)
    with unit_of_work(ctx) as session:
        path = export_kind(session, SYSTEM, kind, fmt=fmt, out=out)
    typer.echo(f"wrote {path}")
