"""The demo's price checks, joint sweep and quarterly report (gridmgmt.demo.prices)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from gridmgmt.config import Settings
from gridmgmt.demo import DemoRun
from gridmgmt.demo import cooperation as cooperation_step
from gridmgmt.demo.prices import SWEEP_TITLE, step
from gridmgmt.demo.region import load_demo_data
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.prices import price_gap_report
from gridmgmt.services.sweeps import list_sweeps
from gridmgmt.store import db
from maps.assets import remote_references

from .conftest import DEMO_DIR

pytestmark = pytest.mark.slow


def test_prices_a_sweep_and_the_report_and_a_second_run_adds_no_sweep(
    sqlite_url: str, tmp_path: Path, settings: Settings
) -> None:
    load_demo_data(sqlite_url, DEMO_DIR)
    run = DemoRun(sqlite_url, tmp_path / "out", settings)
    cooperation_step.step(run)
    first = step(run)
    assert first.counts["price_observations"] > 4 * 1000
    assert first.counts["price_group_members"] > 1000
    assert 0 < first.counts["sweep_results"] < first.counts["sweep_targets"]
    names = [f.name for f in first.files]
    assert names[:2] == ["groups.csv", "prices.csv"]
    (excel,) = [f for f in first.files if f.suffix == ".xlsx"]
    (page,) = [f for f in first.files if f.suffix == ".html"]
    assert excel.name.startswith("report-mengjinji-")
    sheets = openpyxl.load_workbook(io.BytesIO(excel.read_bytes())).sheetnames
    assert "Joint border-market sweeps" in sheets
    html = page.read_text(encoding="utf-8")
    assert 'id="section-sweeps"' in html
    assert '<svg class="cr-chart"' in html
    assert "gm-price-gap" in html
    assert remote_references(html) == []
    with db.transaction(sqlite_url) as session:
        gaps = price_gap_report(session, SYSTEM, flagged_only=True).gaps
    # Inner Mongolia's prices are lower: gaps are flagged along its province lines
    assert any(g.kind == "province" for g in gaps)
    assert all(g.cheaper.startswith("15") for g in gaps if g.kind == "province")
    again = step(run)
    assert again.counts["sweep_targets"] == first.counts["sweep_targets"]
    with db.transaction(sqlite_url) as session:
        assert [s.title for s in list_sweeps(session, SYSTEM)] == [SWEEP_TITLE]
