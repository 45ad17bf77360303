"""The grids part of the demo, on the small two-county world."""

from __future__ import annotations

from pathlib import Path

from gridmgmt.config import Settings
from gridmgmt.demo import DemoRun
from gridmgmt.demo.grids import DEMO_MIN_GRIDS, demo_grid_count, step
from gridmgmt.services import grids as svc
from gridmgmt.services.actor import SYSTEM
from gridmgmt.store import db

from ..services.grids_world import A, B, seed_world


def _grid_ids(url: str) -> list[str]:
    with db.transaction(url) as session:
        return list(svc.list_grids(session, SYSTEM, A)["grid_id"])


def test_grid_count_follows_active_retailers() -> None:
    assert demo_grid_count(0) == DEMO_MIN_GRIDS
    assert demo_grid_count(45 * 30 + 10) == 30


def test_demo_designs_staffs_and_maps_every_county_and_a_rerun_keeps_them(
    sqlite_url: str, tmp_path: Path, settings: Settings
) -> None:
    seed_world(sqlite_url)
    run = DemoRun(sqlite_url, tmp_path / "out", settings)
    result = step(run)
    counts = result.counts
    assert counts["grids"] == 2 * DEMO_MIN_GRIDS
    assert counts["grids_designed"] == counts["grids"]
    assert counts["grid_retailers"] > 0
    assert all(path.is_file() for path in result.files)
    names = {path.name for path in result.files}
    assert {"grids.html", f"{A}-responsibility.xlsx", f"{B}-responsibility.csv"} <= names
    html = (tmp_path / "out" / "grids.html").read_text(encoding="utf-8")
    assert "gm-grid-label-icon" in html
    before = _grid_ids(sqlite_url)
    again = step(run).counts
    assert again["grids_designed"] == 0
    assert again["grids"] == counts["grids"]
    assert _grid_ids(sqlite_url) == before
