"""``gridmgmt sweeps plan|list|show|record`` from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import sweeps  # noqa: F401  (register the commands)
from gridmgmt.cli._app import app

from .prices_world import EAST, WEST, load_world

DAY = (dt.date.today() + dt.timedelta(days=3)).isoformat()


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, "sweeps", *args])


def test_plan_list_show_and_record(sqlite_url: str, tmp_path: Path) -> None:
    load_world(sqlite_url, tmp_path)
    plan = ["plan", "--county", WEST, "--county", EAST, "--date", DAY, "--seed", "11"]
    planned = _run(sqlite_url, *plan, "--share", "0.5", "--json")
    assert planned.exit_code == 0, planned.output
    sweep = json.loads(planned.stdout)
    number = sweep["sweep_no"]
    assert sweep["targets"] == 3
    listed = _run(sqlite_url, "list")
    assert listed.exit_code == 0
    assert number in listed.stdout
    shown = _run(sqlite_url, "show", number, "--verify")
    assert shown.exit_code == 0, shown.output
    assert "gives the same" in shown.stdout
    target = sweep["target_rows"][0]["licence_no"]
    record = ["record", number, "--licence", target, "--outcome", "违规", "--date", DAY]
    first = _run(sqlite_url, *record, "--violations", "1", "--base-version", "0", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["version"] == 1
    stale = _run(sqlite_url, *record, "--base-version", "0")
    assert stale.exit_code == 5
    assert "reload" in stale.output
    shown = json.loads(_run(sqlite_url, "show", number, "--json").stdout)
    assert (shown["recorded"], shown["violations"]) == (1, 1)


def test_bad_input_exits_2_and_stores_nothing(sqlite_url: str, tmp_path: Path) -> None:
    load_world(sqlite_url, tmp_path)
    one = _run(sqlite_url, "plan", "--county", WEST, "--date", DAY)
    assert one.exit_code == 2
    assert "counties" in one.output
    wrong_day = _run(sqlite_url, "plan", "--county", WEST, "--county", EAST, "--date", "2026-02-30")
    assert wrong_day.exit_code == 2
    assert "--date" in wrong_day.output
    missing = _run(sqlite_url, "show", "ZZ2026-999")
    assert missing.exit_code == 3
    assert json.loads(_run(sqlite_url, "list", "--json").stdout) == []
