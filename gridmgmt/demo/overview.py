"""The demo's overview: how many rows of each kind, and the overview map."""

from __future__ import annotations

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.frames import load_frame
from gridmgmt.store import db
from maps.assets import write_map
from maps.overview import build_overview_map

__all__ = ["OVERVIEW_KINDS", "step"]

OVERVIEW_KINDS = ("counties", "retailers", "schools", "checkpoints", "orders", "staff")
"""The kinds counted in the summary, in its order."""


def step(run: DemoRun) -> StepResult:
    """Count the stored rows of each kind and write ``overview.html``."""
    with db.transaction(run.url) as session:
        frames = {kind: load_frame(session, kind, SYSTEM) for kind in OVERVIEW_KINDS}
    m = build_overview_map(
        frames["counties"],
        frames["retailers"],
        frames["schools"],
        frames["checkpoints"],
        **run.tiles(),
    )
    return StepResult(
        counts={kind: len(frame) for kind, frame in frames.items()},
        files=[write_map(m, run.out_dir / "overview.html")],
    )
