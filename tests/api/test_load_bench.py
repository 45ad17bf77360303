"""The load benchmark's quick mode: real servers (1 and 2 workers) under 20 users, no errors.

The latency goals are not asserted (machines vary); the benchmark reports them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"
FIGURES = {"requests", "rps", "p50_ms", "p99_ms", "max_ms", "errors"}


def run_bench(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # ONE JSON line
    record: dict[str, Any] = json.loads(lines[0])
    return record


def check_runs(record: dict[str, Any], backend: str) -> None:
    runs = [r for r in record["runs"] if r["backend"] == backend]
    assert [r["workers"] for r in runs] == [1, 2]
    for run in runs:
        assert run["errors"] == 0, run.get("error_samples")
        assert run["requests"] > 0
        for figures in run["kinds"].values():
            assert set(figures) == FIGURES
            assert figures["errors"] == 0
            assert figures["p50_ms"] <= figures["p99_ms"] <= max(figures["max_ms"], 0) + 100
        assert set(run["goals"]) == {
            "licence_check_p99_ms_lt_50",
            "map_data_p99_ms_lt_300",
            "map_layer_p99_ms_lt_300",
            "met",
        }
        assert run["goals"]["met"] == all(v for k, v in run["goals"].items() if k != "met")


@pytest.mark.slow
def test_quick_load_on_sqlite_answers_without_errors() -> None:
    record = run_bench()
    assert record["bench"] == "load"
    assert record["users"] == 20
    check_runs(record, "sqlite")
    assert "sqlite_rps_2_over_1_workers" in record["ratios"]
    assert record["errors"] == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_quick_load_on_postgresql_answers_without_errors(postgres_url: str) -> None:
    record = run_bench("--pg-url", postgres_url, "--backends", "postgresql")
    check_runs(record, "postgresql")
    assert record["errors"] == 0
