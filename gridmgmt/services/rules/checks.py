"""Rule checks over stored data: red lines, spacing, licence checks, border markets, outflow.

Each function reads the actor's rows, runs the engine once per group of counties ruled
alike (each county's own settings apply to its own retailers) and returns the rows with
``notes`` that say what was assumed (for instance straight lines for want of roads).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from gridmgmt.crs import CoordinateSystem, metric_crs, parse_crs, to_wgs84
from gridmgmt.domain import SchoolKind
from gridmgmt.rules.border_markets import BorderKind, border_markets
from gridmgmt.rules.licence_check import LicenceCheck, LicenceChecker
from gridmgmt.rules.outflow import outflow_suspects
from gridmgmt.rules.red_lines import red_line_violations, red_line_zones
from gridmgmt.rules.settings import RedLineSettings, RuleSettings
from gridmgmt.rules.spacing import area_types, spacing_breaches
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.rules._common import (
    WGS84,
    RoadLayer,
    all_county_shapes,
    county_borders,
    county_rules,
    group_by_rules,
    optional_grids,
    retailers_in,
    road_layer,
    scope_counties,
    straight_if_no_roads,
)

__all__ = [
    "BorderReport",
    "LicenceAnswer",
    "OutflowReport",
    "RedLineReport",
    "SpacingReport",
    "border_markets_report",
    "check_licence",
    "outflow_report",
    "red_lines",
    "spacing",
]

_RETAILER_COLUMNS = ["licence_no", "name", "county_code"]


@dataclass(frozen=True)
class RedLineReport:
    """Retailers inside school red lines, and the red-line zones for maps."""

    violations: gpd.GeoDataFrame
    """licence_no, name, county_code, school, school_kind, distance_m, limit_m,
    measured_from, mode and the retailer's point; nearest first."""
    zones: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpacingReport:
    """Pairs of retailers closer than the reasonable-layout spacing allows."""

    breaches: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LicenceAnswer:
    """The licence check's answer and what was assumed to reach it."""

    check: LicenceCheck
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {**self.check.to_dict(), "notes": list(self.notes)}


@dataclass(frozen=True)
class BorderReport:
    """Border-market retailers and their summaries per border segment and neighbour."""

    retailers: gpd.GeoDataFrame
    segments: pd.DataFrame
    neighbours: pd.DataFrame
    borders: gpd.GeoDataFrame
    bands: gpd.GeoDataFrame
    """The county-border and province-border bands (polygons) for maps."""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutflowReport:
    """Outflow suspects (真烟外流) ranked, for the period of orders they were found in."""

    suspects: pd.DataFrame
    start: dt.date | None
    end: dt.date | None
    notes: list[str] = field(default_factory=list)


def _schools(session: Session, actor: Actor) -> gpd.GeoDataFrame:
    """The actor's schools (any of their counties: a red line crosses county lines)."""
    return load_frame(session, "schools", actor)


def _with_names(table: gpd.GeoDataFrame, retailers: pd.DataFrame) -> gpd.GeoDataFrame:
    """Add the retailers' name and county after their licence number."""
    extra = [c for c in _RETAILER_COLUMNS if c == "licence_no" or c not in table.columns]
    info = pd.DataFrame(retailers[extra]).drop_duplicates("licence_no")
    merged = pd.DataFrame(table).merge(info, on="licence_no", how="left")
    front = [*_RETAILER_COLUMNS, *(c for c in merged.columns if c not in _RETAILER_COLUMNS)]
    return gpd.GeoDataFrame(merged[front], geometry=table.geometry.name, crs=table.crs)


def _empty_points(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WGS84)


def red_lines(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    metres: float | None = None,
    roads: str | Path | None = None,
    gates: gpd.GeoDataFrame | None = None,
) -> RedLineReport:
    """Every retailer inside a school red line (中小学"红线内"零售户).

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties are checked.
    county
        Only this county.
    metres
        Use this red-line distance for every school kind instead of the settings'.
    roads
        OSM road file for walk mode; without it (and without a stored one) walks are
        measured as straight lines, and a note says so.
    gates
        School gates (points with a ``school`` column naming the school).

    Raises
    ------
    RecordNotFoundError
        If ``county`` is not one of the actor's.
    """
    codes = scope_counties(session, actor, county)
    schools = _schools(session, actor)
    notes: list[str] = []
    parts, zones = [], []
    for rules, members in group_by_rules(county_rules(session, codes)):
        retailers = retailers_in(session, actor, members)
        layer = road_layer(roads, rules, notes)
        settings = _red_line_override(straight_if_no_roads(rules.settings, layer, notes), metres)
        if not len(retailers) or not len(schools):
            continue
        options = _measure_options(layer, gates)
        found = red_line_violations(retailers, schools, rule=settings.red_line, **options)
        parts.append(_with_names(found, retailers))
        zone_opts = {k: v for k, v in options.items() if k != "graph"}
        zones.append(red_line_zones(schools, rule=settings.red_line, **zone_opts))
    if not parts:
        notes.append("no retailers or no schools in scope")
        return RedLineReport(
            _empty_points(["licence_no", "school", "distance_m"]), _empty_points([]), notes
        )
    violations = pd.concat(parts, ignore_index=True).sort_values(
        ["distance_m", "licence_no"], ignore_index=True
    )
    all_zones = pd.concat(zones, ignore_index=True).drop_duplicates("school", ignore_index=True)
    return RedLineReport(
        gpd.GeoDataFrame(violations, geometry="geometry", crs=WGS84),
        gpd.GeoDataFrame(all_zones, geometry="geometry", crs=WGS84),
        notes,
    )


def _red_line_override(settings: RuleSettings, metres: float | None) -> RuleSettings:
    if metres is None:
        return settings
    red_line = RedLineSettings(
        distance_m=dict.fromkeys(SchoolKind, float(metres)),
        measure_from=settings.red_line.measure_from,
        mode=settings.red_line.mode,
    )
    return settings.model_copy(update={"red_line": red_line})


def _measure_options(layer: RoadLayer | None, gates: gpd.GeoDataFrame | None) -> dict[str, Any]:
    options: dict[str, Any] = {"gates": gates}
    if layer is not None:
        options |= {"graph": layer.walk, "crs": layer.crs}
    return options


def spacing(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> SpacingReport:
    """Every pair of retailers closer than the minimum spacing (合理布局) allows.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties are checked.
    county
        Only this county.
    areas
        Area-type polygons with an ``area_type`` column; without them the density rule of
        the settings decides each retailer's area type.
    """
    codes = scope_counties(session, actor, county)
    notes = (
        [] if areas is not None else ["area types from the density rule (no area polygons given)"]
    )
    parts = []
    for rules, members in group_by_rules(county_rules(session, codes)):
        retailers = retailers_in(session, actor, members, counted=False)
        if len(retailers):
            parts.append(spacing_breaches(retailers, settings=rules.settings.spacing, areas=areas))
    if not parts:
        return SpacingReport(_empty_points(["licence_no_a", "licence_no_b", "distance_m"]), notes)
    breaches = pd.concat(parts, ignore_index=True).sort_values(
        ["shortfall_m", "licence_no_a"], ascending=[False, True], ignore_index=True
    )
    return SpacingReport(gpd.GeoDataFrame(breaches, geometry="geometry", crs=WGS84), notes)


def check_licence(
    session: Session,
    actor: Actor,
    *,
    lon: float,
    lat: float,
    crs: str | CoordinateSystem = "wgs84",
    roads: str | Path | None = None,
    areas: gpd.GeoDataFrame | None = None,
    gates: gpd.GeoDataFrame | None = None,
) -> LicenceAnswer:
    """Can a retailer be licensed at this point? Yes or no, with every reason (选址审查).

    The point is checked against the actor's counties: a point in none of them is refused
    as outside the bureau. The rules of the county the point is in apply. The check is
    recorded in the audit log.

    Parameters
    ----------
    session
        An open session.
    actor
        Who asks; their counties are the bureau's.
    lon, lat
        The point.
    crs
        Its coordinate system: wgs84, gcj02 (Amap, Tencent), bd09 (Baidu) or cgcs2000.
    roads, areas, gates
        Road file for walk mode, area-type polygons, school gates (all optional).

    Raises
    ------
    ValueError
        If ``crs`` is unknown or the point is not a finite longitude/latitude.
    """
    source = parse_crs(crs)
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"({lon}, {lat}) is not a longitude/latitude"
        raise ValueError(msg)
    wlon, wlat = (float(v) for v in to_wgs84(lon, lat, source))
    codes = scope_counties(session, actor)
    shapes = all_county_shapes(session)
    mine = shapes[shapes["code"].isin(codes)].reset_index(drop=True)
    home = _county_at(mine, wlon, wlat)
    rules_by_county = county_rules(session, codes or [])
    notes: list[str] = []
    rules = rules_by_county.get(home) if home is not None else None
    if rules is None:
        rules = next(iter(rules_by_county.values()), None)
    settings = (
        rules.settings
        if rules is not None
        else RuleSettings.model_validate({"red_line": {"distance_m": {}}})
    )
    layer = road_layer(roads, rules, notes) if rules is not None else None
    settings = straight_if_no_roads(settings, layer, notes)
    borders = county_borders(shapes, tolerance_m=settings.borders.tolerance_m)
    checker = LicenceChecker(
        retailers_in(session, actor, codes, counted=False),
        _schools(session, actor),
        mine if len(mine) else shapes.iloc[:0],
        optional_grids(session, actor, codes),
        settings=settings,
        borders=borders,
        areas=areas,
        crs=layer.crs if layer is not None else metric_crs((wlon, wlat)),
        gates=gates,
        graph=layer.walk if layer is not None else None,
    )
    answer = checker.check(lon, lat, source_crs=source)
    audit.record(
        session,
        actor,
        "rules.check_licence",
        kind="licence_check",
        county_code=answer.county_code,
        detail={
            "lon": answer.lon,
            "lat": answer.lat,
            "allowed": answer.allowed,
            "blocking": [r.code for r in answer.reasons if r.blocking],
        },
    )
    return LicenceAnswer(answer, notes)


def _county_at(counties: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    if not len(counties):
        return None
    hit = shapely.intersects_xy(np.asarray(counties.geometry.array, dtype=object), lon, lat)
    codes = sorted(counties.loc[hit, "code"].astype(str))
    return codes[0] if codes else None


def border_markets_report(
    session: Session, actor: Actor, *, county: str | None = None
) -> BorderReport:
    """Retailers near county and province borders (边界市场), with summaries.

    Borders come from every stored county's outline (see
    :func:`~gridmgmt.services.rules._common.all_county_shapes`); the retailers are the
    actor's.
    """
    codes = scope_counties(session, actor, county)
    shapes = all_county_shapes(session)
    notes: list[str] = []
    if len(shapes) < 2:
        notes.append("fewer than two counties stored: no shared borders to measure from")
    found, bands, people = [], [], []
    borders = shapes.iloc[:0]
    for rules, members in group_by_rules(county_rules(session, codes)):
        settings = rules.settings.borders
        borders = county_borders(shapes, tolerance_m=settings.tolerance_m)
        retailers = retailers_in(session, actor, members)
        people.append(pd.DataFrame(retailers[_RETAILER_COLUMNS]))
        if len(retailers) and len(borders):
            found.append(border_markets(retailers, shapes, settings=settings, borders=borders))
        bands.append(_bands(borders, members, settings.county_border_m, settings.province_border_m))
    if not found:
        empty = pd.DataFrame()
        return BorderReport(
            _empty_points(["licence_no"]), empty, empty, borders, _empty_points([]), notes
        )
    table = pd.concat([f.retailers for f in found], ignore_index=True)
    table = _with_names(gpd.GeoDataFrame(table, geometry="geometry", crs=WGS84), pd.concat(people))
    segments = pd.concat([f.segments for f in found], ignore_index=True)
    neighbours = pd.concat([f.neighbours for f in found], ignore_index=True)
    neighbours = neighbours[neighbours["county_code"].isin(codes)].reset_index(drop=True)
    return BorderReport(
        table,
        _sum_segments(segments),
        neighbours,
        found[-1].borders,
        gpd.GeoDataFrame(pd.concat(bands, ignore_index=True), geometry="geometry", crs=WGS84),
        notes,
    )


def _sum_segments(segments: pd.DataFrame) -> pd.DataFrame:
    keys = ["county_a", "county_b", "kind"]
    totals = segments.groupby(keys, as_index=False).agg(
        length_m=("length_m", "max"),
        county_band=("county_band", "sum"),
        province_band=("province_band", "sum"),
    )
    return totals.sort_values(["county_band", "length_m"], ascending=False, ignore_index=True)


def _bands(
    borders: gpd.GeoDataFrame, codes: list[str], county_m: float, province_m: float
) -> gpd.GeoDataFrame:
    """Border bands on the counties' side: the area within the distances of their borders."""
    columns = ["county_code", "kind", "distance_m", "geometry"]
    if not len(borders):
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=WGS84)
    crs = metric_crs(borders)
    lines = borders.to_crs(crs)
    rows = []
    for code in codes:
        own = lines[(lines["county_a"] == code) | (lines["county_b"] == code)]
        for kind, distance in ((BorderKind.COUNTY, county_m), (BorderKind.PROVINCE, province_m)):
            chosen = own if kind is BorderKind.COUNTY else own[own["kind"] == kind.value]
            if len(chosen) and distance > 0:
                band = shapely.buffer(shapely.union_all(chosen.geometry.array), distance)
                rows.append((code, kind.value, distance, band))
    return gpd.GeoDataFrame(
        pd.DataFrame([r[:3] for r in rows], columns=columns[:3]),
        geometry=gpd.GeoSeries([r[3] for r in rows], crs=crs).to_crs(WGS84).array,
        crs=WGS84,
    )


def outflow_report(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> OutflowReport:
    """Retailers ordering far more than comparable retailers (真烟外流), ranked.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties are checked.
    county
        Only this county.
    start, end
        Orders delivered on ``start`` up to and including ``end``; by default the last
        seven days that have orders.
    """
    codes = scope_counties(session, actor, county)
    orders = load_frame(session, "orders", actor, county_codes=codes)
    notes: list[str] = []
    if not len(orders):
        notes.append("no orders in scope")
        return OutflowReport(
            pd.DataFrame(columns=["rank", "licence_no", "score"]), start, end, notes
        )
    dates = pd.to_datetime(orders["date"]).dt.date
    if start is None and end is None:
        end = max(dates)
        start = end - dt.timedelta(days=6)
        notes.append(f"orders of the last week with orders: {start} to {end}")
    keep = np.ones(len(orders), dtype=bool)
    if start is not None:
        keep &= (dates >= start).to_numpy()
    if end is not None:
        keep &= (dates <= end).to_numpy()
    orders = orders[keep]
    shapes = all_county_shapes(session)
    parts = []
    for rules, members in group_by_rules(county_rules(session, codes)):
        retailers = retailers_in(session, actor, members, counted=False)
        mine = orders[orders["county_code"].isin(members)]
        if not len(retailers) or not len(mine):
            continue
        borders = county_borders(shapes, tolerance_m=rules.settings.borders.tolerance_m)
        areas = area_types(retailers, settings=rules.settings.spacing)
        found = outflow_suspects(
            mine, retailers, settings=rules.settings.outflow, area_types=areas, borders=borders
        )
        parts.append(found)
    if not parts:
        return OutflowReport(
            pd.DataFrame(columns=["rank", "licence_no", "score"]), start, end, notes
        )
    suspects = pd.concat(parts, ignore_index=True).sort_values(
        ["score", "licence_no"], ascending=[False, True], ignore_index=True
    )
    suspects["rank"] = np.arange(1, len(suspects) + 1)
    info = retailers_in(session, actor, codes, counted=False)[_RETAILER_COLUMNS]
    suspects = suspects.merge(pd.DataFrame(info), on="licence_no", how="left")
    front = ["rank", *_RETAILER_COLUMNS]
    suspects = suspects[[*front, *(c for c in suspects.columns if c not in front)]]
    return OutflowReport(suspects, start, end, notes)
