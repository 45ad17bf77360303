"""Two tabs change the same thing in Chromium at 1366x768 and 390x844: a ticket's next step,
an inspection's result on /tasks, a county's rule settings. Both submit the form they were
shown; the first wins, the second is answered 409 with a plain notice and the state now,
and the database holds the first change only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.rules import get_rule_settings
from gridmgmt.store import db
from gridmgmt.store.models.rules import InspectionResult, TicketRecord

from ..api.conftest import XINGHE, add_test_user
from ..api.officer_world import EVIL_LICENCE, OfficerWorld, add_officer_world
from ._web import StrictPage, save_screenshots
from .conftest import WebApp

pytestmark = pytest.mark.browser

CHANGED = "他人已同时修改了此项"
NO_SIDEWAYS_JS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def field(web_app: WebApp) -> OfficerWorld:
    return add_officer_world(web_app.database_url)


@pytest.fixture
def second_tab(strict_page: StrictPage) -> Iterator[StrictPage]:
    """Another tab of the same browser (the same user), as strict as the first."""
    tab = StrictPage(strict_page.page.context.new_page()).attach()
    yield tab
    tab.check()


def _log_in(page: Any, web_app: WebApp, username: str, password: str, path: str) -> None:
    page.goto(f"{web_app.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def _submit(page: Any, button: Any) -> int:
    """Click a form's button; the status of the page it leads to."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    # A stored change redirects (303) to a page answered 200; the request's status is the last.
    return int(response.status)


def _conflict_shown(page: Any, shots: Path, name: str) -> None:
    notice = page.locator("#gm-conflict")
    assert notice.is_visible()
    assert CHANGED in notice.inner_text()
    assert page.evaluate(NO_SIDEWAYS_JS), page.url
    save_screenshots(page, shots, name, sizes=(page.viewport_size,))


def test_a_ticket_moved_on_in_two_tabs(
    strict_page: StrictPage,
    second_tab: StrictPage,
    web_app: WebApp,
    field: OfficerWorld,
    screenshots: Path,
) -> None:
    number = field.tickets[1]
    path = f"/tickets/{number}"
    first, second = strict_page.page, second_tab.page
    _log_in(first, web_app, "alice", web_app.passwords["alice"], path)
    second.goto(f"{web_app.url}{path}")  # the same user's session
    second_tab.expect_status(409, f"{path}/advance")
    first.fill("input[name=note]", "first tab")
    assert _submit(first, first.locator("#om-advance")) == 200
    assert first.inner_text("#om-state") == "已流转"
    second.fill("input[name=note]", "second tab")
    assert _submit(second, second.locator("#om-advance")) == 409
    _conflict_shown(second, screenshots, "conflict-ticket")
    assert second.inner_text("#om-state") == "已流转"  # the ticket as it is now
    assert second.locator("input[name=base_version]").input_value() == "2"
    assert "first tab" in second.inner_text(".om-steps")
    with db.transaction(web_app.database_url) as session:
        ticket = session.scalar(select(TicketRecord).where(TicketRecord.ticket_no == number))
        assert ticket is not None
        assert (ticket.state, ticket.version) == ("assigned", 2)
        assert [e.note for e in ticket.events][1:] == ["first tab"]


def test_an_inspection_result_recorded_in_two_tabs(
    strict_page: StrictPage,
    second_tab: StrictPage,
    web_app: WebApp,
    field: OfficerWorld,
    screenshots: Path,
) -> None:
    first, second = strict_page.page, second_tab.page
    _log_in(first, web_app, "alice", web_app.passwords["alice"], "/tasks?whose=all")
    second.goto(f"{web_app.url}/tasks?whose=all")
    second_tab.expect_status(409, f"/tasks/{field.draw_id}/results")
    row_id = f"tr[id='r-{field.draw_id}-{EVIL_LICENCE}']"
    for page, outcome, notes in ((first, "compliant", "first tab"), (second, "not_open", "2nd")):
        row = page.locator(row_id)
        row.locator("select[name=outcome]").select_option(outcome)
        row.locator("input[name=inspected_on]").fill("2099-03-01")
        row.locator("input[name=notes]").fill(notes)
    assert _submit(first, first.locator(row_id).locator("button[type=submit]")) == 200
    assert first.locator(".om-flash").is_visible()
    assert _submit(second, second.locator(row_id).locator("button[type=submit]")) == 409
    _conflict_shown(second, screenshots, "conflict-tasks")
    row = second.locator(row_id)
    assert "om-changed" in (row.get_attribute("class") or "")
    assert row.locator("select[name=outcome]").input_value() == "compliant"  # in force now
    assert row.locator("input[name=notes]").input_value() == "first tab"
    assert row.locator("input[name=base_version]").input_value() == "1"
    with db.transaction(web_app.database_url) as session:
        results = list(session.scalars(select(InspectionResult)))
        assert [(r.outcome, r.notes, r.version) for r in results] == [("compliant", "first tab", 1)]


def test_a_countys_settings_saved_in_two_tabs(
    strict_page: StrictPage,
    second_tab: StrictPage,
    web_app: WebApp,
    screenshots: Path,
) -> None:
    password = secrets.token_urlsafe(12)
    add_test_user(web_app.database_url, "root", password, UserRole.ADMIN, [XINGHE])
    path = f"/admin/settings?county={XINGHE}"
    first, second = strict_page.page, second_tab.page
    _log_in(first, web_app, "root", password, path)
    second.goto(f"{web_app.url}{path}")
    second_tab.expect_status(409, "/admin/settings")
    distance = "input[name='red_line.distance_m.primary']"
    first.fill(distance, "120")
    second.fill(distance, "150")
    second.fill("input[name='tickets.assign_hours']", "5")
    assert _submit(first, first.locator("#am-save")) == 200
    assert first.locator("#am-saved").is_visible()
    assert _submit(second, second.locator("#am-save")) == 409
    _conflict_shown(second, screenshots, "conflict-settings")
    assert second.locator(distance).input_value() == "120"  # the settings now, not the typed
    assert second.locator("input[name='tickets.assign_hours']").input_value() != "5"
    assert second.locator("input[name=base_version]").input_value() == "1"
    assert second.locator("#am-saved").count() == 0
    with db.transaction(web_app.database_url) as session:
        stored = get_rule_settings(session, SYSTEM, XINGHE)
    assert stored.version == 1
    assert stored.settings.red_line.distance_m["primary"] == 120.0  # type: ignore[index]
    assert stored.settings.tickets.assign_hours != 5
