"""The grids map (网格图): grids shaded by workload with their id and staff, retailers
coloured by grid, and a legend.

Frames in (WGS-84, as :func:`gridmgmt.services.frames.load_frame` gives them), folium map
out. Grid outlines are one GeoJSON layer whose fill comes from each feature's workload
class; labels and popups are escaped here; retailers are drawn in the browser from compact
rows (:class:`maps.rules.PointLayer`), one layer per colour.
"""

from __future__ import annotations

from html import escape
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from gridmgmt.crs import CoordinateSystem
from gridmgmt.domain import StaffRole, label_zh
from maps.base import base_map, display_frame, is_blank, label_marker, label_point, popup_html
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend
from maps.overview import add_counties
from maps.rules import PointLayer

__all__ = ["GRID_COLOURS", "WORKLOAD_COLOURS", "build_grids_map", "grids_legend"]

# Light to dark: lighter grids carry less work than the county's mean, darker more.
WORKLOAD_COLOURS: Final = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
WORKLOAD_LABELS: Final = (
    "工作量 < 均值-10% workload below mean -10%",
    "均值 -10%..-3%",
    "均值 ±3% near the mean",
    "均值 +3%..+10%",
    "工作量 > 均值+10% above mean +10%",
)
_BREAKS: Final = (-0.10, -0.03, 0.03, 0.10)
# Retailer colours, distinct enough that neighbouring grids differ (assigned by grid order).
GRID_COLOURS: Final = (
    "#e41a1c", "#377eb8", "#984ea3", "#ff7f00", "#a65628", "#f781bf",
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
)  # fmt: skip
NO_GRID_COLOUR: Final = "#9e9e9e"
CANVAS_FROM: Final = 1000
"""Above this many retailers their dots are drawn on a canvas (thousands of SVG dots make
panning and zooming stutter)."""
GRID_BORDER: Final = "#1b5e20"


def _workload_class(workload: pd.Series, locked: pd.Series) -> np.ndarray:
    free = ~locked.astype(bool).to_numpy()
    values = workload.to_numpy(float)
    mean = values[free].mean() if free.any() else values.mean()
    deviation = values / mean - 1 if mean > 0 else np.zeros(len(values))
    return np.digitize(deviation, _BREAKS)


def _staff_text(row: Any) -> list[tuple[str, Any]]:
    return [(label_zh(role), getattr(row, role.value, None)) for role in StaffRole]


def _grid_features(grids: gpd.GeoDataFrame) -> dict[str, Any]:
    locked = grids["locked"] if "locked" in grids.columns else pd.Series(False, index=grids.index)
    classes = _workload_class(grids["workload"], locked)
    features = []
    for row, cls in zip(grids.itertuples(index=False), classes, strict=True):
        fields = [
            ("网格 Grid", row.grid_id),
            ("县 County", getattr(row, "county_code", None)),
            ("工作量 Workload (min)", f"{float(row.workload):.0f}"),
            ("零售户 Retailers", getattr(row, "n_retailers", None)),
            ("重点户 Key retailers", getattr(row, "n_key_retailers", None)),
            ("紧凑度 Polsby-Popper", _round(getattr(row, "polsby_popper", None))),
            ("锁定 Locked", "是 yes" if bool(getattr(row, "locked", False)) else None),
            *_staff_text(row),
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": row.geometry.__geo_interface__,
                "properties": {
                    "fill": WORKLOAD_COLOURS[int(cls)],
                    "popup": popup_html(fields),
                    "tooltip": escape(str(row.grid_id)),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _round(value: Any) -> str | None:
    return None if is_blank(value) else f"{float(value):.2f}"


def add_grids(m: folium.Map, grids: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Grids shaded by workload, with a label (grid id and monopoly officer) on each."""
    group = folium.FeatureGroup(name=f"网格 Grids ({len(grids)})", show=True)
    if len(grids):
        folium.GeoJson(
            _grid_features(grids),
            style_function=lambda feature: {
                "color": GRID_BORDER,
                "weight": 1.2,
                "fillColor": feature["properties"]["fill"],
                "fillOpacity": 0.55,
            },
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(group)
        officer = StaffRole.MONOPOLY_OFFICER.value
        for row in grids.itertuples(index=False):
            point = label_point(row.geometry)
            name = getattr(row, officer, None)
            staff = "" if is_blank(name) else f"<br><span>{escape(str(name))}</span>"
            html = (
                '<div class="gm-grid-label" style="transform:translate(-50%,-50%);'
                "white-space:nowrap;width:max-content;text-align:center;font:bold 11px sans-serif;"
                f'color:#1b3d1f;text-shadow:0 0 3px #fff,0 0 3px #fff">'
                f"{escape(str(row.grid_id))}{staff}</div>"
            )
            label_marker(point.y, point.x, html, "gm-grid-label-icon", priority=1).add_to(group)
    group.add_to(m)
    return group


def grid_keys(frame: pd.DataFrame) -> list[str | None]:
    """``county:grid`` per row (grid ids repeat across counties); None without a grid."""
    if "grid_id" not in frame.columns:
        return [None] * len(frame)
    county = frame["county_code"] if "county_code" in frame.columns else pd.Series("", frame.index)
    return [
        None if is_blank(g) else f"{c}:{g}"
        for c, g in zip(county.astype(str), frame["grid_id"], strict=True)
    ]


def grid_colours(keys: list[str | None]) -> dict[str, str]:
    """A colour per grid key, cycling through :data:`GRID_COLOURS` in key order."""
    ordered = sorted({k for k in keys if k is not None})
    return {k: GRID_COLOURS[i % len(GRID_COLOURS)] for i, k in enumerate(ordered)}


def add_grid_retailers(
    m: folium.Map, retailers: gpd.GeoDataFrame, colours: dict[str, str]
) -> folium.FeatureGroup:
    """Retailers as small dots in the colour of their grid (grey without one)."""
    group = folium.FeatureGroup(name=f"零售户 Retailers by grid ({len(retailers)})", show=True)
    if len(retailers):
        keys = grid_keys(retailers)
        colour = [NO_GRID_COLOUR if k is None else colours.get(k, NO_GRID_COLOUR) for k in keys]
        grid = [None if k is None else k.split(":", 1)[1] for k in keys]
        shown = retailers.assign(gm_colour=colour, gm_grid=grid)
        for fill, part in shown.groupby("gm_colour", sort=True):
            rows = []
            for row in part.itertuples(index=False):
                geom = row.geometry
                if geom is None or geom.is_empty:
                    continue
                popup = popup_html(
                    [
                        ("许可证号 Licence no.", getattr(row, "licence_no", None)),
                        ("名称 Name", getattr(row, "name", None)),
                        ("网格 Grid", row.gm_grid),
                        ("档位 Tier", getattr(row, "tier", None)),
                        ("状态 Status", getattr(row, "status", None)),
                    ]
                )
                tooltip = escape(str(getattr(row, "name", "") or ""))
                rows.append([round(geom.y, 7), round(geom.x, 7), popup, tooltip])
            style = {
                "radius": 3,
                "weight": 1,
                "color": "#ffffff",
                "fillColor": fill,
                "fillOpacity": 0.9,
                "className": "gm-grid-retailer",
            }
            PointLayer(rows, style, canvas=len(retailers) > CANVAS_FROM).add_to(group)
    group.add_to(m)
    return group


def grids_legend() -> list[LegendEntry]:
    """Legend lines of the grids map."""
    entries = [
        LegendEntry(colour, label, shape="square", outline=GRID_BORDER)
        for colour, label in zip(WORKLOAD_COLOURS, WORKLOAD_LABELS, strict=True)
    ]
    entries += [
        LegendEntry(GRID_COLOURS[0], "零售户 (按网格着色) retailer, coloured by grid"),
        LegendEntry(NO_GRID_COLOUR, "未入网格 retailer in no grid"),
    ]
    return entries


def build_grids_map(
    counties: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    retailers: gpd.GeoDataFrame | None = None,
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """The grids map of one or more counties.

    Parameters
    ----------
    counties
        County boundaries with ``code`` and ``name``.
    grids
        Grids with ``grid_id``, ``workload``, optional ``locked``, ``n_retailers`` and staff
        names per role (``monopoly_officer``, ``account_manager``, ``deliverer``).
    retailers
        Retailers with ``grid_id`` (those without one are grey).
    tile_url, tile_attribution, tile_crs
        The tile layer, as for :func:`maps.overview.build_overview_map`.
    """
    shown_counties = display_frame(counties, tile_crs=tile_crs)
    shown_grids = display_frame(grids, tile_crs=tile_crs)
    m = base_map(shown_counties, tile_url=tile_url, tile_attribution=tile_attribution)
    add_counties(m, shown_counties)
    add_grids(m, shown_grids)
    if retailers is not None:
        colours = grid_colours(grid_keys(grids))
        add_grid_retailers(m, display_frame(retailers, tile_crs=tile_crs), colours)
    add_legend(m, "图例 Legend", grids_legend())
    add_layer_control(m, collapsed=False)
    return m
