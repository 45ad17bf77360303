"""Imports every command module so that each registers its group on the root app."""

from gridmgmt.cli import data  # noqa: F401
from gridmgmt.cli import db, demo  # noqa: F401
from gridmgmt.cli import serve, users  # noqa: F401
from gridmgmt.cli import routes
from gridmgmt.cli._app import app

app.add_typer(routes.app, name="routes")
