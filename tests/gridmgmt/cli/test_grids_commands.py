"""``gridmgmt grids ...`` and ``gridmgmt export grids`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers every command group)
from gridmgmt.cli._app import app

from ..services.grids_world import BOX_A, LAT, LON, A, seed_world


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


def _json(result: Result) -> dict:  # type: ignore[type-arg]
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.fixture
def url(sqlite_url: str) -> str:
    seed_world(sqlite_url)
    return sqlite_url


def test_design_then_refuse_then_replace_with_lock(url: str) -> None:
    first = _json(_run(url, "grids", "design", "--county", A, "--count", "5", "--json"))
    assert first["report"]["n_grids"] == 5
    assert first["report"]["exact_tiling"] is True
    again = _run(url, "grids", "design", "--county", A, "--count", "5")
    assert again.exit_code == 5  # a conflict: the county has a design
    assert "--replace" in again.stderr
    locked = _json(
        _run(
            url,
            "grids",
            "design",
            "--county",
            A,
            "--count",
            "6",
            "--lock",
            "G01",
            "--replace",
            "--json",
        )
    )
    assert locked["report"]["n_locked"] == 1
    table = _run(url, "grids", "report", "--county", A)
    assert table.exit_code == 0, table.output
    assert "G06" in table.stdout


def test_design_needs_one_of_count_and_target(url: str) -> None:
    both = _run(url, "grids", "design", "--county", A, "--count", "3", "--target-workload", "900")
    assert both.exit_code == 2
    unknown = _run(url, "grids", "design", "--county", "999999", "--count", "3")
    assert unknown.exit_code == 3  # not found
    assert "999999" in unknown.stderr
    missing = _run(url, "grids", "design", "--county", A, "--count", "3", "--fixed-lines", "no.shp")
    assert missing.exit_code == 2
    assert "no.shp" in missing.stderr
    no_grids = _run(url, "grids", "report", "--county", A)
    assert no_grids.exit_code == 3
    assert "design them first" in no_grids.stderr


def test_fixed_lines_file_is_respected(url: str, tmp_path: Path) -> None:
    x = LON + 0.06
    line = shapely.LineString([(x, LAT - 0.01), (x, LAT + 0.1)])
    path = tmp_path / "river.geojson"
    gpd.GeoDataFrame({"name": ["river"]}, geometry=[line], crs="EPSG:4326").to_file(path)
    _json(
        _run(
            url,
            "grids",
            "design",
            "--county",
            A,
            "--count",
            "4",
            "--fixed-lines",
            str(path),
            "--json",
        )
    )
    out = tmp_path / "grids.geojson"
    assert _run(url, "export", "grids", "-o", str(out)).exit_code == 0
    grids = gpd.read_file(out)
    assert len(grids) == 4
    assert not any(g.buffer(-1e-5).intersects(line) for g in grids.geometry)


def test_assign_rebalance_staff_report_locate_export(url: str, tmp_path: Path) -> None:
    _json(_run(url, "grids", "design", "--county", A, "--count", "6", "--json"))
    assigned = _json(_run(url, "grids", "assign", "--json"))
    assert assigned["assigned"] == 0
    assert assigned["moved"] == 0
    rebalanced = _json(_run(url, "grids", "rebalance", "--county", A, "--json"))
    assert rebalanced["report"]["n_grids"] == 6
    staffed = _json(_run(url, "grids", "staff", "--county", A, "--json"))
    assert len(staffed["assignments"]) == 18
    assert staffed["unstaffed"] == []
    sheet = tmp_path / "sheet.xlsx"
    report = _json(_run(url, "grids", "report", "--county", A, "-o", str(sheet), "--json"))
    assert report["figures"]["n_grids"] == 6
    assert pd.read_excel(sheet).shape[0] == 6
    found = _json(
        _run(url, "grids", "locate", "--lon", str(LON + 0.01), "--lat", str(LAT + 0.01), "--json")
    )
    assert found["county_code"] == A
    assert found["staff"]["deliverer"]
    outside = _run(url, "grids", "locate", "--lon", "100", "--lat", "30")
    assert outside.exit_code == 1
    out = tmp_path / "grids.geojson"
    exported = _run(url, "export", "grids", "--format", "geojson", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    grids = gpd.read_file(out)
    assert {"grid_id", "county_code", "workload", "monopoly_officer"} <= set(grids.columns)
    assert grids.union_all().symmetric_difference(BOX_A).area < 1e-9
    retailers = tmp_path / "retailers.csv"
    assert _run(url, "export", "retailers", "--format", "csv", "-o", str(retailers)).exit_code == 0
    table = pd.read_csv(retailers, dtype=str, encoding="utf-8-sig")
    assert table.loc[table["county_code"] == A, "grid_id"].str.match(r"G0\d").all()
