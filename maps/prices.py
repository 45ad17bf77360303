"""The price-gap map (跨界价差图): each shared border drawn in the colour of its largest
flagged price gap, with the products and medians in its popup."""

from __future__ import annotations

from html import escape
from typing import Any, Final

import folium
import geopandas as gpd

from gridmgmt.crs import CoordinateSystem
from maps.base import base_map, bind_popup, display_frame
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend
from maps.overview import add_counties

__all__ = ["build_price_gap_map", "gap_colour", "price_gap_legend"]

NO_GAP_COLOUR: Final = "#78909c"
GAP_COLOURS: Final = ((0.15, "#b71c1c"), (0.10, "#e53935"), (0.0, "#fb8c00"))
"""Colour by the largest flagged gap's share of the lower median (from the largest up)."""


def gap_colour(flagged: int, max_share: float) -> str:
    """The colour of a border with ``flagged`` products gapping up to ``max_share``."""
    if not flagged:
        return NO_GAP_COLOUR
    return next(colour for floor, colour in GAP_COLOURS if max_share >= floor)


def price_gap_legend() -> list[LegendEntry]:
    """The legend's lines."""
    return [
        LegendEntry(GAP_COLOURS[0][1], "价差 ≥15% gap ≥ 15%", "line"),
        LegendEntry(GAP_COLOURS[1][1], "价差 ≥10% gap ≥ 10%", "line"),
        LegendEntry(GAP_COLOURS[2][1], "价差超标 gap above the setting", "line"),
        LegendEntry(NO_GAP_COLOUR, "无超标价差 no gap above the setting", "line"),
    ]


def _popup(row: Any) -> str:
    products = row.get("products") or []
    items = "".join(f"<li>{escape(str(p))}</li>" for p in products)
    head = (
        f"<strong>{escape(str(row['county_a']))} – {escape(str(row['county_b']))}</strong> "
        f"({escape(str(row['kind']))})<br>"
        f"价差超标品规 flagged products: {int(row['flagged'])} / {int(row['compared'])}"
    )
    return f"{head}<ul>{items}</ul>" if items else head


def build_price_gap_map(
    counties: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
) -> folium.Map:
    """The borders of the price-gap report over the counties (WGS-84 frames in).

    Parameters
    ----------
    counties
        County boundaries with ``code`` and ``name``.
    borders
        :func:`gridmgmt.services.prices.gap_frame` of the report: one line per border with
        ``county_a``, ``county_b``, ``kind``, ``flagged``, ``compared``, ``max_share`` and
        ``products``.
    tile_url, tile_attribution, tile_crs
        The tile layer, as for :func:`maps.overview.build_overview_map`.
    """
    shown_counties = display_frame(counties, tile_crs=tile_crs)
    shown = display_frame(borders, tile_crs=tile_crs)
    m = base_map(shown_counties, tile_url=tile_url, tile_attribution=tile_attribution)
    add_counties(m, shown_counties)
    group = folium.FeatureGroup(name=f"跨界价差 Price gaps ({len(shown)})", show=True)
    for _, row in shown.iterrows():
        colour = gap_colour(int(row["flagged"]), float(row["max_share"]))
        share = float(row["max_share"])
        tooltip = f"{row['county_a']} – {row['county_b']}: " + (
            f"{int(row['flagged'])} 品规 products, ≤ {share:.0%}" if row["flagged"] else "—"
        )
        line = folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=colour, w=6 if row["flagged"] else 3: {
                "color": c,
                "weight": w,
                "opacity": 0.9,
                "className": "gm-price-gap",
            },
        )
        bind_popup(line, _popup(row), tooltip=tooltip)
        line.add_to(group)
    group.add_to(m)
    add_legend(m, "图例 Legend", price_gap_legend())
    add_layer_control(m, collapsed=False)
    return m
