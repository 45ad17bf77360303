"""The grids part of the demo: design, staff and report every county's grids; the grids map.

A county that already has grids keeps them (a second run changes nothing but the staffing it
refreshes). Each county gets ``max(20, active retailers / 45)`` grids; the demo data are
generated with one person per such grid (``data/generate_demo.py`` reads these numbers).
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
from sqlalchemy.orm import Session

from gridmgmt.demo._common import DemoRun, StepResult
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

__all__ = ["DEMO_MIN_GRIDS", "DEMO_RETAILERS_PER_GRID", "DEMO_SEED", "demo_grid_count", "grids"]

DEMO_SEED: Final = 1
"""Seed of the demo's grid designs."""
DEMO_MIN_GRIDS: Final = 20
DEMO_RETAILERS_PER_GRID: Final = 45


def demo_grid_count(active_retailers: int) -> int:
    """How many grids the demo designs for a county with this many active retailers."""
    return max(DEMO_MIN_GRIDS, round(active_retailers / DEMO_RETAILERS_PER_GRID))


def _design_missing(session: Session, retailers: gpd.GeoDataFrame, codes: list[str]) -> int:
    """Design the grids of every county that has none; returns how many grids were designed."""
    active = retailers.loc[retailers["status"] == RetailerStatus.ACTIVE, "county_code"]
    designed = 0
    for code in codes:
        if len(list_grids(session, SYSTEM, code)):
            continue
        n_grids = demo_grid_count(int((active == code).sum()))
        design_county_grids(session, SYSTEM, code, n_grids=n_grids, seed=DEMO_SEED)
        designed += n_grids
    return designed


def grids(run: DemoRun) -> StepResult:
    """Design (where missing), staff and report the grids of every demo county.

    Writes each county's responsibility sheet (``grids/<code>-responsibility.xlsx`` and
    ``.csv``) and the grids map (``grids.html``).

    Returns
    -------
    StepResult
        Counts (``grids``, ``grids_designed``, ``grid_retailers``, ``unstaffed_posts``,
        ``grid_max_deviation_permille``) and the files written.
    """
    sheets = run.folder("grids")
    result = StepResult(
        counts={"grids": 0, "grids_designed": 0, "grid_retailers": 0, "unstaffed_posts": 0}
    )
    worst = 0.0
    with db.transaction(run.url) as session:
        codes = list(county_codes(session, SYSTEM))
        retailers = load_frame(session, "retailers", SYSTEM)
        result.counts["grids_designed"] = _design_missing(session, retailers, codes)
        for code in codes:
            staff_county_grids(session, SYSTEM, code)
            report = grid_report(session, SYSTEM, code)
            for suffix in ("xlsx", "csv"):
                path = sheets / f"{code}-responsibility.{suffix}"
                result.files.append(write_grid_sheet(report, path))
            result.counts["grids"] += report.figures["n_grids"]
            result.counts["grid_retailers"] += report.figures["retailers_in_grids"]
            result.counts["unstaffed_posts"] += report.figures["unstaffed_posts"]
            worst = max(worst, float(report.figures["max_deviation"]))
        counties = load_frame(session, "counties", SYSTEM)
        stored = load_frame(session, "grids", SYSTEM)
        retailers = load_frame(session, "retailers", SYSTEM)
    result.counts["grid_max_deviation_permille"] = round(worst * 1000)
    m = build_grids_map(counties, stored, retailers, **run.tiles())
    result.files.append(write_map(m, run.out_dir / "grids.html"))
    return result
