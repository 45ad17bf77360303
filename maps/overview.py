"""The overview map (总览图): counties, clustered retailers by status, schools, checkpoints."""

from __future__ import annotations

from enum import StrEnum
from html import escape
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import FastMarkerCluster

from gridmgmt.crs import CoordinateSystem
from gridmgmt.domain import (
    BusinessType,
    CheckpointKind,
    RetailerStatus,
    SchoolKind,
    label_zh,
    parse_enum,
)
from maps.base import base_map, bind_popup, display_frame, popup_html
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

# Builds one circle marker per data row in the browser: far smaller pages than one
# folium element per retailer. Row: lat, lon, fill, outline, weight, popup, tooltip, class.
_RETAILER_CALLBACK = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 5, fillColor: row[2], color: row[3], weight: row[4],
        fillOpacity: 0.85, opacity: 1, className: row[7]
    });
    marker.bindPopup(row[5], {maxWidth: 360});
    marker.bindTooltip(row[6]);
    return marker;
}"""


def _both(enum: type[StrEnum], value: Any) -> str:
    """``档位``-style display of a vocabulary value: Chinese label and English value."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    try:
        member = parse_enum(enum, str(value))
    except ValueError:
        return str(value)
    return f"{label_zh(member)} {member.value}"


def _yes_no(value: Any) -> str:
    return "是 yes" if bool(value) and not pd.isna(value) else "否 no"


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
            point = county.geometry.representative_point()
            label = escape(str(county.get("name", "")))
            folium.Marker(
                [point.y, point.x],
                icon=folium.DivIcon(
                    html=(
                        '<div style="transform:translate(-50%,-50%);white-space:nowrap;'
                        f"font:bold 14px sans-serif;color:{COUNTY_BORDER};"
                        f'text-shadow:0 0 3px #fff,0 0 3px #fff">{label}</div>'
                    ),
                    icon_size=(0, 0),
                    class_name="gm-county-label",
                ),
                interactive=False,
            ).add_to(group)
    group.add_to(m)
    return group


def _retailer_rows(retailers: gpd.GeoDataFrame, names: dict[str, str]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for _, r in retailers.iterrows():
        geom = r.geometry
        if geom is None or geom.is_empty:
            continue
        try:
            status: RetailerStatus | None = parse_enum(RetailerStatus, str(r.get("status")))
        except ValueError:
            status = None
        key = bool(r.get("key_retailer", False)) and not pd.isna(r.get("key_retailer"))
        fill = (
            STATUS_COLOURS.get(status, UNKNOWN_STATUS_COLOUR) if status else UNKNOWN_STATUS_COLOUR
        )
        popup = popup_html(
            [
                ("名称 Name", r.get("name")),
                ("许可证号 Licence no.", r.get("licence_no")),
                ("地址 Address", r.get("address")),
                ("档位 Tier", r.get("tier")),
                ("业态 Business type", _both(BusinessType, r.get("business_type"))),
                ("状态 Status", _both(RetailerStatus, r.get("status"))),
                ("重点零售户 Key retailer", _yes_no(r.get("key_retailer"))),
                ("电话 Phone", r.get("phone")),
                ("县 County", _county_label(r.get("county_code"), names)),
            ]
        )
        css = f"gm-retailer gm-status-{status.value if status else 'unknown'}"
        rows.append(
            [
                float(geom.y),
                float(geom.x),
                fill,
                KEY_RETAILER_OUTLINE if key else "#ffffff",
                2.5 if key else 1,
                popup,
                escape(str(r.get("name", ""))),
                css + (" gm-key" if key else ""),
            ]
        )
    return rows


def add_retailers(
    m: folium.Map, retailers: gpd.GeoDataFrame, *, county_names: dict[str, str] | None = None
) -> FastMarkerCluster:
    """Retailers as clustered circle markers coloured by licence status (零售户)."""
    cluster = FastMarkerCluster(
        _retailer_rows(retailers, county_names or {}),
        callback=_RETAILER_CALLBACK,
        name=f"零售户 Retailers ({len(retailers)})",
        chunkedLoading=True,
        disableClusteringAtZoom=16,
    )
    cluster.add_to(m)
    return cluster


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
        marker = folium.CircleMarker(
            [geom.y, geom.x],
            radius=6,
            color="#ffffff",
            weight=1.5,
            fill_color=SCHOOL_COLOUR,
            fill_opacity=0.95,
            class_name="gm-school",
        )
        popup = popup_html(
            [
                ("名称 Name", school.get("name")),
                ("类别 Kind", _both(SchoolKind, school.get("kind"))),
                ("县 County", _county_label(school.get("county_code"), names)),
            ]
        )
        bind_popup(marker, popup, tooltip=str(school.get("name", ""))).add_to(group)
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
        marker = folium.CircleMarker(
            [geom.y, geom.x],
            radius=7,
            color="#ffffff",
            weight=2,
            fill_color=CHECKPOINT_COLOUR,
            fill_opacity=0.95,
            class_name="gm-checkpoint",
        )
        popup = popup_html(
            [
                ("名称 Name", point.get("name")),
                ("类型 Kind", _both(CheckpointKind, point.get("kind"))),
                ("县 County", _county_label(point.get("county_code"), names)),
            ]
        )
        bind_popup(marker, popup, tooltip=str(point.get("name", ""))).add_to(group)
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
    folium.LayerControl(collapsed=False).add_to(m)
    return m
