"""Hostile files: too large, a 50 MB header, wrong encodings, 200,000 rows of garbage.

Each is refused early and clearly, names the file, row and field, lists at most the first
``import_max_problems`` problems with a count of the rest, and writes nothing.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import select

from gridmgmt.io.limits import MB, ImportLimits
from gridmgmt.io.problems import ImportValidationError, Problem
from gridmgmt.io.readers import read_source
from gridmgmt.store import db
from gridmgmt.store.models import Retailer

from .hostile_world import (
    HEADER,
    refused,
    retailer,
    run_import,
    use_limits,
    write_csv,
)

GARBAGE_ROWS = 200_000


def test_a_file_over_the_size_setting_is_refused_before_it_is_read(
    hostile_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_limits(monkeypatch, max_file_bytes=2_000)
    path = write_csv(tmp_path / "big.csv", [retailer(n) for n in range(1, 60)])
    error = refused(hostile_url, "retailers", path)
    assert [(p.row, p.field) for p in error.problems] == [(None, "file")]
    assert "GRIDMGMT_IMPORT_MAX_FILE_MB" in error.problems[0].message
    assert "MB" in error.problems[0].message


def test_a_50_mb_header_line_is_refused_at_once(hostile_url: str, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("a," * (25 * MB) + "\n1\n")
    tracemalloc.start()
    started = time.perf_counter()
    error = refused(hostile_url, "retailers", path)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 5
    assert peak < 20 * MB  # the file was never read whole
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert (problem.row, problem.field) == (1, None)
    assert "header line is longer than 65,536 bytes" in problem.message


def test_too_many_columns_are_refused_naming_the_setting(hostile_url: str, tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(800))
    path = write_csv(tmp_path / "columns.csv", [",".join(["1"] * 800)], header=header)
    error = refused(hostile_url, "retailers", path)
    assert "800 columns" in error.problems[0].message
    assert "GRIDMGMT_IMPORT_MAX_COLUMNS" in error.problems[0].message


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_a_gbk_csv_is_named_as_such_or_read_when_named_never_mojibake(
    hostile_url: str, tmp_path: Path, codec: str
) -> None:
    lines = [retailer(1, name="兴和县城关镇𠮷祥烟酒店" if codec == "gb18030" else None)]
    path = write_csv(tmp_path / "gbk.csv", lines, encoding=codec)
    error = refused(hostile_url, "retailers", path)
    assert error.problems[0].field == "encoding"
    assert "GBK/GB18030" in error.problems[0].message
    assert "--encoding gb18030" in error.problems[0].message
    run_import(hostile_url, "retailers", path, encoding=codec)
    with db.transaction(hostile_url) as session:
        names = session.scalars(select(Retailer.name)).all()
    assert names == [lines[0].split(",")[1]]


def test_a_named_encoding_that_does_not_fit_is_refused(hostile_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "utf8.csv", [retailer(1, name="兴和县\U0001f600店")])
    error = refused(hostile_url, "retailers", path, encoding="gbk")
    assert error.problems[0].field == "encoding"
    assert "does not decode as gbk" in error.problems[0].message


def _garbage(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            out.write(f"x{n},\x01<b>,zz,99,abc,NaN,foo,bar,baz\n")
    return path


def test_garbage_rows_list_the_first_problems_and_count_the_rest(
    hostile_url: str, tmp_path: Path
) -> None:
    rows = 20_000
    path = _garbage(tmp_path / "garbage.csv", rows)
    started = time.perf_counter()
    error = refused(hostile_url, "retailers", path)
    assert time.perf_counter() - started < 20
    assert len(error.problems) == 100
    assert error.total >= 5 * rows
    assert error.not_shown == error.total - 100
    assert [p.row for p in error.problems] == sorted(p.row or 0 for p in error.problems)
    assert error.problems[0].row == 2
    assert f"{error.total} problem(s)" in error.message
    assert f"{error.not_shown} more are not" in error.message
    assert error.details()["problems_not_shown"] == error.not_shown


@pytest.mark.slow
def test_200000_rows_of_garbage_are_refused_in_seconds_without_exhausting_memory() -> None:
    """The benchmark in a process of its own, so its peak memory is its own."""
    bench = Path(__file__).resolve().parents[3] / "bench" / "hostile.py"
    done = subprocess.run(
        [sys.executable, str(bench), "--rows", str(GARBAGE_ROWS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    garbage = figures["garbage"]
    assert garbage["problems_listed"] == 100
    assert garbage["problems_total"] >= 5 * GARBAGE_ROWS
    assert garbage["refused_s"] < 30  # about 2 s on one core
    assert garbage["peak_mb"] - figures["baseline_mb"] < 1024
    assert figures["header_50mb"]["refused_s"] < 2


def test_the_problem_limit_is_a_setting_and_the_first_problems_are_in_file_order(
    hostile_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_limits(monkeypatch, max_problems=5)
    lines = [retailer(n, lon="east") for n in range(1, 21)]
    lines.insert(0, retailer(0, lat="north"))
    error = refused(hostile_url, "retailers", write_csv(tmp_path / "r.csv", lines))
    assert [(p.row, p.field) for p in error.problems] == [
        (2, "lat"),
        (3, "lon"),
        (4, "lon"),
        (5, "lon"),
        (6, "lon"),
    ]
    assert (error.total, error.not_shown) == (21, 16)


def test_an_error_built_from_many_problems_lists_the_limit_and_counts_the_rest() -> None:
    problems = [Problem("f.csv", row, "lon", "bad") for row in range(500, 0, -1)]
    error = ImportValidationError(problems, limit=10)
    assert [p.row for p in error.problems] == list(range(1, 11))
    assert (error.total, error.not_shown) == (500, 490)
    assert str(error).endswith("... and 490 more")


def test_a_reader_with_default_limits_refuses_a_wide_file(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["a"] * 10) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError, match="more than the 5"):
        read_source(path, limits=ImportLimits(max_columns=5))


def test_numbers_in_messages_are_plain_never_numpy_reprs(hostile_url: str, tmp_path: Path) -> None:
    lines = [
        retailer(1, lon="41.08", lat="113.6"),  # swapped
        retailer(2, lon="200.5", lat="41.0"),
        retailer(3, lon="113.6", lat="95.25"),
        retailer(4, lon="2.35", lat="48.85"),  # Paris
        retailer(5, lon="0", lat="0"),
    ]
    error = refused(hostile_url, "retailers", write_csv(tmp_path / "r.csv", lines))
    text = str(error) + " ".join(p.message for p in error.problems)
    assert "np." not in text
    assert "lon=41.08, lat=113.6" in text
    assert "longitude 200.5" in text


def test_names_with_html_or_script_are_stored_as_given(hostile_url: str, tmp_path: Path) -> None:
    evil = ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "a&amp;b 'q'"]
    path = tmp_path / "evil.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER.split(","))
        for n, name in enumerate(evil, 1):
            row = retailer(n).split(",")
            row[1] = name
            writer.writerow(row)
    run_import(hostile_url, "retailers", path)
    with db.transaction(hostile_url) as session:
        stored = session.scalars(select(Retailer.name).order_by(Retailer.licence_no)).all()
    assert stored == evil
