"""Browser fixtures: headless Chromium driven by playwright, with the network cut off.

Every request that is not a file or on loopback is blocked and recorded, so a page that
needed a CDN fails its test.

For the served application: ``web_app`` (the real app on uvicorn over the API tests'
world), ``strict_page`` (a page at each ``viewport``, desktop 1366x768 and phone 390x844,
failing the test on any console error or failed request) and ``screenshots`` (the folder,
``$GRIDMGMT_SCREENSHOTS`` or a temporary one; save with ``_web.save_screenshots``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from ._web import VIEWPORTS, StrictPage, screenshot_dir, serve

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Markers shown one by one plus those counted inside cluster bubbles.
COUNT_RETAILERS_JS = """() => {
    const single = document.querySelectorAll('path.gm-retailer').length;
    const clustered = Array.from(document.querySelectorAll('.marker-cluster span'))
        .reduce((sum, span) => sum + parseInt(span.textContent, 10), 0);
    return {single, clustered, clusters: document.querySelectorAll('.marker-cluster').length};
}"""


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """A headless Chromium (found by the root ``chromium_path`` fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class OfflinePage:
    """A page whose non-local requests are blocked and recorded, with its script errors."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``gridmgmt demo`` wrote (built once per session: about a minute)."""
    from typer.testing import CliRunner

    from gridmgmt.cli import commands  # noqa: F401  (registers the commands)
    from gridmgmt.cli._app import app

    out = tmp_path_factory.mktemp("demo-out")
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def offline(browser: Any) -> Iterator[OfflinePage]:
    context = browser.new_context()
    page = context.new_page()
    offline_page = OfflinePage(page)

    def only_local(route: Any) -> None:
        url = route.request.url
        parsed = urlparse(url)
        if parsed.scheme in {"file", "data", "blob"} or parsed.hostname in LOOPBACK:
            route.continue_()
        else:
            offline_page.blocked.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.on("pageerror", lambda error: offline_page.errors.append(str(error)))
    yield offline_page
    context.close()


def wait_for_retailers(page: Any, expected: int) -> dict[str, int]:
    """Counts of drawn retailers once they add up to ``expected`` on two looks in a row.

    Cluster icons are swapped during zoom animations, when a look can count both sets.
    """
    page.wait_for_function("() => window.L !== undefined", timeout=10_000)
    deadline = time.monotonic() + 15
    steady = 0
    counts: dict[str, int] = page.evaluate(COUNT_RETAILERS_JS)
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        counts = page.evaluate(COUNT_RETAILERS_JS)
        steady = steady + 1 if counts["single"] + counts["clustered"] == expected else 0
        if steady == 2:
            break
    return counts


@pytest.fixture
def retailers_drawn() -> Any:
    """The function counting drawn retailers, for tests to call on their page."""
    return wait_for_retailers


# --- the served web application -------------------------------------------------------------


@dataclass(frozen=True)
class WebApp:
    """The app served on loopback over the API tests' world, with its users' passwords."""

    url: str
    database_url: str
    passwords: dict[str, str]


@pytest.fixture
def web_app(sqlite_url: str) -> Iterator[WebApp]:
    """The real app (uvicorn on a free loopback port) over the API tests' world.

    Three counties in three provinces with retailers, schools and checkpoints; officers
    ``alice`` (兴和县) and ``bob`` (天镇县), liaison ``lucy``; see ``tests/api/conftest.py``.
    """
    from api.main import create_app

    from ..api.conftest import make_settings, seed

    world = seed(sqlite_url)
    with serve(create_app(make_settings(sqlite_url))) as url:
        yield WebApp(url=url, database_url=sqlite_url, passwords=world.passwords)


@pytest.fixture(params=sorted(VIEWPORTS), ids=sorted(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """Each screen size the app must work at: desktop (1366x768) and phone (390x844)."""
    size: dict[str, int] = VIEWPORTS[request.param]
    return size


@pytest.fixture
def strict_page(browser: Any, viewport: dict[str, int]) -> Iterator[StrictPage]:
    """A page at ``viewport`` that fails the test on any console error or failed request.

    The browser asks for Chinese (``Accept-Language: zh-CN``), as the bureaus' browsers do.
    """
    is_phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport, is_mobile=is_phone, has_touch=is_phone, locale="zh-CN"
    )
    strict = StrictPage(context.new_page()).attach()
    yield strict
    try:
        strict.check()
    finally:
        context.close()


@pytest.fixture
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder screenshots go to (``$GRIDMGMT_SCREENSHOTS``, else a temporary one)."""
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))
