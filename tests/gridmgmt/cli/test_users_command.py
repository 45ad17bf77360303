"""``gridmgmt users add`` and ``users list`` on a real SQLite file."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers the command groups)
from gridmgmt.cli._app import app
from gridmgmt.store import db
from gridmgmt.store.models import County, Province, User

PASSWORD = "Steppe-wind-2022!"


@pytest.fixture
def url(sqlite_url: str) -> str:
    with db.transaction(sqlite_url) as session:
        session.add(Province(code="150000", name="内蒙古自治区"))
        session.flush()
        for code, x in (("150924", 113.5), ("150981", 112.9)):
            session.add(
                County(
                    code=code,
                    name=code,
                    province_code="150000",
                    boundary=MultiPolygon([box(x, 40.5, x + 0.6, 41.0)]),
                )
            )
    return sqlite_url


def _add(url: str, *args: str, stdin: str = f"{PASSWORD}\n"):
    return CliRunner().invoke(app, ["--db", url, "users", "add", *args], input=stdin)


def test_add_with_password_on_stdin(url: str) -> None:
    result = _add(
        url,
        "lucy",
        "--role",
        "liaison",
        "--county",
        "150924",
        "--county",
        "150981",
        "--full-name",
        "刘璐",
        "--password-stdin",
    )
    assert result.exit_code == 0, result.output
    assert "added lucy (liaison 信息联络员) for 150924, 150981" in result.output
    with db.transaction(url) as session:
        user = session.scalars(select(User)).one()
        assert user.county_codes == ["150924", "150981"]
        assert user.full_name == "刘璐"
    listing = CliRunner().invoke(app, ["--db", url, "users", "list"])
    assert listing.exit_code == 0
    assert "lucy" in listing.output
    assert "150924 150981" in listing.output


def test_add_prompts_twice_for_the_password(url: str) -> None:
    result = _add(
        url, "alice", "--role", "稽查员", "--county", "150924", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "officer", "--county", "150924"], "short\n", "at least 10"),
        (["--role", "officer", "--county", "999999"], f"{PASSWORD}\n", "unknown county code"),
        (["--role", "chief", "--county", "150924"], f"{PASSWORD}\n", "dispatcher"),
    ],
)
def test_bad_input_exits_2_and_adds_nobody(url: str, args, stdin: str, message: str) -> None:
    result = _add(url, "alice", *args, "--password-stdin", stdin=stdin)
    assert result.exit_code == 2
    assert message in result.output
    with db.transaction(url) as session:
        assert session.scalars(select(User)).all() == []


def test_a_taken_username_is_a_conflict_exit_5(url: str) -> None:
    assert (
        _add(
            url,
            "alice",
            "--role",
            "officer",
            "--county",
            "150924",
            "--password-stdin",
            stdin=f"{PASSWORD}\n",
        ).exit_code
        == 0
    )
    again = _add(
        url,
        "alice",
        "--role",
        "admin",
        "--county",
        "150924",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert again.exit_code == 5
    assert "exists already" in again.stderr
