"""The routes map (配送线路图): one colour per vehicle, stops numbered, depots marked, a legend.

Plans in (with each route's road polyline, WGS-84), folium map out; offline like every map
here (assets are localised by :func:`maps.assets.write_map`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry import LineString, Point

from gridmgmt.crs import WGS84, CoordinateSystem
from gridmgmt.routing.model import DayPlan, DepotSite, PlannedRoute, hhmm
from maps.base import base_map, bind_popup, display_frame, popup_html, script_json
from maps.controls import add_layer_control
from maps.legend import LegendEntry, add_legend

__all__ = ["DEPOT_COLOUR", "ROUTE_COLOURS", "StopLayer", "build_routes_map", "route_colour"]

ROUTE_COLOURS: Final = (
    "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628",
    "#f781bf", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e",
)  # fmt: skip
DEPOT_COLOUR: Final = "#212121"

Drawn = tuple[DepotSite, DayPlan, dict[str, list[tuple[float, float]]]]


def route_colour(index: int) -> str:
    """The colour of the ``index``-th route on the map (cycling)."""
    return ROUTE_COLOURS[index % len(ROUTE_COLOURS)]


def _shown_line(coords: list[tuple[float, float]], tile_crs: str | CoordinateSystem) -> list:
    frame = gpd.GeoDataFrame(geometry=[LineString(coords)], crs=WGS84)
    line = display_frame(frame, tile_crs=tile_crs).geometry.iloc[0]
    return [[y, x] for x, y in line.coords]


def _shown_points(
    points: list[tuple[float, float]], tile_crs: str | CoordinateSystem
) -> list[tuple[float, float]]:
    frame = gpd.GeoDataFrame(geometry=[Point(p) for p in points], crs=WGS84)
    shown = display_frame(frame, tile_crs=tile_crs).geometry
    return [(g.y, g.x) for g in shown]


STOP_STYLE: Final = (
    "transform:translate(-50%,-50%);width:18px;height:18px;border-radius:9px;"
    "color:#fff;border:1px solid #fff;font:bold 10px/18px sans-serif;text-align:center"
)
"""Style of a numbered stop (its background is the route's colour)."""


class StopLayer(MacroElement):  # type: ignore[misc]
    """A route's numbered stops, built in the browser from compact rows.

    One element per route instead of five folium elements per stop (marker, icon, tooltip,
    popup and its HTML), each compiled as a template when the page is rendered: a day of a
    thousand stops renders in a fraction of a second.

    Parameters
    ----------
    rows
        ``[lat, lon, sequence, tooltip, popup_html]`` per stop; tooltip and popup already
        escaped (:func:`maps.base.popup_html`).
    colour
        The route's colour.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows }};
            var style = {{ this.style }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var icon = L.divIcon({
                    html: '<div class="gm-stop" style="' + style + '">' + r[2] + '</div>',
                    iconSize: [0, 0],
                    className: 'gm-stop-icon'
                });
                L.marker([r[0], r[1]], {icon: icon})
                    .bindTooltip(r[3])
                    .bindPopup(r[4], {maxWidth: 360})
                    .addTo({{ this._parent.get_name() }});
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], colour: str) -> None:
        super().__init__()
        self._name = "StopLayer"
        self.rows = script_json(rows)
        self.style = script_json(f"{STOP_STYLE};background:{colour}")


def _stop_rows(
    route: PlannedRoute, tile_crs: str | CoordinateSystem, names: Mapping[str, str]
) -> list[list[Any]]:
    shown = _shown_points([(s.lon, s.lat) for s in route.stops], tile_crs)
    return [
        [
            round(lat, 7),
            round(lon, 7),
            int(stop.sequence),
            escape(f"{stop.sequence}. {names.get(stop.retailer_id) or stop.retailer_id}"),
            popup_html(
                [
                    ("线路 Route", route.route_id),
                    ("顺序 Stop", stop.sequence),
                    ("零售户 Retailer", names.get(stop.retailer_id) or stop.retailer_id),
                    ("许可证号 Licence no.", stop.retailer_id),
                    ("条 Cartons", stop.cartons),
                    ("到达 Arrival", hhmm(stop.arrival_s)),
                    ("约时约地 Handoff", "是 yes" if stop.handoff else None),
                ]
            ),
        ]
        for stop, (lat, lon) in zip(route.stops, shown, strict=True)
    ]


def _add_depot(group: folium.FeatureGroup, depot: DepotSite, tile_crs: str) -> None:
    """The depot as a dark square; plain Leaflet popup and tooltip (folium's need jQuery)."""
    ((lat, lon),) = _shown_points([(depot.lon, depot.lat)], tile_crs)
    marker = folium.Marker(
        [lat, lon],
        icon=folium.DivIcon(
            html=(
                '<div class="gm-depot" style="transform:translate(-50%,-50%);width:16px;'
                f'height:16px;background:{DEPOT_COLOUR};border:2px solid #fff"></div>'
            ),
            icon_size=(0, 0),
            class_name="gm-depot-icon",
        ),
    )
    popup = popup_html(
        [
            ("配送站 Depot", depot.depot_id),
            ("名称 Name", depot.name),
            ("营业 Hours", f"{hhmm(depot.opens_s)}-{hhmm(depot.closes_s)}"),
        ]
    )
    bind_popup(marker, popup, tooltip=depot.name or depot.depot_id).add_to(group)


def build_routes_map(
    drawn: Sequence[Drawn],
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_crs: str | CoordinateSystem = "wgs84",
    names: Mapping[str, str] | None = None,
) -> folium.Map:
    """The routes of one or more depots' days.

    Parameters
    ----------
    drawn
        Per depot: the depot, its day plan and each route's polyline as WGS-84
        ``(lon, lat)`` pairs (:func:`gridmgmt.routing.paths.route_paths`; a route without
        one is drawn with straight legs).
    tile_url, tile_attribution, tile_crs
        The tile layer, as for :func:`maps.overview.build_overview_map`.
    names
        Shop name per licence number, shown in stop tooltips and popups (escaped).
    """
    names = names or {}
    places = [Point(d.lon, d.lat) for d, _, _ in drawn]
    places += [Point(s.lon, s.lat) for _, p, _ in drawn for r in p.routes for s in r.stops]
    extent = display_frame(gpd.GeoDataFrame(geometry=places, crs=WGS84), tile_crs=tile_crs)
    m = base_map(extent, tile_url=tile_url, tile_attribution=tile_attribution)
    entries = [LegendEntry(DEPOT_COLOUR, "配送站 depot", shape="square")]
    index = 0
    for depot, plan, paths in drawn:
        depots = folium.FeatureGroup(name=f"配送站 {escape(depot.depot_id)}", show=True)
        _add_depot(depots, depot, str(tile_crs))
        for route in plan.routes:
            colour = route_colour(index)
            index += 1
            group = folium.FeatureGroup(
                name=f"{escape(route.route_id)} ({len(route.stops)})", show=True
            )
            coords = paths.get(route.route_id) or [
                (depot.lon, depot.lat),
                *((s.lon, s.lat) for s in route.stops),
                (depot.lon, depot.lat),
            ]
            folium.PolyLine(
                _shown_line(coords, tile_crs),
                color=colour,
                weight=3,
                opacity=0.85,
                tooltip=escape(
                    f"{route.route_id}: {route.distance_m / 1000:.1f} km, {route.load_cartons} 条"
                ),
            ).add_to(group)
            if route.stops:
                StopLayer(_stop_rows(route, tile_crs, names), colour).add_to(group)
            group.add_to(m)
            entries.append(LegendEntry(colour, f"线路 route {route.route_id}", shape="line"))
        depots.add_to(m)
    add_legend(m, "图例 Legend", entries)
    # A day has a layer per route: folded, the list does not cover the legend.
    add_layer_control(m, collapsed=True)
    return m
