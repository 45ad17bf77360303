"""``gridmgmt demo``: the main job on the embedded demo region."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console

from gridmgmt.cli._app import app, settings

console = Console()
DEMO_OUT: Final = Path("demo-out")
"""The demo folder by default (``gridmgmt demo`` and ``gridmgmt serve --demo``)."""
DEMO_DB: Final = "gridmgmt-demo.db"
LOCK_FILE: Final = ".demo-build.lock"


def demo_database_url(ctx: typer.Context, out: Path) -> str:
    """The demo's database: ``--db`` (or ``$GRIDMGMT_DATABASE_URL``), else a SQLite file in
    ``out``; the same for ``gridmgmt demo`` and ``gridmgmt serve --demo``."""
    default_url = f"sqlite:///{(out / DEMO_DB).resolve()}"
    return str((ctx.find_root().obj or {}).get("db") or default_url)


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """One build at a time in ``out``: a second waits for the first (a lock file there)."""
    with (out / LOCK_FILE).open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the maps and the summary report.")
    ] = DEMO_OUT,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Worker processes for the grid designs (default: one per core; 0: none).",
        ),
    ] = None,
) -> None:
    """Import the demo region, run every engine, write maps and a summary to OUT.

    Uses a SQLite file in OUT unless ``--db`` is given.
    """
    from gridmgmt.demo import default_workers, demo_workers, run_demo
    from gridmgmt.store.db import upgrade

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    url = demo_database_url(ctx, out)
    config = settings(ctx).model_copy(update={"database_url": url})
    count = default_workers() if workers is None else workers
    with build_lock(out):
        upgrade(url)
        # The workers fork before the spinner's thread starts.
        with demo_workers(url, count) as pool, console.status("running the demo") as status:
            summary = run_demo(
                url, out, settings=config, on_step=lambda text: status.update(text), pool=pool
            )
    for line in summary.lines():
        console.print(line)
    elapsed = time.perf_counter() - started
    console.print(f"wrote {len(summary.files)} files to {out}/ in {elapsed:.1f} s")
