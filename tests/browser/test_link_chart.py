"""The link chart in Chromium: no two labels shown on top of each other, the legend over no
node, and a label left out shows when the pointer is on its node."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Final

import networkx as nx
import pytest

from maps.link_chart import link_chart_svg

from ._web import save_screenshots

pytestmark = pytest.mark.browser

BOXES_JS: Final = """() => {
    const box = el => { const r = el.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom]; };
    const shown = el => getComputedStyle(el).display !== 'none';
    return {
        labels: Array.from(document.querySelectorAll('.gm-node text')).filter(shown).map(box),
        nodes: Array.from(document.querySelectorAll('.gm-node circle, .gm-node rect')).map(box),
        legend: box(document.querySelector('.gm-chart-legend')),
    };
}"""
KINDS: Final = ("person", "phone", "plate", "waybill", "address", "company", "bank_account")


def dense_network(cases: int = 12, seed: int = 7) -> nx.Graph:
    """Cases that share a few people and phones, each with many identifiers of its own."""
    rng = random.Random(seed)
    chart = nx.Graph()
    for i in range(cases):
        chart.add_node(
            f"case:C-{i}", node_type="case", case_no=f"140222-2022-{i:05d}",
            county_code="140222", type="counterfeit",
        )  # fmt: skip
    for j in range(10):  # shared: each links two to four cases
        node = f"shared:{j}"
        linked = rng.sample(range(cases), rng.randint(2, 4))
        chart.add_node(
            node, node_type="entity", kind=KINDS[j % len(KINDS)], label=f"天镇县共用要素{j}号",
            valid=True, cases_touched=len(linked),
        )  # fmt: skip
        for i in linked:
            chart.add_edge(f"case:C-{i}", node, roles=("联系人",))
    for i in range(cases):  # own: many leaves per case
        for k in range(rng.randint(3, 8)):
            node = f"own:{i}:{k}"
            chart.add_node(
                node, node_type="entity", kind=KINDS[k % len(KINDS)],
                label=f"+86139{i:03d}{k:05d}", valid=True, cases_touched=1,
            )  # fmt: skip
            chart.add_edge(f"case:C-{i}", node, roles=("寄件人",))
    return chart


def _overlap(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return (
        a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]
    )


def test_labels_never_overlap_and_the_legend_covers_no_node(
    offline: Any, tmp_path: Path, screenshots: Path
) -> None:
    chart = dense_network()
    page = offline.page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_content(f"<html><body style='margin:0'>{link_chart_svg(chart, hub_cap=100)}</body>")
    boxes = page.evaluate(BOXES_JS)
    labels = boxes["labels"]
    assert len(labels) >= 12, "case numbers and linking entities are written"
    clashes = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if _overlap(a, b)]
    assert clashes == []
    assert [n for n in boxes["nodes"] if _overlap(n, boxes["legend"], 0)] == []
    save_screenshots(page, screenshots, "link-chart")
    assert offline.errors == []


def test_a_hidden_label_shows_on_hover(offline: Any) -> None:
    chart = dense_network()
    page = offline.page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_content(f"<html><body style='margin:0'>{link_chart_svg(chart)}</body>")
    hidden = page.locator(".gm-node:has(.gm-hover-label)").first
    label = hidden.locator(".gm-hover-label")
    assert not label.is_visible()
    hidden.locator("circle, rect").first.hover()
    assert label.is_visible()


def test_a_network_summary_fits_a_phone(offline: Any, screenshots: Path) -> None:
    """At 390 px the timeline and the central people scroll in their own boxes: the page
    itself never scrolls sideways."""
    import datetime as dt

    from gridmgmt.cases.networks import Centrality, Network, TimelineEntry
    from maps.cases import PAGE_STYLE, network_summary_html

    cases = tuple(f"130725/130725-2022-{i:05d}" for i in range(4))
    network = Network(
        network_id="N-130725", cases=cases, counties=("130725",), provinces=("13",),
        cross_province=False, signal_provinces=(), cross_province_signals=(),
        stages=("sale", "source", "transport"), network_case=True,
        network_case_reasons=("4 linked cases (rule: at least 3)",),
        first_opened=dt.date(2022, 7, 25), last_opened=dt.date(2023, 1, 11),
        seized_cartons=1050, value_yuan=159500,
    )  # fmt: skip
    timeline = [
        TimelineEntry(
            case_no=no,
            opened_on=dt.date(2022, 7, 25 + i),
            county_code="130725",
            type="courier_shipment",
            seized_cartons=None,
            value_yuan=None,
            linked_to_earlier=tuple(f"+8617622910{k:03d} 顺达物流运单SF{k:012d}" for k in range(i)),
        )
        for i, no in enumerate(cases)
    ]
    central = [Centrality("p:1", "person", "徐强伟 (440513196802081681)", 4, 0.5)]
    page = offline.page
    page.set_viewport_size({"width": 390, "height": 844})
    body = network_summary_html(network, timeline, central, county_names={"130725": "尚义县"})
    page.set_content(
        f"<html><head>{PAGE_STYLE}</head><body style='margin:0'>"
        f"<main class='gm-network'>{body}</main></body></html>"
    )
    fits = "() => document.querySelector('.gm-network').scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    assert page.locator(".gm-scroll > table.gm-timeline").count() == 1
    assert page.locator(".gm-scroll > table.gm-central").count() == 1
    page.locator(".gm-timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "network-summary-390.png"))
    assert offline.errors == []
