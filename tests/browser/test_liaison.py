"""Lead handover in Chromium at 1366x768 and 390x844: liaison A (兴和县) sends a lead from a
case to 天镇县, liaison B (天镇县) acknowledges and accepts it, A sees the state change and
B can open the case. Screenshots of each page at both widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gridmgmt.domain import UserRole

from ..api.conftest import add_test_user
from ..gridmgmt.leads.leads_world import TIANZHEN, XINGHE, add_cases
from ._web import StrictPage, save_screenshots
from .conftest import WebApp

pytestmark = pytest.mark.browser
PASSWORD = "liaison-walk-password"


@pytest.fixture
def liaisons(web_app: WebApp) -> WebApp:
    add_cases(web_app.database_url)
    add_test_user(web_app.database_url, "xl", PASSWORD, UserRole.LIAISON, [XINGHE])
    add_test_user(web_app.database_url, "tl", PASSWORD, UserRole.LIAISON, [TIANZHEN])
    return web_app


def _log_in(page: Any, web_app: WebApp, username: str, path: str) -> None:
    page.goto(f"{web_app.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def test_send_acknowledge_accept(
    liaisons: WebApp,
    strict_page: StrictPage,
    browser: Any,
    viewport: dict[str, int],
    screenshots: Path,
) -> None:
    name = f"liaison-{viewport['width']}"
    a = strict_page.page
    _log_in(a, liaisons, "xl", "/leads?box=suggested")
    assert "X-100" in a.inner_text(".lm-suggested")
    save_screenshots(a, screenshots, f"{name}-suggested")
    a.click(".lm-suggested a")
    a.wait_for_selector("#lm-send-form")
    assert a.is_checked(f"input[name=to][value='{TIANZHEN}']")
    a.fill("#lm-note", "仓库在贵县南河堡乡,请核查")
    a.select_option("#lm-urgency", "urgent")
    save_screenshots(a, screenshots, f"{name}-send")
    a.click("#lm-send")
    a.wait_for_url("**/leads?box=outbox*")
    assert "已移交" in a.inner_text("#lead-1")
    save_screenshots(a, screenshots, f"{name}-outbox")

    is_phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport, is_mobile=is_phone, has_touch=is_phone, locale="zh-CN"
    )
    b_strict = StrictPage(context.new_page()).attach()
    b = b_strict.page
    try:
        _log_in(b, liaisons, "tl", "/leads")
        assert "兴和县" in b.inner_text("#lead-1")
        b.click("#lead-1 a")
        b.wait_for_selector("#lm-ack")
        assert "请核查" in b.inner_text("main")
        b.click("#lm-ack")
        b.wait_for_url("**/leads/1?done=ack")
        assert b.inner_text("#lm-state") == "已签收"
        b.click("#lm-accept")
        b.wait_for_url("**/leads/1?done=accept")
        assert b.inner_text("#lm-state") == "已接收"
        assert len(b.locator("#lm-history li").all()) == 3
        save_screenshots(b, screenshots, f"{name}-receiver")
        answer = b.goto(f"{liaisons.url}/api/v1/cases/X-100")
        assert answer is not None
        assert answer.status == 200  # shared read-only with the receiver
        b_strict.check()
    finally:
        context.close()

    a.goto(f"{liaisons.url}/leads/1")
    assert a.inner_text("#lm-state") == "已接收"
    assert a.locator("#lm-accept").count() == 0
    save_screenshots(a, screenshots, f"{name}-sender")
