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
