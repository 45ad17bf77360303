"""The case network views: the inline SVG link chart, the map, and the offline page."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box

from gridmgmt.cases.networks import Centrality, Network, TimelineEntry
from maps.assets import remote_references, render_html
from maps.cases import (
    CROSS_COUNTY_COLOUR,
    CROSS_PROVINCE_COLOUR,
    KIND_COLOURS,
    build_case_network_map,
    link_chart_svg,
    network_page,
    render_network_page,
    write_network_page,
)

WGS84 = "EPSG:4326"


@pytest.fixture
def chart() -> nx.Graph:
    """Two cases sharing a phone; one has an invalid ID number and a hub company."""
    graph = nx.Graph()
    for case_no, county in (("X-1", "150924"), ("T-1", "140222")):
        graph.add_node(
            f"case:{case_no}",
            node_type="case",
            case_no=case_no,
            county_code=county,
            type="counterfeit",
        )
    graph.add_node(
        "phone:+8613947461234",
        node_type="entity",
        kind="phone",
        label="+8613947461234",
        valid=True,
        cases_touched=2,
    )
    graph.add_node(
        "id_number:!1509",
        node_type="entity",
        kind="id_number",
        label="<script>alert(1)</script>",
        valid=False,
        cases_touched=1,
    )
    graph.add_node(
        "company:~顺达物流",
        node_type="entity",
        kind="company",
        label="顺达物流有限公司",
        valid=True,
        cases_touched=140,
    )
    graph.add_edge("case:X-1", "phone:+8613947461234", roles=("司机",))
    graph.add_edge("case:T-1", "phone:+8613947461234", roles=("供货人", "寄件人"))
    graph.add_edge("case:X-1", "id_number:!1509", roles=())
    graph.add_edge("case:T-1", "company:~顺达物流", roles=("托运单位",))
    return graph


def test_chart_labels_cases_colours_kinds_and_labels_edges(chart: nx.Graph) -> None:
    svg = link_chart_svg(chart, hub_cap=100, title="网络 N-T-1")
    assert svg.startswith('<svg class="gm-link-chart"')
    assert svg.count('class="gm-node gm-kind-case"') == 2
    assert ">X-1</text>" in svg
    assert ">T-1</text>" in svg
    assert f'fill="{KIND_COLOURS["phone"]}"' in svg
    assert ">司机</text>" in svg
    assert ">供货人 / 寄件人</text>" in svg
    assert "gm-hub" in svg  # 140 cases > hub_cap
    assert 'stroke-dasharray="3 2"' in svg  # invalid and hub entities
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert remote_references(svg) == []


def test_chart_is_the_same_each_time(chart: nx.Graph) -> None:
    assert link_chart_svg(chart) == link_chart_svg(chart.copy())


def test_chart_of_nothing_or_one_case() -> None:
    assert "<svg" in link_chart_svg(nx.Graph())
    single = nx.Graph()
    single.add_node("case:A", node_type="case", case_no="A", county_code="150924", type="smuggled")
    svg = link_chart_svg(single)
    coordinates = [float(v) for v in re.findall(r'x="([\d.]+)"', svg)]
    assert all(0 <= v <= 2000 for v in coordinates)


def _frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    cases = gpd.GeoDataFrame(
        {
            "case_no": ["X-1", "X-2", "T-1", "U-1"],
            "county_code": ["150924", "150924", "140222", "150981"],
            "county": ["兴和县", "兴和县", "天镇县", "丰镇市"],
            "opened_on": ["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01"],
            "type": ["counterfeit", "smuggled", "courier_shipment", "counterfeit"],
            "status": ["open", "closed", "open", "open"],
            "seized_cartons": [10.0, None, 20.0, 1.0],
            "value_yuan": [1000.0, None, 3000.0, 1.0],
            "summary": ["<b>假烟</b>", "", "快递", "无坐标"],
        },
        geometry=[Point(113.8, 40.9), Point(113.9, 40.95), Point(114.6, 40.6), None],
        crs=WGS84,
    )
    links = gpd.GeoDataFrame(
        {
            "from_case": ["T-1", "X-1", "U-1"],
            "to_case": ["X-1", "X-2", "X-1"],
            "weight": [1.0, 0.5, 0.9],
            "strong": [True, False, True],
            "evidence": ["张伟 (person)", "+86139 (phone)", "x"],
            "cross_county": [True, False, True],
            "cross_province": [True, False, False],
        },
        geometry=[
            LineString([(114.6, 40.6), (113.8, 40.9)]),
            LineString([(113.8, 40.9), (113.9, 40.95)]),
            None,
        ],
        crs=WGS84,
    )
    counties = gpd.GeoDataFrame(
        {"code": ["150924", "140222"], "name": ["兴和县", "天镇县"]},
        geometry=[
            MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
            MultiPolygon([box(114.3, 40.4, 115.0, 41.0)]),
        ],
        crs=WGS84,
    )
    return cases, links, counties


def test_map_draws_cases_and_border_crossing_links_offline() -> None:
    html = render_html(build_case_network_map(*_frames()))
    assert remote_references(html) == []
    assert "X-1" in html
    assert "T-1" in html
    assert CROSS_PROVINCE_COLOUR in html
    assert "\\u0026lt;b\\u0026gt;" in html  # popups escaped (then JSON-encoded)
    assert "U-1" not in html  # no location, not drawn
    assert CROSS_COUNTY_COLOUR in html  # in the legend


def test_map_in_gcj02_tiles_moves_the_points() -> None:
    plain = render_html(build_case_network_map(*_frames()))
    shifted = render_html(
        build_case_network_map(
            *_frames(), tile_url="http://tiles.local/{z}/{x}/{y}.png", tile_crs="gcj02"
        )
    )
    assert "[40.9, 113.8]" in plain
    assert "[40.9, 113.8]" not in shifted
    assert remote_references(shifted, allowed=("http://tiles.local",)) == []


def _network() -> Network:
    return Network(
        network_id="N-T-1",
        cases=("T-1", "X-1", "X-2"),
        counties=("140222", "150924"),
        provinces=("14", "15"),
        cross_province=True,
        signal_provinces=(),
        cross_province_signals=(),
        stages=("source", "transport"),
        network_case=True,
        network_case_reasons=("3 linked cases (rule: at least 3)",),
        first_opened=date(2023, 1, 1),
        last_opened=date(2023, 3, 1),
        seized_cartons=30.0,
        value_yuan=4000.0,
    )


def test_network_page_is_complete_and_offline(chart: nx.Graph, tmp_path: Path) -> None:
    timeline = [
        TimelineEntry("X-1", date(2023, 1, 1), "150924", "counterfeit", 10.0, 1000.0, ()),
        TimelineEntry(
            "T-1", date(2023, 3, 1), "140222", "courier_shipment", 20.0, 3000.0, ("张伟",)
        ),
    ]
    central = [Centrality("person:1", "person", "张伟 (1509...)", 2, 0.5)]
    cases, links, counties = _frames()
    page = network_page(
        _network(),
        timeline,
        central,
        chart,
        cases,
        links,
        counties,
        hub_cap=100,
        county_names={"150924": "兴和县", "140222": "天镇县"},
        static_url="static",
    )
    html = render_network_page(page)
    assert html.startswith("<!DOCTYPE html>")
    assert remote_references(html) == []
    assert "网络案件 network case" in html
    assert "跨省 cross-province" in html
    assert "兴和县 150924" in html
    assert "<svg" in html
    assert 'src="static/leaflet/leaflet.js"' in html
    path = write_network_page(page, tmp_path / "net" / "page.html")
    assert (tmp_path / "net" / "static" / "leaflet" / "leaflet.js").is_file()
    assert path.read_text(encoding="utf-8") == html
