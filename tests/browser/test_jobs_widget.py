"""The shared job widget (static/app/jobs.js) in Chromium: the officer rebalances the grids
from the grids page, sees the job run and end, and the job is stored as succeeded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gridmgmt.store import db
from gridmgmt.store.models.jobs import JobRecord, JobState

from ..api.officer_world import OfficerWorld, add_officer_world
from ._web import StrictPage, save_screenshots
from .conftest import WebApp

pytestmark = pytest.mark.browser


@pytest.fixture
def field(web_app: WebApp) -> OfficerWorld:
    return add_officer_world(web_app.database_url)


def test_rebalance_runs_as_a_job_from_the_grids_page(
    web_app: WebApp, field: OfficerWorld, strict_page: StrictPage, screenshots: Path
) -> None:
    page = strict_page.page
    page.goto(f"{web_app.url}/grids")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", web_app.passwords["alice"])
    page.click("button[type=submit]")
    page.wait_for_url("**/grids")
    form = page.locator("form[data-gm-job$='/rebalance']")
    # The page reloads when the job succeeds: a screenshot taken during that reload waited
    # for a frame that never came (a flaky 30 s timeout).
    with page.expect_navigation(wait_until="load", timeout=120_000):
        form.locator("button[type=submit]").click()
        form.locator(".gm-job-box").wait_for(state="visible")
    with db.transaction(web_app.database_url) as session:
        for _ in range(100):
            states = list(
                session.scalars(select(JobRecord.state).where(JobRecord.kind == "grids.rebalance"))
            )
            if states and states[0].finished:
                break
            session.expire_all()
            page.wait_for_timeout(200)
    assert states == [JobState.SUCCEEDED]
    save_screenshots(page, screenshots, "grids-rebalance-job")
