"""``gridmgmt routes plan|week|manifest`` against a real database and a small OSM file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers every command group)
from gridmgmt.cli._app import app

from ..services.grids_world import BOX_A, LAT, LON, A, seed_world
from ..services.routes_world import DAY, seed_delivery, write_grid_osm

FAST = ["--time-limit", "0.5", "--seed", "1"]


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> tuple[str, Path, list[str]]:
    seed_world(sqlite_url)
    ordered = seed_delivery(sqlite_url, A, "DA", LON + 0.01, LAT + 0.01)
    return sqlite_url, write_grid_osm(tmp_path / "roads.osm", BOX_A.bounds, n=11), ordered


def test_plan_prints_json_and_writes_manifests(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, ordered = world
    out = tmp_path / "out"
    result = _run(
        url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(), "--roads", str(roads),
        "--json", "--out", str(out), *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["stops"] == sum(1 for k in range(len(ordered)) if k % 4)
    assert data["unserved"] == []
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".html", ".xlsx"]


def test_plan_table_and_bad_input(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    ok = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(),
              "--roads", str(roads), *FAST)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "DAV" in ok.stdout
    unknown = _run(url, "routes", "plan", "--depot", "NOPE", "--date", DAY.isoformat(),
                   "--roads", str(roads), *FAST)  # fmt: skip
    assert unknown.exit_code == 2
    assert "NOPE" in unknown.stderr
    bad_date = _run(url, "routes", "plan", "--depot", "DA", "--date", "16/11/2026")
    assert bad_date.exit_code == 2


def test_week_and_manifest(world: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    url, roads, ordered = world
    week = _run(url, "routes", "week", "--depot", "DA", "--week-of", DAY.isoformat(),
                "--roads", str(roads), "--json", *FAST)  # fmt: skip
    assert week.exit_code == 0, week.output
    data = json.loads(week.stdout)
    assert sum(d["stops"] for d in data["days"].values()) == len(ordered)
    target = tmp_path / "m.csv"
    made = _run(url, "routes", "manifest", "--depot", "DA", "--date", DAY.isoformat(),
                "--format", "csv", "-o", str(target), "--roads", str(roads), *FAST)  # fmt: skip
    assert made.exit_code == 0, made.output
    assert len(pd.read_csv(target)) == sum(1 for k in range(len(ordered)) if k % 4)
    wrong = _run(url, "routes", "manifest", "--depot", "DA", "--date", DAY.isoformat(),
                 "--format", "pdf", "-o", str(target))  # fmt: skip
    assert wrong.exit_code == 2
