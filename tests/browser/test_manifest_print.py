"""The printable driver manifest in Chromium: A4 portrait pages whose columns all fit, and a
phone (390 px) that shows each stop as a card with nothing off the screen."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Final

import pytest

from gridmgmt.routing.driver_manifest import RetailerContact
from gridmgmt.routing.model import DayPlan, PlannedRoute, PlannedStop
from gridmgmt.services.routes.manifests import manifest_html

from ._web import PHONE, save_screenshots

pytestmark = pytest.mark.browser

DAY: Final = dt.date(2026, 11, 16)
A4_POINTS: Final = (595.28, 841.89)  # 210 x 297 mm
FITS_JS: Final = """() => {
    const body = document.body.getBoundingClientRect();
    const out = [];
    for (const el of document.querySelectorAll('table, td, th, .route-head')) {
        const r = el.getBoundingClientRect();
        // half a border may spill past the body
        if (r.width && r.right > body.right + 2) { out.push(el.tagName + ' ' + Math.round(r.right)); }
    }
    return {overflow: document.documentElement.scrollWidth - window.innerWidth, out,
            bodyWidth: body.width};
}"""


def _plan(stops: int = 40) -> tuple[DayPlan, dict[str, RetailerContact]]:
    contacts = {}
    planned = []
    for k in range(1, stops + 1):
        licence = f"1509240{k:05d}"
        contacts[licence] = RetailerContact(
            f"兴和县城关镇第{k}号便民烟酒副食综合商店（人民路分店）",
            f"乌兰察布市兴和县城关镇人民路与建设街交叉口东北角{k}号商铺",
            f"139474{k:05d}",
        )
        start = 8 * 3600 + k * 600
        planned.append(
            PlannedStop(
                f"{licence}@{DAY}", licence, k, k, 113.9 + k / 500, 40.9 + (k % 7) / 300,
                k % 30 + 1, start, start, start + 300, 1500.0, 200.0,
                tw_start_s=8 * 3600, tw_end_s=17 * 3600,
            )
        )  # fmt: skip
    route = PlannedRoute(
        "蒙JV2307#1",
        "蒙JV2307",
        "D150924",
        1500,
        8 * 3600,
        17 * 3600,
        tuple(planned),
        3000.0,
        400.0,
    )
    return DayPlan(DAY, (route,), ()), contacts


@pytest.fixture(scope="module")
def manifest() -> str:
    plan, contacts = _plan()
    return manifest_html(plan, title="兴和县配送中心", contacts=contacts, depot_at=(113.88, 40.88))


def test_prints_on_a4_portrait_with_every_column_on_the_page(
    offline: Any, manifest: str, tmp_path: Path
) -> None:
    page = offline.page
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # 190 mm at 96 dpi
    page.set_content(manifest)
    fits = page.evaluate(FITS_JS)
    assert fits["out"] == []
    assert fits["overflow"] <= 1  # at most the half border rounded up
    pdf = page.pdf(prefer_css_page_size=True)
    (tmp_path / "manifest.pdf").write_bytes(pdf)
    boxes = [
        (float(m.group(1)), float(m.group(2)))
        for m in re.finditer(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    ]
    assert boxes
    for width, height in boxes:  # every page A4 portrait
        assert abs(width - A4_POINTS[0]) < 1.5
        assert abs(height - A4_POINTS[1]) < 1.5
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 2 <= pages <= 6  # forty stops: a few pages, not one per stop


def test_a_phone_shows_each_stop_as_a_card(offline: Any, manifest: str, screenshots: Path) -> None:
    page = offline.page
    page.set_viewport_size(PHONE)
    page.set_content(manifest)
    fits = page.evaluate(FITS_JS)
    assert fits["overflow"] <= 0
    assert fits["out"] == []
    label = page.evaluate(
        "() => getComputedStyle(document.querySelector('td[data-label]'), '::before').content"
    )
    assert "顺序" in label
    assert page.locator('a[href="tel:13947400001"]').count() == 1
    save_screenshots(page, screenshots, "manifest-phone", sizes=[PHONE])
