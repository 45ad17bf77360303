"""The cases part of the demo: the demo's case file imported, networks and a page written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridmgmt.config import Settings
from gridmgmt.demo import DemoRun
from gridmgmt.demo.cases import step
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
    assert [f.name for f in files] == [
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


def test_a_missing_case_file_is_not_found_with_how_to_regenerate(
    sqlite_url: str, tmp_path: Path
) -> None:
    run = DemoRun(sqlite_url, tmp_path / "out", demo_settings(sqlite_url, tmp_path))
    with pytest.raises(NotFoundError, match=r"generate_cases\.py"):
        step(run)
