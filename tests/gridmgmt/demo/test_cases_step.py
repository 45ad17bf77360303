"""The cases part of the demo: the demo's case file imported, networks and a page written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gridmgmt.config import Settings
from gridmgmt.demo import DemoRun
from gridmgmt.demo.cases import (
    CASE_LAG_DAYS,
    DEMO_CASES_FILE,
    NETWORKS_DIR,
    dated_case_file,
    network_file,
    step,
)
from gridmgmt.errors import NotFoundError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.imports import import_file
from gridmgmt.store import db
from maps.assets import remote_references

from .conftest import DEMO_DIR, demo_settings


def test_demo_imports_the_demo_cases_and_writes_the_network_page(
    sqlite_url: str, tmp_path: Path, settings: Settings
) -> None:
    with db.transaction(sqlite_url) as session:
        import_file(session, SYSTEM, "counties", DEMO_DIR / "counties.geojson")
    result = step(DemoRun(sqlite_url, tmp_path / "out", settings))
    counts, files = result.counts, result.files
    assert counts["cases"] >= 300
    assert counts["case networks"] >= 3
    assert counts["cross-province networks"] >= 2
    assert counts["invalid identifiers (kept, flagged)"]
    assert [f.name for f in files[:3]] == [
        "case-networks.json",
        "case-merge-suggestions.json",
        "case-network.html",
    ]
    networks = json.loads(files[0].read_text(encoding="utf-8"))
    assert {"cases", "counties", "cross_province", "network_case"} <= set(networks[0])
    html = files[2].read_text(encoding="utf-8")
    assert remote_references(html) == []
    assert "<svg" in html
    assert "static/leaflet/leaflet.js" in html
    assert (tmp_path / "out" / "static" / "leaflet" / "leaflet.js").is_file()
    # Every network has a page, and every page links every other network's page.
    pages = files[3:-1]
    assert len(pages) == len(networks) == counts["case networks"]
    assert {p.parent.name for p in pages} == {NETWORKS_DIR}
    from_main = [
        n for n in networks if f'href="{NETWORKS_DIR}/{network_file(n["network_id"])}"' in html
    ]
    assert len(from_main) == len(networks) - 1  # all but its own, shown unlinked
    first = pages[0].read_text(encoding="utf-8")
    assert "../static/leaflet/leaflet.js" in first
    linked = [n for n in networks if f'href="{network_file(n["network_id"])}"' in first]
    assert len(linked) == len(networks) - 1
    assert not (tmp_path / "out" / NETWORKS_DIR / "static").exists()
    # The file imported is the demo's cases moved to end yesterday.
    assert files[-1] == tmp_path / "out" / DEMO_CASES_FILE
    imported = json.loads(files[-1].read_text(encoding="utf-8"))
    latest = max(dt.date.fromisoformat(c["opened_on"]) for c in imported)
    assert latest == dt.date.today() - dt.timedelta(days=CASE_LAG_DAYS)


def test_the_demo_cases_are_moved_to_end_the_day_before_the_demo_runs(tmp_path: Path) -> None:
    source = DEMO_DIR / DEMO_CASES_FILE
    today = dt.date(2031, 3, 1)
    moved = dated_case_file(source, tmp_path / "out" / DEMO_CASES_FILE, today=today)
    before = json.loads(source.read_text(encoding="utf-8"))
    after = json.loads(moved.read_text(encoding="utf-8"))
    days = [dt.date.fromisoformat(c["opened_on"]) for c in after]
    assert max(days) == today - dt.timedelta(days=CASE_LAG_DAYS)
    shifts = {
        dt.date.fromisoformat(a["opened_on"]) - dt.date.fromisoformat(b["opened_on"])
        for a, b in zip(after, before, strict=True)
    }
    assert len(shifts) == 1  # every case by the same days: spacing and order kept
    assert [c["case_no"] for c in after] == [c["case_no"] for c in before]
    assert [{**c, "opened_on": ""} for c in after] == [{**c, "opened_on": ""} for c in before]


def test_a_missing_case_file_is_not_found_with_how_to_regenerate(
    sqlite_url: str, tmp_path: Path
) -> None:
    run = DemoRun(sqlite_url, tmp_path / "out", demo_settings(sqlite_url, tmp_path))
    with pytest.raises(NotFoundError, match=r"generate_cases\.py"):
        step(run)
