"""Rule benchmarks: school red lines, retailer spacing and licence checks at county scale.

Usage::

    uv run python bench/rules.py [--retailers 300000] [--schools 20000] [--seed 1]
        [--cases red_lines_point red_lines_gates spacing licence_check red_lines_walk]
        [--no-peer]

A synthetic region in a ~100 km box in Hubei (114.0-115.0E, 30.0-30.9N): retailers
clustered in 40 towns (60%), along three highways (2%) and in 3,000 villages (38%);
schools mostly in the towns, a third of them with two gates and a third with a campus
polygon; area-type polygons for county towns, townships and highway corridors.

Cases, each one JSON line on stdout (progress on stderr):

``red_lines_point``
    Suqian-style red lines (100 m kindergartens, 200 m schools) from the school points.
``red_lines_gates``
    Wuhan-style 50 m from the gates, falling back to the campus polygon, then the point.
``spacing``
    Minimum spacing by area type from the area polygons (county town 50 m, township 25 m,
    village 100 m, highway 500 m); ``ours_s`` lists the pairs like the peer does,
    ``ours_with_lines_s`` also draws the segment of each pair for the map.
``licence_check``
    Building a :class:`~gridmgmt.rules.licence_check.LicenceChecker` and checking 1,000
    points one at a time.
``red_lines_walk``
    The 80 m shortest-walk rule on a 100 m street lattice over 20 km x 20 km around a
    county town (about 40,000 nodes), with the straight-line count beside it; no peer.
``api_licence_check``
    ``GET /api/v1/rules/check-licence`` through the app (FastAPI's TestClient) over the demo
    region (data/demo, imported into a fresh SQLite file, the ``default`` preset with the
    demo's road network, as ``gridmgmt demo`` sets it): ``--calls`` points (default 50) in
    the counties, one at a time, as an admin; p50 and p90 of the answer time, the first
    call apart. Uses neither the synthetic region nor a peer::

        uv run python bench/rules.py --cases api_licence_check

Peers, run on the same data in the same process: for red lines and spacing, the naive
geopandas way, buffering every source (or retailer) by its distance plus 1 m, a spatial
join (``sjoin``, predicate ``intersects``) and exact distances; for the licence check, a
brute-force distance from the point to every school and retailer with geopandas. The
pair counts of ours and the peer's are compared (``agree``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmgmt.crs import metric_crs
from gridmgmt.rules.licence_check import LicenceChecker
from gridmgmt.rules.red_lines import red_line_violations
from gridmgmt.rules.settings import (
    DistanceMode,
    MeasureFrom,
    RedLineSettings,
    SpacingSettings,
    preset,
)
from gridmgmt.rules.spacing import spacing_breaches

CASES = (
    "red_lines_point",
    "red_lines_gates",
    "spacing",
    "licence_check",
    "red_lines_walk",
    "api_licence_check",
)
BOX = (114.0, 30.0, 115.0, 30.9)
KINDS = np.array(["kindergarten", "primary", "middle"])


def emit(record: dict[str, Any]) -> None:
    """Print one JSON line on stdout, at once."""
    print(json.dumps(record, ensure_ascii=False), flush=True)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - began


# --------------------------------------------------------------------------- synthetic data
class Region:
    """The synthetic region, built in metres and stored in WGS-84 like real data."""

    def __init__(self, n_retailers: int, n_schools: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.crs = metric_crs(((BOX[0] + BOX[2]) / 2, (BOX[1] + BOX[3]) / 2))
        to_metric = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        x0, y0 = to_metric.transform(BOX[0], BOX[1])
        x1, y1 = to_metric.transform(BOX[2], BOX[3])
        self.bounds = (x0, y0, x1, y1)
        towns = np.column_stack(
            [rng.uniform(x0 + 5e3, x1 - 5e3, 40), rng.uniform(y0 + 5e3, y1 - 5e3, 40)]
        )
        town_size = np.where(np.arange(40) < 10, 1500.0, 700.0)  # 10 county towns, 30 townships
        highways = [
            shapely.LineString([(x0, y0 + 0.3 * (y1 - y0)), (x1, y0 + 0.4 * (y1 - y0))]),
            shapely.LineString([(x0 + 0.6 * (x1 - x0), y0), (x0 + 0.5 * (x1 - x0), y1)]),
            shapely.LineString([(x0, y1), (x1, y0)]),
        ]
        self.towns, self.town_size, self.highways = towns, town_size, highways
        self.retailer_xy = self._retailers(rng, n_retailers)
        self.school_xy = self._schools(rng, n_schools)
        n = len(self.retailer_xy)
        self.retailers = self._frame(
            self.retailer_xy,
            licence_no=[f"42010{i:07d}" for i in range(n)],
            status=np.where(rng.random(n) < 0.95, "active", "closed"),
        )
        m = len(self.school_xy)
        kinds = KINDS[rng.choice(3, m, p=[0.35, 0.45, 0.2])]
        self.schools = self._frame(
            self.school_xy, name=[f"school{i:05d}" for i in range(m)], kind=kinds
        )
        self.schools["campus"] = self._campuses(rng, m)
        self.gates = self._gates(rng, m)
        self.areas = self._areas()
        self.counties = self._counties()

    def _retailers(self, rng: np.random.Generator, n: int) -> np.ndarray:
        x0, y0, x1, y1 = self.bounds
        n_town, n_road = int(0.6 * n), int(0.02 * n)
        weights = self.town_size / self.town_size.sum()
        town = rng.choice(len(self.towns), n_town, p=weights)
        in_towns = self.towns[town] + rng.normal(0, 1, (n_town, 2)) * self.town_size[town, None]
        road = rng.integers(0, len(self.highways), n_road)
        along = shapely.line_interpolate_point(
            np.array(self.highways, dtype=object)[road], rng.random(n_road), normalized=True
        )
        on_roads = shapely.get_coordinates(along) + rng.normal(0, 100, (n_road, 2))
        villages = np.column_stack([rng.uniform(x0, x1, 3000), rng.uniform(y0, y1, 3000)])
        n_village = n - n_town - n_road
        village = rng.integers(0, len(villages), n_village)
        in_villages = villages[village] + rng.normal(0, 250, (n_village, 2))
        xy = np.concatenate([in_towns, on_roads, in_villages])
        return np.clip(xy, [x0, y0], [x1, y1])

    def _schools(self, rng: np.random.Generator, m: int) -> np.ndarray:
        x0, y0, x1, y1 = self.bounds
        n_town = int(0.6 * m)
        town = rng.integers(0, len(self.towns), n_town)
        near = self.towns[town] + rng.normal(0, 1, (n_town, 2)) * self.town_size[town, None]
        spread = np.column_stack([rng.uniform(x0, x1, m - n_town), rng.uniform(y0, y1, m - n_town)])
        return np.concatenate([near, spread])

    def _campuses(self, rng: np.random.Generator, m: int) -> list[shapely.Geometry | None]:
        has = rng.random(m) < 1 / 3
        half = rng.uniform(40, 120, (m, 2))
        boxes = shapely.box(
            self.school_xy[:, 0] - half[:, 0],
            self.school_xy[:, 1] - half[:, 1],
            self.school_xy[:, 0] + half[:, 0],
            self.school_xy[:, 1] + half[:, 1],
        )
        wgs = gpd.GeoSeries(boxes, crs=self.crs).to_crs(4326).to_numpy()
        return [g if h else None for g, h in zip(wgs, has, strict=True)]

    def _gates(self, rng: np.random.Generator, m: int) -> gpd.GeoDataFrame:
        gated = np.flatnonzero(rng.random(m) < 1 / 3)
        offsets = rng.uniform(-80, 80, (len(gated), 2, 2))
        xy = (self.school_xy[gated][:, None, :] + offsets).reshape(-1, 2)
        names = np.repeat(self.schools["name"].to_numpy()[gated], 2)
        return self._frame(xy, school=names)

    def _areas(self) -> gpd.GeoDataFrame:
        discs = shapely.buffer(shapely.points(self.towns), 2.5 * self.town_size)
        corridors = shapely.buffer(np.array(self.highways, dtype=object), 300)
        types = ["county_town" if s > 1000 else "township" for s in self.town_size]
        geoms = np.concatenate([discs, corridors])
        return gpd.GeoDataFrame(
            {"area_type": types + ["highway"] * len(corridors)}, geometry=geoms, crs=self.crs
        ).to_crs(4326)

    def _counties(self) -> gpd.GeoDataFrame:
        x0, y0, x1, y1 = self.bounds
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        boxes = [
            shapely.box(x0, y0, xm, ym),
            shapely.box(xm, y0, x1, ym),
            shapely.box(x0, ym, xm, y1),
            shapely.box(xm, ym, x1, y1),
        ]
        return gpd.GeoDataFrame(
            {"code": ["420101", "420102", "420103", "430101"], "name": ["甲", "乙", "丙", "丁"]},
            geometry=boxes,
            crs=self.crs,
        ).to_crs(4326)

    def _frame(self, xy: np.ndarray, **columns: Any) -> gpd.GeoDataFrame:
        metric = gpd.GeoSeries(shapely.points(xy), crs=self.crs)
        return gpd.GeoDataFrame(columns, geometry=metric.to_crs(4326).array, crs=4326)


# --------------------------------------------------------------------------- naive peers
def peer_red_lines(region: Region, rule: RedLineSettings, *, gates: bool) -> pd.DataFrame:
    """Buffer each source by its limit + 1 m, sjoin retailers, exact distances, nearest per pair."""
    crs = region.crs
    schools = region.schools.to_crs(crs)
    limits = schools["kind"].map({k.value: d for k, d in rule.distance_m.items()})
    schools = schools.assign(limit=limits, school=np.arange(len(schools)))
    parts = []
    remaining = pd.Series(True, index=schools.index)
    if gates:
        g = region.gates.to_crs(crs).merge(
            schools[["name", "school", "limit"]],
            left_on="school",
            right_on="name",
            suffixes=("_n", ""),
        )
        parts.append(gpd.GeoDataFrame(g[["school", "limit"]], geometry=g.geometry.values, crs=crs))
        remaining[schools["school"].isin(g["school"])] = False
        campus = schools["campus"].notna() & remaining
        campus_geoms = gpd.GeoSeries(list(schools.loc[campus, "campus"]), crs=4326).to_crs(crs)
        parts.append(
            gpd.GeoDataFrame(
                schools.loc[campus, ["school", "limit"]].reset_index(drop=True),
                geometry=campus_geoms.values,
                crs=crs,
            )
        )
        remaining &= ~campus
    parts.append(
        gpd.GeoDataFrame(
            schools.loc[remaining, ["school", "limit"]],
            geometry=schools.loc[remaining].geometry,
            crs=crs,
        )
    )
    sources = pd.concat(parts, ignore_index=True)
    zones = sources.assign(geometry=sources.buffer(sources["limit"] + 1.0))
    retailers = region.retailers.to_crs(crs)
    joined = gpd.sjoin(retailers[["licence_no", "geometry"]], zones, predicate="intersects")
    source_geom = sources.geometry.to_numpy()[joined["index_right"].to_numpy()]
    joined["distance_m"] = shapely.distance(joined.geometry.to_numpy(), source_geom)
    joined = joined[joined["distance_m"] <= joined["limit"] + 1e-3]
    return joined.groupby(["licence_no", "school"], as_index=False)["distance_m"].min()


def peer_spacing(region: Region, settings: SpacingSettings) -> pd.DataFrame:
    """Area type by sjoin, buffer every retailer by its minimum (+1 m), sjoin, exact distances."""
    crs = region.crs
    retailers = region.retailers[region.retailers["status"] != "closed"].to_crs(crs)
    retailers = retailers.reset_index(drop=True)
    areas = region.areas.to_crs(crs)
    areas["minimum"] = areas["area_type"].map(settings.minimum_m)
    inside = gpd.sjoin(retailers[["geometry"]], areas, predicate="intersects")
    strictest = inside.groupby(level=0)["minimum"].max()
    minimum = strictest.reindex(retailers.index).fillna(settings.minimum_m["village"])
    retailers["minimum"] = minimum.to_numpy()
    zones = retailers.assign(geometry=retailers.buffer(retailers["minimum"] + 1.0))
    joined = gpd.sjoin(
        zones[["minimum", "geometry"]], retailers[["minimum", "geometry"]], predicate="intersects"
    )
    a = joined.index.to_numpy()
    b = joined["index_right"].to_numpy()
    # A pair shows up from the end whose buffer reaches the other; keep it once, a < b.
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a < b
    a, b = a[keep], b[keep]
    pts = retailers.geometry.to_numpy()
    dist = shapely.distance(pts[a], pts[b])
    required = np.maximum(minimum.to_numpy()[a], minimum.to_numpy()[b])
    breach = dist < required - 1e-3
    return pd.DataFrame(
        {"a": a[breach], "b": b[breach], "distance_m": dist[breach]}
    ).drop_duplicates(["a", "b"])


# --------------------------------------------------------------------------- cases
def case_red_lines(region: Region, *, gates: bool, peer: bool) -> dict[str, Any]:
    if gates:
        rule = preset("wuhan").red_line
    else:
        rule = preset("suqian").red_line.model_copy(update={"measure_from": MeasureFrom.POINT})
    ours, ours_s = timed(
        lambda: red_line_violations(
            region.retailers,
            region.schools,
            rule=rule,
            gates=region.gates if gates else None,
            crs=region.crs,
        )
    )
    record: dict[str, Any] = {
        "case": "red_lines_gates" if gates else "red_lines_point",
        "rule": "50 m from gates, else campus, else point" if gates else "100/200 m from points",
        "retailers": len(region.retailers),
        "schools": len(region.schools),
        "gates": len(region.gates) if gates else 0,
        "ours_s": round(ours_s, 3),
        "pairs": len(ours),
    }
    if peer:
        theirs, peer_s = timed(lambda: peer_red_lines(region, rule, gates=gates))
        record |= {
            "peer": "geopandas buffer + sjoin",
            "peer_s": round(peer_s, 3),
            "peer_pairs": len(theirs),
            "agree": len(theirs) == len(ours),
            "speedup": round(peer_s / ours_s, 1),
        }
    return record


def case_spacing(region: Region, *, peer: bool) -> dict[str, Any]:
    settings = SpacingSettings(density=None)
    ours, ours_s = timed(
        lambda: spacing_breaches(
            region.retailers, settings=settings, areas=region.areas, crs=region.crs, geometry=False
        )
    )
    _, lines_s = timed(
        lambda: spacing_breaches(
            region.retailers, settings=settings, areas=region.areas, crs=region.crs
        )
    )
    record: dict[str, Any] = {
        "case": "spacing",
        "rule": "area polygons: county_town 50, township 25, village 100, highway 500 m",
        "retailers": len(region.retailers),
        "ours_s": round(ours_s, 3),
        "ours_with_lines_s": round(lines_s, 3),
        "pairs": len(ours),
    }
    if peer:
        theirs, peer_s = timed(lambda: peer_spacing(region, settings))
        record |= {
            "peer": "geopandas buffer + sjoin",
            "peer_s": round(peer_s, 3),
            "peer_pairs": len(theirs),
            "agree": len(theirs) == len(ours),
            "speedup": round(peer_s / ours_s, 1),
        }
    return record


def case_licence_check(region: Region, *, peer: bool, n_checks: int = 1000) -> dict[str, Any]:
    settings = preset("wuhan").model_copy(update={"spacing": SpacingSettings(density=None)})
    checker, build_s = timed(
        lambda: LicenceChecker(
            region.retailers,
            region.schools,
            region.counties,
            settings=settings,
            gates=region.gates,
            areas=region.areas,
            crs=region.crs,
        )
    )
    rng = np.random.default_rng(7)
    sample = region.retailers.geometry.iloc[rng.integers(0, len(region.retailers), n_checks)]
    lon = sample.x.to_numpy() + rng.normal(0, 0.0003, n_checks)
    lat = sample.y.to_numpy() + rng.normal(0, 0.0003, n_checks)
    began = time.perf_counter()
    refused = sum(not checker.check(x, y).allowed for x, y in zip(lon, lat, strict=True))
    per_check = (time.perf_counter() - began) / n_checks
    record: dict[str, Any] = {
        "case": "licence_check",
        "retailers": len(region.retailers),
        "schools": len(region.schools),
        "build_s": round(build_s, 3),
        "checks": n_checks,
        "ours_ms_per_check": round(per_check * 1000, 3),
        "refused": refused,
    }
    if peer:
        schools = region.schools.to_crs(region.crs)
        retailers = region.retailers.to_crs(region.crs)
        points = gpd.GeoSeries(gpd.points_from_xy(lon[:100], lat[:100]), crs=4326).to_crs(
            region.crs
        )
        began = time.perf_counter()
        for point in points:
            near_schools = schools.distance(point) <= 50
            near_retailers = retailers.distance(point) <= 500
            _ = int(near_schools.sum()) + int(near_retailers.sum())
        peer_per_check = (time.perf_counter() - began) / len(points)
        record |= {
            "peer": "geopandas distance to every school and retailer",
            "peer_ms_per_check": round(peer_per_check * 1000, 3),
            "speedup": round(peer_per_check / per_check, 1),
        }
    return record


def case_red_lines_walk(region: Region) -> dict[str, Any]:
    side, step = 20_000.0, 100.0
    # Around the first county town, where retailers and schools are dense.
    x0, y0 = region.towns[0] - side / 2
    graph, build_s = timed(lambda: _lattice(x0, y0, side, step))
    window = shapely.box(x0, y0, x0 + side, y0 + side)
    inside_r = shapely.contains_xy(window, region.retailer_xy[:, 0], region.retailer_xy[:, 1])
    inside_s = shapely.contains_xy(window, region.school_xy[:, 0], region.school_xy[:, 1])
    retailers = region.retailers[inside_r]
    schools = region.schools[inside_s].drop(columns="campus")
    rule = RedLineSettings(
        distance_m=dict.fromkeys(KINDS, 80.0),
        measure_from=MeasureFrom.POINT,
        mode=DistanceMode.WALK,
    )
    ours, ours_s = timed(
        lambda: red_line_violations(retailers, schools, rule=rule, graph=graph, crs=region.crs)
    )
    straight = red_line_violations(
        retailers,
        schools,
        rule=rule.model_copy(update={"mode": DistanceMode.STRAIGHT}),
        crs=region.crs,
    )
    return {
        "case": "red_lines_walk",
        "rule": "80 m shortest walk from the school point",
        "retailers": len(retailers),
        "schools": len(schools),
        "graph_nodes": graph.number_of_nodes(),
        "graph_edges": graph.number_of_edges(),
        "graph_build_s": round(build_s, 3),
        "ours_s": round(ours_s, 3),
        "pairs": len(ours),
        "straight_line_pairs": len(straight),
        "peer": None,
    }


def _lattice(x0: float, y0: float, side: float, step: float) -> nx.Graph:
    n = int(side / step) + 1
    graph = nx.grid_2d_graph(n, n)
    nx.set_node_attributes(graph, {(i, j): x0 + i * step for i, j in graph.nodes}, "x")
    nx.set_node_attributes(graph, {(i, j): y0 + j * step for i, j in graph.nodes}, "y")
    nx.set_edge_attributes(graph, step, "length")
    return graph


def case_api_licence_check(calls: int, seed: int) -> dict[str, Any]:
    """The API's licence check over the demo region, ``calls`` points one at a time."""
    import secrets
    import tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.security import create_access_token
    from gridmgmt.config import Settings, get_settings
    from gridmgmt.domain import UserRole
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.imports import import_file
    from gridmgmt.services.rules.settings import set_rule_settings
    from gridmgmt.services.users import add_user
    from gridmgmt.store import db

    demo = get_settings().demo_dir
    files = [
        ("counties.geojson", "counties", "wgs84"),
        ("schools.csv", "schools", "wgs84"),
        ("schools_campus.geojson", "schools", "wgs84"),
        ("retailers.csv", "retailers", "gcj02"),
    ]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        db.upgrade(url)
        with db.transaction(url) as session:
            for name, kind, crs in files:
                import_file(session, SYSTEM, kind, demo / name, crs=crs)
        counties = gpd.read_file(demo / "counties.geojson")
        codes = [str(c) for c in counties["code"]]
        with db.transaction(url) as session:
            for code in codes:
                set_rule_settings(
                    session, SYSTEM, code, preset_name="default", roads_file=demo / "roads.osm"
                )
            add_user(session, SYSTEM, "bench", secrets.token_urlsafe(16), UserRole.ADMIN, codes)
        rng = np.random.default_rng(seed)
        area = shapely.union_all(counties.geometry.array)
        x0, y0, x1, y1 = area.bounds
        points: list[tuple[float, float]] = []
        while len(points) < calls + 1:
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.contains_xy(area, x, y):
                points.append((float(x), float(y)))
        secret = "bench-secret-key-" + "x" * 24
        settings = Settings(database_url=url, secret_key=secret, tile_url=None)  # type: ignore[call-arg]
        token = create_access_token("bench", secret_key=secret, minutes=30)
        headers = {"Authorization": f"Bearer {token}"}
        times: list[float] = []
        allowed: list[bool] = []
        with TestClient(create_app(settings)) as client:
            for lon, lat in points:
                began = time.perf_counter()
                response = client.get(
                    "/api/v1/rules/check-licence",
                    params={"lon": lon, "lat": lat},
                    headers=headers,
                )
                times.append(time.perf_counter() - began)
                response.raise_for_status()
                allowed.append(bool(response.json()["allowed"]))
        db.get_engine(url).dispose()
    first, rest = times[0], np.array(times[1:])
    return {
        "case": "api_licence_check",
        "calls": len(rest),
        "first_call_s": round(first, 3),
        "p50_ms": round(float(np.percentile(rest, 50)) * 1000, 1),
        "p90_ms": round(float(np.percentile(rest, 90)) * 1000, 1),
        "allowed": sum(allowed[1:]),
        "peer": None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--schools", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--no-peer", action="store_true", help="skip the naive peers")
    parser.add_argument("--calls", type=int, default=50, help="API licence checks to time")
    args = parser.parse_args(argv)
    if "api_licence_check" in args.cases:
        log(f"running api_licence_check: {args.calls} calls over the demo region")
        emit(case_api_licence_check(args.calls, args.seed))
        args.cases = [c for c in args.cases if c != "api_licence_check"]
        if not args.cases:
            return
    log(f"building the region: {args.retailers} retailers, {args.schools} schools")
    region, region_s = timed(lambda: Region(args.retailers, args.schools, args.seed))
    log(f"region ready in {region_s:.1f} s (metric CRS {region.crs.to_string()})")
    peer = not args.no_peer
    for case in args.cases:
        log(f"running {case}")
        if case == "red_lines_point":
            emit(case_red_lines(region, gates=False, peer=peer))
        elif case == "red_lines_gates":
            emit(case_red_lines(region, gates=True, peer=peer))
        elif case == "spacing":
            emit(case_spacing(region, peer=peer))
        elif case == "licence_check":
            emit(case_licence_check(region, peer=peer))
        else:
            emit(case_red_lines_walk(region))


if __name__ == "__main__":
    main()
