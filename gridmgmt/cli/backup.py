"""``gridmgmt backup FILE`` and ``gridmgmt restore FILE``: the whole database in one file.

SQLite uses its online backup (the app may keep running); PostgreSQL uses pg_dump -Fc and
pg_restore (the client tools must be on PATH). A restore goes only into an empty database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gridmgmt.cli._app import app, settings

console = Console()


def _report(verb: str, path: Path, size: int, tables: dict[str, int]) -> None:
    rows = sum(tables.values())
    console.print(f"{verb} {path} ({size:,} bytes): {len(tables)} tables, {rows:,} rows")


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Back up the whole database to FILE (SQLite online backup; PostgreSQL pg_dump -Fc)."""
    from gridmgmt.services.backup import backup

    done = backup(settings(ctx).database_url, file, overwrite=force)
    _report("backed up to", done.path, done.size_bytes, done.tables)


@app.command("restore")
def restore_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by `gridmgmt backup`.")],
) -> None:
    """Restore FILE into the database given by --db, which must be empty."""
    from gridmgmt.services.backup import restore

    done = restore(settings(ctx).database_url, file)
    _report("restored from", done.path, done.size_bytes, done.tables)
