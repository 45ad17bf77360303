"""``gridmgmt db``: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from gridmgmt.cli._app import app, database_url

db_app = typer.Typer(help="Database schema: upgrade and status.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Create the schema or migrate it to the newest revision."""
    from gridmgmt.store.db import current_revision, get_engine, head_revision

    url = database_url(ctx)
    revision = current_revision(get_engine(url))
    console.print(f"schema at revision {revision} (head {head_revision()})")


@db_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the database URL (password hidden) and its schema revision."""
    from gridmgmt.store.db import current_revision, get_engine, head_revision, redacted_url

    url = database_url(ctx)
    console.print(f"database: {redacted_url(url)}")
    console.print(f"revision: {current_revision(get_engine(url))} (head {head_revision()})")
