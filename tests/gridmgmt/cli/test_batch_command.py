"""``gridmgmt batch run`` on the two-county batch world: a scheduler, a local cluster, refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from distributed import LocalCluster
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers every command group)
from gridmgmt.cli._app import app
from gridmgmt.cli.batch import EXIT_TASKS_FAILED
from gridmgmt.jobs.cluster import shutdown

from ..services.grids_world import A, B
from ..services.routes_world import DAY
from ..services.test_batch import seed_batch_world


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, "batch", "run", *args])


def _json(result: Result) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        yield str(cluster.scheduler_address)
        shutdown()  # the command's client, before its scheduler goes


@pytest.mark.slow
def test_run_on_a_scheduler_then_refuse_a_second_design_without_replace(
    sqlite_url: str, tmp_path: Path, scheduler: str
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    solver = ["--time-limit", "5", "--max-iterations", "200", "--retailers-per-grid", "40"]
    first = _run(sqlite_url, "--scheduler", scheduler, "--roads", str(roads), *solver, "--json")
    assert first.exit_code == 0, first.output
    report = _json(first)
    assert report["failed"] == 0
    assert {part: t["count"] for part, t in report["by_part"].items()} == {
        "grids": 2,
        "days": 2,
        "weeks": 2,
        "cases": 1,
    }
    assert {o["task"] for o in report["outcomes"]} >= {f"days:DA@{DAY}", "cases"}

    again = _run(sqlite_url, "--scheduler", scheduler, "--parts", "grids", "--county", A)
    assert again.exit_code == EXIT_TASKS_FAILED
    assert "failed tasks" in again.stdout
    assert f"grids:{A}" in again.stdout
    assert "already has" in again.stdout

    replaced = _run(
        sqlite_url, "--scheduler", scheduler, "--parts", "grids", "--county", B, "--replace"
    )
    assert replaced.exit_code == 0, replaced.output
    assert "batch by part" in replaced.stdout
    assert "1 tasks in" in replaced.stdout


@pytest.mark.slow
def test_run_on_a_local_cluster_of_worker_processes(sqlite_url: str, tmp_path: Path) -> None:
    seed_batch_world(sqlite_url, tmp_path)
    result = _run(sqlite_url, "--parts", "grids,cases", "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    report = _json(result)
    assert report["failed"] == 0
    assert [o["task"] for o in report["outcomes"]] == [f"grids:{B}", f"grids:{A}", "cases"]


def test_refusals_name_what_is_wrong(sqlite_url: str, tmp_path: Path) -> None:
    memory = CliRunner().invoke(app, ["--db", "sqlite://", "batch", "run", "--parts", "grids"])
    assert memory.exit_code == 2
    assert "Dask workers need a shared file" in memory.stderr
    parts = _run(sqlite_url, "--parts", "grids,maps")
    assert parts.exit_code == 2
    assert "--parts: maps given" in parts.stderr
    day = _run(sqlite_url, "--day", "16/11/2026")
    assert day.exit_code == 2
    assert "16/11/2026" in day.stderr
    roads = _run(sqlite_url, "--parts", "days", "--roads", str(tmp_path / "none.osm"))
    assert roads.exit_code == 2
    assert "road network file" in roads.stderr
    county = _run(sqlite_url, "--parts", "grids", "--county", "999999")
    assert county.exit_code == 3
