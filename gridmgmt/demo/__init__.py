"""``gridmgmt demo`` as its own face: the demo region through every service, drawn on maps.

The demo imports the embedded demo region with the users' importer, then runs one step per
area over the services and draws the results with :mod:`maps`:

- :func:`~gridmgmt.demo.overview.overview`: counts and the overview map;
- :func:`~gridmgmt.demo.grids.grids`: grids designed, staffed, reported; the grids map;
- :func:`~gridmgmt.demo.rules.rules`: rule checks, inspections, tickets; the rules map;
- :func:`~gridmgmt.demo.routes.routes`: a day planned per depot, manifests; the routes map;
- :func:`~gridmgmt.demo.cases.cases`: case import, networks, merge suggestions, a network page.

Services know nothing of the demo; the demo gets its settings from the face that runs it.
Each step's wall time is recorded in the summary (``summary.json``, ``timings_s``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.demo.cases import cases
from gridmgmt.demo.grids import grids
from gridmgmt.demo.overview import overview
from gridmgmt.demo.region import DEMO_FILES, DemoStep, load_demo_data
from gridmgmt.demo.routes import routes
from gridmgmt.demo.rules import rules
from gridmgmt.demo.summary import DemoSummary, write_summary

if TYPE_CHECKING:
    from gridmgmt.config import Settings

__all__ = [
    "DEMO_FILES",
    "STEPS",
    "DemoRun",
    "DemoStep",
    "DemoSummary",
    "StepResult",
    "load_demo_data",
    "run_demo",
]

STEPS: Final[tuple[tuple[str, str, Callable[[DemoRun], StepResult]], ...]] = (
    ("overview", "write the overview map", overview),
    ("grids", "grids: design, staff, responsibility sheets, map", grids),
    (
        "rules",
        "rules: red lines, spacing, border markets, outflow, checkpoints, inspections",
        rules,
    ),
    ("routes", "routes: plan a day for every depot, manifests", routes),
    ("cases", "cases: import, link networks, merge suggestions", cases),
)
"""The steps after the import, in order: (name in the timings, progress text, function)."""


def run_demo(
    url: str,
    out_dir: Path,
    *,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Load the demo region into ``url``, run every step and write maps and a summary.

    Parameters
    ----------
    url
        Database URL (migrated).
    out_dir
        Folder for the maps (HTML with their assets under ``static/``), lists and summary.
    settings
        The face's settings: the demo folder and the map tiles.
    on_step
        Called with a short text before each step, for progress display.

    Returns
    -------
    DemoSummary
        Imports, counts, files written and seconds per step.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    run = DemoRun(url, out_dir, settings)
    summary = DemoSummary()
    with summary.timed("import"):
        summary.imports = load_demo_data(url, settings.demo_dir, on_step=on_step)
    for name, label, step in STEPS:
        if on_step is not None:
            on_step(label)
        with summary.timed(name):
            result = step(run)
        summary.counts.update(result.counts)
        summary.files.extend(result.files)
    with summary.timed("summary"):
        write_summary(summary, out_dir)
    return summary
