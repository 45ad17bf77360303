"""Checkpoint coverage (查堵卡点): border crossings, which are covered, where to add posts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from sqlalchemy.orm import Session

from gridmgmt.crs import metric_crs
from gridmgmt.rules.checkpoints import (
    SolverResult,
    border_crossings,
    candidate_sites,
    crossing_coverage,
    crossing_paths,
    incidence_matrix,
    rotation_schedule,
    suggest_checkpoints,
)
from gridmgmt.rules.settings import CheckpointSettings, preset
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.rules._common import (
    DEFAULT_PRESET,
    WGS84,
    all_county_shapes,
    county_borders,
    county_rules,
    road_layer,
    scope_counties,
)

__all__ = ["CoverageReport", "checkpoint_coverage"]

NO_ROADS_NOTE = (
    "no road network given: border crossings cannot be found, only each checkpoint's "
    "distance to the nearest border is reported (pass --roads FILE.osm)"
)


@dataclass(frozen=True)
class CoverageReport:
    """Border crossings and their coverage, suggested new sites and a mobile rotation."""

    crossings: gpd.GeoDataFrame
    """Road crossings of the counties' borders: highway, weight, kind, county_a, county_b,
    covered, checkpoint, checkpoint_m and the point."""
    checkpoints: gpd.GeoDataFrame
    """The counties' checkpoints with ``border_m`` (distance to the nearest border)."""
    sites: gpd.GeoDataFrame
    """Suggested new sites in order of the flow each adds (``intercepted``)."""
    rotation: pd.DataFrame
    """Mobile checkpoint rotation over the candidate sites (流动卡点轮换表)."""
    borders: gpd.GeoDataFrame
    intercepted: float = 0.0
    uncovered: float = 0.0
    total: float = 0.0
    method: str = ""
    solvers: list[SolverResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def checkpoint_coverage(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    roads: str | Path | None = None,
    k: int = 3,
    rotation_days: int = 14,
    rotation_per_day: int = 2,
    seed: int = 0,
    start: dt.date | None = None,
) -> CoverageReport:
    """Road crossings of the actor's county borders, their coverage and new sites.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties are covered.
    county
        Only this county's borders.
    roads
        OSM road file; without it (and without a stored one) no crossing can be found and
        only the checkpoints' distance to the border is reported, with a note.
    k
        New sites to suggest (Hodgson's flow-interception model, road class as the flow).
    rotation_days, rotation_per_day
        Length of the mobile rotation and posts per day; 0 days for none.
    seed
        Seed of the rotation.
    start
        First day of the rotation.

    Raises
    ------
    RecordNotFoundError
        If ``county`` is not one of the actor's.
    ValueError
        If ``k`` is below 1.
    """
    codes = scope_counties(session, actor, county)
    rules = county_rules(session, codes)
    # One county's settings rule the run (the first in code order): checkpoints serve
    # the border between two counties, so there is no per-retailer owner to follow.
    first = rules[codes[0]] if codes else None
    settings = first.settings if first is not None else preset(DEFAULT_PRESET)
    shapes = all_county_shapes(session)
    notes: list[str] = []
    layer = road_layer(roads, first, notes) if first is not None else None
    crs = layer.crs if layer is not None else (metric_crs(shapes) if len(shapes) else None)
    borders = county_borders(shapes, tolerance_m=settings.borders.tolerance_m, crs=crs)
    mine = borders[borders["county_a"].isin(codes) | borders["county_b"].isin(codes)]
    mine = mine.reset_index(drop=True)
    # Any checkpoint the actor may see can cover a crossing, whichever side it stands on.
    every_post = _with_border_distance(load_frame(session, "checkpoints", actor), mine, crs)
    posts = every_post[every_post["county_code"].isin(codes)].reset_index(drop=True)
    empty = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    if layer is None:
        notes.append(NO_ROADS_NOTE)
        return CoverageReport(empty, posts, empty, pd.DataFrame(), mine, notes=notes)
    cps = settings.checkpoints
    crossings = border_crossings(layer.roads, mine, settings=cps, crs=layer.crs)
    covered = crossing_coverage(crossings, every_post, settings=cps, crs=layer.crs)
    if not len(crossings):
        notes.append("no road crosses these counties' borders")
        return CoverageReport(covered, posts, empty, pd.DataFrame(), mine, notes=notes)
    paths = crossing_paths(crossings, layer.roads, settings=cps, crs=layer.crs)
    candidates = candidate_sites(crossings, layer.roads, settings=cps, crs=layer.crs)
    plan = suggest_checkpoints(
        paths, candidates, k=k, settings=cps, checkpoints=every_post, crs=layer.crs
    )
    rotation = _rotation(candidates, paths, rotation_days, rotation_per_day, seed, start, cps)
    return CoverageReport(
        covered,
        posts,
        plan.sites,
        rotation,
        mine,
        intercepted=plan.intercepted,
        uncovered=plan.uncovered,
        total=plan.total,
        method=plan.method,
        solvers=list(plan.results),
        notes=notes,
    )


def _with_border_distance(
    posts: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, crs: pyproj.CRS | None
) -> gpd.GeoDataFrame:
    posts = posts.copy()
    posts["border_m"] = np.nan
    if not len(posts) or not len(borders) or crs is None:
        return posts
    lines = np.asarray(borders.to_crs(crs).geometry.array, dtype=object)
    points = np.asarray(posts.to_crs(crs).geometry.array, dtype=object)
    nearest = shapely.STRtree(lines).nearest(points)
    posts["border_m"] = shapely.distance(points, lines[nearest])
    return posts


def _rotation(
    candidates: gpd.GeoDataFrame,
    paths: gpd.GeoDataFrame,
    days: int,
    per_day: int,
    seed: int,
    start: dt.date | None,
    settings: CheckpointSettings,
) -> pd.DataFrame:
    """Mobile posts over the candidate sites, each weighted by the flow paths through it."""
    if days < 1 or not len(candidates):
        return pd.DataFrame(columns=["day", "site", "weight"])
    matrix = incidence_matrix(paths, candidates, tolerance_m=settings.site_tolerance_m)
    flow = paths["weight"].to_numpy(dtype=float)
    weights = np.asarray(matrix.T @ flow).ravel()
    sites = pd.DataFrame({"site": candidates["site"].to_numpy(), "weight": weights})
    if int((weights > 0).sum()) < 2 * per_day:
        return pd.DataFrame(columns=["day", "site", "weight"])
    schedule = rotation_schedule(sites, days=days, per_day=per_day, seed=seed, start=start)
    where = candidates.set_index("site").geometry
    schedule["lon"] = [round(where[s].x, 7) for s in schedule["site"]]
    schedule["lat"] = [round(where[s].y, 7) for s in schedule["site"]]
    return schedule
