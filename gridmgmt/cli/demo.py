"""``gridmgmt demo``: the main job on the embedded demo region."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gridmgmt.cli._app import app, settings

console = Console()


@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the maps and the summary report.")
    ] = Path("demo-out"),
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
    default_url = f"sqlite:///{(out / 'gridmgmt-demo.db').resolve()}"
    url = (ctx.find_root().obj or {}).get("db") or default_url
    upgrade(url)
    config = settings(ctx).model_copy(update={"database_url": url})
    count = default_workers() if workers is None else workers
    # The workers fork before the spinner's thread starts.
    with demo_workers(url, count) as pool, console.status("running the demo") as status:
        summary = run_demo(
            url, out, settings=config, on_step=lambda text: status.update(text), pool=pool
        )
    for line in summary.lines():
        console.print(line)
    elapsed = time.perf_counter() - started
    console.print(f"wrote {len(summary.files)} files to {out}/ in {elapsed:.1f} s")
