"""Imports every command module so that each registers its group on the root app.

Each module adds its commands or its group to :data:`gridmgmt.cli._app.app` when imported.
"""

from gridmgmt.cli import (  # noqa: F401
    backup,
    cases,
    data,
    db,
    demo,
    federation,
    grids,
    jobs,
    routes,
    rules,
    serve,
    users,
)
from gridmgmt.cli._app import app

app.add_typer(routes.app, name="routes")
