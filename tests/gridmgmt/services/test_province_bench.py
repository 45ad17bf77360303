"""``bench/province.py --quick``: the province benchmark in its short mode, as CI runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "province.py"


@pytest.mark.slow
@pytest.mark.postgres
def test_the_quick_province_runs_on_1_and_2_workers_and_prints_one_json_line(
    postgres_url: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--url", postgres_url, "--quick", "--region", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    [line] = done.stdout.strip().splitlines()
    figures = json.loads(line)
    assert figures["bench"] == "province"
    assert figures["region"]["counties"] == 3
    assert figures["region"]["mentions"] > 1000
    assert figures["wall_s_1_worker"] > 0
    assert figures["wall_s_2_workers"] > 0
    assert figures["speedup_2_over_1"] == pytest.approx(
        figures["wall_s_1_worker"] / figures["wall_s_2_workers"], abs=0.02
    )
    for run in figures["runs"].values():
        assert run["failed"] == []
        counts = {part: totals["count"] for part, totals in run["by_part"].items()}
        assert counts == {"grids": 3, "days": 2, "weeks": 2, "cases": 1}
        assert all(totals["max_s"] > 0 for totals in run["by_part"].values())
