"""Rule checks over stored data: red lines, spacing, licence checks, border markets, outflow.

Each function reads the actor's rows, runs the engine once per group of counties ruled
alike (each county's own settings apply to its own retailers) and returns the rows with
``notes`` that say what was assumed (for instance straight lines for want of roads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import Field
from sqlalchemy.orm import Session

from gridmgmt.crs import WGS84, CoordinateSystem, metric_crs, parse_crs, to_wgs84
from gridmgmt.domain import SchoolKind
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.rules._inputs import prepare_for_threads
from gridmgmt.rules.border_markets import BorderKind, border_markets
from gridmgmt.rules.licence_check import LicenceChecker, Reason
from gridmgmt.rules.outflow import outflow_suspects
from gridmgmt.rules.red_lines import red_line_violations, red_line_zones
from gridmgmt.rules.settings import RedLineSettings, RuleSettings
from gridmgmt.rules.spacing import area_types, spacing_breaches
from gridmgmt.services.actor import Actor
from gridmgmt.services.data_version import data_version, database_key
from gridmgmt.services.frames import load_frame
from gridmgmt.services.results import Result
from gridmgmt.services.rules._common import (
    CountyRules,
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
from gridmgmt.services.versioned_cache import VersionedCache

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


class LicenceAnswer(Result):
    """Can a retailer be licensed here? The answer, every reason, and what was assumed."""

    allowed: bool
    reasons: list[Reason]
    lon: float
    """The point in WGS-84."""
    lat: float
    county_code: str | None = None
    grid_id: Any = None
    area_type: str | None = None
    notes: list[str] = Field(default_factory=list)


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


@requires(Action.READ_RULES)
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
    NotFoundError
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


@requires(Action.READ_RULES)
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


@requires(Action.READ_RULES)
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
    as outside the bureau. The rules of the county the point is in apply. The check is a
    read of the actor's own counties and writes nothing (not even an audit line, as no read
    of one's own data is audited), so checks never queue behind writers.

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

    The indexes of the checker are built once per bureau (the actor's counties), rule
    settings and version of the data they come from (see :func:`licence_data_version`),
    and reused until an import or change of retailers, schools, counties, grids or rule
    settings gives a new version; a check then takes milliseconds.

    Raises
    ------
    InvalidInputError
        If ``crs`` is unknown or the point is not a finite longitude/latitude.
    """
    source = parse_crs(crs)
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"({lon}, {lat}) is not a longitude/latitude"
        raise InvalidInputError(msg)
    wlon, wlat = (float(v) for v in to_wgs84(lon, lat, source))
    bureau = _bureau(session, actor, scope_counties(session, actor))
    home = bureau.county_at(wlon, wlat)
    rules = bureau.rules.get(home) if home is not None else None
    if rules is None:
        rules = next(iter(bureau.rules.values()), None)
    notes: list[str] = []
    layer = road_layer(roads, rules, notes) if rules is not None else None
    settings = straight_if_no_roads(
        rules.settings if rules is not None else _NO_RULES, layer, notes
    )
    if areas is None and gates is None:
        key = (bureau.key, rules.county_code if rules else None, _road_version(layer))
        checker = _checkers.get(
            key, bureau.version, lambda: _checker(session, actor, bureau, settings, layer)
        )
    else:
        checker = _checker(session, actor, bureau, settings, layer, areas=areas, gates=gates)
    answer = checker.check(lon, lat, source_crs=source)
    return LicenceAnswer(**asdict(answer), notes=notes)


_NO_RULES: Final = RuleSettings.model_validate({"red_line": {"distance_m": {}}})
LICENCE_KINDS: Final = ("retailers", "schools", "grids", "rule_settings")
"""What a licence checker is built from in the bureau's counties (and every county's
outline: borders are drawn with the neighbours)."""
_bureaus: Final[VersionedCache[_Bureau]] = VersionedCache(64)
_checkers: Final[VersionedCache[LicenceChecker]] = VersionedCache(64)


@dataclass(frozen=True)
class _Bureau:
    """The actor's counties as the licence check sees them, at one data version."""

    key: Hashable
    version: Hashable
    shapes: gpd.GeoDataFrame  # every stored county (borders need the neighbours)
    mine: gpd.GeoDataFrame  # the actor's counties
    rules: dict[str, CountyRules]

    def county_at(self, lon: float, lat: float) -> str | None:
        """The actor's county at a WGS-84 point (in an overlap, the lowest code)."""
        outlines = np.asarray(self.mine.geometry.array, dtype=object)  # sorted by code
        hit = np.flatnonzero(shapely.intersects_xy(outlines, lon, lat))
        return str(self.mine["code"].iat[hit[0]]) if len(hit) else None


def licence_data_version(session: Session, codes: list[str]) -> Hashable:
    """A stamp of the data a licence checker is built from: changes when any of it does.

    The retailers, schools, grids and rule settings of ``codes`` (the actor's counties) and
    every county's outline (:func:`~gridmgmt.services.data_version.data_version`): one
    query of a few aggregates, far cheaper than rebuilding the indexes.
    """
    return data_version(session, codes, LICENCE_KINDS, everywhere=["counties"])


def _bureau(session: Session, actor: Actor, codes: list[str]) -> _Bureau:
    key = (database_key(session), tuple(codes))
    version = licence_data_version(session, codes)

    def build() -> _Bureau:
        shapes = all_county_shapes(session)
        mine = shapes[shapes["code"].isin(codes)].sort_values("code", ignore_index=True)
        prepare_for_threads(np.asarray(mine.geometry.array, dtype=object))
        return _Bureau(key, version, shapes, mine, county_rules(session, codes))

    return _bureaus.get(key, version, build)


def _road_version(layer: RoadLayer | None) -> tuple[str, int, int] | None:
    if layer is None:
        return None
    stat = layer.path.stat()
    return (str(layer.path), stat.st_mtime_ns, stat.st_size)


def _checker(
    session: Session,
    actor: Actor,
    bureau: _Bureau,
    settings: RuleSettings,
    layer: RoadLayer | None,
    *,
    areas: gpd.GeoDataFrame | None = None,
    gates: gpd.GeoDataFrame | None = None,
) -> LicenceChecker:
    codes = list(bureau.mine["code"])
    mine = bureau.mine if len(bureau.mine) else bureau.shapes.iloc[:0]
    return LicenceChecker(
        retailers_in(session, actor, codes, counted=False),
        _schools(session, actor),
        mine,
        optional_grids(session, actor, codes),
        settings=settings,
        borders=county_borders(bureau.shapes, tolerance_m=settings.borders.tolerance_m),
        areas=areas,
        crs=layer.crs if layer is not None else _bureau_crs(bureau),
        gates=gates,
        graph=layer.walk if layer is not None else None,
    )


def _bureau_crs(bureau: _Bureau) -> Any:
    counties = bureau.mine if len(bureau.mine) else bureau.shapes
    return metric_crs(counties) if len(counties) else WGS84


@requires(Action.READ_RULES)
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


@requires(Action.READ_RULES)
def outflow_report(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    evidence: bool = True,
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
    evidence
        Attach the flagged price gaps pointing away from each suspect (``price_gaps``
        column, see :func:`~gridmgmt.services.prices.attach_gap_evidence`); a caller that
        only counts the suspects (the quarterly report) leaves it out, as it costs more than
        finding them.
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
    parts, people = [], []
    for rules, members in group_by_rules(county_rules(session, codes)):
        retailers = retailers_in(session, actor, members, counted=False)
        mine = orders[orders["county_code"].isin(members)]
        if not len(retailers) or not len(mine):
            continue
        people.append(pd.DataFrame(retailers[_RETAILER_COLUMNS]))
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
    info = pd.concat(people, ignore_index=True)  # the retailers the suspects were found among
    suspects = suspects.merge(info, on="licence_no", how="left")
    front = ["rank", *_RETAILER_COLUMNS]
    suspects = suspects[[*front, *(c for c in suspects.columns if c not in front)]]
    if not evidence:
        return OutflowReport(suspects, start, end, notes)
    # Imported here: the price service builds on this package's common helpers.
    from gridmgmt.services.prices import attach_gap_evidence

    suspects = attach_gap_evidence(session, actor, suspects, codes)
    return OutflowReport(suspects, start, end, notes)
