"""Map labels, legends and layer lists in Chromium, at 1366x768 and on a phone (390 px).

A county seat cut into many small grids must not turn into a blot of labels: labels that
would overlap are hidden at that zoom and come back closer in. The legend folds on a phone
and covers no grid on a laptop; the layer list is folded on a phone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pytest
from shapely.geometry import box

from maps.assets import write_map
from maps.grids import build_grids_map

from ._web import DESKTOP, PHONE, save_screenshots

pytestmark = pytest.mark.browser

WGS84: Final = "EPSG:4326"
OVERLAPS_JS: Final = """() => {
    const shown = Array.from(document.querySelectorAll('.gm-label-icon'))
        .filter(i => i.style.visibility !== 'hidden');
    const boxes = shown.map(i => {
        const r = document.createRange(); r.selectNodeContents(i);
        return r.getBoundingClientRect();
    });
    let overlaps = 0;
    for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) {
        const p = boxes[a], q = boxes[b];
        if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) {
            overlaps++;
        }
    }
    return {shown: shown.length, all: document.querySelectorAll('.gm-label-icon').length,
            overlaps};
}"""
LAYOUT_JS: Final = """() => {
    const box = el => el.getBoundingClientRect();
    const legend = document.querySelector('.gm-legend');
    const grids = Array.from(document.querySelectorAll('path.leaflet-interactive'))
        .map(box).filter(r => r.width > 0);
    const l = box(legend);
    const under = grids.filter(r => r.left < l.right && l.left < r.right &&
                                    r.top < l.bottom && l.top < r.bottom).length;
    return {
        legendOpen: legend.querySelector('details').open,
        legendWidth: l.width,
        gridsUnderLegend: under,
        layersFolded: !document.querySelector('.leaflet-control-layers')
            .classList.contains('leaflet-control-layers-expanded'),
    };
}"""


@pytest.fixture(scope="module")
def seat_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A county whose seat is cut into 144 small grids, the rest into 8 large ones."""
    county = gpd.GeoDataFrame(
        {"code": ["150924"], "name": ["兴和县"]},
        geometry=[box(113.5, 40.6, 114.5, 41.2)],
        crs=WGS84,
    )
    cells = [
        box(113.95 + i * 0.005, 40.88 + j * 0.005, 113.955 + i * 0.005, 40.885 + j * 0.005)
        for i in range(12)
        for j in range(12)
    ]
    cells += [box(113.5 + i * 0.25, 40.6, 113.75 + i * 0.25, 40.85) for i in range(4)]
    cells += [box(113.5 + i * 0.25, 40.95, 113.75 + i * 0.25, 41.2) for i in range(4)]
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"G{i:03d}" for i in range(len(cells))],
            "county_code": "150924",
            "workload": [100.0 + i % 7 for i in range(len(cells))],
            "monopoly_officer": [f"专管员{i}" for i in range(len(cells))],
        },
        geometry=cells,
        crs=WGS84,
    )
    folder = tmp_path_factory.mktemp("labels")
    return write_map(build_grids_map(county, grids), folder / "grids.html")


def _open(browser: Any, path: Path, size: dict[str, int]) -> tuple[Any, Any]:
    phone = size["width"] < 600
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.gm-label-icon').length > 0")
    page.wait_for_timeout(400)
    assert errors == []
    return context, page


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_labels_never_overlap_and_come_back_when_zoomed_in(
    browser: Any, seat_map: Path, size: dict[str, int], screenshots: Path
) -> None:
    context, page = _open(browser, seat_map, size)
    try:
        far = page.evaluate(OVERLAPS_JS)
        assert far["overlaps"] == 0
        assert 0 < far["shown"] < far["all"], far  # the seat's labels cannot all fit
        save_screenshots(page, screenshots, f"labels-{size['width']}", sizes=[size])
        page.evaluate(
            "() => { const m = window[document.querySelector('.folium-map').id];"
            " m.setView([40.91, 113.98], 16, {animate: false}); }"
        )
        page.wait_for_timeout(400)
        near = page.evaluate(OVERLAPS_JS)
        assert near["overlaps"] == 0
        assert near["shown"] > far["shown"] // 4  # closer in, the seat's grids are named
    finally:
        context.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_legend_and_layers_fold_on_a_phone_and_cover_no_grid(
    browser: Any, seat_map: Path, size: dict[str, int]
) -> None:
    phone = size["width"] < 600
    context, page = _open(browser, seat_map, size)
    try:
        layout = page.evaluate(LAYOUT_JS)
        assert layout["legendOpen"] is not phone
        assert layout["layersFolded"] is phone
        if phone:
            assert layout["legendWidth"] < size["width"] / 2
            page.click(".gm-legend summary")
            assert page.evaluate(LAYOUT_JS)["legendOpen"] is True
        else:
            assert layout["gridsUnderLegend"] == 0
    finally:
        context.close()
