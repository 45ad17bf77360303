"""The web shell in Chromium at 1366x768 and 390x844: log in, map, language, log out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gridmgmt.store import db
from gridmgmt.store.models.web import RevokedSession

from ._web import StrictPage, save_screenshots

pytestmark = pytest.mark.browser

# The visible items of the header bar: its own children, and the menu's items while the
# menu lies in the bar (on a phone it folds into a panel below the bar).
HEADER_BOXES_JS = """() => {
    const bar = document.querySelector('.gm-bar');
    const menu = bar.querySelector('.gm-menu');
    const inline = getComputedStyle(menu).position !== 'absolute';
    const items = Array.from(bar.children).filter(el => el !== menu);
    if (inline) {
        items.push(...menu.querySelectorAll(
            '.gm-nav > a, .gm-tools > *, .gm-menu > a, .gm-user, .gm-locale'));
    }
    return items
        .filter(el => el.offsetParent !== null)
        .map(el => {
            const r = el.getBoundingClientRect();
            return {item: el.className || el.tagName, text: el.textContent.trim().slice(0, 20),
                    left: r.left, right: r.right, top: r.top, bottom: r.bottom};
        })
        .filter(b => b.right > b.left && b.bottom > b.top);
}"""


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


def _assert_bar_is_clean(page: Any, width: int) -> None:
    """The bar's own items fit the screen and do not cover each other."""
    boxes = page.evaluate(HEADER_BOXES_JS)
    assert boxes, "no header items"
    for box in boxes:
        assert box["left"] >= 0, box
        assert box["right"] <= width + 0.5, box
        assert box["bottom"] <= 44.5, box
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlaps(a, b), (a, b)


def _open_menu_if_folded(page: Any) -> bool:
    toggle = page.locator(".gm-menu-toggle")
    if not toggle.is_visible():
        return False
    toggle.click()
    page.locator(".gm-menu").wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"
    return True


def _log_in(page: Any, base: str, password: str) -> None:
    page.goto(f"{base}/map")
    page.wait_for_url(f"{base}/login?next=/map")
    assert page.locator("h2").inner_text() == "登录"
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", password)
    page.click("form.gm-card button[type=submit]")
    page.wait_for_url(f"{base}/map")


def test_login_map_language_and_logout(
    web_app: Any,
    strict_page: StrictPage,
    viewport: dict[str, int],
    screenshots: Path,
    retailers_drawn: Any,
) -> None:
    page, base, width = strict_page.page, web_app.url, viewport["width"]
    phone = width < 600
    sizes = [viewport]

    page.goto(f"{base}/login")
    save_screenshots(page, screenshots, "01-login-zh", sizes=sizes)
    _log_in(page, base, web_app.passwords["alice"])
    counts = retailers_drawn(page, 3)
    assert counts["single"] + counts["clustered"] == 3

    # Chinese by default; log out is in the bar and on screen at both widths.
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    logout = page.locator(".gm-logout button")
    assert logout.is_visible()
    assert logout.inner_text() == "退出"
    _assert_bar_is_clean(page, width)
    assert page.locator(".gm-nav").is_visible() is not phone
    save_screenshots(page, screenshots, "02-map-zh", sizes=sizes)

    # The menu holds the nav, the user and the language switch (folded on a phone).
    if _open_menu_if_folded(page):
        save_screenshots(page, screenshots, "03-map-menu-zh", sizes=sizes)
    nav = page.locator(".gm-nav a")
    assert nav.all_inner_texts() == [
        "地图",
        "网格",
        "任务",
        "工单",
        "案件",
        "联合整治",
    ]  # an officer's pages
    assert page.locator(".gm-user").inner_text() == "Alice · 专管员"

    page.locator(".gm-locale a", has_text="English").click()
    page.wait_for_url(f"{base}/map")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    retailers_drawn(page, 3)
    assert page.locator(".gm-logout button").inner_text() == "Log out"
    _assert_bar_is_clean(page, width)
    save_screenshots(page, screenshots, "04-map-en", sizes=sizes)

    _open_menu_if_folded(page)
    page.locator(".gm-nav a", has_text="Cases").click()
    page.wait_for_url(f"{base}/cases")
    assert page.locator("h2").inner_text() == "Case networks (0)"
    assert page.locator(".gm-nav a[aria-current=page]").inner_text() == "Cases"
    _assert_bar_is_clean(page, width)
    save_screenshots(page, screenshots, "05-cases-en", sizes=sizes)

    page.locator(".gm-logout button").click()
    page.wait_for_url(f"{base}/login")
    assert page.locator("h2").inner_text() == "Log in"
    save_screenshots(page, screenshots, "06-logged-out-en", sizes=sizes)
    with db.session_factory(web_app.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(RevokedSession)) == 1
    page.goto(f"{base}/map")
    page.wait_for_url(f"{base}/login?next=/map")


def test_bookmarked_logout_link_posts(web_app: Any, strict_page: StrictPage) -> None:
    page, base = strict_page.page, web_app.url
    _log_in(page, base, web_app.passwords["alice"])
    page.goto(f"{base}/logout")
    page.locator("form.gm-card button[type=submit]").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/cases")
    page.wait_for_url(f"{base}/login?next=/cases")
