"""``gridmgmt jobs ...`` and :func:`run_job`, the helper commands use to run a job."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers the command groups)
from gridmgmt.cli._app import ReportingGroup, app
from gridmgmt.cli.jobs import WaitOpt, run_job
from gridmgmt.config import Settings
from gridmgmt.store import db
from gridmgmt.store.models import Province

from . import sample_jobs  # noqa: F401  (registers the test jobs)
from .conftest import COUNTY

# A command of a long action, as other command modules write one.
action_app = typer.Typer(cls=ReportingGroup)


@action_app.callback()
def _root(ctx: typer.Context, url: Annotated[str, typer.Option("--db")]) -> None:
    ctx.obj = {"db": url}


@action_app.command()
def write(
    ctx: typer.Context,
    code: str,
    fail: Annotated[str | None, typer.Option("--fail")] = None,
    wait: WaitOpt = True,
) -> None:
    params = {"county_code": COUNTY, "codes": [code], "fail_with": fail}
    view = run_job(ctx, "tests.write", params, wait=wait)
    typer.echo(json.dumps(view.result))


def _provinces(url: str) -> set[str]:
    with db.transaction(url) as session:
        return set(session.scalars(select(Province.code)))


def test_a_command_runs_its_job_and_prints_the_result(settings: Settings) -> None:
    url = settings.database_url
    result = CliRunner().invoke(action_app, ["--db", url, "write", "910000"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["codes"] == ["910000"]
    assert "910000" in _provinces(url)


def test_a_failed_job_exits_with_its_kinds_code(settings: Settings) -> None:
    url = settings.database_url
    result = CliRunner().invoke(
        action_app, ["--db", url, "write", "910000", "--fail", "no orders that day"]
    )

    assert result.exit_code == 2
    assert "error: no orders that day" in result.stderr
    assert "910000" not in _provinces(url)


def test_no_wait_needs_a_scheduler(settings: Settings) -> None:
    url = settings.database_url
    result = CliRunner().invoke(action_app, ["--db", url, "write", "910000", "--no-wait"])

    assert result.exit_code == 2
    assert "GRIDMGMT_DASK_SCHEDULER" in result.stderr


def test_jobs_list_show_and_cancel(settings: Settings) -> None:
    url = settings.database_url
    CliRunner().invoke(action_app, ["--db", url, "write", "910000"])

    listed = CliRunner().invoke(app, ["--db", url, "jobs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (job,) = json.loads(listed.stdout)
    shown = CliRunner().invoke(app, ["--db", url, "jobs", "show", job["id"]])
    cancelled = CliRunner().invoke(app, ["--db", url, "jobs", "cancel", job["id"]])
    missing = CliRunner().invoke(app, ["--db", url, "jobs", "show", "no-such-id"])

    assert (job["kind"], job["state"], job["requested_by"]) == ("tests.write", "succeeded", "cli")
    assert shown.exit_code == 0
    assert "succeeded" in shown.stdout
    assert cancelled.exit_code == 5
    assert "ended already" in cancelled.stderr
    assert missing.exit_code == 3
