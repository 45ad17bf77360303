"""Checkpoint coverage (查堵卡点): border crossings, which are covered, where to add posts.

Each county's own settings (its checkpoint rules, border tolerance and road file) rule its
own borders. A border between two counties of the same run is ruled by the one whose code
comes first, so every crossing is judged once. Counties ruled alike run together.
"""

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

from gridmgmt.crs import WGS84, metric_crs
from gridmgmt.policy import Action, requires
from gridmgmt.rules.checkpoints import (
    CheckpointPlan,
    SolverResult,
    border_crossings,
    candidate_sites,
    crossing_coverage,
    crossing_paths,
    incidence_matrix,
    rotation_schedule,
    suggest_checkpoints,
)
from gridmgmt.rules.settings import CheckpointSettings
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.rules._common import (
    CountyRules,
    RoadLayer,
    all_county_shapes,
    county_borders,
    county_rules,
    group_by_rules,
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


@requires(Action.READ_RULES)
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
        OSM road file for every county; without it each county's stored one, and where
        there is none no crossing can be found: only the checkpoints' distance to the
        border is reported, with a note.
    k
        New sites to suggest (Hodgson's flow-interception model, road class as the flow);
        with counties ruled differently, each group suggests up to ``k`` and the ``k``
        that intercept the most flow are kept.
    rotation_days, rotation_per_day
        Length of the mobile rotation and posts per day; 0 days for none.
    seed
        Seed of the rotation.
    start
        First day of the rotation.

    Raises
    ------
    NotFoundError
        If ``county`` is not one of the actor's.
    InvalidInputError
        If ``k`` is below 1.
    """
    codes = scope_counties(session, actor, county)
    shapes = all_county_shapes(session)
    every_post = load_frame(session, "checkpoints", actor)
    notes: list[str] = []
    parts = [
        _group_coverage(
            _Group(rules, members, codes, _group_layer(roads, rules, notes)),
            shapes,
            every_post,
            k=k,
            offset=1_000_000 * number,
        )
        for number, (rules, members) in enumerate(group_by_rules(county_rules(session, codes)))
    ]
    if any(part.layer is None for part in parts):
        notes.append(NO_ROADS_NOTE)
    if not any(len(part.crossings) for part in parts) and any(p.layer is not None for p in parts):
        notes.append("no road crosses these counties' borders")
    rotation = _rotation(parts, rotation_days, rotation_per_day, seed, start)
    return _report(parts, rotation, k, shapes, notes)


@dataclass(frozen=True)
class _Group:
    """Counties ruled alike, the run's counties, and their road network (if any)."""

    rules: CountyRules
    members: list[str]
    codes: list[str]
    layer: RoadLayer | None


@dataclass(frozen=True)
class _Part:
    """What one group of counties ruled alike found."""

    layer: RoadLayer | None
    borders: gpd.GeoDataFrame
    posts: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None = None
    paths: gpd.GeoDataFrame | None = None
    plan: CheckpointPlan | None = None
    settings: CheckpointSettings | None = None


def _group_layer(
    roads: str | Path | None, rules: CountyRules, notes: list[str]
) -> RoadLayer | None:
    return road_layer(roads, rules, notes)


def _owned_borders(borders: gpd.GeoDataFrame, group: _Group) -> gpd.GeoDataFrame:
    """The borders the group rules: its counties', a border shared with another county of
    the run going to the one whose code comes first."""
    run = set(group.codes)
    a, b = borders["county_a"].astype(str), borders["county_b"].astype(str)
    owner = np.where(a.isin(run) & (~b.isin(run) | (a <= b)), a, np.where(b.isin(run), b, ""))
    return borders[pd.Series(owner, index=borders.index).isin(group.members)].reset_index(drop=True)


def _group_coverage(
    group: _Group,
    shapes: gpd.GeoDataFrame,
    every_post: gpd.GeoDataFrame,
    *,
    k: int,
    offset: int,
) -> _Part:
    settings, layer = group.rules.settings, group.layer
    crs = layer.crs if layer is not None else (metric_crs(shapes) if len(shapes) else None)
    borders = county_borders(shapes, tolerance_m=settings.borders.tolerance_m, crs=crs)
    mine = _owned_borders(borders, group)
    # Any checkpoint the actor may see can cover a crossing, whichever side it stands on.
    posts = _with_border_distance(every_post, mine, crs)
    own_posts = posts[posts["county_code"].isin(group.members)].reset_index(drop=True)
    empty = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    if layer is None:
        return _Part(None, mine, own_posts, empty)
    cps = settings.checkpoints
    crossings = border_crossings(layer.roads, mine, settings=cps, crs=layer.crs)
    covered = crossing_coverage(crossings, posts, settings=cps, crs=layer.crs)
    if not len(crossings):
        return _Part(layer, mine, own_posts, covered)
    paths = crossing_paths(crossings, layer.roads, settings=cps, crs=layer.crs)
    candidates = candidate_sites(crossings, layer.roads, settings=cps, crs=layer.crs)
    candidates = candidates.assign(site=candidates["site"] + offset)
    plan = suggest_checkpoints(
        paths, candidates, k=k, settings=cps, checkpoints=posts, crs=layer.crs
    )
    return _Part(layer, mine, own_posts, covered, candidates, paths, plan, cps)


def _report(
    parts: list[_Part],
    rotation: pd.DataFrame,
    k: int,
    shapes: gpd.GeoDataFrame,
    notes: list[str],
) -> CoverageReport:
    """The groups' findings as one report (a single group's as they are)."""
    empty = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    plans = [p.plan for p in parts if p.plan is not None]
    found = [p.crossings for p in parts if p.layer is not None]
    crossings = _concat([c for c in found if len(c)], found[0] if found else empty)
    posts = _concat([p.posts for p in parts], empty)
    borders = _concat([p.borders for p in parts], shapes.iloc[:0])
    if not plans:
        return CoverageReport(crossings, posts, empty, rotation, borders, notes=notes)
    if len(plans) == 1:
        (plan,) = plans
        sites, intercepted = plan.sites, plan.intercepted
    else:
        ranked = pd.concat([p.sites for p in plans], ignore_index=True)
        ranked = ranked.sort_values("intercepted", ascending=False, kind="stable")
        sites = gpd.GeoDataFrame(ranked.head(k).reset_index(drop=True), crs=WGS84)
        intercepted = float(sites["intercepted"].sum())
    return CoverageReport(
        crossings,
        posts,
        sites,
        rotation,
        borders,
        intercepted=intercepted,
        uncovered=sum(p.uncovered for p in plans),
        total=sum(p.total for p in plans),
        method="+".join(dict.fromkeys(p.method for p in plans)),
        solvers=[r for p in plans for r in p.results],
        notes=notes,
    )


def _concat(frames: list[gpd.GeoDataFrame], empty: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not frames:
        return empty
    if len(frames) == 1:
        return frames[0]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


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


def _site_weights(part: _Part) -> pd.DataFrame:
    """The part's candidate sites weighted by the flow paths through each (with lon, lat)."""
    candidates, paths, settings = part.candidates, part.paths, part.settings
    if candidates is None or paths is None or settings is None or not len(candidates):
        return pd.DataFrame(columns=["site", "weight", "lon", "lat"])
    matrix = incidence_matrix(paths, candidates, tolerance_m=settings.site_tolerance_m)
    flow = paths["weight"].to_numpy(dtype=float)
    weights = np.asarray(matrix.T @ flow).ravel()
    return pd.DataFrame(
        {
            "site": candidates["site"].to_numpy(),
            "weight": weights,
            "lon": candidates.geometry.x.round(7).to_numpy(),
            "lat": candidates.geometry.y.round(7).to_numpy(),
        }
    )


def _rotation(
    parts: list[_Part], days: int, per_day: int, seed: int, start: dt.date | None
) -> pd.DataFrame:
    """Mobile posts over every group's candidate sites, each weighted by its flow."""
    empty = pd.DataFrame(columns=["day", "site", "weight"])
    if days < 1:
        return empty
    sites = pd.concat([_site_weights(p) for p in parts], ignore_index=True)
    if not len(sites) or int((sites["weight"].astype(float) > 0).sum()) < 2 * per_day:
        return empty
    weighted = sites[["site", "weight"]].astype({"weight": float})
    schedule = rotation_schedule(weighted, days=days, per_day=per_day, seed=seed, start=start)
    where = sites.set_index("site")
    schedule["lon"] = [float(where.at[s, "lon"]) for s in schedule["site"]]
    schedule["lat"] = [float(where.at[s, "lat"]) for s in schedule["site"]]
    return schedule
