"""``gridmgmt audit verify | head | list`` on a real SQLite file."""

from __future__ import annotations

import json

from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import audit  # noqa: F401  (register the commands)
from gridmgmt.cli._app import app

from ._log import fill, sql


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


def test_verify_says_intact_and_exits_0(sqlite_url: str) -> None:
    fill(sqlite_url, 5)
    result = _run(sqlite_url, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("5 entries, chain intact")


def test_verify_names_the_changed_entry_and_exits_5(sqlite_url: str) -> None:
    fill(sqlite_url, 5)
    sql(sqlite_url, "UPDATE audit_log SET username = 'mallory' WHERE seq = 2")
    result = _run(sqlite_url, "audit", "verify")
    assert result.exit_code == 5
    assert "entry seq 2" in result.output
    assert "changed" in result.output


def test_head_round_trips_through_expect_head(sqlite_url: str) -> None:
    fill(sqlite_url, 3)
    head = _run(sqlite_url, "audit", "head").output.strip()
    assert head.startswith("3:")
    fill(sqlite_url, 2)
    assert _run(sqlite_url, "audit", "verify", "--expect-head", head).exit_code == 0
    wrong = "3:" + "a" * 64
    result = _run(sqlite_url, "audit", "verify", "--expect-head", wrong)
    assert result.exit_code == 5
    assert "entry seq 3" in result.output
    assert _run(sqlite_url, "audit", "verify", "--expect-head", "three").exit_code == 2


def test_list_json_gives_the_newest_entries_first(sqlite_url: str) -> None:
    fill(sqlite_url, 4)
    result = _run(sqlite_url, "audit", "list", "--json", "--limit", "2")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)
    assert [line["seq"] for line in lines] == [4, 3]
    assert lines[0]["remote_addr"] == "10.0.0.7"
    assert lines[0]["detail"]["名"] == "兴和"
    assert _run(sqlite_url, "audit", "list").exit_code == 0
