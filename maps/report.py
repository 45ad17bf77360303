"""The quarterly mutual report (每季度互相通报) drawn: its map and a printable HTML file.

- :func:`report_gap_borders`: the borders between the report's counties with the price gaps
  its ``price_gaps`` section flags on each (public county outlines and the report's own
  figures only);
- :func:`build_report_map`: those borders over the counties, coloured as the price-gap map
  colours them (:mod:`maps.prices`);
- :func:`write_report_html`: the whole report as one HTML file (map, SVG charts, tables,
  notes) that works offline and prints on A4, as ``gridmgmt demo`` leaves it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import folium
import geopandas as gpd
import pandas as pd
from jinja2 import Environment

from gridmgmt.crs import WGS84, CoordinateSystem
from gridmgmt.rules.border_markets import shared_borders
from maps.assets import copy_assets, render_parts
from maps.charts import bar_chart
from maps.prices import build_price_gap_map

if TYPE_CHECKING:
    from gridmgmt.services.cooperation.report import QuarterlyReport

__all__ = ["build_report_map", "report_gap_borders", "write_report_html"]

BORDER_TOLERANCE_M: Final = 100.0
"""Outlines this close meet in one border (as adjacency tolerates real boundary files)."""
_COLUMNS: Final = ["county_a", "county_b", "kind", "flagged", "compared", "max_share", "products"]


def report_gap_borders(outlines: gpd.GeoDataFrame, report: QuarterlyReport) -> gpd.GeoDataFrame:
    """The borders between the report's counties, each with its flagged price gaps.

    Parameters
    ----------
    outlines
        The report's county outlines (WGS-84) with ``code``.
    report
        The report; its ``price_gaps`` section names each gap's two counties as the report
        labels them (name and code).
    """
    borders = (
        shared_borders(outlines, tolerance_m=BORDER_TOLERANCE_M)
        if len(outlines) >= 2
        else gpd.GeoDataFrame({"county_a": [], "county_b": [], "kind": []}, geometry=[], crs=WGS84)
    )
    code_of = {f"{c.name} {c.code}": c.code for c in report.counties}
    gaps: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    section = next((s for s in report.sections if s.key == "price_gaps"), None)
    for row in section.rows if section is not None else []:
        a, b = sorted((code_of.get(str(row[0]), ""), code_of.get(str(row[1]), "")))
        gaps[(a, b)].append((str(row[2]), float(row[6]) / 100))
    records = []
    for border in borders.itertuples(index=False):
        a, b = sorted((str(border.county_a), str(border.county_b)))
        found = gaps.get((a, b), [])
        records.append(
            {
                "county_a": a,
                "county_b": b,
                "kind": str(border.kind),
                "flagged": len(found),
                "compared": len(found),
                "max_share": max((share for _p, share in found), default=0.0),
                "products": [f"{product}: {share:.0%}" for product, share in found],
                "geometry": border.geometry,
            }
        )
    frame = pd.DataFrame(records, columns=[*_COLUMNS, "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def build_report_map(
    outlines: gpd.GeoDataFrame,
    report: QuarterlyReport,
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """The report's counties and the borders between them, coloured by flagged price gaps."""
    return build_price_gap_map(
        outlines,
        report_gap_borders(outlines, report),
        tile_url=tile_url,
        tile_attribution=tile_attribution,
        tile_crs=tile_crs,
    )


_DOCUMENT: Final = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }}</title>
{{ map.header|safe }}
<style>
body { box-sizing: border-box; font: 14px sans-serif; color: #263238; margin: 0 auto;
  max-width: 1000px; padding: 12px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin: 18px 0 6px; }
.note { color: #546e7a; font-size: 13px; }
.map { height: 420px; position: relative; border: 1px solid #b0bec5; }
.map > .folium-map { position: absolute !important; inset: 0;
  width: 100% !important; height: 100% !important; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #cfd8dc; padding: 4px 6px; text-align: left; }
th { background: #eceff1; }
.cr-chart { width: 100%; max-width: 520px; height: auto; display: block; }
.cr-chart .cr-label { font: 12px sans-serif; fill: #37474f; }
.cr-chart .cr-value { font: bold 12px sans-serif; fill: #263238; }
section { break-inside: avoid-page; }
@page { size: A4 portrait; margin: 14mm 12mm; }
@media print { body { max-width: none; padding: 0; } .map { height: 95mm; }
  .leaflet-control-container { display: none; } table { font-size: 9pt; }
  .scroll { overflow: visible; }
  tr { break-inside: avoid; } }
</style></head>
<body>
<h1>{{ heading }}</h1>
<p class="note">{{ report.first_day }} – {{ report.last_day }} ·
{% for c in report.counties %}{{ c.name }} {{ c.code }}{% if not loop.last %}、{% endif %}
{%- endfor %} ·
{{ t("Generated") }} {{ report.generated_at.isoformat(timespec="minutes") }}</p>
<div class="map">{{ map.body|safe }}</div>
{% for s in report.sections %}<section id="section-{{ s.key }}">
<h2>{{ t(s.title) }}</h2>
{% if s.chart %}<p class="note">{{ t(s.chart_title) }}</p>
{{ chart(t(s.chart_title), s.chart) }}{% endif %}
{% if s.rows %}<div class="scroll"><table><thead><tr>
{%- for c in s.columns %}<th>{{ t(c) }}</th>{% endfor %}</tr>
</thead><tbody>
{% for row in s.rows %}<tr>{% for v in row %}<td>{{ "—" if v is none else v }}</td>{% endfor %}</tr>
{% endfor %}
</tbody></table></div>{% elif s.columns %}<p class="note">—</p>{% endif %}
{% for n in s.notes %}<p class="note">{{ n }}</p>{% endfor %}
</section>{% endfor %}
<script>{{ map.script|safe }}</script>
</body></html>
"""


def write_report_html(
    report: QuarterlyReport,
    outlines: gpd.GeoDataFrame,
    path: str | Path,
    *,
    translate: Callable[[str], str] = str,
    **tiles: Any,
) -> Path:
    """Write the report as one HTML file with its map (assets in ``static/`` beside it).

    Parameters
    ----------
    report
        The quarterly report.
    outlines
        Its counties' outlines (WGS-84) with ``code`` and ``name``.
    path
        The file to write.
    translate
        Turns the report's English titles and headers into the reader's language.
    **tiles
        ``tile_url``, ``tile_attribution``, ``tile_crs`` as for the other maps.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_assets(path.parent / "static")
    parts = render_parts(build_report_map(outlines, report, **tiles), static_url="static")
    title = report.area_name or " – ".join(c.name for c in report.counties)
    env = Environment(autoescape=True)
    html = env.from_string(_DOCUMENT).render(
        heading=f"{title} {report.quarter} {translate('Quarterly mutual report')}",
        report=report,
        map=parts,
        t=translate,
        chart=lambda title, bars: bar_chart(title, [(b.label, b.value) for b in bars]),
    )
    path.write_text(html, encoding="utf-8")
    return path
