"""The link chart (关系图) of a case network as inline SVG: readable in the middle, offline.

No JavaScript and no CDN: the picture is laid out here and its hover effects are CSS.

- **Layout.** The skeleton (cases and the entities that link two or more of them) is laid
  out by Kamada-Kawai, which spreads it evenly (a seeded spring layout past
  :data:`KK_MAX_NODES`); an entity of one case only is put on a fan around its case, facing
  away from the rest, so it never lands in the middle.
- **Labels.** Case numbers and the values of linking entities are written where they do
  not run into a label already written or a node (cases first, then the entities linking
  the most cases); every other label, and the roles on the edges, show when the pointer is
  on the node or edge (and its ``<title>`` tells the full text).
- **Legend.** In a band above the drawing, never over a node.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any, Final

import networkx as nx

from gridmgmt.cases.model import EntityKind, label_zh

__all__ = ["CASE_COLOUR", "HUB_COLOUR", "KIND_COLOURS", "kind_label", "link_chart_svg"]

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
KK_MAX_NODES: Final = 150
"""Largest skeleton laid out by Kamada-Kawai (quadratic); larger ones get a spring layout."""
_SEED: Final = 20240601
_LABEL_CHARS: Final = 16
_MARGIN: Final = 60.0
_LEGEND_ROW: Final = 18.0
_CASE_FONT: Final = 11.0
_ENTITY_FONT: Final = 9.0

Box = tuple[float, float, float, float]  # left, top, right, bottom

_STYLE: Final = """<style>
.gm-link-chart .gm-hover-label, .gm-link-chart .gm-edge-label { display: none; }
.gm-link-chart .gm-node:hover .gm-hover-label,
.gm-link-chart .gm-edge-group:hover .gm-edge-label { display: inline; }
.gm-link-chart .gm-node:hover circle, .gm-link-chart .gm-node:hover rect { stroke: #000; }
.gm-link-chart .gm-edge-group:hover .gm-edge { stroke: #37474f; stroke-width: 2; }
.gm-link-chart .gm-edge-hit { stroke: transparent; stroke-width: 8; }
</style>"""


def kind_label(kind: str) -> str:
    """``案件 case``, ``电话号码 phone``, ...: a node kind in Chinese and English."""
    if kind == "case":
        return "案件 case"
    try:
        return f"{label_zh(EntityKind(kind))} {kind}"
    except ValueError:
        return kind


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _text_width(text: str, size: float) -> float:
    """Rendered width of ``text`` in a sans-serif font of ``size`` px, estimated."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WF")
    return size * (wide + 0.62 * (len(text) - wide))


# --- layout ---------------------------------------------------------------------------------


def _is_case(data: Mapping[str, Any]) -> bool:
    return data.get("node_type") == "case"


def _skeleton_layout(skeleton: nx.Graph) -> dict[Hashable, tuple[float, float]]:
    count = skeleton.number_of_nodes()
    if count == 0:
        return {}
    if count == 1:
        return {next(iter(skeleton.nodes)): (0.0, 0.0)}
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(skeleton.nodes, key=str))
    ordered.add_edges_from(sorted((tuple(sorted(e, key=str)) for e in skeleton.edges), key=str))
    start = nx.spring_layout(ordered, seed=_SEED, iterations=50)
    if count <= KK_MAX_NODES:
        raw = nx.kamada_kawai_layout(ordered, pos=start)
    else:
        raw = nx.spring_layout(ordered, pos=start, seed=_SEED, iterations=150)
    return {node: (float(p[0]), float(p[1])) for node, p in raw.items()}


def _typical_edge(chart: nx.Graph, at: Mapping[Hashable, tuple[float, float]]) -> float:
    lengths = sorted(
        math.dist(at[u], at[v]) for u, v in chart.edges if u in at and v in at and u != v
    )
    return lengths[len(lengths) // 2] if lengths else 0.5


def _fan(
    centre: tuple[float, float], away: float, count: int, radius: float
) -> list[tuple[float, float]]:
    """``count`` points on arcs around ``centre``, centred on the direction ``away``."""
    points = []
    per_ring = 9
    for index in range(count):
        ring, slot = divmod(index, per_ring)
        in_ring = min(per_ring, count - ring * per_ring)
        spread = min(2 * math.pi * (1 - 1 / max(in_ring, 1)), 0.5 * in_ring)
        angle = away + (slot - (in_ring - 1) / 2) * (spread / max(in_ring - 1, 1))
        r = radius * (1 + 0.55 * ring)
        points.append((centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)))
    return points


def layout(chart: nx.Graph) -> dict[Hashable, tuple[float, float]]:
    """Node positions in [0, 1]² (each axis scaled on its own); the same chart, the same
    picture."""
    skeleton_nodes = [n for n, d in chart.nodes(data=True) if _is_case(d) or chart.degree(n) >= 2]
    if not skeleton_nodes:  # entities only: lay them all out as a skeleton
        skeleton_nodes = list(chart.nodes)
    at = _skeleton_layout(chart.subgraph(skeleton_nodes))
    centre = (
        sum(p[0] for p in at.values()) / max(len(at), 1),
        sum(p[1] for p in at.values()) / max(len(at), 1),
    )
    radius = 0.45 * _typical_edge(chart.subgraph(skeleton_nodes), at)
    leaves: dict[Hashable, list[Hashable]] = defaultdict(list)
    for node in sorted((n for n in chart.nodes if n not in at), key=str):
        parents = [p for p in chart.neighbors(node) if p in at]
        leaves[parents[0] if parents else None].append(node)
    for parent, children in leaves.items():
        if parent is None:
            base = (centre[0], centre[1] - 1.2 * radius)
            for i, child in enumerate(children):
                at[child] = (base[0] + radius * (i - len(children) / 2) * 0.4, base[1])
            continue
        px, py = at[parent]
        linked = [at[n] for n in chart.neighbors(parent) if n in at and n not in children]
        ox = sum(p[0] for p in linked) / len(linked) if linked else centre[0]
        oy = sum(p[1] for p in linked) / len(linked) if linked else centre[1]
        away = math.atan2(py - oy, px - ox) if (px, py) != (ox, oy) else -math.pi / 2
        for child, point in zip(children, _fan((px, py), away, len(children), radius), strict=True):
            at[child] = point
    return _normalised(at)


def _normalised(at: Mapping[Hashable, tuple[float, float]]) -> dict[Hashable, tuple[float, float]]:
    if not at:
        return {}
    xs = [p[0] for p in at.values()]
    ys = [p[1] for p in at.values()]
    span_x = max(xs) - min(xs) or 1.0
    span_y = max(ys) - min(ys) or 1.0
    single_x = max(xs) == min(xs)
    single_y = max(ys) == min(ys)
    return {
        node: (
            0.5 if single_x else (p[0] - min(xs)) / span_x,
            0.5 if single_y else (p[1] - min(ys)) / span_y,
        )
        for node, p in at.items()
    }


# --- drawing --------------------------------------------------------------------------------


@dataclass
class _Labels:
    """Labels written so far and nodes drawn: what a new label must not run into."""

    taken: list[Box]

    def fits(self, box: Box) -> bool:
        left, top, right, bottom = box
        return not any(
            left < b[2] and b[0] < right and top < b[3] and b[1] < bottom for b in self.taken
        )

    def place(self, box: Box) -> bool:
        if self.fits(box):
            self.taken.append(box)
            return True
        return False


@dataclass(frozen=True)
class _Spot:
    """Where a node's label is written: its anchor point and ``text-anchor``."""

    x: float
    y: float
    anchor: str = "middle"


def _spots(x: float, y: float, radius: float, size: float) -> list[_Spot]:
    """Places for a label around a node, best first: below, above, right, left."""
    return [
        _Spot(x, y + radius + size + 2),
        _Spot(x, y - radius - 4),
        _Spot(x + radius + 3, y + size / 3, "start"),
        _Spot(x - radius - 3, y + size / 3, "end"),
    ]


def _label_box(spot: _Spot, text: str, size: float) -> Box:
    width = _text_width(text, size) + 4
    left = {"start": spot.x - 2, "end": spot.x - width + 2}.get(spot.anchor, spot.x - width / 2)
    return (left, spot.y - size, left + width, spot.y + 3)


def _place(placed: _Labels, spots: list[_Spot], text: str, size: float) -> _Spot | None:
    """The first spot where the label fits (taken), or None."""
    for spot in spots:
        if placed.place(_label_box(spot, text, size)):
            return spot
    return None


def _edge_svg(data: Mapping[str, Any], a: tuple[float, float], b: tuple[float, float]) -> str:
    roles = " / ".join(data.get("roles", ()))
    coords = f'x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}"'
    line = f'<line class="gm-edge" {coords} stroke="#90a4ae" stroke-width="1.2"/>'
    if not roles:
        return line
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    return (
        f'<g class="gm-edge-group"><title>{escape(roles)}</title>{line}'
        f'<line class="gm-edge-hit" {coords}/>'
        f'<text class="gm-edge-label" x="{mx:.1f}" y="{my:.1f}" font-size="9" fill="#37474f" '
        f'text-anchor="middle" paint-order="stroke" stroke="#fff" stroke-width="3">'
        f"{escape(roles)}</text></g>"
    )


def _case_number(data: Mapping[str, Any], node: Hashable) -> str:
    """A case node's number: services name cases by key (``county_code/case_no``)."""
    name = str(data.get("case_no", node))
    county = str(data.get("county_code", ""))
    return name.removeprefix(f"{county}/") if county else name


def _case_svg(
    node: Hashable, data: Mapping[str, Any], x: float, y: float, spot: _Spot | None
) -> str:
    case_no = _case_number(data, node)
    details = [case_no, str(data.get("county_code", "")), str(data.get("type", ""))]
    tip = escape(" · ".join(d for d in details if d))
    hover = "" if spot else " gm-hover-label"
    spot = spot or _spots(x, y, 8, _CASE_FONT)[0]
    return (
        f'<g class="gm-node gm-kind-case" data-node="{escape(str(node))}">'
        f"<title>{tip}</title>"
        f'<rect x="{x - 8:.1f}" y="{y - 8:.1f}" width="16" height="16" rx="3" '
        f'fill="{CASE_COLOUR}" stroke="#fff" stroke-width="1.5"/>'
        f'<text class="gm-case-label{hover}" x="{spot.x:.1f}" y="{spot.y:.1f}" font-size="11" '
        f'font-weight="bold" fill="{CASE_COLOUR}" text-anchor="{spot.anchor}" paint-order="stroke" '
        f'stroke="#fff" stroke-width="3">{escape(case_no)}</text></g>'
    )


@dataclass(frozen=True)
class _Entity:
    kind: str
    label: str
    touched: int
    hub: bool
    valid: bool

    @property
    def radius(self) -> int:
        return 8 if self.touched >= 2 else 5


def _entity(data: Mapping[str, Any], degree: int, hub_cap: int | None) -> _Entity:
    touched = int(data.get("cases_touched") or degree)
    return _Entity(
        kind=str(data.get("kind", "")),
        label=str(data.get("label", "")),
        touched=touched,
        hub=hub_cap is not None and touched > hub_cap,
        valid=bool(data.get("valid", True)),
    )


def _entity_svg(node: Hashable, entity: _Entity, x: float, y: float, spot: _Spot | None) -> str:
    colour = HUB_COLOUR if entity.hub else KIND_COLOURS.get(entity.kind, "#78909c")
    dashed = entity.hub or not entity.valid
    dash = ' stroke-dasharray="3 2"' if dashed else ""
    outline = "#37474f" if dashed else "#fff"
    notes = [] if entity.valid else ["无效 invalid"]
    if entity.hub:
        notes.append(f"枢纽 hub: {entity.touched} cases")
    label = entity.label or str(node)
    tip = escape(" · ".join([kind_label(entity.kind), label, f"{entity.touched} case(s)", *notes]))
    classes = f"gm-node gm-kind-{escape(entity.kind)}" + (" gm-hub" if entity.hub else "")
    hover = "" if spot else " gm-hover-label"
    r = entity.radius
    spot = spot or _spots(x, y, r, _ENTITY_FONT)[0]
    return (
        f'<g class="{classes}" data-node="{escape(str(node))}"><title>{tip}</title>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" stroke="{outline}" '
        f'stroke-width="1.5"{dash}/>'
        f'<text class="gm-entity-label{hover}" x="{spot.x:.1f}" y="{spot.y:.1f}" font-size="9" '
        f'fill="#37474f" text-anchor="{spot.anchor}" paint-order="stroke" stroke="#fff" '
        f'stroke-width="3">{escape(_short(label))}</text></g>'
    )


def _legend(chart: nx.Graph, hub_cap: int | None, width: float) -> tuple[str, float]:
    """The legend band (above the drawing) and its height."""
    kinds = sorted(
        {"case" if _is_case(d) else str(d.get("kind", "")) for _, d in chart.nodes(data=True)},
        key=lambda k: list(KIND_COLOURS).index(k) if k in KIND_COLOURS else len(KIND_COLOURS),
    )
    items = [(kind, kind_label(kind)) for kind in kinds]
    if hub_cap is not None:
        items.append(("hub", "枢纽/无效 hub or invalid"))
    x, row, parts = 8.0, 0, []
    for kind, text in items:
        item_width = 22 + _text_width(text, 11) + 14
        if x + item_width > width - 8 and x > 8:
            x, row = 8.0, row + 1
        y = 14 + row * _LEGEND_ROW
        colour = HUB_COLOUR if kind == "hub" else KIND_COLOURS.get(kind, "#78909c")
        if kind == "case":
            symbol = (
                f'<rect x="{x:.1f}" y="{y - 6}" width="11" height="11" rx="2" fill="{colour}"/>'
            )
        else:
            dash = ' stroke="#37474f" stroke-dasharray="3 2"' if kind == "hub" else ""
            symbol = f'<circle cx="{x + 5:.1f}" cy="{y}" r="5.5" fill="{colour}"{dash}/>'
        parts.append(
            f'{symbol}<text x="{x + 16:.1f}" y="{y + 4}" font-size="11" fill="#37474f">'
            f"{escape(text)}</text>"
        )
        x += item_width
    height = 14 + (row + 1) * _LEGEND_ROW
    return f'<g class="gm-chart-legend">{"".join(parts)}</g>', height


def _canvas(count: int) -> tuple[float, float]:
    side = max(480.0, min(1300.0, 100.0 * math.sqrt(count)))
    return side * 1.6, side


def link_chart_svg(chart: nx.Graph, *, hub_cap: int | None = None, title: str = "") -> str:
    """The link chart of a network as an inline SVG element (no scripts, no external files).

    Case nodes are squares labelled with their case number; entity nodes are circles coloured
    by kind, labelled with their (shortened) value, larger when they link two or more cases,
    dashed when the identifier is invalid, grey when it is a hub past ``hub_cap`` cases.
    Edges carry the roles the entity played in the case, shown on hover. Labels that would
    run into another are shown on hover only; the legend is a band above the drawing.

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
    width, drawing = _canvas(chart.number_of_nodes())
    legend, band = _legend(chart, hub_cap, width)
    positions = layout(chart)

    def at(node: Hashable) -> tuple[float, float]:
        x, y = positions[node]
        return (
            _MARGIN + x * (width - 2 * _MARGIN),
            band + _MARGIN / 2 + y * (drawing - 1.5 * _MARGIN),
        )

    nodes: dict[Hashable, Mapping[str, Any]] = dict(chart.nodes(data=True))
    entities = {
        n: _entity(d, chart.degree(n), hub_cap) for n, d in nodes.items() if not _is_case(d)
    }
    placed = _Labels([])
    for node in nodes:
        x, y = at(node)
        r = 8 if node not in entities else entities[node].radius
        placed.taken.append((x - r, y - r, x + r, y + r))
    spots: dict[Hashable, _Spot | None] = {}
    cases = sorted(
        (n for n in nodes if n not in entities), key=lambda n: (-chart.degree(n), str(n))
    )
    for node in cases:
        text = _case_number(nodes[node], node)
        spots[node] = _place(placed, _spots(*at(node), 8, _CASE_FONT), text, _CASE_FONT)
    linking = sorted(
        (n for n, e in entities.items() if e.touched >= 2),
        key=lambda n: (-entities[n].touched, str(n)),
    )
    for node in linking:
        text = _short(entities[node].label or str(node))
        around = _spots(*at(node), entities[node].radius, _ENTITY_FONT)
        spots[node] = _place(placed, around, text, _ENTITY_FONT)
    height = band + drawing
    parts = [
        f'<svg class="gm-link-chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'role="img" aria-label="{escape(title or "link chart")}" '
        'style="max-width:100%;height:auto;background:#fff;font-family:sans-serif">',
        f"<title>{escape(title or '关系图 link chart')}</title>",
        _STYLE,
        legend,
        f'<line x1="0" y1="{band:.0f}" x2="{width:.0f}" y2="{band:.0f}" stroke="#eceff1"/>',
    ]
    parts += [_edge_svg(data, at(u), at(v)) for u, v, data in sorted(chart.edges(data=True))]
    for node, data in sorted(nodes.items(), key=lambda item: str(item[0])):
        x, y = at(node)
        if node in entities:
            parts.append(_entity_svg(node, entities[node], x, y, spots.get(node)))
        else:
            parts.append(_case_svg(node, data, x, y, spots.get(node)))
    parts.append("</svg>")
    return "\n".join(parts)
