"""The rules map (规则图): red lines and violators, spacing breaches, border bands,
checkpoint coverage and suggested sites, and a click that runs the licence check.

Every layer is optional: pass the frames the rule services returned. Points are drawn in
the browser from compact rows (:class:`PointLayer`), popups are escaped here. The licence
check on click (:data:`LICENCE_CHECK_JS`) is plain Leaflet and ``fetch``; the app serves
the same script at ``/api/v1/rules/licence-check.js`` for the ``/map`` page, which asks
``/api/v1/officer/licence-check`` (sentences in the page's language, advice a user can act on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from gridmgmt.crs import CoordinateSystem
from maps.base import (
    POINTS_PANE,
    base_map,
    bind_popup,
    display_frame,
    is_blank,
    popup_html,
    script_json,
)
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend
from maps.overview import add_counties

__all__ = [
    "LICENCE_CHECK_JS",
    "LicenceCheckClick",
    "PointLayer",
    "build_rules_map",
    "rules_legend",
]

RED_LINE_COLOUR: Final = "#c62828"
VIOLATOR_COLOUR: Final = "#b71c1c"
SPACING_COLOUR: Final = "#ef6c00"
COUNTY_BAND_COLOUR: Final = "#1e88e5"
PROVINCE_BAND_COLOUR: Final = "#8e24aa"
BORDER_MARKET_COLOUR: Final = "#5e35b1"
COVERED_COLOUR: Final = "#2e7d32"
UNCOVERED_COLOUR: Final = "#d50000"
CHECKPOINT_COLOUR: Final = "#1565c0"
SITE_COLOUR: Final = "#ff6f00"
MAX_SPACING_LINES: Final = 20_000  # beyond this the worst breaches are drawn and a note says so

LICENCE_CHECK_JS: Final = r"""
(function (root) {
  "use strict";
  var ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function esc(text) {
    var value = text === null || text === undefined ? "" : text;
    return String(value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }
  function render(answer) {
    var ok = answer.allowed === true;
    var html = '<div class="gm-check" style="font-size:12px;max-width:360px">' +
      '<div class="gm-check-verdict" style="font-weight:bold;font-size:14px;color:' +
      (ok ? "#2e7d32" : "#c62828") + '">' +
      esc(answer.verdict || (ok ? "可以办证 Can be licensed" : "不可办证 Cannot be licensed")) +
      '</div><ul style="padding-left:16px;margin:4px 0">';
    (answer.reasons || []).forEach(function (r) {
      html += '<li class="gm-reason gm-reason-' + esc(r.code) + '" style="color:' +
        (r.blocking ? "#c62828" : "#37474f") + '">' + esc(r.text || r.message) + "</li>";
    });
    html += "</ul>";
    (answer.notes || []).forEach(function (n) {
      html += '<div class="gm-check-note" style="color:#6d4c41">' + esc(n) + "</div>";
    });
    return html + '<div style="color:#78909c">' + Number(answer.lon).toFixed(6) + ", " +
      Number(answer.lat).toFixed(6) + " WGS-84</div></div>";
  }
  function toggle(map, state) {
    var Toggle = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "gm-check-toggle leaflet-bar");
        div.style.cssText = "background:#fff;padding:4px 8px;font:12px sans-serif";
        div.innerHTML = '<label><input type="checkbox" checked> ' +
          "点击选址审查 Licence check on click</label>";
        L.DomEvent.disableClickPropagation(div);
        div.querySelector("input").addEventListener("change", function (e) {
          state.on = e.target.checked;
        });
        return div;
      }
    });
    new Toggle({position: "topleft"}).addTo(map);
  }
  function attach(map, options) {
    options = options || {};
    var api = options.api || "/api/v1/officer/licence-check";
    var crs = options.crs || "wgs84";
    var state = {on: true, popupJustOpened: false};
    // A click on a marker opens its popup first; that click is not a licence check.
    map.on("popupopen", function () {
      state.popupJustOpened = true;
      setTimeout(function () { state.popupJustOpened = false; }, 0);
    });
    toggle(map, state);
    map.on("click", function (e) {
      if (!state.on || state.popupJustOpened) { return; }
      var url = api + "?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7) +
        "&crs=" + encodeURIComponent(crs);
      var popup = L.popup({maxWidth: 380, className: "gm-check-popup"}).setLatLng(e.latlng)
        .setContent("选址审查 checking…").openOn(map);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
          return response.json();
        })
        .then(function (answer) { popup.setContent(render(answer)); })
        .catch(function (error) {
          popup.setContent('<div class="gm-check gm-check-error">选址审查失败 check failed: ' +
            esc(error.message) + "</div>");
        });
    });
    return state;
  }
  root.gmLicenceCheck = attach;
  var script = document.currentScript;
  if (script && script.hasAttribute("data-attach")) {
    var element = document.querySelector(".folium-map");
    var map = element && root[element.id];
    if (map) {
      attach(map, {api: script.getAttribute("data-api"), crs: script.getAttribute("data-crs")});
    }
  }
})(window);
"""
"""Licence check on map click: ``gmLicenceCheck(map, {api, crs})``; loaded with a
``data-attach`` attribute it attaches itself to the page's folium map."""


class LicenceCheckClick(MacroElement):  # type: ignore[misc]
    """Run the licence check (选址审查) where the map is clicked, answer in a popup.

    Parameters
    ----------
    api_url
        The licence-check endpoint (same origin; the session cookie authenticates): the
        page's one (``/api/v1/officer/licence-check``) answers in the page's language with
        no command-line advice; the plain API's ``message`` is shown when there is no
        ``text``.
    crs
        Coordinates of the map's tiles (clicks come in them): ``wgs84`` or ``gcj02``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.code }}
        gmLicenceCheck({{ this._parent.get_name() }}, {{ this.options }});
        {% endmacro %}
        """
    )

    def __init__(self, api_url: str = "/api/v1/officer/licence-check", crs: str = "wgs84") -> None:
        super().__init__()
        self._name = "LicenceCheckClick"
        self.code = LICENCE_CHECK_JS
        self.options = script_json({"api": api_url, "crs": str(crs)})


class PointLayer(MacroElement):  # type: ignore[misc]
    """Circle markers built in the browser from compact rows, added to the parent layer.

    Parameters
    ----------
    rows
        ``[lat, lon, popup_html, tooltip_text]`` per point; the popup HTML must already be
        escaped (e.g. :func:`maps.base.popup_html`).
    style
        Leaflet circle-marker options (radius, colours, className).
    canvas
        Draw on a canvas instead of one SVG element per point: a map of thousands of
        points (a region's retailers) stays fluid; the points have no DOM element (and no
        ``className``) then.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows }};
            var style = {{ this.style }};
            {%- if this.canvas %}
            // One canvas for every point layer of the page, above the areas' pane.
            window.gmPointCanvas = window.gmPointCanvas ||
                L.canvas({padding: 0.5, pane: {{ this.pane|tojson }}});
            style.renderer = window.gmPointCanvas;
            {%- endif %}
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var marker = L.circleMarker([r[0], r[1]], style);
                if (r[2]) { marker.bindPopup(r[2], {maxWidth: 360}); }
                if (r[3]) { marker.bindTooltip(r[3]); }
                marker.addTo({{ this._parent.get_name() }});
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, rows: list[list[Any]], style: dict[str, Any], *, canvas: bool = False
    ) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.canvas = canvas
        self.pane = POINTS_PANE
        self.rows = script_json(rows)
        self.style = script_json(style)


def _points(
    frame: gpd.GeoDataFrame, popup: Callable[[Any], str], tooltip: Callable[[Any], str]
) -> list[list[Any]]:
    rows = []
    for row in frame.itertuples(index=False):
        geom = getattr(row, frame.geometry.name)
        if geom is None or geom.is_empty:
            continue
        rows.append([round(geom.y, 7), round(geom.x, 7), popup(row), escape(tooltip(row))])
    return rows


def _constant(text: str) -> Callable[[Any], str]:
    def label(_row: Any) -> str:
        return text

    return label


def _value(row: Any, name: str) -> Any:
    return getattr(row, name, None)


def _metres(value: Any) -> str:
    return "" if is_blank(value) else f"{float(value):.1f} m"


def _escaped(frame: gpd.GeoDataFrame, columns: Iterable[str]) -> gpd.GeoDataFrame:
    """Text columns escaped for folium tooltips, which write values into HTML as they are."""
    kept = [c for c in columns if c in frame.columns]
    out = frame[[*kept, frame.geometry.name]].copy()
    for column in kept:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(1)
        elif not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if is_blank(v) else escape(str(v)))
    return out


def add_red_lines(
    m: folium.Map, zones: gpd.GeoDataFrame | None, violations: gpd.GeoDataFrame | None
) -> folium.FeatureGroup:
    """Red-line zones around schools and the retailers inside them (学校红线)."""
    count = 0 if violations is None else len(violations)
    group = folium.FeatureGroup(name=f"学校红线 Red lines ({count} inside)", show=True)
    if zones is not None and len(zones):
        folium.GeoJson(
            _escaped(zones, ["school", "school_kind", "limit_m", "measured_from"]).to_json(),
            style_function=lambda _f: {
                "color": RED_LINE_COLOUR,
                "weight": 1.5,
                "dashArray": "4 3",
                "fillColor": RED_LINE_COLOUR,
                "fillOpacity": 0.12,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["school", "limit_m"], aliases=["学校 School", "红线 Limit (m)"]
            ),
        ).add_to(group)
    if violations is not None and len(violations):

        def popup(row: Any) -> str:
            return popup_html(
                [
                    ("红线内零售户 Inside a red line", _value(row, "name")),
                    ("许可证号 Licence no.", _value(row, "licence_no")),
                    ("学校 School", _value(row, "school")),
                    ("距离 Distance", _metres(_value(row, "distance_m"))),
                    ("红线 Limit", _metres(_value(row, "limit_m"))),
                    ("量自 From", _value(row, "measured_from")),
                    ("方式 Mode", _value(row, "mode")),
                ]
            )

        rows = _points(violations, popup, lambda r: str(_value(r, "licence_no") or ""))
        style = {
            "radius": 6,
            "color": "#ffffff",
            "weight": 1.5,
            "fillColor": VIOLATOR_COLOUR,
            "fillOpacity": 0.95,
            "className": "gm-red-line-violator",
        }
        PointLayer(rows, style).add_to(group)
    group.add_to(m)
    return group


def add_spacing(m: folium.Map, breaches: gpd.GeoDataFrame | None) -> folium.FeatureGroup:
    """Pairs of retailers closer than the minimum spacing, as segments (合理布局)."""
    count = 0 if breaches is None else len(breaches)
    group = folium.FeatureGroup(name=f"间距不足 Spacing breaches ({count})", show=False)
    if breaches is not None and len(breaches):
        shown = breaches.iloc[:MAX_SPACING_LINES]
        columns = ["licence_no_a", "licence_no_b", "distance_m", "required_m"]
        folium.GeoJson(
            _escaped(shown, columns).to_json(),
            style_function=lambda _f: {"color": SPACING_COLOUR, "weight": 3, "opacity": 0.85},
            tooltip=folium.GeoJsonTooltip(
                fields=[c for c in columns if c in shown.columns],
                aliases=["零售户 A", "零售户 B", "距离 Distance (m)", "最小间距 Minimum (m)"],
            ),
        ).add_to(group)
    group.add_to(m)
    return group


def add_borders(
    m: folium.Map,
    borders: gpd.GeoDataFrame | None,
    bands: gpd.GeoDataFrame | None,
    border_retailers: gpd.GeoDataFrame | None,
) -> folium.FeatureGroup:
    """Border bands, shared borders and border-market retailers (边界市场)."""
    count = 0 if border_retailers is None else len(border_retailers)
    group = folium.FeatureGroup(name=f"边界市场 Border markets ({count})", show=True)
    if bands is not None and len(bands):
        folium.GeoJson(
            _escaped(bands, ["county_code", "kind", "distance_m"]).to_json(),
            style_function=lambda f: {
                "stroke": False,
                "fillColor": PROVINCE_BAND_COLOUR
                if f["properties"].get("kind") == "province"
                else COUNTY_BAND_COLOUR,
                "fillOpacity": 0.10,
            },
        ).add_to(group)
    if borders is not None and len(borders):
        folium.GeoJson(
            _escaped(borders, ["county_a", "county_b", "kind", "length_m"]).to_json(),
            style_function=lambda f: {
                "color": PROVINCE_BAND_COLOUR
                if f["properties"].get("kind") == "province"
                else COUNTY_BAND_COLOUR,
                "weight": 4 if f["properties"].get("kind") == "province" else 3,
                "opacity": 0.8,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["county_a", "county_b", "kind"],
                aliases=["县 County", "邻县 Neighbour", "边界 Border"],
            ),
        ).add_to(group)
    if border_retailers is not None and len(border_retailers):

        def popup(row: Any) -> str:
            return popup_html(
                [
                    ("边界市场零售户 Border-market retailer", _value(row, "name")),
                    ("许可证号 Licence no.", _value(row, "licence_no")),
                    ("邻县 Neighbour", _value(row, "neighbour")),
                    ("距县界 To county border", _metres(_value(row, "county_border_m"))),
                    ("距省界 To province border", _metres(_value(row, "province_border_m"))),
                ]
            )

        rows = _points(border_retailers, popup, lambda r: str(_value(r, "licence_no") or ""))
        style = {
            "radius": 4,
            "color": BORDER_MARKET_COLOUR,
            "weight": 1,
            "fillColor": BORDER_MARKET_COLOUR,
            "fillOpacity": 0.6,
            "className": "gm-border-market",
        }
        PointLayer(rows, style).add_to(group)
    group.add_to(m)
    return group


def add_coverage(
    m: folium.Map,
    crossings: gpd.GeoDataFrame | None,
    checkpoints: gpd.GeoDataFrame | None,
    *,
    coverage_m: float = 500.0,
) -> folium.FeatureGroup:
    """Border crossings coloured by coverage, and the checkpoints with their reach (卡点覆盖)."""
    uncovered = 0 if crossings is None else int((~crossings["covered"].astype(bool)).sum())
    name = f"卡点覆盖 Checkpoint coverage ({uncovered} crossings uncovered)"
    group = folium.FeatureGroup(name=name, show=True)
    if checkpoints is not None and len(checkpoints):
        for row in checkpoints.itertuples(index=False):
            geom = getattr(row, checkpoints.geometry.name)
            folium.Circle(
                [geom.y, geom.x],
                radius=coverage_m,
                color=CHECKPOINT_COLOUR,
                weight=1,
                fill=True,
                fill_opacity=0.08,
                interactive=False,
            ).add_to(group)

        def post(row: Any) -> str:
            return popup_html(
                [
                    ("查堵卡点 Checkpoint", _value(row, "name")),
                    ("类型 Kind", _value(row, "kind")),
                    ("距边界 To border", _metres(_value(row, "border_m"))),
                ]
            )

        style = {
            "radius": 7,
            "color": "#ffffff",
            "weight": 2,
            "fillColor": CHECKPOINT_COLOUR,
            "fillOpacity": 0.95,
            "className": "gm-checkpoint",
        }
        PointLayer(
            _points(checkpoints, post, lambda r: str(_value(r, "name") or "")), style
        ).add_to(group)
    if crossings is not None and len(crossings):
        for covered, colour, css in (
            (True, COVERED_COLOUR, "gm-crossing-covered"),
            (False, UNCOVERED_COLOUR, "gm-crossing-uncovered"),
        ):
            part = crossings[crossings["covered"].astype(bool) == covered]

            def crossing(row: Any) -> str:
                return popup_html(
                    [
                        ("越界道路 Border crossing", _value(row, "highway")),
                        ("边界 Border", f"{_value(row, 'county_a')} / {_value(row, 'county_b')}"),
                        ("类别 Kind", _value(row, "kind")),
                        ("覆盖卡点 Covered by", _value(row, "checkpoint")),
                        ("距离 Distance", _metres(_value(row, "checkpoint_m"))),
                    ]
                )

            style = {
                "radius": 5 if covered else 6,
                "color": colour,
                "weight": 2 if covered else 3,
                "fillColor": "#ffffff",
                "fillOpacity": 0.9,
                "className": css,
            }
            tip = "已覆盖 covered" if covered else "未覆盖 uncovered"
            PointLayer(_points(part, crossing, _constant(tip)), style).add_to(group)
    group.add_to(m)
    return group


def add_sites(m: folium.Map, sites: gpd.GeoDataFrame | None) -> folium.FeatureGroup:
    """Suggested new checkpoint sites, numbered in the order they add flow (建议卡点)."""
    count = 0 if sites is None else len(sites)
    group = folium.FeatureGroup(name=f"建议卡点 Suggested sites ({count})", show=True)
    if sites is not None and len(sites):
        for rank, row in enumerate(sites.itertuples(index=False), start=1):
            geom = getattr(row, sites.geometry.name)
            marker = folium.Marker(
                [geom.y, geom.x],
                icon=folium.DivIcon(
                    html=(
                        f'<div class="gm-site" style="transform:translate(-50%,-50%);'
                        f"background:{SITE_COLOUR};color:#fff;border:2px solid #fff;"
                        "border-radius:3px;font:bold 12px sans-serif;padding:1px 5px;"
                        f'box-shadow:0 1px 3px rgba(0,0,0,.5)">{rank}</div>'
                    ),
                    icon_size=(0, 0),
                    class_name="gm-site-icon",
                ),
            )
            added = float(_value(row, "intercepted") or 0)
            popup = popup_html(
                [
                    ("建议卡点 Suggested site", f"#{rank}"),
                    ("新增拦截流量 Flow intercepted", f"{added:g}"),
                    ("经过路径 Paths through it", _value(row, "paths")),
                    ("来源 Source", _value(row, "source")),
                ]
            )
            bind_popup(marker, popup, tooltip=f"建议卡点 suggested site #{rank}").add_to(group)
    group.add_to(m)
    return group


def rules_legend() -> list[LegendEntry]:
    """Legend lines of the rules map."""
    return [
        LegendEntry(RED_LINE_COLOUR, "学校红线 school red line", shape="square"),
        LegendEntry(VIOLATOR_COLOUR, "红线内零售户 retailer inside a red line"),
        LegendEntry(SPACING_COLOUR, "间距不足 spacing breach", shape="line"),
        LegendEntry(COUNTY_BAND_COLOUR, "县界地带 county-border band", shape="square"),
        LegendEntry(PROVINCE_BAND_COLOUR, "省界地带 province-border band", shape="square"),
        LegendEntry(BORDER_MARKET_COLOUR, "边界市场零售户 border-market retailer"),
        LegendEntry("#ffffff", "已覆盖越界道路 covered crossing", outline=COVERED_COLOUR),
        LegendEntry("#ffffff", "未覆盖越界道路 uncovered crossing", outline=UNCOVERED_COLOUR),
        LegendEntry(CHECKPOINT_COLOUR, "查堵卡点 checkpoint"),
        LegendEntry(SITE_COLOUR, "建议卡点 suggested site", shape="square"),
    ]


def build_rules_map(
    counties: gpd.GeoDataFrame,
    *,
    red_line_zones: gpd.GeoDataFrame | None = None,
    violations: gpd.GeoDataFrame | None = None,
    breaches: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    bands: gpd.GeoDataFrame | None = None,
    border_retailers: gpd.GeoDataFrame | None = None,
    crossings: gpd.GeoDataFrame | None = None,
    checkpoints: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    coverage_m: float = 500.0,
    licence_check_url: str | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """The rules map of one or more counties (WGS-84 frames in, folium map out).

    Parameters
    ----------
    counties
        County boundaries with ``code`` and ``name``.
    red_line_zones, violations
        :class:`~gridmgmt.services.rules.RedLineReport`'s ``zones`` and ``violations``.
    breaches
        :class:`~gridmgmt.services.rules.SpacingReport`'s ``breaches`` (segments).
    borders, bands, border_retailers
        :class:`~gridmgmt.services.rules.BorderReport`'s ``borders``, ``bands`` and
        ``retailers``.
    crossings, checkpoints, sites
        :class:`~gridmgmt.services.rules.CoverageReport`'s frames.
    coverage_m
        Reach of a checkpoint, drawn as a circle.
    licence_check_url
        Licence-check endpoint to call on click; None (files on disk) for no click.
    tile_url, tile_attribution, tile_crs
        The tile layer, as for :func:`maps.overview.build_overview_map`.
    """
    layers = {
        "counties": counties,
        "zones": red_line_zones,
        "violations": violations,
        "breaches": breaches,
        "borders": borders,
        "bands": bands,
        "border_retailers": border_retailers,
        "crossings": crossings,
        "checkpoints": checkpoints,
        "sites": sites,
    }
    shown = {
        key: None if frame is None else display_frame(frame, tile_crs=tile_crs)
        for key, frame in layers.items()
    }
    m = base_map(shown["counties"], tile_url=tile_url, tile_attribution=tile_attribution)
    assert shown["counties"] is not None
    add_counties(m, shown["counties"])
    add_borders(m, shown["borders"], shown["bands"], shown["border_retailers"])
    add_red_lines(m, shown["zones"], shown["violations"])
    add_spacing(m, shown["breaches"])
    add_coverage(m, shown["crossings"], shown["checkpoints"], coverage_m=coverage_m)
    add_sites(m, shown["sites"])
    add_legend(m, "图例 Legend", rules_legend())
    add_layer_control(m, collapsed=False)
    if licence_check_url is not None:
        LicenceCheckClick(licence_check_url, crs=str(tile_crs)).add_to(m)
    return m
