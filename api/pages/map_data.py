"""The officer map's data as compact JSON: rows of plain values and GeoJSON outlines.

Values are data, never HTML: the page's script puts them into the map as text. Frames are
shifted to the tiles' coordinates first (GCJ-02 tiles need it), as every map view does.
"""

from __future__ import annotations

import json
from typing import Any, Final

import geopandas as gpd
import pandas as pd

from maps.base import display_frame

COORD_DIGITS: Final = 6
SIMPLIFY_DEG: Final = 0.00002  # about 2 m: lighter outlines, no visible change
MAX_SPACING_LINES: Final = 5000

RETAILER_COLUMNS: Final = (
    "licence_no",
    "name",
    "address",
    "status",
    "tier",
    "key_retailer",
    "grid_id",
)
"""The columns of each retailer row, before its latitude and longitude."""


def _plain(value: Any) -> Any:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if hasattr(value, "value"):  # enums
        return value.value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return round(value, 1) if isinstance(value, float) else int(value)
    return str(value)


def point_rows(
    frame: gpd.GeoDataFrame, columns: tuple[str, ...], *, tile_crs: str
) -> list[list[Any]]:
    """``[*columns, lat, lon]`` per point of ``frame`` (missing columns are null)."""
    if not len(frame):
        return []
    shown = display_frame(frame, tile_crs=tile_crs)
    values = [shown[c].map(_plain).tolist() if c in shown else [None] * len(shown) for c in columns]
    lats = shown.geometry.y.round(COORD_DIGITS).tolist()
    lons = shown.geometry.x.round(COORD_DIGITS).tolist()
    return [[*row, lat, lon] for *row, lat, lon in zip(*values, lats, lons, strict=True)]


def outlines(frame: gpd.GeoDataFrame, columns: tuple[str, ...], *, tile_crs: str) -> Any:
    """The polygons or lines of ``frame`` as GeoJSON with only ``columns`` as properties."""
    if not len(frame):
        return {"type": "FeatureCollection", "features": []}
    kept = [c for c in columns if c in frame.columns]
    shown = display_frame(frame[[*kept, frame.geometry.name]], tile_crs=tile_crs)
    shown = shown.set_geometry(shown.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True))
    for column in kept:
        shown[column] = shown[column].map(_plain)
    return json.loads(shown.to_json(drop_id=True, na="null", to_wgs84=False))
