"""The overview map (总览图): counties, clustered retailers by status, schools, checkpoints."""

from __future__ import annotations

from enum import StrEnum
from html import escape
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.plugins import MarkerCluster
from folium.template import Template

from gridmgmt.crs import CoordinateSystem
from gridmgmt.domain import (
    BusinessType,
    CheckpointKind,
    RetailerStatus,
    SchoolKind,
    label_zh,
    parse_enum,
)
from maps.base import (
    base_map,
    bind_popup,
    display_frame,
    is_blank,
    label_marker,
    label_point,
    popup_html,
    script_json,
)
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend

STATUS_COLOURS: dict[RetailerStatus, str] = {
    RetailerStatus.ACTIVE: "#2e7d32",
    RetailerStatus.SUSPENDED: "#f9a825",
    RetailerStatus.CLOSED: "#9e9e9e",
}
UNKNOWN_STATUS_COLOUR = "#616161"
KEY_RETAILER_OUTLINE = "#c62828"
SCHOOL_COLOUR = "#6a1b9a"
CHECKPOINT_COLOUR = "#1565c0"
COUNTY_BORDER = "#37474f"


def _both(enum: type[StrEnum], value: Any) -> str:
    """``档位``-style display of a vocabulary value: Chinese label and English value."""
    if is_blank(value):
        return ""
    try:
        member = parse_enum(enum, str(value))
    except ValueError:
        return str(value)
    return f"{label_zh(member)} {member.value}"


def _county_names(counties: gpd.GeoDataFrame) -> dict[str, str]:
    if "code" not in counties or "name" not in counties:
        return {}
    return dict(zip(counties["code"].astype(str), counties["name"].astype(str), strict=True))


def _county_label(code: Any, names: dict[str, str]) -> str:
    code = "" if code is None else str(code)
    return f"{names[code]} {code}" if code in names else code


def add_counties(m: folium.Map, counties: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """County boundaries with their names as labels (县界)."""
    group = folium.FeatureGroup(name="县界 Counties", show=True)
    if len(counties):
        columns = [c for c in ("code", "name", "province", "city") if c in counties]
        shapes = counties[[*columns, counties.geometry.name]].copy()
        # The tooltip writes these into HTML as they are.
        shapes[columns] = shapes[columns].fillna("").astype(str).map(escape)
        aliases = {"code": "代码 Code", "name": "名称 Name", "province": "省 Province"}
        fields = [c for c in ("name", "code", "province") if c in columns]
        folium.GeoJson(
            shapes.to_json(),
            name="县界 Counties",
            style_function=lambda _feature: {
                "color": COUNTY_BORDER,
                "weight": 2,
                "fillColor": "#90a4ae",
                "fillOpacity": 0.06,
            },
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[aliases[f] for f in fields])
            if fields
            else None,
        ).add_to(group)
        for _, county in counties.iterrows():
            point = label_point(county.geometry)
            label = escape(str(county.get("name", "")))
            html = (
                '<div style="transform:translate(-50%,-50%);white-space:nowrap;width:max-content;'
                f"font:bold 14px sans-serif;color:{COUNTY_BORDER};"
                f'text-shadow:0 0 3px #fff,0 0 3px #fff">{label}</div>'
            )
            label_marker(point.y, point.x, html, "gm-county-label", priority=2).add_to(group)
    group.add_to(m)
    return group


class RetailerCluster(MarkerCluster):  # type: ignore[misc]
    """Retailers as circle markers in a cluster layer, built in the browser from compact rows.

    One folium element per retailer would make a county's page tens of megabytes; here each
    retailer is one short JSON row, and popups are assembled only when opened. Text fields
    are HTML-escaped in Python before they are sent.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .gm-cluster { background: rgba(84, 110, 122, 0.35); border-radius: 50%; }
        .gm-cluster div { width: 30px; height: 30px; margin: 5px; border-radius: 50%;
            background: rgba(55, 71, 79, 0.85); color: #fff; text-align: center;
            font: bold 12px/30px sans-serif; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var labels = {{ this.labels }};
            var statuses = {{ this.statuses }};
            var types = {{ this.types }};
            var counties = {{ this.counties }};
            var data = {{ this.data }};
            var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
            // Neutral bubbles: the default green/yellow/orange would read as licence status.
            cluster.options.iconCreateFunction = function (group) {
                return L.divIcon({
                    html: "<div><span>" + group.getChildCount() + "</span></div>",
                    className: "marker-cluster gm-cluster",
                    iconSize: L.point(40, 40)
                });
            };
            function line(label, value) {
                return (value === null || value === "") ? "" :
                    "<tr><th>" + label + "</th><td>" + value + "</td></tr>";
            }
            function popup(d) {
                var s = statuses[d[2]];
                return '<table class="gm-popup">' + line(labels[0], d[4]) +
                    line(labels[1], d[5]) + line(labels[2], d[8]) + line(labels[3], d[6]) +
                    line(labels[4], types[d[7]]) + line(labels[5], s[1]) +
                    line(labels[6], d[3] ? labels[8] : labels[9]) + line(labels[7], d[9]) +
                    line(labels[10], counties[d[10]]) + "</table>";
            }
            var markers = [];
            for (var i = 0; i < data.length; i++) {
                var d = data[i];
                var s = statuses[d[2]];
                var marker = L.circleMarker([d[0], d[1]], {
                    radius: 5, fillColor: s[0], fillOpacity: 0.85, opacity: 1,
                    color: d[3] ? {{ this.key_outline|tojson }} : "#ffffff",
                    weight: d[3] ? 2.5 : 1,
                    className: "gm-retailer gm-status-" + s[2] + (d[3] ? " gm-key" : "")
                });
                marker.bindPopup(popup.bind(null, d), {maxWidth: 360});
                marker.bindTooltip(d[4]);
                markers.push(marker);
            }
            cluster.addLayers(markers);
            cluster.addTo({{ this._parent.get_name() }});
            return cluster;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        retailers: gpd.GeoDataFrame,
        *,
        county_names: dict[str, str] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(name=name, **options)
        self._name = "RetailerCluster"
        rows, codes = _retailer_rows(retailers)
        names = county_names or {}
        self.data = script_json(rows)
        self.counties = script_json([escape(_county_label(code, names)) for code in codes])
        self.labels = script_json([escape(label) for label in RETAILER_POPUP_LABELS])
        self.statuses = script_json(
            [
                [STATUS_COLOURS[status] if status else UNKNOWN_STATUS_COLOUR, escape(text), css]
                for status, text, css in _STATUS_TABLE
            ]
        )
        self.types = script_json([escape(_both(BusinessType, t)) for t in BusinessType])
        self.key_outline = KEY_RETAILER_OUTLINE


RETAILER_POPUP_LABELS = (
    "名称 Name",
    "许可证号 Licence no.",
    "地址 Address",
    "档位 Tier",
    "业态 Business type",
    "状态 Status",
    "重点零售户 Key retailer",
    "电话 Phone",
    "是 yes",
    "否 no",
    "县 County",
)
_STATUS_TABLE: list[tuple[RetailerStatus | None, str, str]] = [
    *((status, _both(RetailerStatus, status), status.value) for status in RetailerStatus),
    (None, "未知 unknown", "unknown"),
]
_BUSINESS_TYPES = list(BusinessType)


def _codes(values: pd.Series, enum: type[StrEnum], unknown: int) -> np.ndarray:
    """Index of each value's member in ``enum`` (parsing each distinct value once)."""
    members = list(enum)
    lookup: dict[Any, int] = {}
    for value in values.dropna().unique():
        try:
            lookup[value] = members.index(parse_enum(enum, str(value)))
        except ValueError:
            lookup[value] = unknown
    return values.map(lookup).fillna(unknown).astype(int).to_numpy()


def _text(frame: gpd.GeoDataFrame, column: str) -> list[str]:
    if column not in frame:
        return [""] * len(frame)
    return ["" if is_blank(v) else escape(str(v)) for v in frame[column]]


def _retailer_rows(retailers: gpd.GeoDataFrame) -> tuple[list[list[Any]], list[str]]:
    """Compact rows: lat, lon, status, key, name, licence, tier, type, address, phone, county."""
    points = retailers[~(retailers.geometry.isna() | retailers.geometry.is_empty)]
    n = len(points)
    if n == 0:
        return [], []
    lat = points.geometry.y.round(6).tolist()
    lon = points.geometry.x.round(6).tolist()
    status = _codes(points["status"], RetailerStatus, len(RetailerStatus)).tolist()
    other = _BUSINESS_TYPES.index(BusinessType.OTHER)
    kinds = (
        _codes(points["business_type"], BusinessType, other).tolist()
        if "business_type" in points
        else [other] * n
    )
    key = (
        points["key_retailer"].fillna(False).astype(bool).astype(int).tolist()
        if "key_retailer" in points
        else [0] * n
    )
    tier = _text(points, "tier")
    county_values = (
        points["county_code"].fillna("").astype(str)
        if "county_code" in points
        else pd.Series([""] * n)
    )
    codes = sorted(set(county_values))
    county = [codes.index(code) for code in county_values]
    columns = zip(
        lat,
        lon,
        status,
        key,
        _text(points, "name"),
        _text(points, "licence_no"),
        tier,
        kinds,
        _text(points, "address"),
        _text(points, "phone"),
        county,
        strict=True,
    )
    return [list(row) for row in columns], codes


def add_retailers(
    m: folium.Map, retailers: gpd.GeoDataFrame, *, county_names: dict[str, str] | None = None
) -> RetailerCluster:
    """Retailers as clustered circle markers coloured by licence status (零售户)."""
    cluster = RetailerCluster(
        retailers,
        county_names=county_names,
        name=f"零售户 Retailers ({len(retailers)})",
        chunkedLoading=True,
        disableClusteringAtZoom=16,
    )
    cluster.add_to(m)
    return cluster


SCHOOL_STYLE: Final = {
    "radius": 6,
    "weight": 1.5,
    "fill_color": SCHOOL_COLOUR,
    "class_name": "gm-school",
}
CHECKPOINT_STYLE: Final = {
    "radius": 7,
    "weight": 2,
    "fill_color": CHECKPOINT_COLOUR,
    "class_name": "gm-checkpoint",
}


def _point(geom: Any, fields: list[tuple[str, Any]], style: dict[str, Any]) -> MacroElement:
    """A school or checkpoint: a white-edged circle, its name as tooltip, its fields as popup."""
    marker = folium.CircleMarker([geom.y, geom.x], color="#ffffff", fill_opacity=0.95, **style)
    return bind_popup(marker, popup_html(fields), tooltip=str(fields[0][1] or ""))


def add_schools(
    m: folium.Map, schools: gpd.GeoDataFrame, *, county_names: dict[str, str] | None = None
) -> folium.FeatureGroup:
    """Schools as purple circles, with their campus outline when known (学校)."""
    group = folium.FeatureGroup(name=f"学校 Schools ({len(schools)})", show=True)
    names = county_names or {}
    for _, school in schools.iterrows():
        geom = school.geometry
        if geom is None or geom.is_empty:
            continue
        campus = school.get("campus")
        if campus is not None and not getattr(campus, "is_empty", True):
            folium.GeoJson(
                campus.__geo_interface__,
                style_function=lambda _f: {"color": SCHOOL_COLOUR, "weight": 1, "fillOpacity": 0.1},
            ).add_to(group)
        fields = [
            ("名称 Name", school.get("name")),
            ("类别 Kind", _both(SchoolKind, school.get("kind"))),
            ("县 County", _county_label(school.get("county_code"), names)),
        ]
        _point(geom, fields, SCHOOL_STYLE).add_to(group)
    group.add_to(m)
    return group


def add_checkpoints(
    m: folium.Map, checkpoints: gpd.GeoDataFrame, *, county_names: dict[str, str] | None = None
) -> folium.FeatureGroup:
    """Checkpoints as blue circles (查堵卡点)."""
    group = folium.FeatureGroup(name=f"查堵卡点 Checkpoints ({len(checkpoints)})", show=True)
    names = county_names or {}
    for _, point in checkpoints.iterrows():
        geom = point.geometry
        if geom is None or geom.is_empty:
            continue
        fields = [
            ("名称 Name", point.get("name")),
            ("类型 Kind", _both(CheckpointKind, point.get("kind"))),
            ("县 County", _county_label(point.get("county_code"), names)),
        ]
        _point(geom, fields, CHECKPOINT_STYLE).add_to(group)
    group.add_to(m)
    return group


def overview_legend() -> list[LegendEntry]:
    """Legend lines of the overview map."""
    entries = [
        LegendEntry(colour, f"零售户 {label_zh(status)} {status.value}")
        for status, colour in STATUS_COLOURS.items()
    ]
    entries.append(LegendEntry("#ffffff", "重点零售户 key retailer", outline=KEY_RETAILER_OUTLINE))
    entries.append(LegendEntry(SCHOOL_COLOUR, "学校 school"))
    entries.append(LegendEntry(CHECKPOINT_COLOUR, "查堵卡点 checkpoint"))
    entries.append(LegendEntry(COUNTY_BORDER, "县界 county border", shape="line"))
    return entries


def build_overview_map(
    counties: gpd.GeoDataFrame,
    retailers: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    checkpoints: gpd.GeoDataFrame,
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """The overview map of one or more counties.

    Parameters
    ----------
    counties
        Boundaries with ``code``, ``name`` (and ``province``), WGS-84.
    retailers
        Points with ``licence_no``, ``name``, ``status``, ``tier``, ``business_type``,
        ``key_retailer``, ``county_code`` (others shown when present), WGS-84.
    schools
        Points with ``name``, ``kind``, ``county_code`` (and optional ``campus``), WGS-84.
    checkpoints
        Points with ``name``, ``kind``, ``county_code``, WGS-84.
    tile_url
        XYZ tile URL template; None for a plain background.
    tile_attribution
        Attribution of the tiles.
    tile_crs
        Coordinates of the tile imagery (``wgs84`` or ``gcj02``); data is shifted to match.

    Returns
    -------
    folium.Map
        The map; write it with :func:`maps.assets.write_map` or serve it with
        :func:`maps.assets.render_parts` so it works offline.
    """
    frames = [
        display_frame(f, tile_crs=tile_crs) for f in (counties, retailers, schools, checkpoints)
    ]
    counties, retailers, schools, checkpoints = frames
    m = base_map(*frames, tile_url=tile_url, tile_attribution=tile_attribution)
    names = _county_names(counties)
    add_counties(m, counties)
    add_retailers(m, retailers, county_names=names)
    add_schools(m, schools, county_names=names)
    add_checkpoints(m, checkpoints, county_names=names)
    add_legend(m, "图例 Legend", overview_legend())
    add_layer_control(m, collapsed=False)
    return m
