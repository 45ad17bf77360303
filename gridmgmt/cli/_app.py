"""The root typer application and its global options."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="gridmgmt",
    help="Grid management, delivery routes and case links for county tobacco monopoly bureaus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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


def database_url(ctx: typer.Context) -> str:
    """The database URL for this invocation: ``--db``, else the settings' default.

    The schema is brought up to date first, so every command can rely on it.
    """
    from gridmgmt.config import get_settings
    from gridmgmt.store.db import upgrade

    url = (ctx.find_root().obj or {}).get("db") or get_settings().database_url
    upgrade(url)
    return url
