"""Each role's day on the demo, in Chromium with the network cut off: log in as the demo user
of the role, land on the role's first page showing its data, do the role's main action, and
check the result on the page and in the database. Screenshots at 1366x768 and 390x844.

The demo is built once for the module by ``gridmgmt demo`` (a few minutes on a busy machine);
set ``GRIDMGMT_TEST_DEMO_DB`` to a built ``gridmgmt-demo.db`` to walk a copy of it instead.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.main import create_app
from gridmgmt.cli import commands  # noqa: F401  (registers the commands)
from gridmgmt.cli._app import app as cli
from gridmgmt.demo.users import DEMO_PASSWORD
from gridmgmt.domain import InspectionOutcome, TicketState
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.dashboard import dashboard
from gridmgmt.store import db
from gridmgmt.store.models import Retailer, Staff, User
from gridmgmt.store.models.grids import StaffGrid
from gridmgmt.store.models.leads import Lead
from gridmgmt.store.models.routes import RoutePlanRecord
from gridmgmt.store.models.rules import (
    InspectionAssignment,
    InspectionDrawRecord,
    InspectionResult,
    InspectionTarget,
    TicketRecord,
)

from ..api.conftest import make_settings
from ..conftest import DEMO_DIR
from ._web import DESKTOP, StrictPage, save_screenshots, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUILT_DEMO_VAR = "GRIDMGMT_TEST_DEMO_DB"
OFFICER = "officer150924"
XINGHE = "150924"


@dataclass(frozen=True)
class Demo:
    """The demo database served on loopback."""

    url: str
    database_url: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    out = tmp_path_factory.mktemp("demo-roles")
    built = os.environ.get(BUILT_DEMO_VAR)
    if built:
        shutil.copy(built, out / "gridmgmt-demo.db")
    else:
        result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--workers", "2"])
        assert result.exit_code == 0, result.output
    url = f"sqlite:///{out / 'gridmgmt-demo.db'}"
    with serve(create_app(make_settings(url, demo_dir=DEMO_DIR))) as base:
        yield Demo(base, url)
    db.dispose_engine(url)


@pytest.fixture
def walk(browser: Any) -> Iterator[StrictPage]:
    """A Chinese page at 1366x768 failing the test on any console error, failed request or
    request to a host other than loopback."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    strict = StrictPage(context.new_page()).attach()
    yield strict
    try:
        strict.check()
    finally:
        context.close()


def _log_in(page: Any, demo: Demo, username: str, home: str) -> None:
    """Log in from the login page (no ``next``): the role's first page opens."""
    page.goto(f"{demo.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.gm-card button[type=submit]")
    page.wait_for_url(f"{demo.url}{home}*")


def _no_markup_ran(page: Any) -> None:
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0


def test_the_officer_sees_their_grids_and_records_an_inspection(
    demo: Demo, walk: StrictPage, screenshots: Path
) -> None:
    page = walk.page
    _log_in(page, demo, OFFICER, "/grids")
    page.wait_for_selector("#om-map[data-ready=true]", timeout=30_000)
    with db.transaction(demo.database_url) as session:
        staff_no = session.scalar(select(User.staff_no).where(User.username == OFFICER))
        staff = session.scalar(select(Staff).where(Staff.staff_no == staff_no))
        assert staff is not None, "the demo officer is linked to a staff record"
        grids = sorted(
            set(session.scalars(select(StaffGrid.grid_id).where(StaffGrid.staff_id == staff.id)))
        )
        pending = session.execute(
            select(InspectionTarget.draw_id, Retailer.licence_no)
            .join(InspectionAssignment, InspectionAssignment.target_id == InspectionTarget.id)
            .join(InspectionDrawRecord, InspectionDrawRecord.id == InspectionTarget.draw_id)
            .join(Retailer, Retailer.id == InspectionTarget.retailer_id)
            .outerjoin(InspectionResult, InspectionResult.target_id == InspectionTarget.id)
            .where(
                InspectionAssignment.staff_id == staff.id,
                InspectionDrawRecord.superseded_at.is_(None),
                InspectionResult.id.is_(None),
            )
            .order_by(InspectionTarget.position)
        ).first()
    assert grids
    assert sorted(page.locator(".om-my-grid-badge").all_inner_texts()) == grids
    assert page.locator("path.om-my-grid").count() == len(grids)
    assert staff.name in page.inner_text("#om-mine")
    save_screenshots(page, screenshots, "demo-officer-grids")

    assert pending is not None, "the demo leaves the officer inspections to do"
    draw_id, licence = pending
    page.click("#om-my-tasks")
    page.wait_for_url("**/tasks?whose=mine")
    row = page.locator(f"#r-{draw_id}-{licence}")
    assert "待检查" in row.inner_text()
    save_screenshots(page, screenshots, "demo-officer-tasks")
    row.locator("select[name=outcome]").select_option("violation")
    row.locator("input[name=violations]").fill("2")
    row.locator("input[name=notes]").fill("查获无标识卷烟2条")
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"**/tasks?done={licence}*")
    assert licence in page.inner_text(".om-flash")
    assert page.locator(f"#r-{draw_id}-{licence} .om-done").count() == 1
    with db.transaction(demo.database_url) as session:
        result = session.scalar(
            select(InspectionResult)
            .join(InspectionTarget, InspectionTarget.id == InspectionResult.target_id)
            .join(Retailer, Retailer.id == InspectionTarget.retailer_id)
            .where(InspectionResult.draw_id == draw_id, Retailer.licence_no == licence)
        )
        assert result is not None
        assert (result.outcome, result.violations) == (InspectionOutcome.VIOLATION, 2)
        assert result.recorded_by == OFFICER
    _no_markup_ran(page)


def test_the_dispatcher_opens_the_stored_week_and_plans_a_day(
    demo: Demo, walk: StrictPage, screenshots: Path
) -> None:
    page = walk.page
    _log_in(page, demo, "dispatcher", "/dispatch")
    page.wait_for_function("() => document.body.dataset.planVersion !== undefined")
    depot = page.input_value("#gd-depot")
    day = dt.date.fromisoformat(page.input_value("#gd-date"))
    with db.transaction(demo.database_url) as session:
        stored = session.scalars(
            select(RoutePlanRecord).where(
                RoutePlanRecord.depot_code == depot, RoutePlanRecord.is_current.is_(True)
            )
        ).all()
        current = next(plan for plan in stored if plan.delivery_date == day)
        version, vehicles = current.version, current.vehicles
    assert len(stored) >= 5, "a stored week of plans"
    assert page.evaluate("() => document.body.dataset.planVersion") == str(version)
    assert page.locator("#gd-routes tbody tr").count() == vehicles > 0
    save_screenshots(page, screenshots, "demo-dispatcher-day")

    page.fill("#gd-seconds", "2")
    page.click("#gd-plan")
    page.wait_for_function(
        f"() => document.body.dataset.planVersion === '{version + 1}'", timeout=120_000
    )
    with db.transaction(demo.database_url) as session:
        plans = session.scalars(
            select(RoutePlanRecord)
            .where(RoutePlanRecord.depot_code == depot, RoutePlanRecord.delivery_date == day)
            .order_by(RoutePlanRecord.version)
        ).all()
        assert [(p.version, p.is_current) for p in plans][-2:] == [
            (version, False),
            (version + 1, True),
        ]
        assert plans[-1].created_by == "dispatcher"
        vehicles = plans[-1].vehicles
    assert page.locator("#gd-routes tbody tr").count() == vehicles
    save_screenshots(page, screenshots, "demo-dispatcher-planned")


def test_the_liaison_reads_the_inbox_and_sends_a_lead(
    demo: Demo, walk: StrictPage, screenshots: Path
) -> None:
    page = walk.page
    _log_in(page, demo, "liaison", "/leads")
    with db.transaction(demo.database_url) as session:
        liaison = session.scalar(select(User).where(User.username == "liaison"))
        assert liaison is not None
        mine = liaison.county_codes
        inbox = session.scalar(select(func.count(Lead.id)).where(Lead.to_county.in_(mine)))
        sent_before = session.scalar(
            select(func.count(Lead.id)).where(Lead.created_by == "liaison")
        )
    assert inbox
    assert page.locator("tr.lm-lead").count() == inbox
    save_screenshots(page, screenshots, "demo-liaison-inbox")

    page.goto(f"{demo.url}/leads?box=suggested")
    page.locator(".lm-suggested a").first.click()
    page.wait_for_selector("#lm-send-form")
    page.fill("#lm-note", "请核查涉案电话与地址")
    page.click("#lm-send")
    page.wait_for_url("**/leads?box=outbox*")
    with db.transaction(demo.database_url) as session:
        sent = session.scalars(
            select(Lead).where(Lead.created_by == "liaison").order_by(Lead.id)
        ).all()
    assert len(sent) > (sent_before or 0)
    assert sent[-1].note == "请核查涉案电话与地址"
    assert page.locator(f"#lead-{sent[-1].id}").count() == 1
    save_screenshots(page, screenshots, "demo-liaison-outbox")


def test_the_admin_home_and_an_import(
    demo: Demo, walk: StrictPage, screenshots: Path, tmp_path: Path
) -> None:
    page = walk.page
    _log_in(page, demo, "admin", "/admin")
    with db.transaction(demo.database_url) as session:
        users = session.scalar(select(func.count(User.id)).where(User.active.is_(True)))
        before = session.scalar(select(func.count(Retailer.id)))
    assert page.inner_text("[data-figure=users]") == str(users)
    assert page.locator("#am-audit tbody tr").count() == 10
    save_screenshots(page, screenshots, "demo-admin-home")

    csv = tmp_path / "新增零售户.csv"
    csv.write_text(
        "licence_no,name,address,county_code,lon,lat,tier,business_type,status,key_retailer\n"
        "150924990001,演示新店甲,城关镇新华街1号,150924,113.83,40.88,5,convenience,active,false\n"
        "150924990002,演示新店乙,城关镇新华街2号,150924,113.84,40.88,5,grocery,active,false\n",
        encoding="utf-8",
    )
    page.click("a[href='/admin/import']")
    page.wait_for_url("**/admin/import")
    page.select_option("select[name=kind]", "retailers")
    page.select_option("select[name=crs]", "wgs84")
    page.set_input_files("input[name=file]", str(csv))
    page.click("#am-import button[type=submit]")
    page.locator("#am-report").wait_for(timeout=60_000)
    assert page.inner_text("[data-figure=inserted]") == "2"
    with db.transaction(demo.database_url) as session:
        assert session.scalar(select(func.count(Retailer.id))) == (before or 0) + 2
    save_screenshots(page, screenshots, "demo-admin-import")


def test_the_leader_opens_a_figure_s_list(demo: Demo, walk: StrictPage, screenshots: Path) -> None:
    page = walk.page
    _log_in(page, demo, "leader", "/dashboard")
    county = page.input_value("#am-picker select[name=county]")
    period = page.input_value("#am-picker select[name=period]")
    now = dt.datetime.now(dt.UTC)
    with db.transaction(demo.database_url) as session:
        figures = dashboard(session, SYSTEM, county, period, now=now)
        overdue = session.scalar(
            select(func.count(TicketRecord.id)).where(
                TicketRecord.county_code == county,
                TicketRecord.state != TicketState.FED_BACK,
                TicketRecord.due_at < now.replace(tzinfo=None),
            )
        )
    assert (
        page.inner_text("[data-figure=status-active]")
        == f"{figures.retailers_by_status['active']:,}"
    )
    assert page.inner_text("[data-figure=inspections]") == str(figures.inspections_done)
    assert figures.inspections_done > 0, "the demo records inspections"
    assert figures.delivery_km > 0, "the demo stores route plans"
    link = page.locator("a[data-figure=tickets-overdue]")
    assert link.get_attribute("data-n") == str(overdue) != "0"
    save_screenshots(page, screenshots, "demo-leader-dashboard")

    link.click()
    page.wait_for_url("**/dashboard/tickets_overdue?*")
    assert page.get_attribute("[data-total]", "data-total") == str(overdue)
    assert page.locator("#am-list tbody tr").count() == overdue
    save_screenshots(page, screenshots, "demo-leader-list")
    page.click("#am-back")
    page.wait_for_url("**/dashboard?*")
    assert page.locator("#am-picker").count() == 1
