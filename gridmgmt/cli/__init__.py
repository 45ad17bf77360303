"""Command line interface: ``gridmgmt [--db URL] COMMAND ...``.

Each command group lives in its own module and registers itself on :data:`app` when first
used (:mod:`gridmgmt.cli.commands` lists them, so ``--help`` imports none). Commands are
thin: they parse options, call one function in :mod:`gridmgmt.services` and print the
result.
"""

from __future__ import annotations

from gridmgmt.cli._app import app


def main() -> None:
    """Entry point of the ``gridmgmt`` console script."""
    app()
