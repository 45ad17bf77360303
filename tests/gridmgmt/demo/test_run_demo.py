"""The demo end to end through its CLI face, and the worker pool it runs grid designs on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmgmt.cli._app import app
from gridmgmt.demo import INLINE, STEPS, demo_workers


def _fail(message: str) -> None:
    raise RuntimeError(message)


def test_the_inline_pool_runs_at_once_and_keeps_errors_for_the_caller() -> None:
    assert INLINE.submit(os.getpid).result() == os.getpid()
    failed = INLINE.submit(_fail, "no")
    with pytest.raises(RuntimeError, match="no"):
        failed.result()


def test_workers_are_other_processes(sqlite_url: str) -> None:
    with demo_workers(sqlite_url, 2) as pool:
        pids = {pool.submit(os.getpid).result() for _ in range(4)}
        failed = pool.submit(_fail, "in a worker")
        with pytest.raises(RuntimeError, match="in a worker"):
            failed.result()
    assert os.getpid() not in pids


def test_no_workers_means_this_process(sqlite_url: str) -> None:
    with demo_workers(sqlite_url, 0) as pool:
        assert pool is INLINE


@pytest.mark.slow
def test_the_demo_writes_every_file_and_its_parts_timings(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    counts = summary["counts"]
    assert counts["grids"] == counts["grids_designed"] == 129
    assert counts["grid_retailers"] == counts["retailers"] == 6000
    assert counts["route_unserved"] == 0
    assert counts["route_km"] < counts["baseline_km"]
    assert counts["case networks"] >= 3
    # The summary's counts come in the order of the steps, whatever ran in parallel.
    firsts = ["counties", "grids", "red_line_violations", "routes", "cases"]
    assert [key for key in counts if key in firsts] == firsts
    assert all(Path(path).is_file() for path in summary["files"])
    names = {Path(path).name for path in summary["files"]}
    assert {"overview.html", "grids.html", "rules.html", "routes.html", "summary.md"} <= names
    assert {"groups.csv", "prices.csv"} <= names
    assert {Path(n).suffix for n in names if n.startswith("report-")} == {".xlsx", ".html"}
    assert counts["sweep_targets"] > counts["sweep_results"] > 0
    assert {"import", "overview", "routes", "cases", "rules: checks"} <= set(summary["timings_s"])
    assert sum(1 for part in summary["cpu_s"] if part.startswith("worker: grids")) == 6
    assert len(STEPS) == 5
    assert f"wrote {len(summary['files'])} files" in result.output
