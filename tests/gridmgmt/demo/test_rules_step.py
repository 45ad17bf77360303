"""The rules part of the demo, on the small world: lists and map written, a re-run is stable."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from gridmgmt.demo import DemoRun
from gridmgmt.demo.rules import step
from gridmgmt.store import db
from gridmgmt.store.models.rules import InspectionDrawRecord, RuleSettingsRecord, TicketRecord

from ..services.rules_world import seed_world, write_roads
from .conftest import demo_settings


def test_demo_writes_lists_and_map_and_a_rerun_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    seed_world(sqlite_url)
    # The step takes the road network from the demo folder of the settings it is given.
    roads = write_roads(tmp_path / "roads.osm")
    run = DemoRun(sqlite_url, tmp_path / "out", demo_settings(sqlite_url, tmp_path))
    first = step(run)
    counts = first.counts
    # The default preset walks along the roads: nobody is inside an 80 m walk of a school.
    assert counts["red_line_violations"] == 0
    assert counts["spacing_breaches"] == 1
    assert counts["border_market_retailers"] == 2
    assert counts["outflow_suspects"] == 1
    assert (counts["border_crossings"], counts["uncovered_crossings"]) == (2, 1)
    assert counts["inspection_draws"] == 2
    assert all(path.is_file() for path in first.files)
    names = {path.name for path in first.files}
    assert {"rules.html", "red-line-violations.csv", "inspections-150924-2026-11.html"} <= names
    summary = json.loads((tmp_path / "out" / "rules" / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == counts
    assert step(run).counts == counts
    with db.transaction(sqlite_url) as session:
        draws = session.scalar(select(func.count()).select_from(InspectionDrawRecord))
        settings = session.scalars(select(RuleSettingsRecord.roads_file)).all()
        tickets = session.scalar(select(func.count()).select_from(TicketRecord))
    assert draws == 2  # the stored draws were reused, not replaced
    assert settings == [str(roads.resolve())] * 2
    assert tickets == counts["tickets"] == 0
