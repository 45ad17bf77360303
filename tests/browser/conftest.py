"""Browser fixtures: headless Chromium driven by playwright, with the network cut off.

Every request that is not a file or on loopback is blocked and recorded, so a page that
needed a CDN fails its test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest

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
