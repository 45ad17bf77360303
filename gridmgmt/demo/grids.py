"""The grids part of the demo: design, staff and report every county's grids; the grids map.

A county that already has grids keeps them (a second run changes nothing but the staffing it
refreshes). Each county gets ``max(20, active retailers / 45)`` grids; the demo data are
generated with one person per such grid (``data/generate_demo.py`` reads these numbers).

Each county is one task (:func:`county_grids`, in its own transaction), so the demo can run
the counties in worker processes (:func:`submit`) and collect them later (:func:`finish`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.demo._workers import INLINE
from gridmgmt.domain import RetailerStatus
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.frames import load_frame
from gridmgmt.services.grids import (
    design_county_grids,
    grid_report,
    list_grids,
    staff_county_grids,
    write_grid_sheet,
)
from gridmgmt.services.records import county_codes
from gridmgmt.store import db
from maps.assets import write_map
from maps.grids import build_grids_map

__all__ = [
    "DEMO_MIN_GRIDS",
    "DEMO_RETAILERS_PER_GRID",
    "DEMO_SEED",
    "CountyGrids",
    "county_grids",
    "demo_grid_count",
    "finish",
    "step",
    "submit",
]

DEMO_SEED: Final = 1
"""Seed of the demo's grid designs."""
DEMO_MIN_GRIDS: Final = 20
DEMO_RETAILERS_PER_GRID: Final = 45


def demo_grid_count(active_retailers: int) -> int:
    """How many grids the demo designs for a county with this many active retailers."""
    return max(DEMO_MIN_GRIDS, round(active_retailers / DEMO_RETAILERS_PER_GRID))


@dataclass(frozen=True)
class CountyGrids:
    """One county's grids task: grids designed (0 when kept), figures, files, wall/CPU s."""

    code: str
    designed: int
    figures: dict[str, Any]
    files: list[Path]
    seconds: float
    cpu_seconds: float


def county_grids(run: DemoRun, code: str) -> CountyGrids:
    """Design the county's grids if it has none, staff them and write its responsibility sheet.

    Runs in short transactions of its own (in a worker process when the demo has workers); the
    sheet goes to ``grids/<code>-responsibility.xlsx`` and ``.csv``.
    """
    started, cpu = time.perf_counter(), time.process_time()
    designed = 0
    # Design, then staff and report, each in a transaction of its own: SQLite's write lock
    # is held only while each one writes, so the other workers' writes need not wait long.
    with db.transaction(run.url) as session:
        if not len(list_grids(session, SYSTEM, code)):
            retailers = load_frame(session, "retailers", SYSTEM, county_codes=[code])
            active = int((retailers["status"] == RetailerStatus.ACTIVE).sum())
            designed = demo_grid_count(active)
            design_county_grids(session, SYSTEM, code, n_grids=designed, seed=DEMO_SEED)
    with db.transaction(run.url) as session:
        staff_county_grids(session, SYSTEM, code)
    with db.transaction(run.url) as session:
        report = grid_report(session, SYSTEM, code)
    sheets = run.folder("grids")
    files = [
        write_grid_sheet(report, sheets / f"{code}-responsibility.{suffix}")
        for suffix in ("xlsx", "csv")
    ]
    seconds = round(time.perf_counter() - started, 3)
    cpu_seconds = round(time.process_time() - cpu, 3)
    return CountyGrids(code, designed, dict(report.figures), files, seconds, cpu_seconds)


def submit(run: DemoRun, pool: Executor) -> list[Future[CountyGrids]]:
    """Start every county's grids task on ``pool``, in county order."""
    with db.transaction(run.url) as session:
        codes = county_codes(session, SYSTEM)
    return [pool.submit(county_grids, run, code) for code in codes]


def finish(run: DemoRun, tasks: Sequence[Future[CountyGrids]]) -> StepResult:
    """Wait for the counties' tasks, add up their figures and write the grids map.

    Returns
    -------
    StepResult
        Counts (``grids``, ``grids_designed``, ``grid_retailers``, ``unstaffed_posts``,
        ``grid_max_deviation_permille``) and the files written (the sheets, ``grids.html``).
    """
    done = [task.result() for task in tasks]
    counts = {
        "grids": sum(c.figures["n_grids"] for c in done),
        "grids_designed": sum(c.designed for c in done),
        "grid_retailers": sum(c.figures["retailers_in_grids"] for c in done),
        "unstaffed_posts": sum(c.figures["unstaffed_posts"] for c in done),
    }
    worst = 0.0
    for county in done:
        worst = max(worst, float(county.figures["max_deviation"]))
    counts["grid_max_deviation_permille"] = round(worst * 1000)
    with db.transaction(run.url) as session:
        counties = load_frame(session, "counties", SYSTEM)
        stored = load_frame(session, "grids", SYSTEM)
        retailers = load_frame(session, "retailers", SYSTEM)
    m = build_grids_map(counties, stored, retailers, **run.tiles())
    files = [path for c in done for path in c.files]
    files.append(write_map(m, run.out_dir / "grids.html"))
    return StepResult(counts, files)


def step(run: DemoRun) -> StepResult:
    """Design (where missing), staff and report the grids of every demo county, one by one."""
    return finish(run, submit(run, INLINE))
