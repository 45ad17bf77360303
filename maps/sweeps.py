"""The sweep map (联合整治图): a joint sweep's targets over its counties, coloured by what the
team found (still to check, compliant, violation, not open or not found), priority targets
ringed, each with its team and reasons in the popup."""

from __future__ import annotations

from typing import Any, Final

import folium
import geopandas as gpd
from shapely.geometry import box

from gridmgmt.crs import CoordinateSystem
from maps.base import base_map, bind_popup, display_frame, popup_html
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend
from maps.overview import add_counties

__all__ = ["OUTCOME_COLOURS", "build_sweep_map", "sweep_legend"]

PENDING: Final = "pending"
OUTCOME_COLOURS: Final = {
    PENDING: "#1565c0",
    "compliant": "#2e7d32",
    "violation": "#c62828",
    "not_open": "#6d4c41",
    "not_found": "#757575",
}
"""Colour of a target by its outcome (``pending`` before a result is recorded)."""
_OUTCOME_LABELS: Final = {
    PENDING: "待检查 to check",
    "compliant": "合规 compliant",
    "violation": "违规 violation",
    "not_open": "未营业 not open",
    "not_found": "未找到 not found",
}
PRIORITY_RING: Final = "#ff6f00"
VIEW_MARGIN_DEG: Final = 0.04
"""Margin around the targets the map opens on (degrees, about 4 km)."""


def sweep_legend() -> list[LegendEntry]:
    """The legend's lines."""
    entries = [LegendEntry(OUTCOME_COLOURS[k], v) for k, v in _OUTCOME_LABELS.items()]
    entries.append(
        LegendEntry("#ffffff", "重点对象 priority (outflow, price)", outline=PRIORITY_RING)
    )
    return entries


def _fields(row: Any) -> list[tuple[str, Any]]:
    return [
        ("序号 No.", row["position"]),
        ("名称 Name", row["name"]),
        ("许可证号 Licence no.", row["licence_no"]),
        ("县区 County", row["county_code"]),
        ("检查组 Team", row["team"]),
        ("结果 Result", _OUTCOME_LABELS.get(row["outcome"], row["outcome"])),
        ("理由 Reasons", "; ".join(row["reasons"])),
    ]


def _view(targets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """What the map opens on: the targets with some of the border around them."""
    if not len(targets):
        return counties
    around = box(*targets.total_bounds).buffer(VIEW_MARGIN_DEG)
    return gpd.GeoDataFrame(geometry=[around], crs=targets.crs)


def build_sweep_map(
    counties: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """A sweep's targets over its counties (WGS-84 frames in).

    Parameters
    ----------
    counties
        The sweep's county boundaries with ``code`` and ``name``.
    targets
        One point per target with ``position``, ``licence_no``, ``name``, ``county_code``,
        ``team``, ``priority``, ``reasons`` (a list) and ``outcome`` (``pending`` or an
        inspection outcome's value).
    tile_url, tile_attribution, tile_crs
        The tile layer, as for :func:`maps.overview.build_overview_map`.
    """
    shown_counties = display_frame(counties, tile_crs=tile_crs)
    shown = display_frame(targets, tile_crs=tile_crs)
    m = base_map(_view(shown, shown_counties), tile_url=tile_url, tile_attribution=tile_attribution)
    add_counties(m, shown_counties)
    group = folium.FeatureGroup(name=f"整治对象 Targets ({len(shown)})", show=True)
    for _, row in shown.iterrows():
        colour = OUTCOME_COLOURS.get(str(row["outcome"]), OUTCOME_COLOURS[PENDING])
        marker = folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=8,
            color=PRIORITY_RING if row["priority"] else "#ffffff",
            weight=3 if row["priority"] else 1.5,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            class_name="gm-sweep-target",
        )
        tooltip = f"{row['position']}. {row['name']} · {row['team']}"
        bind_popup(marker, popup_html(_fields(row)), tooltip=tooltip)
        marker.add_to(group)
    group.add_to(m)
    add_legend(m, "图例 Legend", sweep_legend())
    add_layer_control(m, collapsed=False)
    return m
