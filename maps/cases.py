"""Case networks (案件网络): the link chart as inline SVG and the map of a network's cases.

Both work with no network at all: the chart is an SVG drawn from a networkx layout
(:mod:`maps.link_chart`: no JavaScript, no CDN), the map is folium with the local Leaflet of
:mod:`maps.assets`. On the map, cases are points coloured by case type and each pair of
linked cases is a line, coloured by whether it crosses a county or a province border (a
network's reason to exist).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import networkx as nx

from gridmgmt.cases.model import CaseStatus, CaseType, label_zh, parse_case_enum
from gridmgmt.cases.networks import Centrality, Network, TimelineEntry
from gridmgmt.crs import CoordinateSystem
from maps.assets import MapParts, copy_assets, render_parts
from maps.base import base_map, bind_popup, display_frame, is_blank, popup_html
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend
from maps.link_chart import CASE_COLOUR, KIND_COLOURS, link_chart_svg
from maps.link_chart import kind_label as _kind_label
from maps.overview import add_counties

__all__ = [
    "CASE_TYPE_COLOURS",
    "KIND_COLOURS",
    "NetworkPage",
    "build_case_network_map",
    "link_chart_svg",
    "network_page",
    "network_summary_html",
    "networks_list_html",
    "render_network_page",
    "write_network_page",
]

CASE_TYPE_COLOURS: Final[dict[str, str]] = {
    CaseType.COUNTERFEIT.value: "#c62828",
    CaseType.SMUGGLED.value: "#6a1b9a",
    CaseType.GENUINE_OUTFLOW.value: "#ef6c00",
    CaseType.UNLICENSED_SALE.value: "#00838f",
    CaseType.COURIER_SHIPMENT.value: "#1565c0",
}
CROSS_PROVINCE_COLOUR: Final = "#d50000"
CROSS_COUNTY_COLOUR: Final = "#ff6f00"
SAME_COUNTY_COLOUR: Final = "#546e7a"


# --- the map --------------------------------------------------------------------------------


def _label(enum: type[CaseType] | type[CaseStatus], value: Any) -> str:
    if is_blank(value):
        return ""
    try:
        member = parse_case_enum(enum, str(value))
    except ValueError:
        return str(value)
    return f"{label_zh(member)} {member.value}"


def _located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not len(frame):
        return frame
    keep = frame.geometry.notna() & ~frame.geometry.is_empty
    return frame[keep.to_numpy(dtype=bool)]


def _link_colour(link: Any) -> str:
    if link.cross_province:
        return CROSS_PROVINCE_COLOUR
    if link.cross_county:
        return CROSS_COUNTY_COLOUR
    return SAME_COUNTY_COLOUR


def build_case_network_map(
    cases: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """The map of a network: its counties, its cases, and the links between them.

    Parameters
    ----------
    cases
        Points with ``case_no``, ``county``, ``county_code``, ``opened_on``, ``type``,
        ``status``, ``seized_cartons``, ``value_yuan``, ``summary``, WGS-84; cases without a
        location are left out.
    links
        Lines with ``from_case``, ``to_case``, ``weight``, ``strong``, ``evidence``,
        ``cross_county``, ``cross_province``, WGS-84.
    counties
        Boundaries with ``code`` and ``name``, WGS-84.
    tile_url, tile_attribution, tile_crs
        The tile layer (None: a plain background) and the coordinates of its imagery.
    """
    counties_d = display_frame(counties, tile_crs=tile_crs)
    cases_d = display_frame(_located(cases), tile_crs=tile_crs)
    links_d = display_frame(_located(links), tile_crs=tile_crs)
    m = base_map(counties_d, cases_d, tile_url=tile_url, tile_attribution=tile_attribution)
    add_counties(m, counties_d)
    _add_links(m, links_d)
    _add_cases(m, cases_d)
    add_legend(m, "案件网络 Case network", _map_legend())
    add_layer_control(m, collapsed=False)
    return m


def _add_links(m: folium.Map, links: gpd.GeoDataFrame) -> None:
    group = folium.FeatureGroup(name="案件关联 Links", show=True)
    for link in links.itertuples(index=False):
        coords = [(y, x) for x, y in link.geometry.coords]
        line = folium.PolyLine(
            coords,
            color=_link_colour(link),
            weight=2 + 4 * float(link.weight),
            opacity=0.85,
            dash_array=None if link.strong else "6 6",
        )
        crossing = (
            "跨省 cross-province"
            if link.cross_province
            else "跨县 cross-county"
            if link.cross_county
            else "本县 same county"
        )
        html = popup_html(
            [
                ("案件 Cases", f"{link.from_case} — {link.to_case}"),
                ("关联强度 Weight", f"{float(link.weight):.2f}"),
                ("边界 Border", crossing),
                ("共同要素 Shared", link.evidence),
            ]
        )
        bind_popup(line, html, tooltip=f"{link.from_case} — {link.to_case}")
        line.add_to(group)
    group.add_to(m)


def _add_cases(m: folium.Map, cases: gpd.GeoDataFrame) -> None:
    group = folium.FeatureGroup(name="案件 Cases", show=True)
    for case in cases.itertuples(index=False):
        point = case.geometry
        marker = folium.CircleMarker(
            [point.y, point.x],
            radius=8,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color=CASE_TYPE_COLOURS.get(str(case.type), CASE_COLOUR),
            fill_opacity=0.9,
        )
        html = popup_html(
            [
                ("案件编号 Case no.", case.case_no),
                ("县 County", f"{case.county} {case.county_code}"),
                ("立案日期 Opened", case.opened_on),
                ("案件类型 Type", _label(CaseType, case.type)),
                ("案件状态 Status", _label(CaseStatus, case.status)),
                ("查获数量 Seized (cartons)", case.seized_cartons),
                ("案值 Value (yuan)", case.value_yuan),
                ("简要案情 Summary", case.summary),
            ]
        )
        bind_popup(marker, html, tooltip=str(case.case_no))
        marker.add_to(group)
    group.add_to(m)


def _map_legend() -> list[LegendEntry]:
    entries = [
        LegendEntry(colour, _label(CaseType, value)) for value, colour in CASE_TYPE_COLOURS.items()
    ]
    entries += [
        LegendEntry(CROSS_PROVINCE_COLOUR, "跨省关联 cross-province link", "line"),
        LegendEntry(CROSS_COUNTY_COLOUR, "跨县关联 cross-county link", "line"),
        LegendEntry(SAME_COUNTY_COLOUR, "本县关联 link in one county", "line"),
    ]
    return entries


# --- the page -------------------------------------------------------------------------------


def network_summary_html(
    network: Network,
    timeline: Sequence[TimelineEntry],
    central: Sequence[Centrality],
    *,
    county_names: Mapping[str, str] | None = None,
) -> str:
    """The facts of a network as an HTML fragment: flags, counties, timeline, central people."""
    names = county_names or {}
    badges = []
    if network.network_case:
        badges.append('<span class="gm-badge gm-network-case">网络案件 network case</span>')
    if network.cross_province:
        badges.append('<span class="gm-badge gm-cross-province">跨省 cross-province</span>')
    counties = ", ".join(f"{names.get(c, c)} {c}" for c in network.counties)
    facts = popup_html(
        [
            ("案件数 Cases", len(network.cases)),
            ("县 Counties", counties),
            ("环节 Stages", ", ".join(network.stages)),
            ("时间 Period", f"{network.first_opened} — {network.last_opened}"),
            ("查获数量 Seized (cartons)", f"{network.seized_cartons:,.0f}"),
            ("案值 Value (yuan)", f"{network.value_yuan:,.0f}"),
            ("认定理由 Why a network case", "; ".join(network.network_case_reasons)),
            ("跨省线索 Cross-region signals", "; ".join(network.cross_province_signals)),
            (
                "延伸至其他县 Extends into other counties",
                network.other_counties or "",
            ),
        ]
    )
    rows = "".join(
        f"<tr><td>{escape(e.opened_on.isoformat())}</td><td>{escape(e.case_no)}</td>"
        f"<td>{escape(names.get(e.county_code, e.county_code))}</td>"
        f"<td>{escape(_label(CaseType, e.type))}</td>"
        f"<td>{escape('; '.join(e.linked_to_earlier))}</td></tr>"
        for e in timeline
    )
    people = "".join(
        f"<tr><td>{escape(_kind_label(c.kind))}</td><td>{escape(c.label)}</td>"
        f"<td>{c.cases}</td><td>{c.betweenness:.3f}</td></tr>"
        for c in central
    )
    return (
        f'<section class="gm-network-summary"><h2>{escape(network.network_id)} '
        f"{''.join(badges)}</h2>{facts}"
        '<h3>时间线 Timeline</h3><div class="gm-scroll"><table class="gm-table gm-timeline">'
        "<tr><th>立案 Opened</th><th>案件 Case</th><th>县 County</th><th>类型 Type</th>"
        f"<th>与此前案件共同要素 Shared with earlier cases</th></tr>{rows}</table></div>"
        '<h3>核心人员与电话 Central people and phones</h3><div class="gm-scroll">'
        '<table class="gm-table gm-central">'
        "<tr><th>类别 Kind</th><th>要素 Entity</th><th>案件 Cases</th>"
        f"<th>中介中心度 Betweenness</th></tr>{people}</table></div></section>"
    )


def networks_list_html(
    networks: Sequence[Network],
    href: Callable[[str], str],
    *,
    current: str | None = None,
    county_names: Mapping[str, str] | None = None,
) -> str:
    """Every network as a table row linking to its page (the ``current`` one marked).

    Parameters
    ----------
    networks
        The networks, in the order shown.
    href
        The link of a network's page from its id (e.g. ``case-networks/N-1.html``).
    current
        The id of the network on this page, shown unlinked.
    county_names
        County name per code.
    """
    names = county_names or {}
    rows = []
    for network in networks:
        link = escape(network.network_id)
        if network.network_id != current:
            link = f'<a href="{escape(href(network.network_id))}">{link}</a>'
        counties = ", ".join(names.get(c, c) for c in network.counties)
        flags = [
            "网络案件 network case" if network.network_case else "",
            "跨省 cross-province" if network.cross_province else "",
        ]
        marked = ' class="gm-current"' if network.network_id == current else ""
        rows.append(
            f"<tr{marked}>"
            f"<td>{link}</td><td>{len(network.cases)}</td><td>{escape(counties)}</td>"
            f"<td>{escape(' · '.join(f for f in flags if f))}</td></tr>"
        )
    return (
        f'<nav class="gm-network-list"><h3>案件网络 Case networks ({len(networks)})</h3>'
        '<div class="gm-scroll"><table class="gm-table"><tr><th>网络 Network</th>'
        "<th>案件数 Cases</th><th>县 Counties</th><th>标记 Flags</th></tr>"
        f"{''.join(rows)}</table></div></nav>"
    )


@dataclass(frozen=True)
class NetworkPage:
    """A network page in parts: facts, link chart and map, for a template or a file.

    ``nav`` (a written file's list of every network, :func:`networks_list_html`) goes
    above the facts.
    """

    title: str
    summary: str
    chart: str
    map: MapParts
    nav: str = ""


PAGE_STYLE: Final = """
<style>
.gm-network { padding: 12px 18px; box-sizing: border-box; overflow: auto; height: 100%; }
.gm-network h2 { margin: 4px 0 8px; font-size: 20px; }
.gm-network h3 { margin: 14px 0 6px; font-size: 15px; }
.gm-badge { font-size: 12px; padding: 2px 7px; margin-left: 6px; border-radius: 10px;
  color: #fff; background: #c62828; vertical-align: middle; }
.gm-badge.gm-cross-province { background: #6a1b9a; }
.gm-table { border-collapse: collapse; font-size: 12px; background: #fff; }
.gm-table th, .gm-table td { border: 1px solid #cfd8dc; padding: 3px 7px; text-align: left; }
.gm-network-chart { max-width: 1400px; border: 1px solid #cfd8dc; }
.gm-network-map { height: 620px; max-width: 1400px; position: relative; }
.gm-scroll { overflow-x: auto; max-width: 100%; }
.gm-timeline td:last-child { min-width: 12em; overflow-wrap: anywhere; }
.gm-timeline td:first-child { white-space: nowrap; }
.gm-network-list tr.gm-current td { background: #fff8e1; font-weight: bold; }
@media (max-width: 600px) { .gm-network { padding: 8px; } .gm-network-map { height: 420px; } }
</style>
"""


def network_page(
    network: Network,
    timeline: Sequence[TimelineEntry],
    central: Sequence[Centrality],
    chart: nx.Graph,
    cases: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    hub_cap: int | None = None,
    county_names: Mapping[str, str] | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
    static_url: str = "/static",
) -> NetworkPage:
    """Build the parts of a network page (see :func:`render_network_page`)."""
    m = build_case_network_map(
        cases,
        links,
        counties,
        tile_url=tile_url,
        tile_attribution=tile_attribution,
        tile_crs=tile_crs,
    )
    title = f"案件网络 {network.network_id}"
    return NetworkPage(
        title=title,
        summary=network_summary_html(network, timeline, central, county_names=county_names),
        chart=link_chart_svg(chart, hub_cap=hub_cap, title=title),
        map=render_parts(m, static_url=static_url),
    )


def render_network_page(page: NetworkPage) -> str:
    """A complete offline HTML page: facts, link chart and map."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(page.title)}</title>\n{page.map.header}\n{PAGE_STYLE}</head>\n"
        f'<body>\n<main class="gm-network">{page.nav}{network_body(page)}</main>\n'
        f"<script>{page.map.script}</script>\n</body>\n</html>\n"
    )


def network_body(page: NetworkPage) -> str:
    """The page body: facts, the link chart, the map."""
    return (
        f'{page.summary}<h3>关系图 Link chart</h3><div class="gm-network-chart">{page.chart}</div>'
        f'<h3>地图 Map</h3><div class="gm-network-map">{page.map.body}</div>'
    )


def write_network_page(page: NetworkPage, path: str | Path, *, static: Path | None = None) -> Path:
    """Write the page as a file that works offline (assets copied to ``static``, by default
    ``static/`` beside it).

    The page must have been built with a ``static_url`` that reaches that folder from the
    file (``"static"`` for the default).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_assets(static or path.parent / "static")
    path.write_text(render_network_page(page), encoding="utf-8")
    return path
