"""Which module makes each command, and the root group that imports them on first use.

``gridmgmt --help`` lists every command from :data:`COMMANDS` without importing a command
module; a command's module is imported when the command runs or shows its own help, so the
CLI starts with typer alone and each command loads only the libraries it needs.

A command module registers its commands on :data:`gridmgmt.cli._app.app` when imported
(``@app.command`` or ``app.add_typer``); one that only defines its own ``typer.Typer``
names it in :attr:`CommandSource.typer_attr` and is registered here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING

import typer
from typer._click.exceptions import UsageError  # typer's own click; no public name
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer import _click

__all__ = ["COMMANDS", "CommandSource", "LazyCommands", "load_all", "load_command"]


@dataclass(frozen=True)
class CommandSource:
    """A root command: its name, the module that makes it and its one-line help.

    Attributes
    ----------
    name
        The command as typed (``gridmgmt NAME``).
    module
        The module that registers it when imported.
    help
        The first paragraph of its help, shown by ``gridmgmt --help`` (a test checks it
        against the module's own).
    typer_attr
        A module-level ``typer.Typer`` to register under ``name``, for a module that does
        not register itself.
    """

    name: str
    module: str
    help: str
    typer_attr: str | None = None


COMMANDS: tuple[CommandSource, ...] = (
    CommandSource(
        "import",
        "gridmgmt.cli.data",
        "Import FILE as rows of KIND: all or nothing, upserting on each kind's natural key.",
    ),
    CommandSource(
        "export",
        "gridmgmt.cli.data",
        "Export every stored row of KIND in WGS-84 with all attributes.",
    ),
    CommandSource(
        "demo",
        "gridmgmt.cli.demo",
        "Import the demo region, run every engine, write maps and a summary to OUT.",
    ),
    CommandSource(
        "serve",
        "gridmgmt.cli.serve",
        "Start the web app: JSON API under /api/v1, docs at /docs, the map at /map.",
    ),
    CommandSource(
        "cases",
        "gridmgmt.cli.cases",
        "Case links (涉烟案件串并): networks, merge suggestions, chains, exports, sharing.",
    ),
    CommandSource("db", "gridmgmt.cli.db", "Database schema: upgrade and status."),
    CommandSource(
        "grids",
        "gridmgmt.cli.grids",
        "Grids (网格): design, assign retailers, rebalance, staff (三员), report, locate.",
    ),
    CommandSource(
        "rules",
        "gridmgmt.cli.rules",
        "Geographic rules: red lines, spacing, licence checks, border markets, outflow.",
    ),
    CommandSource(
        "checkpoints",
        "gridmgmt.cli.rules",
        "Checkpoints (查堵卡点): border crossings and coverage.",
    ),
    CommandSource(
        "inspections",
        "gridmgmt.cli.rules",
        "Double-random inspections (双随机、一公开): draw, verify, record, publish.",
    ),
    CommandSource(
        "tickets",
        "gridmgmt.cli.rules",
        "Grid supervision tickets (网格监管信息): add, advance, overdue, report.",
    ),
    CommandSource("users", "gridmgmt.cli.users", "Users: add and list logins."),
    CommandSource(
        "routes",
        "gridmgmt.cli.routes",
        "Delivery routes (配送线路): plan a depot's day, weekly plans, manifests, benchmarks.",
        typer_attr="app",
    ),
    CommandSource(
        "jobs",
        "gridmgmt.cli.jobs",
        "Background jobs (后台任务): list, show and cancel long actions.",
    ),
    CommandSource(
        "batch",
        "gridmgmt.cli.batch",
        "Batch runs on Dask over many counties: grids, delivery days and weeks, case links.",
    ),
    CommandSource(
        "federation",
        "gridmgmt.cli.federation",
        "Private matching with neighbour counties: export and import bundles, list hits.",
    ),
    CommandSource(
        "audit",
        "gridmgmt.cli.audit",
        "The tamper-evident audit log: verify the chain, list entries, print the head.",
    ),
    CommandSource(
        "leads",
        "gridmgmt.cli.leads",
        "Lead handover between counties: send, acknowledge, accept, decline, feed back.",
    ),
    CommandSource(
        "cooperation",
        "gridmgmt.cli.cooperation",
        "Cooperation areas of adjacent counties: adjacency, liaisons, contact list, report.",
    ),
    CommandSource(
        "prices",
        "gridmgmt.cli.prices",
        "Price checks between neighbour counties: medians, cross-border gaps, outliers.",
    ),
    CommandSource(
        "sweeps",
        "gridmgmt.cli.sweeps",
        "Joint border-market sweeps (毗邻市场集中整治): plan, list, show, record results.",
    ),
    CommandSource(
        "backup",
        "gridmgmt.cli.backup",
        "Back up the whole database to FILE (SQLite online backup; PostgreSQL pg_dump -Fc).",
    ),
    CommandSource(
        "restore",
        "gridmgmt.cli.backup",
        "Restore FILE into the database given by --db, which must be empty.",
    ),
)
"""Every root command in the order ``gridmgmt --help`` lists them."""

_SOURCES = {source.name: source for source in COMMANDS}


def _registered() -> dict[str, _click.Command]:
    """The root's commands as typer builds them from what is registered so far."""
    from gridmgmt.cli._app import app

    group = typer.main.get_command(app)
    return dict(getattr(group, "commands", {}))


def load_command(name: str) -> _click.Command:
    """Import the module of command ``name`` (registering it) and return the real command.

    Raises
    ------
    KeyError
        If ``name`` is not in :data:`COMMANDS`.
    """
    from gridmgmt.cli._app import app

    source = _SOURCES[name]
    module = importlib.import_module(source.module)
    commands = _registered()
    if name not in commands and source.typer_attr is not None:
        app.add_typer(getattr(module, source.typer_attr), name=name)
        commands = _registered()
    return commands[name]


def load_all() -> None:
    """Import every command module (for tools that walk the whole command tree)."""
    for source in COMMANDS:
        load_command(source.name)


class LazyCommands(TyperGroup):
    """A typer group that lists :data:`COMMANDS` and imports each one's module on first use.

    Listing (``--help``) shows a stand-in with the command's help; resolving a command to
    run it (or to show its own help) loads the real one.
    """

    def list_commands(self, ctx: _click.Context) -> list[str]:
        names = [source.name for source in COMMANDS]
        return names + [name for name in super().list_commands(ctx) if name not in _SOURCES]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        command = super().get_command(ctx, cmd_name)
        source = _SOURCES.get(cmd_name)
        if command is None and source is not None:
            return TyperCommand(name=cmd_name, help=source.help)
        return command

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        if args and args[0] in _SOURCES and args[0] not in self.commands:
            self.commands[args[0]] = load_command(args[0])
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            # typer suggests among the loaded commands only; suggest among all of them.
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if self.suggest_commands and matches and "Did you mean" not in error.message:
                suggestions = ", ".join(repr(match) for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
