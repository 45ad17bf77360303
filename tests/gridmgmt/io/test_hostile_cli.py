"""Hostile files on the command line: exit code 2, the first problems and a count of the
rest, no traceback, nothing written."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import data  # noqa: F401  (registers import and export)
from gridmgmt.cli._app import app

from .hostile_world import HEADER, retailer, snapshot, write_csv


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


def test_garbage_lists_the_first_100_problems_and_counts_the_rest(
    hostile_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "garbage.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(3_000):
            out.write(f"x{n},,zz,99,abc,NaN,foo,bar,baz\n")
    before = snapshot(hostile_url)
    result = _run(hostile_url, "import", "retailers", str(path))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    problem_lines = [line for line in lines if line.startswith(str(path))]
    assert len(problem_lines) == 100
    assert "The first 100 are listed" in lines[-1]
    assert "nothing was imported" in lines[-1]
    assert "Traceback" not in result.output
    assert "np.float" not in result.output
    assert snapshot(hostile_url) == before


def test_a_gbk_file_is_named_and_then_read_with_its_encoding(
    hostile_url: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "gbk.csv", [retailer(1)], encoding="gbk")
    refused = _run(hostile_url, "import", "retailers", str(path))
    assert refused.exit_code == 2
    assert "GBK/GB18030" in refused.output
    assert "--encoding gb18030" in refused.output
    done = _run(hostile_url, "import", "retailers", str(path), "--encoding", "gb18030")
    assert done.exit_code == 0, done.output
    assert "inserted 1" in done.output


def test_a_zip_bomb_is_refused_with_exit_code_2(hostile_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("retailers.csv", b"\0" * (32 * 1024 * 1024))
    before = snapshot(hostile_url)
    result = _run(hostile_url, "import", "retailers", str(path))
    assert result.exit_code == 2, result.output
    assert "zip bomb" in result.output
    assert snapshot(hostile_url) == before
