"""Every page of the app, as every role, and every HTML file ``gridmgmt demo`` writes, in
Chromium with the network cut off.

The pages are found from the app's router (:func:`tests.browser._pages.page_paths`), so a
page added later is opened too; a page whose path parameter has no sample value fails,
naming it. Each page is opened on a world where every name is markup
(:mod:`tests.browser.markup_world`) and fails the test on any console error, failed request,
request to a host other than loopback, dialog, or element made from a name. At phone width
(390 px) "log out" must stay on screen and no table may fall off it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.main import create_app
from api.security import COOKIE_NAME, create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases.networks import list_networks
from gridmgmt.store import db
from gridmgmt.store.models import User

from ..api.conftest import SECRET, XINGHE
from ._pages import (
    CAPTURE_MAPS_JS,
    MARKUP_RAN_JS,
    OPEN_POPUPS_JS,
    PHONE_LAYOUT_JS,
    PageReport,
    fill_path,
    page_paths,
)
from ._web import DESKTOP, PHONE, StrictPage, serve
from .markup_world import EVIL, MarkupWorld, build_markup_world, world_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROLES = [role.value for role in UserRole]
REFUSED = {403, 404}
QUERIES = {
    "/locale": "?locale=en&next=/map",
    "/dashboard/{figure}": f"?county={XINGHE}&period=2026",
}
"""Query strings a page cannot do without."""
POPUPS_PER_MAP = 400


@dataclass
class MarkupApp:
    """The app served over the markup world."""

    url: str
    app: FastAPI
    world: MarkupWorld
    database_url: str
    sweeps: dict[str, list[PageReport]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def markup_app(
    _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MarkupApp]:
    folder = tmp_path_factory.mktemp("markup")
    path = folder / "world.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    world = build_markup_world(url, folder)
    app = create_app(world_settings(url, world.roads))
    with serve(app) as base:
        yield MarkupApp(base, app, world, url)
    db.dispose_engine(url)


def _samples(served: MarkupApp, username: str) -> dict[str, str]:
    """Path parameter -> a value this user's pages can show (their own network)."""
    world = served.world
    with db.transaction(served.database_url) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        counties = frozenset(link.county_code for link in user.county_links)
        networks = list_networks(session, Actor(user.username, user.role, counties))
    network = next(
        (
            n.network_id
            for n in networks
            if world.case_nos[0] in {key.partition("/")[2] for key in n.cases}
        ),
        None,
    )
    return {
        "licence_no": world.licence,
        "ticket_no": world.ticket_no,
        "draw_id": str(world.draw_id),
        "lead_id": str(world.lead_id),
        "network_id": network or "N-unknown",
        "code": world.area,
        "sweep_no": world.sweep_no,
        "figure": "retailers",
    }


def page_urls(served: MarkupApp, username: str) -> list[str]:
    """Every page of the app, its parameters filled for ``username``."""
    samples = _samples(served, username)
    return [
        served.url + fill_path(path, samples) + QUERIES.get(path, "")
        for path in page_paths(served.app)
    ]


def _context(browser: Any, served: MarkupApp, username: str, size: dict[str, int]) -> Any:
    phone = size["width"] < 600
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, locale="zh-CN")
    token = create_access_token(username, secret_key=SECRET, minutes=30)
    context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": served.url}])
    context.add_init_script(CAPTURE_MAPS_JS)
    return context


def open_page(context: Any, url: str, *, phone: bool = False) -> PageReport:
    """Open ``url`` in a new tab of ``context``; everything wrong with it, and its texts."""
    page = context.new_page()
    strict = StrictPage(page)
    report = PageReport(url, None)

    def refused_on_purpose(response: Any) -> None:
        # A role refused a page gets the refused page (403 or 404): that is no fault.
        if response.request.is_navigation_request() and response.status in REFUSED:
            strict.expect_status(response.status, urlparse(response.url).path)

    page.on("response", refused_on_purpose)
    strict.attach()
    pending = track_requests(page)
    try:
        response = page.goto(url, wait_until="load")
        report.status = response.status if response is not None else None
        settle(page, pending)
        report.texts.append(page.inner_text("body"))
        report.texts.extend(page.evaluate(OPEN_POPUPS_JS, POPUPS_PER_MAP))
        report.problems.extend(f"made from markup: {m}" for m in page.evaluate(MARKUP_RAN_JS))
        if phone:
            report.problems.extend(phone_problems(page.evaluate(PHONE_LAYOUT_JS)))
    except Exception as error:  # a timeout or a crash is a finding too
        report.problems.append(f"{type(error).__name__}: {error}")
    finally:
        report.problems.extend(strict.problems)
        page.close()
    return report


def track_requests(page: Any) -> set[Any]:
    """The page's requests in flight, kept up to date."""
    pending: set[Any] = set()
    page.on("request", lambda request: pending.add(request))
    page.on("requestfinished", lambda request: pending.discard(request))
    page.on("requestfailed", lambda request: pending.discard(request))
    return pending


def settle(page: Any, pending: set[Any], *, quiet_ms: int = 300, timeout_s: float = 20) -> None:
    """Wait until the page has had no request in flight for ``quiet_ms`` (its data loaded)."""
    quiet = 0
    deadline = time.monotonic() + timeout_s
    while quiet < quiet_ms and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        quiet = 0 if pending else quiet + 50


def phone_problems(layout: dict[str, Any]) -> list[str]:
    """What is wrong with a page's layout at phone width."""
    problems = []
    if layout["overflow"] > 1:
        problems.append(f"the page is {layout['overflow']} px wider than the screen")
    logout = layout["logout"]
    if logout is not None and (not logout["visible"] or logout["right"] > layout["width"] + 1):
        problems.append(f"'log out' is off screen: {logout}")
    problems.extend(f"table falls off the screen: {table}" for table in layout["wide"])
    return problems


def sweep(browser: Any, served: MarkupApp, role: str) -> list[PageReport]:
    """Every page opened as the world's user of ``role`` at 1366x768 (cached per role)."""
    if role not in served.sweeps:
        username, _ = served.world.users[role]
        context = _context(browser, served, username, DESKTOP)
        try:
            served.sweeps[role] = [open_page(context, url) for url in page_urls(served, username)]
        finally:
            context.close()
    return served.sweeps[role]


def test_pages_are_found_from_the_router(markup_app: MarkupApp) -> None:
    paths = page_paths(markup_app.app)
    for page in ("/map", "/cases", "/grids", "/dispatch", "/tickets/{ticket_no}", "/login"):
        assert page in paths
    assert "/api/v1/inspections/{draw_id}/publication" in paths
    assert not any(p.startswith("/static") or p == "/openapi.json" for p in paths)
    assert "/api/v1/retailers" not in paths


@pytest.mark.parametrize("role", ROLES)
def test_every_page_opens_clean_for_every_role(
    browser: Any, markup_app: MarkupApp, role: str
) -> None:
    reports = sweep(browser, markup_app, role)
    problems = [report.line() for report in reports if report.problems]
    assert problems == [], "\n".join(problems)


def test_every_page_answers_some_role(browser: Any, markup_app: MarkupApp) -> None:
    """A page every role is refused is a page nobody can check."""
    served: dict[str, list[int | None]] = {}
    for role in ROLES:
        for report in sweep(browser, markup_app, role):
            path = urlparse(report.url).path
            served.setdefault(path, []).append(report.status)
    unserved = {path: codes for path, codes in served.items() if 200 not in codes}
    assert unserved == {}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone(browser: Any, markup_app: MarkupApp, role: str) -> None:
    """At 390 px: the pages a role opens keep "log out" on screen and tables on the page."""
    username, _ = markup_app.world.users[role]
    context = _context(browser, markup_app, username, PHONE)
    try:
        reports = [
            open_page(context, report.url, phone=True)
            for report in sweep(browser, markup_app, role)
            if report.status == 200
        ]
    finally:
        context.close()
    problems = [report.line() for report in reports if report.problems]
    assert problems == [], "\n".join(problems)


def test_names_made_of_markup_show_as_text(browser: Any, markup_app: MarkupApp) -> None:
    """The markup name is shown, as text, on the pages (and in their popups) that name it."""
    expected = {
        "officer": ["/map", "/grids", f"/retailers/{markup_app.world.licence}", "/tasks"],
        "dispatcher": ["/dispatch"],
        "liaison": ["/cases/network/", f"/leads/{markup_app.world.lead_id}"],
        "admin": ["/admin/users", "/map"],
        "leader": ["/dashboard/retailers"],
    }
    missing = []
    for role, prefixes in expected.items():
        reports = sweep(browser, markup_app, role)
        for prefix in prefixes:
            shown = [r for r in reports if urlparse(r.url).path.startswith(prefix)]
            assert shown, f"no page {prefix} for {role}"
            if not any(EVIL in text for r in shown for text in r.texts):
                missing.append(f"{role} {prefix}")
    assert missing == []


def test_manifests_show_markup_names_as_text(browser: Any, markup_app: MarkupApp) -> None:
    """The dispatcher's manifests (printable page, Excel, CSV) name the shop as text."""
    import csv
    import io

    import openpyxl

    world = markup_app.world
    username, _ = world.users[UserRole.DISPATCHER.value]
    context = _context(browser, markup_app, username, DESKTOP)
    try:
        url = f"{markup_app.url}/api/v1/routes/manifest?depot={world.depot}&date={world.day}"
        report = open_page(context, url + "&format=html")
        assert report.status == 200
        assert report.problems == []
        assert any(EVIL in text for text in report.texts)
        book = context.request.get(url + "&format=xlsx")
        assert book.status == 200
        sheets = openpyxl.load_workbook(io.BytesIO(book.body())).worksheets
        cells = [c for sheet in sheets for row in sheet.iter_rows() for c in row]
        assert EVIL in [c.value for c in cells]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        table = context.request.get(url + "&format=csv")
        assert table.status == 200
        rows = list(csv.reader(io.StringIO(table.body().decode("utf-8-sig"))))
        assert EVIL in {cell for row in rows for cell in row}
    finally:
        context.close()
