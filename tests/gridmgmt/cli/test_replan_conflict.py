"""A replan on the command line that loses a race with another: one clear line, exit 5.

In process, another dispatcher's replan is stored while this one is being computed (its
solver is wrapped to do so first); as real processes, three ``gridmgmt routes replan`` are
started at once, each cancelling a different order. Either way no traceback reaches the
user, every replan that reported success has its cancellation in the plan in force, and
the others say in one line that the plan changed meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers every command group)
from gridmgmt.cli._app import app
from gridmgmt.services import routes as svc
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.routes import stored
from gridmgmt.store import db

from ..services.grids_world import BOX_A, LAT, LON, A, seed_world
from ..services.routes_world import DAY, seed_delivery, write_grid_osm

FAST = ["--time-limit", "0.5", "--seed", "1"]
World = tuple[str, Path, list[str]]


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> World:
    """A depot DA with the day's orders, its day planned and stored as version 1."""
    seed_world(store_url)
    ordered = seed_delivery(store_url, A, "DA", LON + 0.01, LAT + 0.01)
    roads = write_grid_osm(tmp_path / "roads.osm", BOX_A.bounds, n=11)
    request = svc.PlanRequest.of(depot_code="DA", date=DAY, time_limit=0.5, seed=1)
    with db.transaction(store_url) as session:
        svc.plan_and_store_day(session, SYSTEM, request, roads=roads)
    today = [lic for k, lic in enumerate(ordered) if k % 4]
    return store_url, roads, today


def _replan_args(url: str, roads: Path, licence: str) -> list[str]:
    return ["--db", url, "routes", "replan", "--depot", "DA", "--date", DAY.isoformat(),
            "--roads", str(roads), "--cancel", licence, *FAST]  # fmt: skip


def _current(url: str) -> tuple[int, set[str]]:
    with db.transaction(url) as session:
        plan = svc.current_plan(session, SYSTEM, depot_code="DA", day=DAY)
    return plan.version.version, {oid.split("@")[0] for oid in plan.plan.served_order_ids}


def _assert_one_clear_line(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "changed" in lines[0] or "version" in lines[0], stderr
    assert "Traceback" not in stderr


def test_a_replan_overtaken_by_another_ends_in_one_line_and_exit_5(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, roads, today = world
    solve = stored.replan_depot_day

    def overtaken(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(stored, "replan_depot_day", solve)  # the other one solves plainly
        request = svc.ReplanRequest.of(
            depot_code="DA", date=DAY, cancel=[today[1]], time_limit=0.5, seed=1
        )
        with db.transaction(url) as session:  # another dispatcher, first to store
            svc.replan_and_store_day(session, SYSTEM, request, roads=roads)
        return solve(*args, **kwargs)

    monkeypatch.setattr(stored, "replan_depot_day", overtaken)
    result = CliRunner().invoke(app, _replan_args(url, roads, today[0]))
    assert result.exit_code == 5, result.output
    _assert_one_clear_line(result.stderr)
    version, served = _current(url)
    assert version == 2  # the other dispatcher's replan, nothing more
    assert today[1] not in served
    assert today[0] in served  # this replan was refused: its cancellation is not confirmed


def test_a_replan_from_a_stale_base_version_ends_in_one_line_and_exit_5(world: World) -> None:
    url, roads, today = world
    first = CliRunner().invoke(app, [*_replan_args(url, roads, today[0]), "--base-version", "1"])
    assert first.exit_code == 0, first.output
    stale = CliRunner().invoke(app, [*_replan_args(url, roads, today[1]), "--base-version", "1"])
    assert stale.exit_code == 5, stale.output
    _assert_one_clear_line(stale.stderr)
    version, served = _current(url)
    assert version == 2
    assert today[0] not in served
    assert today[1] in served  # the stale replan stored nothing


@pytest.mark.slow
def test_replans_from_processes_at_once_keep_every_confirmed_cancellation(world: World) -> None:
    url, roads, today = world
    env = {**os.environ, "GRIDMGMT_DEBUG": ""}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "gridmgmt", *_replan_args(url, roads, licence)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for licence in today[:3]
    ]
    outcomes = [(run.wait(180), *run.communicate()) for run in runs]
    confirmed = [lic for lic, (code, _, _) in zip(today, outcomes, strict=False) if code == 0]
    assert confirmed, outcomes
    for code, _, stderr in outcomes:
        assert code in (0, 5), stderr
        if code == 5:
            _assert_one_clear_line(stderr)
    version, served = _current(url)
    assert version == 1 + len(confirmed)
    assert not served & set(confirmed), (confirmed, served)
