"""Every HTML file ``gridmgmt demo`` writes opens in Chromium from disk, offline, clean.

The files are found by walking the output folder, so a file added to the demo later is opened
too. Each fails the test on any console error, script error, failed request, request to a
host other than loopback, or dialog (``routes.html`` once opened blank with
``$ is not defined``); a map in a file must draw something. Screenshots of each file at
1366x768 and 390x844 go to ``$GRIDMGMT_SCREENSHOTS`` (else a temporary folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from ._web import DESKTOP, PHONE, StrictPage, save_screenshots

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPECTED: Final = (
    "overview.html",
    "grids.html",
    "rules.html",
    "routes.html",
    "case-network.html",
)
"""Files every demo writes (more are found by walking the folder)."""

DRAWN_JS: Final = """() => Array.from(document.querySelectorAll('.folium-map')).map(m => ({
    id: m.id,
    drawn: m.querySelectorAll('.leaflet-interactive, .leaflet-marker-icon').length,
}))"""
"""Per folium map of the page: how many shapes and markers it drew."""


def demo_html_files(out: Path) -> list[Path]:
    """Every HTML file under ``out`` except the copied Leaflet assets, sorted."""
    return sorted(p for p in out.rglob("*.html") if "static" not in p.relative_to(out).parts)


@pytest.fixture
def phone_and_desktop(browser: Any) -> Iterator[dict[str, Any]]:
    contexts = {
        "desktop": browser.new_context(viewport=DESKTOP, locale="zh-CN"),
        "phone": browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
        ),
    }
    yield contexts
    for context in contexts.values():
        context.close()


def open_file(context: Any, path: Path) -> list[str]:
    """Open ``path`` in a new tab; every problem seen, including maps that drew nothing."""
    page = context.new_page()
    strict = StrictPage(page).attach()
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        problems = list(strict.problems)
        problems += [
            f"map {m['id']} drew nothing" for m in page.evaluate(DRAWN_JS) if m["drawn"] == 0
        ]
    finally:
        page.close()
    return problems


def test_every_demo_html_file_opens_clean_offline(
    demo_out: Path, phone_and_desktop: dict[str, Any], screenshots: Path
) -> None:
    files = demo_html_files(demo_out)
    names = {str(p.relative_to(demo_out)) for p in files}
    assert set(EXPECTED) <= names, f"missing from the demo: {set(EXPECTED) - names}"
    assert any(n.startswith("routes/") for n in names), "no printable manifest written"
    problems = []
    for path in files:
        name = str(path.relative_to(demo_out))
        for size, context in phone_and_desktop.items():
            problems += [f"{name} ({size}): {p}" for p in open_file(context, path)]
    assert problems == [], "\n".join(problems)
    page = phone_and_desktop["desktop"].new_page()
    try:
        for path in files:
            page.goto(path.as_uri(), wait_until="load")
            stem = str(path.relative_to(demo_out)).replace("/", "_").removesuffix(".html")
            save_screenshots(page, screenshots, f"demo-{stem}")
    finally:
        page.close()
