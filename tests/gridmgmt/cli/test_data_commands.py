"""``gridmgmt import`` and ``gridmgmt export`` from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import Result
from rich.console import Console
from shapely.geometry import box, mapping
from sqlalchemy import func, select
from typer.testing import CliRunner

from gridmgmt.cli import data  # noqa: F401  (registers import and export)
from gridmgmt.cli._app import app
from gridmgmt.cli.data import PROGRESS_THRESHOLD_ROWS, _ProgressBar
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Retailer

HEADER = "许可证号,名称,经度,纬度,档位,业态,状态"


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A fresh SQLite file (the CLI creates the schema) with one county imported."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    features = [
        {
            "type": "Feature",
            "properties": {"代码": "150924", "名称": "兴和县", "省份": "内蒙古自治区"},
            "geometry": mapping(box(113.5, 40.8, 114.0, 41.2)),
        }
    ]
    path = tmp_path / "counties.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    result = _run(url, "import", "counties", str(path))
    assert result.exit_code == 0, result.output
    return url


def _retailers(tmp_path: Path, lines: list[str], name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _count(url: str) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(Retailer)) or 0)


def test_import_prints_the_counts(url: str, tmp_path: Path) -> None:
    path = _retailers(tmp_path, ["150924000001,张记,113.7,41.0,10,便利店,正常"])
    result = _run(url, "import", "retailers", str(path), "--crs", "gcj02")
    assert result.exit_code == 0, result.output
    assert "inserted 1, updated 0, unchanged 0" in result.stdout
    again = _run(url, "import", "retailers", str(path), "--crs", "gcj02")
    assert "inserted 0, updated 0, unchanged 1" in again.stdout


def test_bad_input_lists_every_problem_and_exits_2(url: str, tmp_path: Path) -> None:
    path = _retailers(
        tmp_path,
        [
            ",无证,113.7,41.0,10,便利店,正常",
            "150924000002,档位错,113.7,41.0,31,便利店,正常",
            "150924000003,坐标反,41.0,113.7,10,便利店,正常",
        ],
    )
    result = _run(url, "import", "retailers", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}:2: licence_no: licence_no is required but empty"
    assert lines[1].startswith(f"{path}:3: tier: must be a whole number from 1 to 30")
    assert lines[2].startswith(f"{path}:4: lon: lon/lat look swapped")
    assert lines[3] == "3 problem(s); nothing was imported."
    assert _count(url) == 0


def test_unknown_crs_and_kind_exit_2(url: str, tmp_path: Path) -> None:
    path = _retailers(tmp_path, ["150924000001,张记,113.7,41.0,10,便利店,正常"])
    bad_crs = _run(url, "import", "retailers", str(path), "--crs", "mars")
    assert bad_crs.exit_code == 2
    assert f"{path}: crs: coordinate system 'mars' is not known" in bad_crs.stderr
    bad_kind = _run(url, "import", "shops", str(path))
    assert bad_kind.exit_code == 2
    assert "'shops'" in bad_kind.stderr
    assert "retailers" in bad_kind.stderr


def test_gbk_file_needs_its_encoding_named(url: str, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "\n150924000001,张记,113.7,41.0,10,便利店,正常\n").encode("gbk"))
    refused = _run(url, "import", "retailers", str(path))
    assert refused.exit_code == 2
    assert f"{path}:1: encoding:" in refused.stderr
    assert "GBK" in refused.stderr
    accepted = _run(url, "import", "retailers", str(path), "--encoding", "gbk")
    assert accepted.exit_code == 0, accepted.output
    assert _count(url) == 1


def test_export_writes_the_file_and_it_imports_back(url: str, tmp_path: Path) -> None:
    path = _retailers(tmp_path, ["150924000001,张记,113.7,41.0,10,便利店,正常"])
    assert _run(url, "import", "retailers", str(path)).exit_code == 0
    for fmt, suffix in (("csv", "csv"), ("geojson", "geojson"), ("gpkg", "gpkg")):
        out = tmp_path / f"export.{suffix}"
        result = _run(url, "export", "retailers", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.exists()
        again = _run(url, "import", "retailers", str(out))
        assert "inserted 0, updated 0, unchanged 1" in again.stdout


def test_export_format_follows_the_output_suffix(url: str, tmp_path: Path) -> None:
    out = tmp_path / "counties.csv"
    result = _run(url, "export", "counties", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").startswith("code,name,province_code,province")


def test_export_of_an_unknown_kind_exits_2(url: str, tmp_path: Path) -> None:
    result = _run(url, "export", "shops", "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "'shops'" in result.stderr


def test_long_import_runs_with_a_progress_bar(url: str, tmp_path: Path) -> None:
    lines = [
        f"150924{n:06d},店{n},{113.6 + n * 1e-5:.6f},41.0,{n % 30 + 1},食杂店,正常"
        for n in range(PROGRESS_THRESHOLD_ROWS)
    ]
    result = _run(url, "import", "retailers", str(_retailers(tmp_path, lines)))
    assert result.exit_code == 0, result.output
    assert f"inserted {PROGRESS_THRESHOLD_ROWS}" in result.stdout
    with db.transaction(url) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.kind == "retailers")).one()
    assert entry.username == "cli"


def test_progress_bar_appears_only_for_long_imports() -> None:
    short_out, long_out = io.StringIO(), io.StringIO()
    with _ProgressBar(Console(file=short_out, force_terminal=True), "importing x") as bar:
        bar(0, 10)
        bar(10, 10)
    assert bar.progress is None
    assert short_out.getvalue() == ""
    total = PROGRESS_THRESHOLD_ROWS * 2
    with _ProgressBar(Console(file=long_out, force_terminal=True), "importing retailers") as bar:
        bar(0, total)
        bar(total, total)
    assert bar.progress is not None
    assert bar.progress.tasks[0].completed == total
    assert "importing retailers" in long_out.getvalue()
