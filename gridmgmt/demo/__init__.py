"""``gridmgmt demo`` as its own face: the demo region through every service, drawn on maps.

The demo imports the embedded demo region with the users' importer, then runs one step per
area over the services and draws the results with :mod:`maps`:

- :func:`gridmgmt.demo.overview.step`: counts and the overview map;
- :func:`gridmgmt.demo.grids.step`: grids designed, staffed, reported; the grids map;
- :func:`gridmgmt.demo.rules.step`: rule checks, inspections, tickets; the rules map;
- :func:`gridmgmt.demo.routes.step`: a day planned per depot, manifests; the routes map;
- :func:`gridmgmt.demo.cases.step`: case import, networks, merge suggestions, a network page.

Then :data:`STATE_STEPS`, in order: the state every role starts from when the same database
is served (``gridmgmt serve --demo``): the demo users, and whatever a later area adds. Last,
the database is marked built (:mod:`gridmgmt.demo.built`).

Services know nothing of the demo; the demo gets its settings from the face that runs it.
Each step's wall time is recorded in the summary (``summary.json``, ``timings_s``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from gridmgmt.demo import (
    cases,
    cooperation,
    field_work,
    grids,
    leads,
    overview,
    prices,
    routes,
    rules,
    users,
    week,
)
from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.demo._workers import INLINE, default_workers
from gridmgmt.demo._workers import workers as demo_workers
from gridmgmt.demo.built import is_built, mark_built
from gridmgmt.demo.joint import open_demo_joint_case
from gridmgmt.demo.region import DEMO_FILES, DemoStep, load_demo_data
from gridmgmt.demo.summary import DemoSummary, write_summary

if TYPE_CHECKING:
    from gridmgmt.config import Settings

__all__ = [
    "DEMO_FILES",
    "INLINE",
    "STATE_STEPS",
    "STEPS",
    "DemoRun",
    "DemoStep",
    "DemoSummary",
    "StepResult",
    "default_workers",
    "demo_workers",
    "is_built",
    "load_demo_data",
    "run_demo",
]

T = TypeVar("T")

STEPS: Final[tuple[tuple[str, str, Callable[[DemoRun], StepResult]], ...]] = (
    ("overview", "write the overview map", overview.step),
    ("grids", "grids: design, staff, responsibility sheets, map", grids.step),
    (
        "rules",
        "rules: red lines, spacing, border markets, outflow, checkpoints, inspections",
        rules.step,
    ),
    ("routes", "routes: plan a day for every depot, manifests", routes.step),
    ("cases", "cases: import, link networks, merge suggestions", cases.step),
)
"""The steps after the import, in summary order: (name, progress text, function).

Run one after another they make the demo; :func:`run_demo` runs the same work with the grid
designs in worker processes beside the other steps.
"""

Step = tuple[str, str, Callable[[DemoRun], StepResult]]

STATE_STEPS: Final[list[Step]] = [
    ("users", "demo users, one per role, officers linked to their staff", users.step),
    ("field work", "inspection results and tickets in the officers' grids", field_work.step),
    ("week", "a stored week of delivery plans for the dispatcher", week.step),
    ("cooperation", "cooperation area of the demo counties, their liaisons", cooperation.step),
    ("leads", "leads handed over to and from the liaison's counties", leads.step),
    ("open_demo_joint_case", "a joint case of a cross-county network", open_demo_joint_case),
    (
        "prices",
        "price checks, a joint sweep, the area's quarterly report",
        prices.step,
    ),
]
"""What each role finds when the demo is served, after :data:`STEPS`: (name, progress
text, function), run in this order, each timed in the summary.

**Plug in here.** An area that adds demo state (cooperation areas, leads, a joint case,
prices, sweeps, ...) appends one entry: a function taking the :class:`DemoRun` (database
URL, output folder, settings) and returning a :class:`StepResult` (counts by name, files
written). It runs after grids, rules, routes and cases are stored, in its own
transactions, and must be idempotent: a second run over the same database keeps or
refreshes what is there.
"""


class _Progress:
    """Tells the face what runs, and records each part's seconds in the summary."""

    def __init__(self, summary: DemoSummary, on_step: Callable[[str], None] | None) -> None:
        self.summary = summary
        self.on_step = on_step

    def run(self, name: str, text: str, part: Callable[..., T], *args: Any) -> T:
        if self.on_step is not None:
            self.on_step(text)
        with self.summary.timed(name):
            return part(*args)


def run_demo(
    url: str,
    out_dir: Path,
    *,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
    pool: Executor | None = None,
) -> DemoSummary:
    """Load the demo region into ``url``, run every step and write maps and a summary.

    The grid designs (most of the time) run in worker processes while this process draws
    the overview, plans the routes, links the cases and runs the rule checks; the rest of
    the rules step needs the grids and runs last. Results and files are those of
    :data:`STEPS` run in order.

    Parameters
    ----------
    url
        Database URL (migrated).
    out_dir
        Folder for the maps (HTML with their assets under ``static/``), lists and summary.
    settings
        The face's settings: the demo folder and the map tiles.
    on_step
        Called with a short text before each part, for progress display.
    pool
        Where the grid designs run: by default a pool of :func:`default_workers` forked
        workers (open one with :func:`demo_workers` before starting threads of your own);
        :data:`INLINE` runs everything in this process.

    Returns
    -------
    DemoSummary
        Imports, counts, files written and seconds per part (``worker: grids <code>`` for
        each county's task, measured in its worker).
    """
    if pool is None:
        with demo_workers(url, default_workers()) as own:
            return run_demo(url, out_dir, settings=settings, on_step=on_step, pool=own)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = DemoRun(url, out_dir, settings)
    summary = DemoSummary()
    progress = _Progress(summary, on_step)
    summary.imports = progress.run(
        "import", "import the demo files", load_demo_data, url, settings.demo_dir
    )
    results = _run_steps(run, pool, progress)
    for name, text, step in STATE_STEPS:
        results[name] = progress.run(name, text, step, run)
    for name, _text, _step in (*STEPS, *STATE_STEPS):
        summary.counts.update(results[name].counts)
        summary.files.extend(results[name].files)
    progress.run("summary", "write the summary", write_summary, summary, out_dir)
    progress.run("built", "mark the demo built", mark_built, url, summary.counts)
    return summary


def _run_steps(run: DemoRun, pool: Executor, progress: _Progress) -> dict[str, StepResult]:
    """The steps' results by name: grid designs on ``pool`` while the others run here."""
    results: dict[str, StepResult] = {}
    tasks = progress.run("grids: start", "grids: design", grids.submit, run, pool)
    for name, text, step in STEPS:
        if name in {"overview", "routes", "cases"}:
            results[name] = progress.run(name, text, step, run)
    checked = progress.run("rules: checks", "rules: checks", rules.check, run)
    results["grids"] = progress.run(
        "grids: wait, map", "grids: staff, sheets, map", grids.finish, run, tasks
    )
    results["rules"] = progress.run(
        "rules: inspections, tickets, map",
        "rules: inspections, tickets, map",
        rules.finish,
        run,
        checked,
    )
    for task in tasks:
        county = task.result()
        progress.summary.timings[f"worker: grids {county.code}"] = county.seconds
        progress.summary.cpu[f"worker: grids {county.code}"] = county.cpu_seconds
    return results
