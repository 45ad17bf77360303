"""Case networks (案件网络): the link chart as inline SVG and the map of a network's cases.

Both work with no network at all: the chart is an SVG drawn here from a networkx layout (no
JavaScript, no CDN), the map is folium with the local Leaflet of :mod:`maps.assets`. On the
map, cases are points coloured by case type and each pair of linked cases is a line, coloured
by whether it crosses a county or a province border (a network's reason to exist).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import networkx as nx

from gridmgmt.cases.model import CaseStatus, CaseType, EntityKind, label_zh, parse_case_enum
from gridmgmt.cases.networks import Centrality, Network, TimelineEntry
from gridmgmt.crs import CoordinateSystem
from maps.assets import MapParts, copy_assets, render_parts
from maps.base import base_map, bind_popup, display_frame, is_blank, popup_html
from maps.legend import LegendEntry, add_legend
from maps.overview import add_counties

__all__ = [
    "CASE_TYPE_COLOURS",
    "KIND_COLOURS",
    "NetworkPage",
    "build_case_network_map",
    "link_chart_svg",
    "network_page",
    "network_summary_html",
    "render_network_page",
    "write_network_page",
]

CASE_COLOUR: Final = "#263238"
KIND_COLOURS: Final[dict[str, str]] = {
    "case": CASE_COLOUR,
    EntityKind.PERSON.value: "#c62828",
    EntityKind.ID_NUMBER.value: "#ad1457",
    EntityKind.PHONE.value: "#1565c0",
    EntityKind.PLATE.value: "#6a1b9a",
    EntityKind.WAYBILL.value: "#ef6c00",
    EntityKind.ADDRESS.value: "#2e7d32",
    EntityKind.LICENCE_NO.value: "#00838f",
    EntityKind.BANK_ACCOUNT.value: "#f9a825",
    EntityKind.COMPANY.value: "#5d4037",
}
HUB_COLOUR: Final = "#b0bec5"
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
_LABEL_CHARS: Final = 16
_MARGIN: Final = 70.0


def _kind_label(kind: str) -> str:
    if kind == "case":
        return "案件 case"
    try:
        return f"{label_zh(EntityKind(kind))} {kind}"
    except ValueError:
        return kind


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


# --- the link chart -------------------------------------------------------------------------


def _layout(chart: nx.Graph) -> dict[Any, tuple[float, float]]:
    """Node positions in [0, 1]² from a seeded spring layout (the same chart, the same picture).

    Kamada-Kawai draws trees a little more evenly but takes seconds where this takes tens of
    milliseconds, too slow for a page.
    """
    count = chart.number_of_nodes()
    if count == 0:
        return {}
    if count == 1:
        return {next(iter(chart.nodes)): (0.5, 0.5)}
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(chart.nodes))
    ordered.add_edges_from(sorted(tuple(sorted(edge)) for edge in chart.edges))
    raw = nx.spring_layout(ordered, seed=20240601, iterations=200)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return {
        node: ((float(p[0]) - min(xs)) / span, (float(p[1]) - min(ys)) / span)
        for node, p in raw.items()
    }


def _canvas(count: int) -> tuple[float, float]:
    side = max(480.0, min(1100.0, 90.0 * math.sqrt(count)))
    return side * 1.6, side


def link_chart_svg(chart: nx.Graph, *, hub_cap: int | None = None, title: str = "") -> str:
    """The link chart of a network as an inline SVG element (no scripts, no external files).

    Case nodes are squares labelled with their case number; entity nodes are circles coloured
    by kind, labelled with their (shortened) value, larger when they link two or more cases,
    dashed when the identifier is invalid, grey when it is a hub past ``hub_cap`` cases.
    Edges carry the roles the entity played in the case. Hovering shows full details.

    Parameters
    ----------
    chart
        A link chart (:func:`gridmgmt.cases.graph.link_chart`): nodes with ``node_type``
        case (``case_no``, ``county_code``, ``type``) or entity (``kind``, ``label``,
        ``valid``, ``cases_touched``); edges with ``roles``.
    hub_cap
        Entities touching more cases than this are drawn as hubs.
    title
        Accessible title of the chart.
    """
    positions = _layout(chart)
    width, height = _canvas(chart.number_of_nodes())

    def at(node: Any) -> tuple[float, float]:
        x, y = positions[node]
        return _MARGIN + x * (width - 2 * _MARGIN), _MARGIN + y * (height - 2 * _MARGIN)

    parts = [
        f'<svg class="gm-link-chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'role="img" aria-label="{escape(title or "link chart")}" '
        'style="max-width:100%;height:auto;background:#fff;font-family:sans-serif">',
        f"<title>{escape(title or '关系图 link chart')}</title>",
    ]
    parts += [_edge_svg(u, v, data, at(u), at(v)) for u, v, data in sorted(chart.edges(data=True))]
    parts += [
        _node_svg(node, data, at(node), hub_cap, chart.degree(node))
        for node, data in sorted(chart.nodes(data=True))
    ]
    parts.append(_chart_legend(chart, hub_cap))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge_svg(
    u: Any, v: Any, data: Mapping[str, Any], a: tuple[float, float], b: tuple[float, float]
) -> str:
    roles = " / ".join(data.get("roles", ()))
    line = (
        f'<line class="gm-edge" x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" '
        f'y2="{b[1]:.1f}" stroke="#90a4ae" stroke-width="1.2"/>'
    )
    if not roles:
        return line
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    return (
        f'<g class="gm-edge-group">{line}<text class="gm-edge-label" x="{mx:.1f}" '
        f'y="{my:.1f}" font-size="9" fill="#546e7a" text-anchor="middle" '
        f'paint-order="stroke" stroke="#fff" stroke-width="3">{escape(roles)}</text></g>'
    )


def _node_svg(
    node: Any, data: Mapping[str, Any], at: tuple[float, float], hub_cap: int | None, degree: int
) -> str:
    x, y = at
    if data.get("node_type") == "case":
        case_no = str(data.get("case_no", node))
        details = [case_no, str(data.get("county_code", "")), str(data.get("type", ""))]
        tip = escape(" · ".join(d for d in details if d))
        return (
            f'<g class="gm-node gm-kind-case" data-node="{escape(str(node))}">'
            f"<title>{tip}</title>"
            f'<rect x="{x - 8:.1f}" y="{y - 8:.1f}" width="16" height="16" rx="3" '
            f'fill="{CASE_COLOUR}" stroke="#fff" stroke-width="1.5"/>'
            f'<text class="gm-case-label" x="{x:.1f}" y="{y + 21:.1f}" font-size="11" '
            f'font-weight="bold" fill="{CASE_COLOUR}" text-anchor="middle" paint-order="stroke" '
            f'stroke="#fff" stroke-width="3">{escape(case_no)}</text></g>'
        )
    kind = str(data.get("kind", ""))
    label = str(data.get("label", node))
    touched = int(data.get("cases_touched") or degree)
    hub = hub_cap is not None and touched > hub_cap
    colour = HUB_COLOUR if hub else KIND_COLOURS.get(kind, "#78909c")
    radius = 8 if degree >= 2 else 5
    dash = ' stroke-dasharray="3 2"' if hub or not data.get("valid", True) else ""
    outline = "#37474f" if dash else "#fff"
    notes = [] if data.get("valid", True) else ["无效 invalid"]
    if hub:
        notes.append(f"枢纽 hub: {touched} cases")
    tip = escape(" · ".join([_kind_label(kind), label, f"{touched} case(s)", *notes]))
    classes = f"gm-node gm-kind-{escape(kind)}" + (" gm-hub" if hub else "")
    return (
        f'<g class="{classes}" data-node="{escape(str(node))}"><title>{tip}</title>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" stroke="{outline}" '
        f'stroke-width="1.5"{dash}/>'
        f'<text class="gm-entity-label" x="{x:.1f}" y="{y + radius + 11:.1f}" font-size="9" '
        f'fill="#37474f" text-anchor="middle" paint-order="stroke" stroke="#fff" '
        f'stroke-width="3">{escape(_short(label))}</text></g>'
    )


def _chart_legend(chart: nx.Graph, hub_cap: int | None) -> str:
    kinds = sorted(
        {
            "case" if data.get("node_type") == "case" else str(data.get("kind", ""))
            for _, data in chart.nodes(data=True)
        },
        key=lambda k: list(KIND_COLOURS).index(k) if k in KIND_COLOURS else len(KIND_COLOURS),
    )
    rows = []
    for i, kind in enumerate(kinds):
        y = 16 + 16 * i
        colour = KIND_COLOURS.get(kind, "#78909c")
        symbol = (
            f'<rect x="8" y="{y - 6}" width="11" height="11" rx="2" fill="{colour}"/>'
            if kind == "case"
            else f'<circle cx="13" cy="{y}" r="5.5" fill="{colour}"/>'
        )
        rows.append(
            f'{symbol}<text x="25" y="{y + 4}" font-size="11" fill="#37474f">'
            f"{escape(_kind_label(kind))}</text>"
        )
    if hub_cap is not None:
        y = 16 + 16 * len(kinds)
        rows.append(
            f'<circle cx="13" cy="{y}" r="5.5" fill="{HUB_COLOUR}" stroke="#37474f" '
            f'stroke-dasharray="3 2"/><text x="25" y="{y + 4}" font-size="11" fill="#37474f">'
            f"枢纽/无效 hub or invalid</text>"
        )
    return f'<g class="gm-chart-legend">{"".join(rows)}</g>'


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
    folium.LayerControl(collapsed=False).add_to(m)
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
        '<h3>时间线 Timeline</h3><table class="gm-table gm-timeline"><tr><th>立案 Opened</th>'
        "<th>案件 Case</th><th>县 County</th><th>类型 Type</th>"
        f"<th>与此前案件共同要素 Shared with earlier cases</th></tr>{rows}</table>"
        '<h3>核心人员与电话 Central people and phones</h3><table class="gm-table gm-central">'
        "<tr><th>类别 Kind</th><th>要素 Entity</th><th>案件 Cases</th>"
        f"<th>中介中心度 Betweenness</th></tr>{people}</table></section>"
    )


@dataclass(frozen=True)
class NetworkPage:
    """A network page in parts: facts, link chart and map, for a template or a file."""

    title: str
    summary: str
    chart: str
    map: MapParts


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
        f'<body>\n<main class="gm-network">{network_body(page)}</main>\n'
        f"<script>{page.map.script}</script>\n</body>\n</html>\n"
    )


def network_body(page: NetworkPage) -> str:
    """The page body: facts, the link chart, the map."""
    return (
        f'{page.summary}<h3>关系图 Link chart</h3><div class="gm-network-chart">{page.chart}</div>'
        f'<h3>地图 Map</h3><div class="gm-network-map">{page.map.body}</div>'
    )


def write_network_page(page: NetworkPage, path: str | Path) -> Path:
    """Write the page as a file that works offline (assets copied to ``static/`` beside it).

    The page must have been built with ``static_url="static"``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_assets(path.parent / "static")
    path.write_text(render_network_page(page), encoding="utf-8")
    return path
