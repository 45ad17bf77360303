"""What every rule service shares: county scope, per-county settings, grids, road networks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.crs import WGS84
from gridmgmt.domain import RetailerStatus
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.routing.network import DEFAULT_SPEEDS_KMH, SpeedSettings, read_osm
from gridmgmt.rules._walk import WalkNetwork
from gridmgmt.rules.border_markets import shared_borders
from gridmgmt.rules.settings import DistanceMode, RuleSettings, preset
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import frame_kinds, load_frame
from gridmgmt.services.records import county_codes
from gridmgmt.store.models import County
from gridmgmt.store.models.rules import RuleSettingsRecord

DEFAULT_PRESET = "default"
NO_ROADS_NOTE = (
    "no road network given: walking distances were measured as straight lines (an "
    "administrator stores the county's road network, an OpenStreetMap .osm or .pbf file, "
    "with `gridmgmt rules settings --county CODE --roads FILE`)"
)
# Ways a pedestrian can use on top of the drivable ones, for walking distances (km/h).
_WALK_SPEEDS_KMH = {
    **DEFAULT_SPEEDS_KMH,
    "pedestrian": 5.0,
    "footway": 5.0,
    "path": 5.0,
    "steps": 3.0,
    "cycleway": 5.0,
}
_PEDESTRIAN_ONLY = frozenset(set(_WALK_SPEEDS_KMH) - set(DEFAULT_SPEEDS_KMH))


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any, what: str) -> M:
    """``data`` validated as ``model``; a validation error is the caller's invalid input.

    Raises
    ------
    InvalidInputError
        With one problem per wrong field (``field`` is its dotted path).
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in error.errors()
        ]
        raise InvalidInputError(f"invalid {what}", problems) from None


def scope_counties(session: Session, actor: Actor, county: str | None = None) -> list[str]:
    """The county codes a request covers: ``county`` if the actor may see it, else all theirs.

    Raises
    ------
    NotFoundError
        If ``county`` is not a county the actor may see (unknown or another's).
    """
    visible = county_codes(session, actor)
    if county is None:
        return visible
    if county not in visible:
        raise NotFoundError("county", county)
    return [county]


@dataclass(frozen=True)
class CountyRules:
    """The rule settings in force in one county, and where they came from."""

    county_code: str
    settings: RuleSettings
    preset: str | None
    roads_file: str | None
    stored: bool
    version: int = 0
    """The stored settings' version (0 while the ``default`` preset applies unset)."""

    @property
    def key(self) -> str:
        """Counties with equal keys are ruled alike and can share one engine run."""
        return json.dumps([self.settings.model_dump(mode="json"), self.roads_file], sort_keys=True)


def county_rules(session: Session, codes: Sequence[str]) -> dict[str, CountyRules]:
    """The settings of each county: stored ones, else the ``default`` preset."""
    stored = {
        row.county_code: row
        for row in session.scalars(
            select(RuleSettingsRecord).where(RuleSettingsRecord.county_code.in_(list(codes)))
        )
    }
    result = {}
    for code in codes:
        row = stored.get(code)
        if row is None:
            result[code] = CountyRules(code, preset(DEFAULT_PRESET), DEFAULT_PRESET, None, False)
        else:
            settings = RuleSettings.model_validate(row.settings)
            result[code] = CountyRules(
                code, settings, row.preset, row.roads_file, True, row.version
            )
    return result


def group_by_rules(rules: dict[str, CountyRules]) -> list[tuple[CountyRules, list[str]]]:
    """Counties grouped by equal settings (and road file), in code order."""
    groups: dict[str, tuple[CountyRules, list[str]]] = {}
    for code in sorted(rules):
        entry = groups.setdefault(rules[code].key, (rules[code], []))
        entry[1].append(code)
    return list(groups.values())


def all_county_shapes(session: Session) -> gpd.GeoDataFrame:
    """Every stored county's code, name, province and boundary.

    Deliberately unscoped: borders are where two counties meet, so a county's border
    needs its neighbours' outlines. Boundaries are public administrative geography; no
    row of a neighbour's retailers, schools or staff is read.
    """
    rows = session.execute(
        select(County.code, County.name, County.province_code, County.boundary).order_by(
            County.code
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["code", "name", "province_code", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def county_borders(
    shapes: gpd.GeoDataFrame, *, tolerance_m: float, crs: pyproj.CRS | None = None
) -> gpd.GeoDataFrame:
    """The borders between the stored counties (none with fewer than two counties)."""
    if len(shapes) < 2:
        columns: dict[str, list[Any]] = {"county_a": [], "county_b": [], "kind": [], "length_m": []}
        return gpd.GeoDataFrame(columns, geometry=[], crs=WGS84)
    return shared_borders(shapes, tolerance_m=tolerance_m, crs=crs)


def retailers_in(
    session: Session, actor: Actor, codes: Sequence[str], *, counted: bool = True
) -> gpd.GeoDataFrame:
    """Retailers of the counties (scoped); with ``counted``, closed licences left out."""
    frame = load_frame(session, "retailers", actor, county_codes=list(codes))
    if counted and len(frame):
        frame = frame[frame["status"] != RetailerStatus.CLOSED.value]
    return frame.reset_index(drop=True)


def optional_grids(session: Session, actor: Actor, codes: Sequence[str]) -> gpd.GeoDataFrame | None:
    """The grids (网格) of the counties when grids are stored, else None."""
    if "grids" not in frame_kinds():
        return None
    grids = load_frame(session, "grids", actor, county_codes=list(codes))
    if not len(grids) or "grid_id" not in grids.columns:
        return None
    grids = grids.assign(grid_id=grids["grid_id"].astype(str))
    return gpd.GeoDataFrame(grids, geometry=grids.geometry.name, crs=WGS84)


def has_grid_ids(frame: pd.DataFrame) -> bool:
    """Whether a frame carries a grid id on at least one row."""
    return "grid_id" in frame.columns and bool(frame["grid_id"].notna().any())


@dataclass(frozen=True)
class RoadLayer:
    """A road file read once: the walking graph, the drivable road lines and their CRS."""

    path: Path
    crs: pyproj.CRS
    walk: WalkNetwork
    roads: gpd.GeoDataFrame  # one line per OSM way: way_id, highway; WGS-84


def load_roads(path: str | Path) -> RoadLayer:
    """Read an OSM road file (XML or PBF) with the routing loader, cached per file version.

    Raises
    ------
    InvalidInputError
        If the file does not exist.
    """
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_file():
        msg = f"road network file {path} does not exist"
        raise InvalidInputError(msg)
    stat = resolved.stat()
    return _load_roads(str(resolved), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load_roads(path: str, _mtime: int, _size: int) -> RoadLayer:
    network = read_osm(path, speeds=SpeedSettings(speeds_kmh=_WALK_SPEEDS_KMH))
    geoms = network.edge_geometries()
    graph = nx.Graph(crs=network.crs.to_string())
    graph.add_nodes_from(
        (i, {"x": float(x), "y": float(y)})
        for i, (x, y) in enumerate(zip(network.x, network.y, strict=True))
    )
    for e in np.argsort(network.length_m, kind="stable"):
        u, v = int(network.edge_from[e]), int(network.edge_to[e])
        if u != v and not graph.has_edge(u, v):  # shortest of any parallel edges
            graph.add_edge(u, v, length=float(network.length_m[e]), geometry=geoms[e])
    # One line per OSM way, each road segment once (a two-way road has an edge each way).
    index = np.arange(network.num_edges)
    once = (network.twin < 0) | (index < network.twin)
    drivable = ~np.isin(network.highway.astype(str), list(_PEDESTRIAN_ONLY))
    edges = pd.DataFrame(
        {
            "way_id": network.way_id[once & drivable],
            "highway": network.highway[once & drivable],
            "geometry": geoms[once & drivable],
        }
    )
    ways = edges.groupby(["way_id", "highway"], sort=True)["geometry"].agg(
        lambda lines: shapely.line_merge(shapely.union_all(lines.to_numpy()))
    )
    roads = gpd.GeoDataFrame(
        ways.reset_index(drop=False).drop(columns="geometry"),
        geometry=gpd.GeoSeries(ways.to_numpy(), crs=network.crs).to_crs(WGS84).array,
        crs=WGS84,
    )
    return RoadLayer(Path(path), network.crs, WalkNetwork(graph), roads)


def road_layer(
    roads: str | Path | None, rules: CountyRules, notes: list[str] | None = None
) -> RoadLayer | None:
    """The road network to use: the one given, else the county's stored road file, else none.

    A stored road file that has gone missing is skipped with a note (the answer falls back
    to straight lines); a file given explicitly must exist.
    """
    if roads is not None:
        return load_roads(roads)
    if rules.roads_file is None:
        return None
    if not Path(rules.roads_file).expanduser().is_file():
        if notes is not None:
            note = (
                f"the stored road file {rules.roads_file} of county {rules.county_code} is missing"
            )
            if note not in notes:
                notes.append(note)
        return None
    return load_roads(rules.roads_file)


def road_files_stamp(session: Session, codes: Sequence[str]) -> tuple[Any, ...]:
    """The road files stored for the counties, each with its size and change time (a file
    replaced in place changes the stamp); missing files are stamped as such."""
    rows = session.execute(
        select(RuleSettingsRecord.county_code, RuleSettingsRecord.roads_file)
        .where(RuleSettingsRecord.county_code.in_(list(codes)))
        .order_by(RuleSettingsRecord.county_code)
    ).all()
    stamps: list[Any] = []
    for code, roads in rows:
        if roads is None:
            continue
        try:
            stat = Path(roads).expanduser().stat()
        except OSError:
            stamps.append((code, roads, None))
        else:
            stamps.append((code, roads, stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def straight_if_no_roads(
    settings: RuleSettings, roads: RoadLayer | None, notes: list[str]
) -> RuleSettings:
    """The settings with walk mode turned into straight lines when there is no road network."""
    if settings.red_line.mode is not DistanceMode.WALK or roads is not None:
        return settings
    if NO_ROADS_NOTE not in notes:
        notes.append(NO_ROADS_NOTE)
    red_line = settings.red_line.model_copy(update={"mode": DistanceMode.STRAIGHT})
    return settings.model_copy(update={"red_line": red_line})


def require_visible(actor: Actor, county_code: str, what: str, key: object) -> None:
    """Raise :class:`NotFoundError` when the record's county is not the actor's.

    Another county's record is "not found", the same answer as one that does not exist.
    """
    if not actor.can_see(county_code):
        raise NotFoundError(what, key)
