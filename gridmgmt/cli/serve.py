"""``gridmgmt serve``: the web app (JSON API, docs, login, map pages) on uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, database_url, settings

if TYPE_CHECKING:
    from gridmgmt.services.users import DemoUser

console = Console()


def prepare_demo(url: str, demo_dir: Path) -> list[DemoUser]:
    """Load the demo region from ``demo_dir`` if the database holds no counties, then make
    the demo users.

    Returns
    -------
    list of DemoUser
        The demo logins with their freshly generated passwords.
    """
    from gridmgmt.services import records
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.users import ensure_demo_users
    from gridmgmt.store import db

    with db.transaction(url) as session:
        empty = not records.county_codes(session, SYSTEM)
    if empty:
        from gridmgmt.demo.region import load_demo_data

        with console.status("loading the demo region") as status:
            load_demo_data(url, demo_dir, on_step=lambda text: status.update(text))
    with db.transaction(url) as session:
        return ensure_demo_users(session)


def demo_users_table(users: list[DemoUser]) -> Table:
    """The demo logins as a table to print once at start."""
    from gridmgmt.services.users import describe_role

    table = Table("username", "password", "role", "counties", title="demo users 演示账户")
    for user in users:
        table.add_row(
            user.username, user.password, describe_role(user.role), " ".join(user.counties)
        )
    return table


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the demo region if the database is empty and create demo users with "
            "random passwords (printed here).",
        ),
    ] = False,
) -> None:
    """Start the web app: JSON API under /api/v1, docs at /docs, the map at /map."""
    import uvicorn

    from api.main import create_app

    settings(ctx).require_secret_for(host)  # a network address needs GRIDMGMT_SECRET_KEY
    url = database_url(ctx)
    config = settings(ctx).model_copy(update={"database_url": url})
    if demo:
        console.print(demo_users_table(prepare_demo(url, config.demo_dir)))
    console.print(f"gridmgmt on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(config), host=host, port=port)
