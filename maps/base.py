"""Pieces every view shares: the base map, display coordinates, popups without jQuery, and
text labels that hide where they would run into another (so a county seat's many small grids
never become a blot)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from gridmgmt.crs import CoordinateSystem, convert_geometry, convert_geoseries, parse_crs

PLAIN_BACKGROUND = "#f2efe9"
POINTS_PANE = "gmPoints"
"""Pane of points drawn on a canvas (:class:`maps.rules.PointLayer`), above the areas."""
PHONE_WIDTH = 600
"""A map narrower than this (CSS px) starts with its legend and layer list folded."""
DEFAULT_CENTRE = (40.9, 114.0)
DEFAULT_ZOOM = 8
# MarkerCluster needs a maximum zoom even when there is no tile layer to supply one.
MIN_ZOOM = 3
MAX_ZOOM = 19


class _Background(MacroElement):  # type: ignore[misc]
    """Colours the map container when there are no tiles."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>#{{ this._parent.get_name() }} { background: {{ this.colour }}; }</style>
        {% endmacro %}
        """
    )

    def __init__(self, colour: str) -> None:
        super().__init__()
        self._name = "Background"
        self.colour = escape(colour)


class _LabelDeclutter(MacroElement):  # type: ignore[misc]
    """Hides each map label (:func:`label_marker`) that would overlap one shown before it.

    Labels are taken by priority (a county's name before a grid's id), then in the order
    they were added; the check runs again after every zoom, pan and layer switch, so a
    label hidden at one zoom level shows at a closer one.
    """

    _template = Template(
        r"""
        {% macro script(this, kwargs) %}
        (function (map) {
            function declutter() {
                var icons = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll(".gm-label-icon"));
                icons.forEach(function (icon, i) {
                    icon.gmOrder = i;
                    icon.style.visibility = "";
                    // A label's size changes when its font comes in: look again then.
                    if (watch && icon.firstElementChild) { watch.observe(icon.firstElementChild); }
                });
                function priority(icon) {
                    var found = /gm-label-p([0-9]+)/.exec(icon.className);
                    return found ? +found[1] : 0;
                }
                icons.sort(function (a, b) {
                    return priority(b) - priority(a) || a.gmOrder - b.gmOrder;
                });
                // Measure every label first (one layout), then hide: no layout per label.
                var boxes = icons.map(function (icon) {
                    var text = document.createRange();
                    text.selectNodeContents(icon);
                    return text.getBoundingClientRect();
                });
                var taken = [];
                icons.forEach(function (icon, i) {
                    var r = boxes[i];
                    if (!r.width && !r.height) { return; }
                    var hit = taken.some(function (t) {
                        return r.left < t.right && t.left < r.right &&
                            r.top < t.bottom && t.top < r.bottom;
                    });
                    if (hit) { icon.style.visibility = "hidden"; } else { taken.push(r); }
                });
            }
            var pending = null;
            var watch = window.ResizeObserver ? new ResizeObserver(function () { soon(); }) : null;
            function soon() {
                clearTimeout(pending);
                pending = setTimeout(declutter, 50);
            }
            map.gmDeclutter = declutter;
            map.on("zoomend moveend overlayadd overlayremove resize", soon);
            map.whenReady(soon);
            // Text is measured again once the page's fonts are in (their widths change).
            window.addEventListener("load", soon);
            if (document.fonts && document.fonts.ready) { document.fonts.ready.then(soon); }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LabelDeclutter"


class _PointsPane(MacroElement):  # type: ignore[misc]
    """A map pane above the areas (grids, counties) for points drawn on a canvas."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.createPane({{ this.pane|tojson }}).style.zIndex = 450;
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PointsPane"
        self.pane = POINTS_PANE


class _DataBounds(MacroElement):  # type: ignore[misc]
    """Keeps the extent of the map's data on the map (``gmDataBounds``), so a control that
    covers a corner (the legend) can fit the data beside itself."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.gmDataBounds = L.latLngBounds({{ this.bounds|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "DataBounds"
        self.bounds = bounds


class _PopupStyle(MacroElement):  # type: ignore[misc]
    """One stylesheet for every popup table (see :func:`popup_html`)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .gm-popup { font-size: 12px; border-collapse: collapse; }
        .gm-popup th { text-align: left; padding-right: 8px; white-space: nowrap;
            vertical-align: top; color: #455a64; }
        </style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PopupStyle"


class _BoundPopup(MacroElement):  # type: ignore[misc]
    """``layer.bindPopup(html)`` and ``bindTooltip(text)`` in plain Leaflet.

    folium's Popup needs jQuery, and its Tooltip pastes text unescaped into a script.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.html %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 360});
        {%- endif %}
        {%- if this.tooltip %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip|tojson }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, html: str | None, tooltip: str | None) -> None:
        super().__init__()
        self._name = "BoundPopup"
        self.html = html
        self.tooltip = escape(tooltip) if tooltip else None


def base_map(
    *frames: gpd.GeoDataFrame,
    tile_url: str | None = None,
    tile_attribution: str = "",
    background: str = PLAIN_BACKGROUND,
) -> folium.Map:
    """An empty map fitted to the frames' extent, with tiles or a plain background.

    Parameters
    ----------
    *frames
        GeoDataFrames (in the display coordinates) whose extent the map opens on.
    tile_url
        XYZ tile URL template (``.../{z}/{x}/{y}.png``); None for no tiles.
    tile_attribution
        Attribution shown for the tiles (required by Leaflet when ``tile_url`` is set).
    background
        CSS colour of the map when there are no tiles.
    """
    m = folium.Map(
        location=DEFAULT_CENTRE,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        control_scale=True,
        # Map options, not tile options: folium only passes min_zoom/max_zoom to tiles.
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
    )
    if tile_url:
        folium.TileLayer(
            tiles=tile_url,
            attr=tile_attribution or "tiles",
            name="底图 Base map",
            control=False,
            max_zoom=MAX_ZOOM,
        ).add_to(m)
    else:
        _Background(background).add_to(m)
    _PopupStyle().add_to(m)
    _LabelDeclutter().add_to(m)
    _PointsPane().add_to(m)
    bounds = _bounds(frames)
    if bounds is not None:
        m.fit_bounds(bounds)
        _DataBounds(bounds).add_to(m)
    return m


def _bounds(frames: Iterable[gpd.GeoDataFrame]) -> list[list[float]] | None:
    boxes = [
        frame.geometry.total_bounds
        for frame in frames
        if len(frame) and not frame.geometry.is_empty.all()
    ]
    if not boxes:
        return None
    minx = min(b[0] for b in boxes)
    miny = min(b[1] for b in boxes)
    maxx = max(b[2] for b in boxes)
    maxy = max(b[3] for b in boxes)
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def display_frame(
    gdf: gpd.GeoDataFrame, *, tile_crs: str | CoordinateSystem = "wgs84"
) -> gpd.GeoDataFrame:
    """The frame in the coordinates of the tiles it is drawn on.

    Stored data is WGS-84; tiles from Chinese web-map servers are in GCJ-02, so points
    are shifted (by a few hundred metres) to sit on the right street.
    """
    target = parse_crs(tile_crs)
    if target is CoordinateSystem.WGS84 or target is CoordinateSystem.CGCS2000 or not len(gdf):
        return gdf
    shifted = gdf.copy()
    shifted[gdf.geometry.name] = convert_geoseries(gdf.geometry, source="wgs84", target=target)
    for column in gdf.columns:
        # Other geometry columns too, e.g. a school's campus beside its gate point.
        values = gdf[column]
        if column != gdf.geometry.name and any(isinstance(v, BaseGeometry) for v in values):
            shifted[column] = list(
                convert_geometry(np.asarray(values, dtype=object), source="wgs84", target=target)
            )
    return shifted


def popup_html(fields: Iterable[tuple[str, Any]]) -> str:
    """A popup table of labelled values, escaped; empty values are left out.

    Parameters
    ----------
    fields
        ``(label, value)`` pairs; labels carry the Chinese term and the English one,
        e.g. ``("许可证号 Licence no.", "150924000001")``.
    """
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(str(value))}</td></tr>"
        for label, value in fields
        if not is_blank(value)
    )
    return f'<table class="gm-popup">{rows}</table>'


def is_blank(value: Any) -> bool:
    """Whether a frame value is missing (None, NaN, NA) or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def script_json(value: Any) -> str:
    """JSON safe to paste into a ``<script>``: UTF-8 kept, ``<>&'`` and line separators escaped.

    Smaller than folium's ``tojson`` (which escapes every Chinese character) for big layers.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def bind_popup(
    layer: MacroElement, html: str | None, *, tooltip: str | None = None
) -> MacroElement:
    """Attach a plain Leaflet popup and tooltip to a folium layer; returns the layer.

    Parameters
    ----------
    layer
        A folium marker or path.
    html
        Popup content (trusted HTML, e.g. from :func:`popup_html`), or None.
    tooltip
        Plain text shown on hover; escaped here.
    """
    _BoundPopup(html, tooltip).add_to(layer)
    return layer


def label_point(geometry: BaseGeometry) -> Point:
    """Where an area's label goes: the point of its largest part farthest from its edges
    (polylabel), so a long or bent grid gets its label inside, in its widest place."""
    parts = list(getattr(geometry, "geoms", [geometry]))
    largest = max(parts, key=lambda part: part.area)
    if largest.is_empty or largest.area == 0:
        return geometry.representative_point()
    return polylabel(largest, tolerance=max(largest.area**0.5 / 200, 1e-9))


def label_marker(
    lat: float, lon: float, html: str, class_name: str, *, priority: int = 0
) -> folium.Marker:
    """A text label on the map: trusted ``html`` centred on the point, not clickable.

    A label that would overlap one of higher ``priority`` (or of the same, added earlier)
    is hidden at that zoom level (see :class:`_LabelDeclutter`).
    """
    return folium.Marker(
        [lat, lon],
        icon=folium.DivIcon(
            html=html,
            icon_size=(0, 0),
            class_name=f"{class_name} gm-label-icon gm-label-p{int(priority)}",
        ),
        interactive=False,
    )
