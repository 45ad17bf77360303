"""``gridmgmt prices ...`` from the command line, and the price-gap map it draws."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import prices  # noqa: F401  (register the commands)
from gridmgmt.cli._app import app
from maps.assets import remote_references

from .prices_world import EAST, WEST, load_world


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, "prices", *args])


def test_medians_gaps_and_outliers(sqlite_url: str, tmp_path: Path) -> None:
    load_world(sqlite_url, tmp_path)
    medians = json.loads(_run(sqlite_url, "medians", "--json").stdout)
    assert {(m["county_code"], m["median"]) for m in medians["by_county"]} == {
        (WEST, 41.0),
        (EAST, 45.5),
    }
    shown = _run(sqlite_url, "medians", "--groups")
    assert shown.exit_code == 0
    assert "G-W" in shown.stdout
    page = tmp_path / "out" / "gaps.html"
    gaps = _run(sqlite_url, "gaps", "--flagged", "--json", "--map", str(page))
    assert gaps.exit_code == 0, gaps.output
    (gap,) = json.loads(gaps.stdout)["gaps"]
    assert gap["cheaper"] == WEST
    html = page.read_text(encoding="utf-8")
    assert "gm-price-gap" in html
    assert "Price gaps (1)" in html
    assert "\\u4e2d\\u534e" in html  # 中华 in the popup
    assert remote_references(html) == []
    outliers = json.loads(_run(sqlite_url, "outliers", "--json").stdout)["outliers"]
    assert len(outliers) == 2
    wrong = _run(sqlite_url, "medians", "--start", "2026-13-01")
    assert wrong.exit_code == 2
    assert "--start" in wrong.output
