"""Generate the demo region: six adjacent counties in three provinces, as plain files.

The region is modelled on the Ulanqab-Datong-Zhangjiakou border triangle (兴和县, 丰镇市,
天镇县, 阳高县, 怀安县, 尚义县). Shapes, towns, roads, retailers and everything else are
synthetic, placed roughly where the real places are. Every random choice comes from one numpy
``Generator`` seeded by ``--seed``; the same seed gives byte-identical files.

Run::

    uv run python data/generate_demo.py [--out data/demo] [--seed 20261121]

This is a data script: nothing in the package imports it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import heapq
import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import prcoords
import shapely
import shapely.affinity
import shapely.geometry
from pyproj import Geod
from scipy.spatial import Delaunay, Voronoi, cKDTree
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.polygon import orient

from gridmgmt.demo.grids import DEMO_MIN_GRIDS, DEMO_RETAILERS_PER_GRID
from gridmgmt.domain import (
    BusinessType,
    CheckpointKind,
    RetailerStatus,
    SchoolKind,
    StaffRole,
    label_zh,
)

DEFAULT_SEED = 20261121
DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
ORDER_DATES = ("2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20")

# A local equirectangular projection around the region's centre (metres). Only used to place
# things; the files are in degrees and the tests measure in EPSG:4547 (GK CM 114E).
LON0, LAT0 = 113.8, 40.7
M_PER_DEG_LON = 84515.0
M_PER_DEG_LAT = 111048.0

# Every distance below is in metres.
SEAT_GRID = (11, 160.0)
TOWN_GRID = (5, 130.0)
SCHOOL_CLEARANCE = 110.0
COUNTY_MARGIN = 30.0


def _words(text: str) -> tuple[str, ...]:
    """The space-separated words of ``text``."""
    return tuple(text.split())


@dataclass(frozen=True)
class CountySpec:
    """One county of the demo region and what the generator needs to know about it."""

    code: str
    name: str
    short: str
    province: str
    province_code: str
    province_abbr: str
    city: str
    seat_town: str
    seat: tuple[float, float]
    territory: tuple[tuple[float, float], ...]
    towns: tuple[str, ...]
    retailers: int
    area_code: str
    plate_prefix: str


COUNTIES: tuple[CountySpec, ...] = (
    CountySpec(
        code="150924",
        name="兴和县",
        short="兴和",
        province="内蒙古自治区",
        province_code="150000",
        province_abbr="蒙",
        city="乌兰察布市",
        seat_town="城关镇",
        seat=(113.90, 40.90),
        territory=(
            (113.52, 40.78),
            (113.55, 40.55),
            (113.98, 40.50),
            (114.30, 40.60),
            (114.28, 40.86),
            (114.00, 41.00),
            (113.60, 41.02),
        ),
        towns=_words(
            "张皋镇 赛乌素镇 鄂尔栋镇 店子镇 大库联乡 民族团结乡 五股泉乡 大同窑乡 台基庙乡"
        ),
        retailers=950,
        area_code="0474",
        plate_prefix="蒙J",
    ),
    CountySpec(
        code="150981",
        name="丰镇市",
        short="丰镇",
        province="内蒙古自治区",
        province_code="150000",
        province_abbr="蒙",
        city="乌兰察布市",
        seat_town="新城区街道",
        seat=(113.15, 40.45),
        territory=(
            (112.96, 40.26),
            (113.48, 40.15),
            (113.55, 40.55),
            (113.52, 40.78),
            (112.99, 40.70),
        ),
        towns=_words(
            "隆盛庄镇 黑土台镇 红砂坝镇 三义泉镇 巨宝庄镇 浑源窑乡 元山子乡 官屯堡乡 大庄科乡"
        ),
        retailers=1250,
        area_code="0474",
        plate_prefix="蒙J",
    ),
    CountySpec(
        code="140222",
        name="天镇县",
        short="天镇",
        province="山西省",
        province_code="140000",
        province_abbr="晋",
        city="大同市",
        seat_town="玉泉镇",
        seat=(114.10, 40.40),
        territory=((113.98, 40.09), (114.50, 40.16), (114.30, 40.60), (113.98, 40.50)),
        towns=_words(
            "谷前堡镇 米薪关镇 新平堡镇 逯家湾镇 赵家沟乡 南河堡乡 三十里铺乡 贾家屯乡 张西河乡"
        ),
        retailers=900,
        area_code="0352",
        plate_prefix="晋B",
    ),
    CountySpec(
        code="140221",
        name="阳高县",
        short="阳高",
        province="山西省",
        province_code="140000",
        province_abbr="晋",
        city="大同市",
        seat_town="龙泉镇",
        seat=(113.75, 40.35),
        territory=((113.48, 40.15), (113.98, 40.09), (113.98, 40.50), (113.55, 40.55)),
        towns=_words("罗文皂镇 大白登镇 王官屯镇 古城镇 东小村镇 友宰镇 狮子屯乡 长城乡 鳌石乡"),
        retailers=1100,
        area_code="0352",
        plate_prefix="晋B",
    ),
    CountySpec(
        code="130728",
        name="怀安县",
        short="怀安",
        province="河北省",
        province_code="130000",
        province_abbr="冀",
        city="张家口市",
        seat_town="柴沟堡镇",
        seat=(114.40, 40.65),
        territory=(
            (114.50, 40.16),
            (114.72, 40.40),
            (114.72, 40.88),
            (114.28, 40.86),
            (114.30, 40.60),
        ),
        towns=_words(
            "左卫镇 头百户镇 怀安城镇 渡口堡乡 第六屯乡 西湾堡乡 西沙城乡 太平庄乡 王虎屯乡"
        ),
        retailers=950,
        area_code="0313",
        plate_prefix="冀G",
    ),
    CountySpec(
        code="130725",
        name="尚义县",
        short="尚义",
        province="河北省",
        province_code="130000",
        province_abbr="冀",
        city="张家口市",
        seat_town="南壕堑镇",
        seat=(113.95, 41.10),
        territory=(
            (113.60, 41.02),
            (114.00, 41.00),
            (114.28, 40.86),
            (114.72, 40.88),
            (114.66, 41.16),
            (113.72, 41.23),
        ),
        towns=_words(
            "大青沟镇 八道沟镇 红土梁镇 小蒜沟镇 三工地镇 满井镇 大营盘乡 大苏计乡 石井乡"
        ),
        retailers=850,
        area_code="0313",
        plate_prefix="冀G",
    ),
)
SPEC_BY_CODE = {spec.code: spec for spec in COUNTIES}
# A Fengzhen exclave inside Xinghe exercises MultiPolygon counties and polygons with holes.
EXCLAVE_HOST, EXCLAVE_GUEST = "150924", "150981"

GATEWAYS: tuple[tuple[str, tuple[float, float]], ...] = (
    ("集宁方向", (113.05, 40.95)),
    ("凉城方向", (112.75, 40.50)),
    ("新荣方向", (113.22, 40.05)),
    ("云州方向", (113.50, 40.02)),
    ("阳原方向", (114.30, 40.05)),
    ("张家口方向", (114.95, 40.65)),
    ("张北方向", (114.50, 41.30)),
    ("察右后旗方向", (113.70, 41.45)),
)

# name, ref, waypoints (lon, lat), seats with an interchange
MOTORWAYS: tuple[tuple[str, str, tuple[tuple[float, float], ...], tuple[str, ...]], ...] = (
    (
        "京藏高速",
        "G6",
        ((114.98, 40.60), (114.45, 40.58), (114.16, 40.49), (113.81, 40.28), (113.40, 40.06)),
        ("130728", "140222", "140221"),
    ),
    ("二广高速", "G55", ((113.02, 41.02), (113.07, 40.47), (113.22, 39.98)), ("150981",)),
)
# ref, name, stops (gateway names or county codes meaning the seat)
TRUNKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("G110", "110国道", ("张家口方向", "130728", "140222", "140221", "云州方向")),
    ("G208", "208国道", ("集宁方向", "150981", "新荣方向")),
)
PRIMARIES: tuple[tuple[str, str, str], ...] = (
    ("S104", "150981", "150924"),
    ("S203", "150981", "140221"),
    ("S311", "150924", "130725"),
    ("S312", "150924", "140222"),
    ("S242", "130725", "130728"),
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈彭吕苏卢蒋蔡"
    "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟段雷"
    "钱汤尹常武乔贺龚文云候牛"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红梅海燕文辉鹏飞宇浩凯"
    "晨亮斌俊峰波宁欣雪琴春生福禄喜旺宝成林利东海利荣凤莲金花永胜德胜玲"
)
SEAT_EW_STREETS = _words(
    "人民路 建设路 新华路 解放路 胜利路 团结路 文化路 迎宾路 振兴路 长青路 复兴路 滨河路 工业路"
)
SEAT_NS_STREETS = _words(
    "东风街 和平街 友谊街 育才街 光明街 北关街 南关街 朝阳街 富民街 兴华街 永安街 康乐街 新民街"
)
TOWN_STREETS = _words(
    "大街 前街 后街 东街 西街 南街 北街 新街 商业街 建设街 兴盛街 顺通街 育才路 幸福路 和平路"
)
VILLAGE_HEADS = tuple(
    "东西南北大小前后上下新二三五马羊石红黄柳杨榆沙土白高李王张刘赵郭韩孙苏乔贾田郝崔"
)
VILLAGE_TAILS = _words("家营 家庄 家堡 堡 沟 庄 营 窑 湾 梁 滩 坝 屯 井 河 台 家坊 家窑 圪旦 房子")
SHOP_BRANDS = _words(
    "惠民 鑫源 福源 家家乐 兴隆 万家 顺发 佳佳 金穗 永盛 丰泽 宏达 利民 天天 百姓 旺旺 "
    "聚福 东升 和顺 富强"
)
SHOP_SUFFIXES: dict[BusinessType, tuple[str, ...]] = {
    BusinessType.GROCERY: ("商店", "食杂店", "小卖部", "日杂店", "综合商店"),
    BusinessType.CONVENIENCE: ("便利店", "便民店", "便利超市"),
    BusinessType.SUPERMARKET: ("超市", "购物中心", "连锁超市", "平价超市"),
    BusinessType.TOBACCO_LIQUOR: ("烟酒店", "烟酒商行", "名烟名酒店"),
    BusinessType.ENTERTAINMENT: ("棋牌室", "KTV", "网吧", "台球厅"),
    BusinessType.RESTAURANT: ("饭店", "餐馆", "面馆", "农家乐", "烧烤店"),
    BusinessType.OTHER: ("加油站", "五金店", "药店", "汽修店", "批发部"),
}
BUSINESS_WEIGHTS: dict[BusinessType, float] = {
    BusinessType.GROCERY: 0.40,
    BusinessType.CONVENIENCE: 0.19,
    BusinessType.SUPERMARKET: 0.10,
    BusinessType.TOBACCO_LIQUOR: 0.15,
    BusinessType.RESTAURANT: 0.08,
    BusinessType.ENTERTAINMENT: 0.04,
    BusinessType.OTHER: 0.04,
}
TIER_SHIFT: dict[BusinessType, float] = {
    BusinessType.GROCERY: 0.0,
    BusinessType.CONVENIENCE: 1.0,
    BusinessType.SUPERMARKET: 4.0,
    BusinessType.TOBACCO_LIQUOR: 3.0,
    BusinessType.RESTAURANT: -2.0,
    BusinessType.ENTERTAINMENT: -1.0,
    BusinessType.OTHER: -1.0,
}
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 176 177 178 "
    "180 181 182 183 185 186 187 188 189 191 198 199"
)
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
HIGHWAY_RANK = {
    "motorway": 0,
    "trunk": 1,
    "primary": 2,
    "secondary": 3,
    "tertiary": 4,
    "unclassified": 5,
}


# --------------------------------------------------------------------------- projection


def to_xy(lonlat: np.ndarray) -> np.ndarray:
    """Project ``(lon, lat)`` rows to local metres."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    return np.column_stack(
        [(lonlat[:, 0] - LON0) * M_PER_DEG_LON, (lonlat[:, 1] - LAT0) * M_PER_DEG_LAT]
    )


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """Unproject local metres to ``(lon, lat)`` rows rounded to 7 decimals."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lonlat = np.column_stack([xy[:, 0] / M_PER_DEG_LON + LON0, xy[:, 1] / M_PER_DEG_LAT + LAT0])
    return np.round(lonlat, 7)


def geometry_to_xy(geometry: shapely.Geometry) -> shapely.Geometry:
    """Project a lon/lat geometry to local metres."""
    return shapely.transform(geometry, lambda coords: to_xy(coords))


def geometry_to_lonlat(geometry: shapely.Geometry) -> shapely.Geometry:
    """Unproject a local-metre geometry to lon/lat."""
    return shapely.transform(geometry, lambda coords: to_lonlat(coords))


def wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    """Shift a WGS-84 point to GCJ-02 (as Amap shows it); ``prcoords`` takes ``(lat, lon)``."""
    shifted = prcoords.wgs_gcj((lat, lon))
    return round(shifted.lon, 7), round(shifted.lat, 7)


# --------------------------------------------------------------------------- helpers


def wiggle(
    start: np.ndarray,
    end: np.ndarray,
    rng: np.random.Generator,
    *,
    amplitude: float,
    max_segment: float,
) -> np.ndarray:
    """Return a polyline from ``start`` to ``end`` by midpoint displacement.

    Each level splits every segment and moves its midpoint sideways by up to ``amplitude``
    times the segment length, until segments are shorter than ``max_segment``.
    """
    points = np.array([start, end], dtype=float)
    length = float(np.hypot(*(end - start)))
    depth = max(0, math.ceil(math.log2(max(length, 1.0) / max_segment)))
    for _ in range(depth):
        delta = points[1:] - points[:-1]
        seg = np.hypot(delta[:, 0], delta[:, 1])
        normal = np.column_stack([-delta[:, 1], delta[:, 0]]) / np.maximum(seg, 1e-9)[:, None]
        offsets = amplitude * seg * rng.uniform(-1.0, 1.0, size=len(seg))
        mids = (points[1:] + points[:-1]) / 2 + normal * offsets[:, None]
        merged = np.empty((2 * len(points) - 1, 2))
        merged[0::2] = points
        merged[1::2] = mids
        points = merged
    return points


def person_name(rng: np.random.Generator) -> str:
    """A plausible Chinese personal name."""
    surname = SURNAMES[int(rng.integers(len(SURNAMES)))]
    count = 1 if rng.random() < 0.35 else 2
    given = "".join(GIVEN_CHARS[int(rng.integers(len(GIVEN_CHARS)))] for _ in range(count))
    return surname + given


def mobile_number(rng: np.random.Generator, used: set[str]) -> str:
    """A unique, valid-looking mainland mobile number (11 digits)."""
    while True:
        prefix = MOBILE_PREFIXES[int(rng.integers(len(MOBILE_PREFIXES)))]
        number = prefix + f"{int(rng.integers(0, 100_000_000)):08d}"
        if number not in used:
            used.add(number)
            return number


def landline_number(rng: np.random.Generator, area_code: str, used: set[str]) -> str:
    """A unique fixed-line number written ``AREA-LOCAL`` with a 7-digit local number."""
    while True:
        number = f"{area_code}-{int(rng.integers(2, 9))}{int(rng.integers(0, 1_000_000)):06d}"
        if number not in used:
            used.add(number)
            return number


def pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    """One element of ``options``."""
    return options[int(rng.integers(len(options)))]


# --------------------------------------------------------------------------- counties


def _lattice_sites(rng: np.random.Generator) -> np.ndarray:
    """Jittered staggered lattice of Voronoi sites covering the region and a margin (metres)."""
    dlon, dlat = 0.075, 0.055
    rows = []
    for j, lat in enumerate(np.arange(39.80, 41.62, dlat)):
        offset = dlon / 2 if j % 2 else 0.0
        for lon in np.arange(112.45 + offset, 115.20, dlon):
            rows.append((lon, lat))
    lonlat = np.array(rows)
    jitter = rng.uniform(-0.3, 0.3, size=lonlat.shape) * np.array([dlon, dlat])
    return to_xy(lonlat + jitter)


def _components(members: np.ndarray, neighbours: list[set[int]]) -> list[list[int]]:
    """Connected components of the sites in ``members`` under Voronoi adjacency."""
    member_set = {int(i) for i in members}
    seen: set[int] = set()
    components = []
    for start in sorted(member_set):
        if start in seen:
            continue
        stack, component = [start], []
        seen.add(start)
        while stack:
            site = stack.pop()
            component.append(site)
            for other in neighbours[site]:
                if other in member_set and other not in seen:
                    seen.add(other)
                    stack.append(other)
        components.append(sorted(component))
    return components


def _clean_labels(labels: np.ndarray, neighbours: list[set[int]]) -> np.ndarray:
    """Relabel stray site groups so every county, and the outside, is one connected piece."""
    labels = labels.copy()
    changed = True
    while changed:
        changed = False
        for label in sorted(set(labels.tolist())):
            components = _components(np.flatnonzero(labels == label), neighbours)
            components.sort(key=lambda c: (-len(c), c[0]))
            for component in components[1:]:
                for site in component:
                    around = Counter(int(labels[o]) for o in neighbours[site] if labels[o] != label)
                    if around:
                        labels[site] = min(around, key=lambda k: (-around[k], k))
                        changed = True
    return labels


def _plant_exclave(
    labels: np.ndarray, neighbours: list[set[int]], sites: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Give one interior host cell, far from every seat and motorway, to the guest county."""
    host = [spec.code for spec in COUNTIES].index(EXCLAVE_HOST)
    guest = [spec.code for spec in COUNTIES].index(EXCLAVE_GUEST)
    seats = to_xy(np.array([spec.seat for spec in COUNTIES]))
    motorways = shapely.MultiLineString([to_xy(np.array(m[2])) for m in MOTORWAYS])
    candidates = [
        i
        for i in np.flatnonzero(labels == host).tolist()
        if all(labels[o] == host for o in neighbours[i])
        and float(np.min(np.hypot(*(seats - sites[i]).T))) > 10_000
        and motorways.distance(Point(sites[i])) > 8_000
    ]
    if not candidates:
        msg = "no interior cell for the exclave; change the seed"
        raise RuntimeError(msg)
    labels = labels.copy()
    labels[candidates[int(rng.integers(len(candidates)))]] = guest
    return labels


def _lines_cross(lines: list[LineString]) -> set[int]:
    """Indices of lines that meet another line anywhere except at shared end points."""
    tree = shapely.STRtree(lines)
    bad: set[int] = set()
    ends = [{line.coords[0], line.coords[-1]} for line in lines]
    for i, line in enumerate(lines):
        for j in tree.query(line).tolist():
            if j <= i:
                continue
            meet = line.intersection(lines[j])
            if meet.is_empty:
                continue
            points = {
                tuple(p.coords[0]) for p in getattr(meet, "geoms", [meet]) if p.geom_type == "Point"
            }
            if len(points) != len(getattr(meet, "geoms", [meet])) or not points <= (
                ends[i] & ends[j]
            ):
                bad.update((i, j))
    return bad


def build_counties(rng: np.random.Generator) -> dict[str, Polygon | MultiPolygon]:
    """Tile the region into six counties (lon/lat, 7 decimals, exact shared borders).

    Voronoi cells of a jittered lattice are labelled by rough county outlines; borders are the
    ridges between differently labelled cells, each subdivided and perturbed once, so both sides
    of a shared border use the very same coordinates.
    """
    sites = _lattice_sites(rng)
    labels = np.full(len(sites), -1)
    for index, spec in enumerate(COUNTIES):
        outline = Polygon(to_xy(np.array(spec.territory)))
        labels[shapely.contains_xy(outline, sites[:, 0], sites[:, 1])] = index
    voronoi = Voronoi(sites)
    neighbours: list[set[int]] = [set() for _ in sites]
    for p, q in voronoi.ridge_points.tolist():
        neighbours[p].add(q)
        neighbours[q].add(p)
    labels = _clean_labels(labels, neighbours)
    labels = _plant_exclave(labels, neighbours, sites, rng)

    vertices_ll = to_lonlat(voronoi.vertices)
    vertices_xy = to_xy(vertices_ll)
    ridges = sorted(
        tuple(sorted(rv))
        for (p, q), rv in zip(voronoi.ridge_points.tolist(), voronoi.ridge_vertices, strict=True)
        if labels[p] != labels[q]
    )
    if any(v < 0 for ridge in ridges for v in ridge):
        msg = "a county cell is unbounded; widen the lattice"
        raise RuntimeError(msg)
    wiggly = []
    for a, b in ridges:
        points = wiggle(vertices_xy[a], vertices_xy[b], rng, amplitude=0.12, max_segment=700.0)
        coords = to_lonlat(points)
        coords[0], coords[-1] = vertices_ll[a], vertices_ll[b]
        wiggly.append(coords)
    straight = [np.array([vertices_ll[a], vertices_ll[b]]) for a, b in ridges]
    lines = [LineString(c) for c in wiggly]
    while bad := _lines_cross(lines):
        for i in bad:
            lines[i] = LineString(straight[i])

    sites_ll = to_lonlat(sites)
    pieces: dict[int, list[Polygon]] = defaultdict(list)
    for face in shapely.polygonize(lines).geoms:
        inside = labels[shapely.contains_xy(face, sites_ll[:, 0], sites_ll[:, 1])]
        label = int(Counter(inside.tolist()).most_common(1)[0][0])
        if label < 0:
            msg = "the outside encloses a hole in the region"
            raise RuntimeError(msg)
        pieces[label].append(orient(face, sign=1.0))
    counties: dict[str, Polygon | MultiPolygon] = {}
    for index, spec in enumerate(COUNTIES):
        parts = sorted(pieces[index], key=lambda poly: -poly.area)
        counties[spec.code] = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return counties


def check_counties(counties: dict[str, Polygon | MultiPolygon]) -> None:
    """Fail loudly if the tiling, areas or seats are off."""
    geoms = list(counties.values())
    total = shapely.union_all(geoms)
    if not all(g.is_valid for g in geoms) or total.geom_type != "Polygon":
        msg = "counties are invalid or do not form one region"
        raise RuntimeError(msg)
    if abs(total.area - sum(g.area for g in geoms)) > 1e-9:
        msg = "counties overlap or leave gaps"
        raise RuntimeError(msg)
    for spec in COUNTIES:
        area = geometry_to_xy(counties[spec.code]).area / 1e6
        seat = Point(to_xy(np.array([spec.seat]))[0])
        inside = geometry_to_xy(counties[spec.code])
        if not 1500 <= area <= 3300:
            msg = f"{spec.name} has {area:.0f} km², expected 1500-3300"
            raise RuntimeError(msg)
        if not inside.contains(seat) or inside.boundary.distance(seat) < 4000:
            msg = f"the seat of {spec.name} is not well inside the county"
            raise RuntimeError(msg)


def counties_xy(counties: dict[str, Polygon | MultiPolygon]) -> dict[str, shapely.Geometry]:
    """The county polygons in local metres, prepared for fast point tests."""
    projected = {code: geometry_to_xy(geom) for code, geom in counties.items()}
    for geom in projected.values():
        shapely.prepare(geom)
    return projected


def county_at(xy: np.ndarray, projected: dict[str, shapely.Geometry]) -> list[str | None]:
    """The county code containing each point (metres), or None outside the region."""
    found: list[str | None] = [None] * len(xy)
    for code, geom in projected.items():
        for i in np.flatnonzero(shapely.contains_xy(geom, xy[:, 0], xy[:, 1])).tolist():
            found[i] = code
    return found


# --------------------------------------------------------------------------- places


@dataclass(eq=False)
class Place:
    """A county seat, a township town, or a gateway where a road leaves the region."""

    name: str
    kind: str  # "seat", "town" or "gateway"
    county: str | None
    xy: np.ndarray


@dataclass(eq=False)
class Grid:
    """The street grid of a seat or town: ``nodes[i, j]`` is column ``i``, row ``j``."""

    place: Place
    spacing: float
    angle: float
    nodes: np.ndarray
    xy: np.ndarray
    row_names: list[str]
    col_names: list[str]

    def boundary_nodes(self) -> list[tuple[int, int]]:
        """Grid indices of the nodes on the outer ring."""
        n = self.nodes.shape[0]
        return [(i, j) for i in range(n) for j in range(n) if i in (0, n - 1) or j in (0, n - 1)]

    def nearest_boundary(self, target: np.ndarray) -> int:
        """Node id of the outer-ring node nearest to ``target``."""
        ring = self.boundary_nodes()
        dists = [float(np.hypot(*(self.xy[i, j] - target))) for i, j in ring]
        i, j = ring[int(np.argmin(dists))]
        return int(self.nodes[i, j])


def motorway_paths(rng: np.random.Generator) -> list[np.ndarray]:
    """Centre lines of the motorways (metres), gently curved through their waypoints."""
    paths = []
    for _name, _ref, waypoints, _seats in MOTORWAYS:
        xy = to_xy(np.array(waypoints))
        parts = [
            wiggle(xy[k], xy[k + 1], rng, amplitude=0.03, max_segment=500.0)
            for k in range(len(xy) - 1)
        ]
        paths.append(np.vstack([parts[0]] + [p[1:] for p in parts[1:]]))
    return paths


def place_towns(
    rng: np.random.Generator,
    counties: dict[str, Polygon | MultiPolygon],
    motorways: list[np.ndarray],
) -> list[Place]:
    """Seats at their given positions, then 5-9 towns per county, spread out, off motorways."""
    projected = {code: geometry_to_xy(geom) for code, geom in counties.items()}
    motorway_lines = shapely.MultiLineString([LineString(p) for p in motorways])
    places = [
        Place(spec.seat_town, "seat", spec.code, to_xy(np.array([spec.seat]))[0])
        for spec in COUNTIES
    ]
    for spec in COUNTIES:
        inner = projected[spec.code].buffer(-3500.0)
        minx, miny, maxx, maxy = inner.bounds
        wanted = int(rng.integers(5, 10))
        names = [spec.towns[i] for i in rng.permutation(len(spec.towns))[:wanted]]
        placed = 0
        for name in names:
            # best-candidate sampling: of a few valid candidates keep the one farthest from
            # every place so far, which spreads towns over the whole county
            candidates = []
            for _ in range(4000):
                point = rng.uniform([minx, miny], [maxx, maxy])
                if not inner.contains(Point(point)):
                    continue
                gap = min(float(np.hypot(*(p.xy - point))) for p in places)
                if gap < 8000.0 or motorway_lines.distance(Point(point)) < 2000.0:
                    continue
                candidates.append((gap, point))
                if len(candidates) == 8:
                    break
            if candidates:
                best = max(candidates, key=lambda c: c[0])[1]
                places.append(Place(name, "town", spec.code, best))
                placed += 1
        if placed < 5:
            msg = f"only {placed} towns fit in {spec.name}"
            raise RuntimeError(msg)
    return places


def place_gateways(counties: dict[str, Polygon | MultiPolygon]) -> list[Place]:
    """Points just outside the region where national and county roads lead on."""
    region = geometry_to_xy(shapely.union_all(list(counties.values())))
    centre = np.array(region.centroid.coords[0])
    gateways = []
    for name, lonlat in GATEWAYS:
        point = to_xy(np.array([lonlat]))[0]
        direction = (point - centre) / float(np.hypot(*(point - centre)))
        while region.contains(Point(point)) or region.distance(Point(point)) < 2500.0:
            point = point + 500.0 * direction
        gateways.append(Place(name, "gateway", None, point))
    return gateways


# --------------------------------------------------------------------------- roads


@dataclass
class RoadNetwork:
    """OSM-like road network: nodes (lon/lat, 7 decimals) and tagged ways."""

    lonlat: list[tuple[float, float]] = field(default_factory=list)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)

    def add_node(self, xy: np.ndarray) -> int:
        """Add a node at ``xy`` (metres); return its id (ids start at 1)."""
        lon, lat = to_lonlat(np.asarray(xy))[0]
        self.lonlat.append((float(lon), float(lat)))
        return len(self.lonlat)

    def node_xy(self, node: int) -> np.ndarray:
        """The local-metre position of a node."""
        return to_xy(np.array([self.lonlat[node - 1]]))[0]

    def add_way(self, nodes: list[int], tags: dict[str, str]) -> int:
        """Add a way through ``nodes``; return its index."""
        self.ways.append((nodes, tags))
        return len(self.ways) - 1

    def path_xy(self, nodes: Sequence[int]) -> np.ndarray:
        """Local-metre coordinates of a node sequence."""
        return to_xy(np.array([self.lonlat[n - 1] for n in nodes]))


@dataclass(eq=False)
class RoadEdge:
    """A road between two places, as built: its class, name and node sequence."""

    a: Place
    b: Place
    highway: str
    name: str
    nodes: list[int]


def build_grid(network: RoadNetwork, place: Place, rng: np.random.Generator) -> Grid:
    """A small street grid centred on ``place``: residential streets, main streets tertiary."""
    n, spacing = SEAT_GRID if place.kind == "seat" else TOWN_GRID
    angle = float(rng.uniform(-0.35, 0.35))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    offsets = (np.arange(n) - (n - 1) / 2) * spacing
    xy = np.zeros((n, n, 2))
    nodes = np.zeros((n, n), dtype=int)
    for i in range(n):
        for j in range(n):
            xy[i, j] = place.xy + rot @ np.array([offsets[i], offsets[j]])
            nodes[i, j] = network.add_node(xy[i, j])
    if place.kind == "seat":
        rows = [SEAT_EW_STREETS[k] for k in sorted(rng.permutation(len(SEAT_EW_STREETS))[:n])]
        cols = [SEAT_NS_STREETS[k] for k in sorted(rng.permutation(len(SEAT_NS_STREETS))[:n])]
    else:
        chosen = [TOWN_STREETS[k] for k in rng.permutation(len(TOWN_STREETS))[: 2 * n]]
        rows, cols = chosen[:n], chosen[n:]
    grid = Grid(place, spacing, angle, nodes, xy, rows, cols)
    centre = n // 2
    for j in range(n):
        tags = {"highway": "tertiary" if j == centre else "residential", "name": rows[j]}
        line = [int(v) for v in nodes[:, j]]
        if place.kind == "seat" and j in (2, 3):
            # a one-way pair: eastbound on row 2, westbound on row 3
            tags["oneway"] = "yes"
            line = line if j == 2 else line[::-1]
        if place.kind == "seat" and tags["highway"] == "residential" and j % 2 == 0:
            tags["maxspeed"] = "30"
        network.add_way(line, tags)
    for i in range(n):
        tags = {"highway": "tertiary" if i == centre else "residential", "name": cols[i]}
        network.add_way([int(v) for v in nodes[i, :]], tags)
    return grid


def gabriel_edges(points: np.ndarray) -> list[tuple[int, int]]:
    """Edges of the Gabriel graph: Delaunay edges whose diameter circle holds no other point."""
    edges: set[tuple[int, int]] = set()
    for simplex in Delaunay(points).simplices.tolist():
        for a, b in ((0, 1), (1, 2), (0, 2)):
            edges.add((min(simplex[a], simplex[b]), max(simplex[a], simplex[b])))
    kept = []
    for a, b in sorted(edges):
        centre = (points[a] + points[b]) / 2
        radius = float(np.hypot(*(points[a] - points[b]))) / 2
        others = np.delete(np.arange(len(points)), [a, b])
        if np.all(np.hypot(*(points[others] - centre).T) >= radius):
            kept.append((a, b))
    return kept


def _shortest_path(
    edges: list[tuple[int, int]], points: np.ndarray, start: int, end: int
) -> list[int]:
    """Dijkstra over the place graph by straight-line length; returns place indices."""
    adjacency: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b in edges:
        length = float(np.hypot(*(points[a] - points[b])))
        adjacency[a].append((b, length))
        adjacency[b].append((a, length))
    best = {start: 0.0}
    previous: dict[int, int] = {}
    queue = [(0.0, start)]
    while queue:
        dist, node = heapq.heappop(queue)
        if node == end:
            break
        if dist > best.get(node, math.inf):
            continue
        for other, length in adjacency[node]:
            if dist + length < best.get(other, math.inf):
                best[other] = dist + length
                previous[other] = node
                heapq.heappush(queue, (dist + length, other))
    path = [end]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def classify_place_edges(
    places: list[Place], edges: list[tuple[int, int]]
) -> dict[tuple[int, int], tuple[str, str, str]]:
    """Give every place-graph edge a ``(highway, name, ref)``: national to county roads."""
    points = np.array([p.xy for p in places])
    index = {p.name: i for i, p in enumerate(places) if p.kind == "gateway"}
    index.update({p.county: i for i, p in enumerate(places) if p.kind == "seat" and p.county})
    classes: dict[tuple[int, int], tuple[str, str, str]] = {}

    def mark(route: list[int], value: tuple[str, str, str]) -> None:
        """Upgrade every edge along ``route`` to ``value`` unless it is already higher."""
        for a, b in itertools.pairwise(route):
            key = (min(a, b), max(a, b))
            if key not in classes or HIGHWAY_RANK[value[0]] < HIGHWAY_RANK[classes[key][0]]:
                classes[key] = value

    for ref, name, stops in TRUNKS:
        for s, t in itertools.pairwise(stops):
            mark(_shortest_path(edges, points, index[s], index[t]), ("trunk", name, ref))
    for ref, first, second in PRIMARIES:
        name = f"{SPEC_BY_CODE[first].short[0]}{SPEC_BY_CODE[second].short[0]}公路"
        mark(_shortest_path(edges, points, index[first], index[second]), ("primary", name, ref))
    for a, b in edges:
        pa, pb = places[a], places[b]
        if (a, b) in classes:
            continue
        if "seat" in (pa.kind, pb.kind) and pa.county == pb.county:
            highway = "secondary"
        elif pa.county == pb.county:
            highway = "tertiary"
        else:
            highway = "unclassified"
        ends = [p.name.removesuffix("方向") for p in (pa, pb)]
        classes[(a, b)] = (highway, f"{ends[0]}至{ends[1]}公路", "")
    return classes


def build_roads(
    rng: np.random.Generator,
    places: list[Place],
    motorways: list[np.ndarray],
) -> tuple[RoadNetwork, dict[str, Grid], list[RoadEdge], list[tuple[str, int, str]]]:
    """Street grids, roads between places along a Gabriel graph, and dual-carriageway motorways.

    Returns the network, the grids by place name, the built place-to-place roads, and the
    motorway interchanges as ``(seat county code, toll node id, motorway label)``.
    """
    network = RoadNetwork()
    grids: dict[str, Grid] = {}
    endpoints: dict[str, int] = {}
    for place in places:
        if place.kind == "gateway":
            endpoints[place.name] = network.add_node(place.xy)
        else:
            grids[place.name] = build_grid(network, place, rng)
    points = np.array([p.xy for p in places])
    edges = []
    for a, b in gabriel_edges(points):
        kinds = (places[a].kind, places[b].kind)
        limit = 60_000.0 if "gateway" in kinds else 40_000.0
        if kinds == ("gateway", "gateway") or float(np.hypot(*(points[a] - points[b]))) > limit:
            continue
        edges.append((a, b))
    edges = _trim_gateways(places, points, edges)
    classes = classify_place_edges(places, edges)

    def attach(place: Place, toward: np.ndarray) -> int:
        """The node where a road from ``place`` toward ``toward`` starts."""
        if place.kind == "gateway":
            return endpoints[place.name]
        return grids[place.name].nearest_boundary(toward)

    built = []
    for a, b in edges:
        highway, name, ref = classes[(a, b)]
        start, end = attach(places[a], places[b].xy), attach(places[b], places[a].xy)
        line = wiggle(
            network.node_xy(start), network.node_xy(end), rng, amplitude=0.07, max_segment=450.0
        )
        nodes = [start] + [network.add_node(p) for p in line[1:-1]] + [end]
        tags = {"highway": highway, "name": name}
        if ref:
            tags["ref"] = ref
        if highway == "trunk":
            tags["maxspeed"] = "80"
        elif highway == "primary" and rng.random() < 0.5:
            tags["maxspeed"] = "60"
        network.add_way(nodes, tags)
        built.append(RoadEdge(places[a], places[b], highway, name, nodes))
    interchanges = _build_motorways(rng, network, grids, places, motorways)
    return network, grids, built, interchanges


def _trim_gateways(
    places: list[Place], points: np.ndarray, edges: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Keep each gateway's two shortest links so roads leave the region where intended."""
    kept = [e for e in edges if "gateway" not in (places[e[0]].kind, places[e[1]].kind)]
    for g, place in enumerate(places):
        if place.kind != "gateway":
            continue
        own = [e for e in edges if g in e]
        own.sort(key=lambda e: float(np.hypot(*(points[e[0]] - points[e[1]]))))
        kept.extend(own[:2])
    return sorted(kept)


def _build_motorways(
    rng: np.random.Generator,
    network: RoadNetwork,
    grids: dict[str, Grid],
    places: list[Place],
    motorways: list[np.ndarray],
) -> list[tuple[str, int, str]]:
    """Two one-way carriageways per motorway, joined at the extract's edge, with interchanges."""
    seats = {p.county: p for p in places if p.kind == "seat"}
    interchanges = []
    for (name, ref, _waypoints, seat_codes), centre in zip(MOTORWAYS, motorways, strict=True):
        direction = np.gradient(centre, axis=0)
        normal = np.column_stack([-direction[:, 1], direction[:, 0]])
        normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
        first, last = network.add_node(centre[0]), network.add_node(centre[-1])
        forward = [first] + [network.add_node(p) for p in (centre + 15.0 * normal)[1:-1]] + [last]
        backward = [first] + [network.add_node(p) for p in (centre - 15.0 * normal)[1:-1]] + [last]
        tags = {"highway": "motorway", "name": name, "ref": ref, "oneway": "yes", "maxspeed": "120"}
        network.add_way(forward, dict(tags))
        network.add_way(backward[::-1], dict(tags))
        for code in seat_codes:
            seat = seats[code]
            k = int(np.argmin(np.hypot(*(centre - seat.xy).T)))
            k = min(max(k, 3), len(centre) - 4)
            side = 1.0 if float(np.dot(seat.xy - centre[k], normal[k])) > 0 else -1.0
            toll = network.add_node(centre[k] + side * 500.0 * normal[k])
            link = {"highway": "motorway_link", "oneway": "yes", "maxspeed": "40"}
            label = f"{ref}{name}"
            network.add_way([forward[k - 2], toll], dict(link, name=f"{label}{seat.name}出口"))
            network.add_way([toll, forward[k + 2]], dict(link, name=f"{label}{seat.name}入口"))
            network.add_way([backward[k + 2], toll], dict(link, name=f"{label}{seat.name}出口"))
            network.add_way([toll, backward[k - 2]], dict(link, name=f"{label}{seat.name}入口"))
            end = grids[seat.name].nearest_boundary(network.node_xy(toll))
            line = wiggle(
                network.node_xy(toll), network.node_xy(end), rng, amplitude=0.05, max_segment=400.0
            )
            nodes = [toll] + [network.add_node(p) for p in line[1:-1]] + [end]
            network.add_way(nodes, {"highway": "primary", "name": f"{seat.name}高速连接线"})
            interchanges.append((code, toll, label))
    return interchanges


# --------------------------------------------------------------------------- schools


@dataclass(eq=False)
class School:
    """A school in a seat or town block, with an optional campus rectangle (metres)."""

    name: str
    kind: SchoolKind
    county: str
    place: str
    xy: np.ndarray
    block: tuple[int, int]
    campus: Polygon | None


def _block_centre(grid: Grid, block: tuple[int, int]) -> np.ndarray:
    """Centre of grid block ``block`` (its lower-left node indices)."""
    i, j = block
    return grid.xy[i : i + 2, j : j + 2].reshape(-1, 2).mean(axis=0)


def place_schools(
    rng: np.random.Generator, places: list[Place], grids: dict[str, Grid]
) -> list[School]:
    """About ten schools per county: four or five in the seat, zero to two per town."""
    schools = []
    for place in places:
        if place.kind == "gateway" or place.county is None:
            continue
        county = SPEC_BY_CODE[place.county].name
        if place.kind == "seat":
            wanted = [
                (f"{county}第一中学", SchoolKind.MIDDLE),
                (f"{county}实验小学", SchoolKind.PRIMARY),
                (f"{county}第一幼儿园", SchoolKind.KINDERGARTEN),
            ]
            if rng.random() < 0.5:
                wanted.append((f"{county}第二中学", SchoolKind.MIDDLE))
            if rng.random() < 0.5:
                wanted.append((f"{county}第二小学", SchoolKind.PRIMARY))
        else:
            wanted = []
            if rng.random() < 0.65:
                wanted.append((f"{county}{place.name}中心小学", SchoolKind.PRIMARY))
            if rng.random() < 0.15:
                wanted.append((f"{county}{place.name}中学", SchoolKind.MIDDLE))
            if rng.random() < 0.10:
                wanted.append((f"{county}{place.name}中心幼儿园", SchoolKind.KINDERGARTEN))
        grid = grids[place.name]
        n = grid.nodes.shape[0]
        used: list[tuple[int, int]] = []
        for name, kind in wanted:
            while True:
                block = (int(rng.integers(0, n - 1)), int(rng.integers(0, n - 1)))
                if all(max(abs(block[0] - u[0]), abs(block[1] - u[1])) > 1 for u in used):
                    break
            used.append(block)
            xy = _block_centre(grid, block) + rng.uniform(-10.0, 10.0, size=2)
            campus = None
            if rng.random() < 0.5:
                room = grid.spacing / 2 - 30.0
                half = rng.uniform(0.55, 1.0, size=2) * room
                box = Polygon(
                    [
                        (-half[0], -half[1]),
                        (half[0], -half[1]),
                        (half[0], half[1]),
                        (-half[0], half[1]),
                    ]
                )
                campus = shapely.affinity.translate(
                    shapely.affinity.rotate(box, grid.angle, origin=(0, 0), use_radians=True),
                    float(xy[0]),
                    float(xy[1]),
                )
            schools.append(School(name, kind, place.county, place.name, xy, block, campus))
    return schools


# --------------------------------------------------------------------------- retailers


@dataclass(eq=False)
class Spot:
    """Where a retailer is (metres) and how its address reads."""

    xy: np.ndarray
    county: str
    town: str
    area: str  # "seat", "town" or "village"
    address: str
    near_school: bool = False


def _street_edges(grid: Grid) -> list[tuple[np.ndarray, np.ndarray, str, float, bool]]:
    """Every street segment of a grid: ends, street name, distance from street start, main?"""
    n, centre = grid.nodes.shape[0], grid.nodes.shape[0] // 2
    edges = []
    for j in range(n):
        for i in range(n - 1):
            edges.append(
                (grid.xy[i, j], grid.xy[i + 1, j], grid.row_names[j], i * grid.spacing, j == centre)
            )
    for i in range(n):
        for j in range(n - 1):
            edges.append(
                (grid.xy[i, j], grid.xy[i, j + 1], grid.col_names[i], j * grid.spacing, i == centre)
            )
    return edges


def _house(street: str, along: float, side: float) -> str:
    """A house number: odd on one side of the street, even on the other."""
    return f"{street}{1 + 2 * int(along / 14.0) + (0 if side > 0 else 1)}号"


def _street_point(p: np.ndarray, q: np.ndarray, t: float, side: float, offset: float) -> np.ndarray:
    """The point at fraction ``t`` along ``p``-``q``, ``offset`` metres to one ``side`` (+1/-1)."""
    direction = (q - p) / float(np.hypot(*(q - p)))
    normal = np.array([-direction[1], direction[0]])
    return p + t * (q - p) + side * offset * normal


def school_violators(
    rng: np.random.Generator, schools: list[School], grids: dict[str, Grid]
) -> list[Spot]:
    """Retailers planted on the streets around about six schools in ten (inside the red line)."""
    spots = []
    for school in schools:
        if rng.random() >= 0.6:
            continue
        grid = grids[school.place]
        i, j = school.block
        sides = [
            (grid.xy[i, j], grid.xy[i + 1, j], grid.row_names[j], i),
            (grid.xy[i, j + 1], grid.xy[i + 1, j + 1], grid.row_names[j + 1], i),
            (grid.xy[i, j], grid.xy[i, j + 1], grid.col_names[i], j),
            (grid.xy[i + 1, j], grid.xy[i + 1, j + 1], grid.col_names[i + 1], j),
        ]
        for k in rng.permutation(4)[: 1 if rng.random() < 0.65 else 2].tolist():
            p, q, street, start = sides[k]
            t = float(rng.uniform(0.3, 0.7))
            direction = (q - p) / float(np.hypot(*(q - p)))
            normal = np.array([-direction[1], direction[0]])
            side = 1.0 if float(np.dot(school.xy - p, normal)) > 0 else -1.0
            xy = _street_point(p, q, t, side, float(rng.uniform(8.0, 20.0)))
            address = _house(street, (start + t) * grid.spacing, side)
            area = "seat" if grid.place.kind == "seat" else "town"
            spots.append(Spot(xy, school.county, school.place, area, address, near_school=True))
    return spots


def street_spots(
    rng: np.random.Generator,
    grid: Grid,
    count: int,
    school_tree: cKDTree,
    inner: dict[str, shapely.Geometry],
) -> list[Spot]:
    """``count`` retailers along the streets of a grid, densest near the centre."""
    edges = _street_edges(grid)
    sigma = 650.0 if grid.place.kind == "seat" else 280.0
    mids = np.array([(p + q) / 2 for p, q, *_ in edges])
    weights = np.exp(-np.sum((mids - grid.place.xy) ** 2, axis=1) / (2 * sigma**2))
    weights *= np.array([2.5 if main else 1.0 for *_, main in edges])
    weights /= weights.sum()
    county = grid.place.county or ""
    area = "seat" if grid.place.kind == "seat" else "town"
    spots: list[Spot] = []
    while len(spots) < count:
        p, q, street, start, _main = edges[int(rng.choice(len(edges), p=weights))]
        t, side = float(rng.uniform(0.05, 0.95)), float(rng.choice([-1.0, 1.0]))
        xy = _street_point(p, q, t, side, float(rng.uniform(8.0, 25.0)))
        if school_tree.query_ball_point(xy, SCHOOL_CLEARANCE):
            continue
        if not shapely.contains_xy(inner[county], xy[0], xy[1]):
            continue
        address = _house(street, start + t * grid.spacing, side)
        spots.append(Spot(xy, county, grid.place.name, area, address))
    return spots


def village_name(rng: np.random.Generator, used: set[str]) -> str:
    """A village name like 李家营 or 红沟, unique within ``used``."""
    while True:
        name = pick(rng, VILLAGE_HEADS) + pick(rng, VILLAGE_TAILS)
        if name not in used:
            used.add(name)
            return name


def village_spots(
    rng: np.random.Generator,
    spec: CountySpec,
    count: int,
    network: RoadNetwork,
    roads: list[RoadEdge],
    places: list[Place],
    inner: dict[str, shapely.Geometry],
    projected: dict[str, shapely.Geometry],
) -> list[Spot]:
    """``count`` retailers in villages strung along the county's roads (two to six each)."""
    lines = [LineString(network.path_xy(road.nodes)) for road in roads]
    lengths = np.array([line.length for line in lines])
    probs = lengths / lengths.sum()
    towns = [p for p in places if p.county == spec.code]
    town_xy = np.array([p.xy for p in [q for q in places if q.kind != "gateway"]])
    centre_margin = projected[spec.code].buffer(-300.0)
    villages: list[tuple[int, float, np.ndarray, str, str]] = []
    used: set[str] = set()
    wanted = max(1, round(count / 3.5))
    for _ in range(40 * wanted):
        if len(villages) == wanted:
            break
        k = int(rng.choice(len(lines), p=probs))
        s = float(rng.uniform(0.08, 0.92)) * lines[k].length
        xy = np.array(lines[k].interpolate(s).coords[0])
        if not shapely.contains_xy(centre_margin, xy[0], xy[1]):
            continue
        if float(np.min(np.hypot(*(town_xy - xy).T))) < 1500.0:
            continue
        if any(float(np.hypot(*(v[2] - xy))) < 1000.0 for v in villages):
            continue
        town = min(towns, key=lambda p: float(np.hypot(*(p.xy - xy)))).name
        villages.append((k, s, xy, village_name(rng, used), town))
    if len(villages) < wanted // 2:
        msg = f"too few villages fit along the roads of {spec.name}"
        raise RuntimeError(msg)
    sizes = 1 + rng.multinomial(count - len(villages), np.full(len(villages), 1 / len(villages)))
    spots = []
    for (k, s, _xy, name, town), size in zip(villages, sizes.tolist(), strict=True):
        line = lines[k]
        placed = 0
        for _ in range(60 * size):
            if placed == size:
                break
            along = min(max(s + float(rng.uniform(-180.0, 180.0)), 1.0), line.length - 1.0)
            here = np.array(line.interpolate(along).coords[0])
            ahead = np.array(line.interpolate(min(along + 5.0, line.length)).coords[0])
            behind = np.array(line.interpolate(max(along - 5.0, 0.0)).coords[0])
            side = float(rng.choice([-1.0, 1.0]))
            xy = _street_point(behind, ahead, 0.5, side, float(rng.uniform(10.0, 60.0)))
            xy = xy + (here - (behind + ahead) / 2)
            if not shapely.contains_xy(inner[spec.code], xy[0], xy[1]):
                continue
            spots.append(Spot(xy, spec.code, town, "village", f"{name}村"))
            placed += 1
    return spots


def _business_weights(area: str) -> tuple[list[BusinessType], np.ndarray]:
    """Business types and their probabilities in a seat, town or village."""
    types = list(BUSINESS_WEIGHTS)
    weights = np.array([BUSINESS_WEIGHTS[t] for t in types])
    if area == "village":
        weights = np.array([0.58, 0.10, 0.03, 0.10, 0.10, 0.02, 0.07])
    return types, weights / weights.sum()


@dataclass(eq=False)
class Retailer:
    """One licensed retailer as written to ``retailers.csv`` (plus generator bookkeeping)."""

    licence_no: str
    name: str
    address: str
    county: str
    lonlat_gcj: tuple[float, float]
    tier: int
    business_type: BusinessType
    status: str
    key_retailer: bool
    phone: str
    spot: Spot


def shop_name(rng: np.random.Generator, prefix: str, business: BusinessType, used: set[str]) -> str:
    """A shop name like 兴和县城关镇张记便利店, avoiding names already in ``used`` if it can."""
    for _ in range(8):
        head = pick(rng, SURNAMES) + "记" if rng.random() < 0.55 else pick(rng, SHOP_BRANDS)
        name = prefix + head + pick(rng, SHOP_SUFFIXES[business])
        if name not in used:
            break
    used.add(name)
    return name


def build_retailers(
    rng: np.random.Generator,
    spots: list[Spot],
    phones: set[str],
) -> list[Retailer]:
    """Attributes, names, licence numbers and GCJ-02 coordinates for every spot."""
    retailers = []
    names: set[str] = set()
    addresses: Counter[str] = Counter()
    by_county: dict[str, list[Spot]] = defaultdict(list)
    for spot in spots:
        by_county[spot.county].append(spot)
    for spec in COUNTIES:
        county_spots = by_county[spec.code]
        serials = rng.choice(
            np.arange(100001, 100001 + 4 * len(county_spots)), size=len(county_spots), replace=False
        )
        for spot, serial in zip(county_spots, serials.tolist(), strict=True):
            types, weights = _business_weights(spot.area)
            business = types[int(rng.choice(len(types), p=weights))]
            mean = (
                10.5 + TIER_SHIFT[business] + {"seat": 1.0, "town": 0.0, "village": -1.5}[spot.area]
            )
            tier = int(np.clip(round(float(rng.normal(mean, 4.6))), 1, 30))
            status = str(rng.choice(["active", "suspended", "closed"], p=[0.94, 0.04, 0.02]))
            name = shop_name(rng, f"{spec.name}{spot.town}", business, names)
            address = f"{spec.province}{spec.city}{spec.name}{spot.town}{spot.address}"
            if spot.area != "village":
                # two shops on one number: the second is an annex (附号), as on real plates
                addresses[address] += 1
                if addresses[address] > 1:
                    address += f"附{addresses[address] - 1}号"
            roll = rng.random()
            if roll < 0.85:
                phone = mobile_number(rng, phones)
            elif roll < 0.97:
                phone = landline_number(rng, spec.area_code, phones)
            else:
                phone = ""
            lon, lat = to_lonlat(spot.xy)[0]
            retailers.append(
                Retailer(
                    licence_no=f"{spec.code}{serial:06d}",
                    name=name,
                    address=address,
                    county=spec.code,
                    lonlat_gcj=wgs_to_gcj(float(lon), float(lat)),
                    tier=tier,
                    business_type=business,
                    status=status,
                    key_retailer=False,
                    phone=phone,
                    spot=spot,
                )
            )
    tiers = np.array([r.tier for r in retailers], dtype=float)
    keys = rng.choice(
        len(retailers),
        size=round(0.03 * len(retailers)),
        replace=False,
        p=tiers**2 / np.sum(tiers**2),
    )
    for k in keys.tolist():
        retailers[k].key_retailer = True
    retailers.sort(key=lambda r: r.licence_no)
    return retailers


def place_retailers(
    rng: np.random.Generator,
    counties: dict[str, Polygon | MultiPolygon],
    places: list[Place],
    grids: dict[str, Grid],
    network: RoadNetwork,
    roads: list[RoadEdge],
    schools: list[School],
) -> list[Spot]:
    """Spots for every county's retailers: 40% in the seat, 35% in towns, the rest in villages."""
    projected = counties_xy(counties)
    inner = {code: g.buffer(-COUNTY_MARGIN) for code, g in projected.items()}
    for geom in inner.values():
        shapely.prepare(geom)
    school_tree = cKDTree(np.array([s.xy for s in schools]))
    planted = school_violators(rng, schools, grids)
    spots: list[Spot] = []
    for spec in COUNTIES:
        own = [p for p in places if p.county == spec.code]
        seat_n = round(0.40 * spec.retailers)
        towns = [p for p in own if p.kind == "town"]
        shares = rng.uniform(0.6, 1.4, size=len(towns))
        town_total = round(0.35 * spec.retailers)
        town_n = np.floor(shares / shares.sum() * town_total).astype(int)
        town_n[: town_total - int(town_n.sum())] += 1
        quotas = {own[0].name: seat_n} if own[0].kind == "seat" else {}
        quotas.update({p.name: int(n) for p, n in zip(towns, town_n.tolist(), strict=True)})
        for place in own:
            mine = [s for s in planted if s.town == place.name and s.county == spec.code]
            spots.extend(mine)
            spots.extend(
                street_spots(
                    rng, grids[place.name], quotas[place.name] - len(mine), school_tree, inner
                )
            )
        county_roads = [r for r in roads if spec.code in (r.a.county, r.b.county)]
        village_n = spec.retailers - seat_n - town_total
        spots.extend(
            village_spots(rng, spec, village_n, network, county_roads, places, inner, projected)
        )
    return spots


# --------------------------------------------------------------------------- checkpoints


@dataclass(eq=False)
class Crossing:
    """Where a road crosses a county border (or leaves the region)."""

    highway: str
    name: str
    ref: str
    inside: str | None
    outside: str | None
    xy: np.ndarray
    toward_inside: np.ndarray
    toward_outside: np.ndarray


def find_crossings(network: RoadNetwork, projected: dict[str, shapely.Geometry]) -> list[Crossing]:
    """Every point where a non-residential road crosses a county border (or the region's edge).

    The two carriageways of a motorway count once.
    """
    all_xy = to_xy(np.array(network.lonlat))
    where = county_at(all_xy, projected)
    found: list[Crossing] = []
    for nodes, tags in network.ways:
        if tags["highway"] not in HIGHWAY_RANK:
            continue
        for a, b in itertools.pairwise(nodes):
            ca, cb = where[a - 1], where[b - 1]
            if ca == cb:
                continue
            pa, pb = all_xy[a - 1], all_xy[b - 1]
            border = projected[ca if ca is not None else str(cb)].boundary
            meet = LineString([pa, pb]).intersection(border)
            points = [
                np.array(p.coords[0]) for p in getattr(meet, "geoms", [meet]) if not p.is_empty
            ]
            if not points:
                continue
            xy = min(points, key=lambda p: float(np.hypot(*(p - pa))))
            duplicate = any(
                c.name == tags.get("name", "")
                and {c.inside, c.outside} == {ca, cb}
                and float(np.hypot(*(c.xy - xy))) < 1500.0
                for c in found
            )
            if not duplicate:
                found.append(
                    Crossing(
                        tags["highway"],
                        tags.get("name", ""),
                        tags.get("ref", ""),
                        ca,
                        cb,
                        xy,
                        pa,
                        pb,
                    )
                )
    return found


def _border_label(first: CountySpec, second: CountySpec | None, offset: np.ndarray) -> str:
    """The border's usual name.

    晋冀界 between provinces, 天镇阳高界 between counties, 丰镇北界 at the region's edge.
    """
    if second is None:
        x, y = float(offset[0]), float(offset[1])
        direction = ("东" if x > 0 else "西") if abs(x) > abs(y) else ("北" if y > 0 else "南")
        return f"{first.short}{direction}界"
    if first.province != second.province:
        return f"{first.province_abbr}{second.province_abbr}界"
    return f"{first.short}{second.short}界"


@dataclass(eq=False)
class Checkpoint:
    """A checkpoint as written to ``checkpoints.csv`` (position in metres)."""

    name: str
    kind: CheckpointKind
    county: str
    xy: np.ndarray


def seat_grid(grids: dict[str, Grid], code: str) -> Grid:
    """The street grid of a county's seat."""
    return next(g for g in grids.values() if g.place.kind == "seat" and g.place.county == code)


def build_checkpoints(
    rng: np.random.Generator,
    network: RoadNetwork,
    counties: dict[str, Polygon | MultiPolygon],
    grids: dict[str, Grid],
    interchanges: list[tuple[str, int, str]],
) -> tuple[list[Checkpoint], list[Crossing], list[Crossing]]:
    """Checkpoints on most major border crossings, two exits, logistics hubs and a station.

    Returns the checkpoint rows, and the internal border crossings covered and not covered.
    """
    projected = counties_xy(counties)
    crossings = find_crossings(network, projected)
    internal = [c for c in crossings if c.inside is not None and c.outside is not None]
    edge = [c for c in crossings if c.inside is None or c.outside is None]

    def province_border(c: Crossing) -> bool:
        """Whether the crossing is between two provinces."""
        return SPEC_BY_CODE[str(c.inside)].province != SPEC_BY_CODE[str(c.outside)].province

    internal.sort(
        key=lambda c: (
            HIGHWAY_RANK[c.highway],
            not province_border(c),
            c.name,
            round(float(c.xy[0]), 1),
        )
    )
    # at most one checkpoint per road and border; major roads first, then minor roads
    # across province borders, up to fifteen; the rest stay open (smuggling paths)
    chosen: list[Crossing] = []
    groups: set[tuple[str, frozenset[str | None]]] = set()
    for crossing in internal:
        group = (crossing.name, frozenset((crossing.inside, crossing.outside)))
        # motorways are only watched at province toll stations; you cannot stop elsewhere
        major = HIGHWAY_RANK[crossing.highway] <= HIGHWAY_RANK["primary"] and (
            crossing.highway != "motorway" or province_border(crossing)
        )
        minor = crossing.highway != "motorway" and province_border(crossing)
        if group in groups or not (major or (minor and len(chosen) < 15)):
            continue
        groups.add(group)
        chosen.append(crossing)
    major_edge = [c for c in edge if c.highway in ("motorway", "trunk")][:3]

    rows: list[Checkpoint] = []
    for crossing in chosen + major_edge:
        sides = [s for s in (crossing.inside, crossing.outside) if s is not None]
        side = sides[int(rng.integers(len(sides)))]
        toward = crossing.toward_inside if side == crossing.inside else crossing.toward_outside
        part = float(np.hypot(*(toward - crossing.xy)))
        step = min(float(rng.uniform(60.0, 180.0)), 0.5 * part)
        xy = crossing.xy + (toward - crossing.xy) / max(part, 1e-9) * step
        code = county_at(xy[None, :], projected)[0]
        if code is None:
            continue
        other = crossing.outside if side == crossing.inside else crossing.inside
        seat = to_xy(np.array([SPEC_BY_CODE[code].seat]))[0]
        label = _border_label(SPEC_BY_CODE[code], SPEC_BY_CODE[other] if other else None, xy - seat)
        road = f"{crossing.ref}{crossing.name}" if crossing.highway == "motorway" else crossing.name
        if crossing.highway == "motorway":
            kind, name = CheckpointKind.TOLL_STATION, f"{road}{label}收费站"
        else:
            kind, name = CheckpointKind.NATIONAL_ROAD, f"{road}{label}卡点"
        rows.append(Checkpoint(name, kind, code, xy))
    covered = [c for c in internal if any(float(np.hypot(*(r.xy - c.xy))) < 1000.0 for r in rows)]
    uncovered = [c for c in internal if all(c is not k for k in covered)]
    for code, toll, label in [
        interchanges[k] for k in sorted(rng.permutation(len(interchanges))[:2].tolist())
    ]:
        name = f"{label}{SPEC_BY_CODE[code].short}出口"
        rows.append(Checkpoint(name, CheckpointKind.HIGHWAY_EXIT, code, network.node_xy(toll)))
    town = next(g for g in grids.values() if g.place.kind == "town" and g.place.county == "140222")
    hubs = [
        (seat_grid(grids, "150981"), "快递物流园"),
        (seat_grid(grids, "130728"), "邮政快递分拣中心"),
        (town, "快递服务站"),
    ]
    for grid, suffix in hubs:
        code = str(grid.place.county)
        where = "" if grid.place.kind == "seat" else grid.place.name
        name = f"{SPEC_BY_CODE[code].name}{where}{suffix}"
        xy = _outside_grid(grid, rng, 90.0)
        rows.append(Checkpoint(name, CheckpointKind.LOGISTICS_HUB, code, xy))
    xy = _outside_grid(seat_grid(grids, "150981"), rng, 150.0)
    rows.append(Checkpoint("丰镇站", CheckpointKind.RAIL_STATION, "150981", xy))
    names = Counter(r.name for r in rows)
    seen: Counter[str] = Counter()
    for row in rows:
        if names[row.name] > 1:
            seen[row.name] += 1
            row.name = f"{row.name}{seen[row.name]}号"
    return rows, covered, uncovered


def _outside_grid(grid: Grid, rng: np.random.Generator, offset: float) -> np.ndarray:
    """A point just outside a random outer-ring node of a grid, away from the centre."""
    ring = grid.boundary_nodes()
    i, j = ring[int(rng.integers(len(ring)))]
    node = grid.xy[i, j]
    away = (node - grid.place.xy) / float(np.hypot(*(node - grid.place.xy)))
    return node + offset * away


# --------------------------------------------------------------------------- logistics and staff


@dataclass(eq=False)
class Depot:
    """A logistics centre as written to ``depots.csv`` (position in metres)."""

    code: str
    name: str
    county: str
    xy: np.ndarray
    opens: str
    closes: str


@dataclass
class Vehicle:
    """A delivery van: one row of ``vehicles.csv``."""

    plate: str
    depot_code: str
    capacity_cartons: int
    shift_start: str
    shift_end: str


@dataclass
class StaffMember:
    """A bureau staff member: one row of ``staff.csv``."""

    staff_no: str
    name: str
    role: str
    county_code: str
    phone: str
    capacity: int


def build_depots(
    rng: np.random.Generator,
    grids: dict[str, Grid],
    network: RoadNetwork,
    interchanges: list[tuple[str, int, str]],
) -> list[Depot]:
    """One logistics centre per county, on the edge of the seat toward its motorway exit."""
    depots = []
    for spec in COUNTIES:
        grid = seat_grid(grids, spec.code)
        tolls = [network.node_xy(toll) for code, toll, _ in interchanges if code == spec.code]
        target = tolls[0] if tolls else grid.place.xy + rng.normal(0.0, 1000.0, size=2)
        node = network.node_xy(grid.nearest_boundary(target))
        away = (node - grid.place.xy) / float(np.hypot(*(node - grid.place.xy)))
        depots.append(
            Depot(
                code=f"D{spec.code}",
                name=f"{spec.name}卷烟物流配送中心",
                county=spec.code,
                xy=node + 120.0 * away,
                opens=pick(rng, ("06:30", "07:00")),
                closes=pick(rng, ("18:00", "18:30")),
            )
        )
    return depots


def build_vehicles(
    rng: np.random.Generator, depots: list[Depot], peak: dict[str, int]
) -> list[Vehicle]:
    """Three to five vans per depot whose capacity covers the busiest day with 15% to spare."""
    levels = [800, 1000, 1200, 1500, 1800, 2000]
    used: set[str] = set()
    vehicles = []
    for depot in depots:
        code = depot.county
        caps = [int(c) for c in rng.choice(levels, size=int(rng.integers(3, 6)))]
        while sum(caps) < 1.15 * peak[code]:
            if len(caps) < 5:
                caps.append(int(rng.choice(levels)))
            elif min(caps) < levels[-1]:
                smallest = caps.index(min(caps))
                caps[smallest] = levels[levels.index(caps[smallest]) + 1]
            else:
                msg = f"five vans cannot carry {peak[code]} cartons in {code}"
                raise RuntimeError(msg)
        for cap in caps:
            while True:
                head = PLATE_LETTERS[int(rng.integers(len(PLATE_LETTERS)))]
                if rng.random() < 0.7:
                    tail = f"{int(rng.integers(0, 10000)):04d}"
                else:
                    tail = (
                        PLATE_LETTERS[int(rng.integers(len(PLATE_LETTERS)))]
                        + f"{int(rng.integers(0, 1000)):03d}"
                    )
                plate = SPEC_BY_CODE[code].plate_prefix + head + tail
                if plate not in used:
                    used.add(plate)
                    break
            vehicles.append(
                Vehicle(
                    plate=plate,
                    depot_code=depot.code,
                    capacity_cartons=cap,
                    shift_start=pick(rng, ("07:00", "07:30", "08:00")),
                    shift_end=pick(rng, ("16:30", "17:00", "17:30", "18:00")),
                )
            )
    return vehicles


def build_staff(
    rng: np.random.Generator, phones: set[str], retailers: Sequence[Retailer]
) -> list[StaffMember]:
    """Per county and role, one person per grid the demo designs plus up to two spares.

    The demo designs ``max(DEMO_MIN_GRIDS, active retailers / DEMO_RETAILERS_PER_GRID)``
    grids per county (三员网格化: each grid gets an officer, an account manager and a
    deliverer); capacities of 1,800-2,700 visit minutes a week cover a grid's workload.
    """
    letters = {
        StaffRole.MONOPOLY_OFFICER: "M",
        StaffRole.ACCOUNT_MANAGER: "A",
        StaffRole.DELIVERER: "D",
    }
    active = Counter(r.county for r in retailers if r.status == "active")
    staff = []
    for spec in COUNTIES:
        grids = max(DEMO_MIN_GRIDS, round(active[spec.code] / DEMO_RETAILERS_PER_GRID))
        for role, letter in letters.items():
            for k in range(grids + int(rng.integers(0, 3))):
                staff.append(
                    StaffMember(
                        staff_no=f"{spec.code}-{letter}{k + 1:02d}",
                        name=person_name(rng),
                        role=role.value,
                        county_code=spec.code,
                        phone=mobile_number(rng, phones),
                        capacity=int(rng.choice([1800, 2100, 2400, 2400, 2400, 2700])),
                    )
                )
    return staff


# --------------------------------------------------------------------------- orders


def delivery_days(
    rng: np.random.Generator, retailers: list[Retailer], places: list[Place]
) -> list[int]:
    """Each retailer's fixed order weekday (0 = Monday): by town, the seat split in five sectors."""
    seats = {p.county: p for p in places if p.kind == "seat"}
    days = [0] * len(retailers)
    for spec in COUNTIES:
        mine = [k for k, r in enumerate(retailers) if r.county == spec.code]
        seat = seats[spec.code]
        load = np.zeros(5)
        town_counts = Counter(
            retailers[k].spot.town for k in mine if retailers[k].spot.town != seat.name
        )
        town_day: dict[str, int] = {}
        seat_count = sum(1 for k in mine if retailers[k].spot.town == seat.name)
        load += seat_count / 5
        for town, count in sorted(town_counts.items(), key=lambda kv: (-kv[1], kv[0])):
            town_day[town] = int(np.argmin(load))
            load[town_day[town]] += count
        rotation = float(rng.uniform(0, 2 * math.pi))
        for k in mine:
            spot = retailers[k].spot
            if spot.town == seat.name:
                angle = math.atan2(*(spot.xy - seat.xy)[::-1]) + rotation
                day = int((angle % (2 * math.pi)) / (2 * math.pi) * 5)
            else:
                day = town_day[spot.town]
            days[k] = day if rng.random() < 0.9 else int(rng.integers(5))
    return days


def province_border_distance(
    retailers: list[Retailer], counties: dict[str, Polygon | MultiPolygon]
) -> np.ndarray:
    """Metres from each retailer to the nearest county of another province."""
    projected = {code: geometry_to_xy(g) for code, g in counties.items()}
    out = np.empty(len(retailers))
    for k, r in enumerate(retailers):
        province = SPEC_BY_CODE[r.county].province
        point = Point(r.spot.xy)
        out[k] = min(
            g.distance(point)
            for code, g in projected.items()
            if SPEC_BY_CODE[code].province != province
        )
    return out


def build_orders(
    rng: np.random.Generator,
    retailers: list[Retailer],
    places: list[Place],
    counties: dict[str, Polygon | MultiPolygon],
) -> tuple[list[tuple[str, str, int]], list[Retailer]]:
    """A week of orders, cartons growing with tier, and outflow suspects near province borders.

    Returns the order rows and the planted suspects.
    """
    days = delivery_days(rng, retailers, places)
    near = province_border_distance(retailers, counties)
    pool = [
        k
        for k, r in enumerate(retailers)
        if r.status == "active" and 3 <= r.tier <= 9 and near[k] < 3000.0 and r.spot.area != "seat"
    ]
    suspects = sorted(rng.choice(pool, size=min(8, len(pool)), replace=False).tolist())
    if len(suspects) < 5:
        msg = "too few retailers near province borders for outflow suspects"
        raise RuntimeError(msg)
    rows = []
    for k, retailer in enumerate(retailers):
        if retailer.status != "active":
            continue
        if k in suspects:
            cartons = int(rng.integers(42, 61))
        elif rng.random() < 0.92:
            mean = 1.5 + 1.55 * retailer.tier
            cartons = int(np.clip(round(mean * math.exp(float(rng.normal(0.0, 0.25)))), 1, 60))
        else:
            continue
        rows.append((retailer.licence_no, ORDER_DATES[days[k]], cartons))
    rows.sort(key=lambda row: (row[1], row[0]))
    return rows, [retailers[k] for k in suspects]


# --------------------------------------------------------------------------- writers


def _fmt(value: float) -> str:
    """A coordinate with exactly 7 decimals."""
    return f"{value:.7f}"


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """UTF-8 CSV with ``\\n`` line ends."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_feature_collection(
    path: Path, features: list[tuple[dict[str, object], shapely.Geometry]]
) -> None:
    """GeoJSON (RFC 7946, WGS-84), one feature per line, rings counter-clockwise outside."""
    lines = []
    for properties, geometry in features:
        feature = {
            "type": "Feature",
            "properties": properties,
            "geometry": shapely.geometry.mapping(geometry),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def write_osm(path: Path, network: RoadNetwork) -> None:
    """OSM XML 0.6: nodes (ids from 1), then ways (ids from 1,000,001) with their tags."""
    lons = [lon for lon, _ in network.lonlat]
    lats = [lat for _, lat in network.lonlat]
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="gridmgmt data/generate_demo.py">',
        f'  <bounds minlat="{_fmt(min(lats))}" minlon="{_fmt(min(lons))}" '
        f'maxlat="{_fmt(max(lats))}" maxlon="{_fmt(max(lons))}"/>',
    ]
    for node, (lon, lat) in enumerate(network.lonlat, start=1):
        out.append(f'  <node id="{node}" version="1" lat="{_fmt(lat)}" lon="{_fmt(lon)}"/>')
    for index, (nodes, tags) in enumerate(network.ways):
        out.append(f'  <way id="{1_000_001 + index}" version="1">')
        out.extend(f'    <nd ref="{node}"/>' for node in nodes)
        out.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        out.append("  </way>")
    out.append("</osm>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _lonlat(xy: np.ndarray) -> tuple[float, float]:
    """One local-metre point as ``(lon, lat)``."""
    lon, lat = to_lonlat(xy)[0]
    return float(lon), float(lat)


def write_all(out: Path, demo: Demo) -> None:
    """Write every file of the demo region into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_feature_collection(
        out / "counties.geojson",
        [
            (
                {
                    "code": s.code,
                    "name": s.name,
                    "province": s.province,
                    "province_code": s.province_code,
                    "city": s.city,
                },
                demo.counties[s.code],
            )
            for s in sorted(COUNTIES, key=lambda s: s.code)
        ],
    )
    write_csv(
        out / "retailers.csv",
        [
            "licence_no",
            "name",
            "address",
            "county_code",
            "lon",
            "lat",
            "tier",
            "business_type",
            "status",
            "key_retailer",
            "phone",
        ],
        [
            (
                r.licence_no,
                r.name,
                r.address,
                r.county,
                _fmt(r.lonlat_gcj[0]),
                _fmt(r.lonlat_gcj[1]),
                r.tier,
                r.business_type.value,
                r.status,
                "true" if r.key_retailer else "false",
                r.phone,
            )
            for r in demo.retailers
        ],
    )
    write_csv(
        out / "schools.csv",
        ["name", "kind", "county_code", "lon", "lat"],
        [(s.name, s.kind.value, s.county, *map(_fmt, _lonlat(s.xy))) for s in demo.schools],
    )
    write_feature_collection(
        out / "schools_campus.geojson",
        [
            (
                {"name": s.name, "kind": s.kind.value, "county_code": s.county},
                orient(geometry_to_lonlat(s.campus), sign=1.0),
            )
            for s in demo.schools
            if s.campus is not None
        ],
    )
    write_csv(
        out / "checkpoints.csv",
        ["name", "kind", "county_code", "lon", "lat"],
        [(c.name, c.kind.value, c.county, *map(_fmt, _lonlat(c.xy))) for c in demo.checkpoints],
    )
    write_csv(
        out / "depots.csv",
        ["code", "name", "county_code", "lon", "lat", "opens", "closes"],
        [
            (d.code, d.name, d.county, *map(_fmt, _lonlat(d.xy)), d.opens, d.closes)
            for d in demo.depots
        ],
    )
    write_csv(
        out / "vehicles.csv",
        [f.name for f in dataclasses.fields(Vehicle)],
        [dataclasses.astuple(v) for v in demo.vehicles],
    )
    write_csv(out / "orders.csv", ["licence_no", "date", "cartons"], demo.orders)
    write_csv(
        out / "staff.csv",
        [f.name for f in dataclasses.fields(StaffMember)],
        [dataclasses.astuple(s) for s in demo.staff],
    )
    write_osm(out / "roads.osm", demo.network)
    (out / "README.md").write_text(readme(demo), encoding="utf-8")


# --------------------------------------------------------------------------- README


def _geod_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic metres between rows of lon/lat arrays (WGS-84 ellipsoid)."""
    _, _, dist = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(dist)


def _red_line_counts(demo: Demo) -> tuple[int, int]:
    """Retailers within 50 m and within 100 m of a school point (geodesic, WGS-84)."""
    shops = np.array([_lonlat(r.spot.xy) for r in demo.retailers])
    schools = np.array([_lonlat(s.xy) for s in demo.schools])
    tree = cKDTree(to_xy(schools))
    nearest = tree.query(to_xy(shops))[1]
    dist = _geod_distances(shops, schools[nearest])
    return int(np.sum(dist <= 50.0)), int(np.sum(dist <= 100.0))


def vocabularies() -> str:
    """The allowed values of every categorical field, as a Markdown list."""
    lines = []
    for enum in (RetailerStatus, BusinessType, SchoolKind, CheckpointKind, StaffRole):
        values = ", ".join(f"{m.value} ({label_zh(m)})" for m in enum)
        lines.append(f"- `{enum.__name__}`: {values}")
    return "\n".join(lines)


def readme(demo: Demo) -> str:
    """The README of the demo folder, with the figures of this very run."""
    geod = Geod(ellps="WGS84")
    per_county = Counter(r.county for r in demo.retailers)
    towns = Counter(p.county for p in demo.places if p.kind == "town")
    schools = Counter(s.county for s in demo.schools)
    county_rows = []
    for spec in COUNTIES:
        area = abs(geod.geometry_area_perimeter(demo.counties[spec.code])[0]) / 1e6
        county_rows.append(
            f"| {spec.code} | {spec.name} | {spec.city} | {spec.province} ({spec.province_code}) | "
            f"{area:,.0f} | {spec.seat_town} + {towns[spec.code]} | {per_county[spec.code]:,} | "
            f"{schools[spec.code]} |"
        )
    exclave = demo.counties[EXCLAVE_GUEST]
    exclave_km2 = (
        abs(geod.geometry_area_perimeter(exclave.geoms[-1])[0]) / 1e6
        if isinstance(exclave, MultiPolygon)
        else 0.0
    )
    within_50, within_100 = _red_line_counts(demo)
    statuses = Counter(r.status for r in demo.retailers)
    tiers = np.array([r.tier for r in demo.retailers])
    highways = Counter(tags["highway"] for _, tags in demo.network.ways)
    dates = Counter(d for _, d, _ in demo.orders)
    suspects = "\n".join(
        f"  | {r.licence_no} | {r.name} | {r.tier} | "
        f"{next(c for lic, _, c in demo.orders if lic == r.licence_no)} |"
        for r in demo.suspects
    )
    uncovered = "\n".join(
        f"  - {c.name or c.highway} ({c.highway}): {SPEC_BY_CODE[str(c.inside)].name} / "
        f"{SPEC_BY_CODE[str(c.outside)].name}"
        for c in demo.uncovered
    )
    vehicles = Counter(v.depot_code for v in demo.vehicles)
    return README_TEMPLATE.format(
        seed=demo.seed,
        county_rows="\n".join(county_rows),
        exclave_km2=exclave_km2,
        guest=SPEC_BY_CODE[EXCLAVE_GUEST].name,
        host=SPEC_BY_CODE[EXCLAVE_HOST].name,
        retailers=len(demo.retailers),
        active=statuses["active"],
        suspended=statuses["suspended"],
        closed=statuses["closed"],
        keys=sum(r.key_retailer for r in demo.retailers),
        tier_median=int(np.median(tiers)),
        tier_over_25=int(np.sum(tiers > 25)),
        schools=len(demo.schools),
        campuses=sum(s.campus is not None for s in demo.schools),
        within_50=within_50,
        within_100=within_100,
        checkpoints=len(demo.checkpoints),
        crossings=len(demo.covered) + len(demo.uncovered),
        covered=len(demo.covered),
        uncovered_n=len(demo.uncovered),
        uncovered=uncovered,
        vehicles=len(demo.vehicles),
        vehicles_min=min(vehicles.values()),
        vehicles_max=max(vehicles.values()),
        staff=len(demo.staff),
        orders=len(demo.orders),
        per_day=", ".join(f"{d[5:]} {dates[d]:,}" for d in ORDER_DATES),
        cartons=sum(c for _, _, c in demo.orders),
        suspects=suspects,
        vocabularies=vocabularies(),
        nodes=len(demo.network.lonlat),
        ways=len(demo.network.ways),
        highways=", ".join(f"{k} {v}" for k, v in sorted(highways.items(), key=lambda kv: -kv[1])),
    )


README_TEMPLATE = """\
# Demo region

Six adjacent counties in three provinces, modelled on the Ulanqab-Datong-Zhangjiakou border
triangle ("毗邻地区"). **Everything here is synthetic**: the county codes, names and towns are
real, the shapes, positions, roads, retailers, people and numbers are made up, placed roughly
where the real places are.

Generated by `data/generate_demo.py` with seed {seed}; do not edit by hand, regenerate:

    uv run python data/generate_demo.py --out data/demo --seed {seed}

The same seed gives byte-identical files (this README included).

## Coordinates

| file | CRS |
|---|---|
| `retailers.csv` | **GCJ-02** (as collected on AutoNavi/Amap), lon/lat degrees |
| every other file | WGS-84 (EPSG:4326), lon/lat degrees |

Coordinates have 7 decimals (about 1 cm). The retailers were placed in WGS-84 and shifted with
the forward formula of `prcoords` (`wgs_gcj((lat, lon))`, about 600 m here); convert them back
with `prcoords.gcj_wgs_bored` (or an equivalent) before any spatial work. There is deliberately
no WGS-84 copy of the retailers: one truth per dataset.

## The counties

| code | name | city | province | area km² | seat + towns | retailers | schools |
|---|---|---|---|---|---|---|---|
{county_rows}

The six polygons tile the region exactly: shared borders use identical vertices on both sides,
so pairwise intersections have zero area and the union is one polygon without holes. Each
province (its two counties) is contiguous. {guest} has a small exclave ({exclave_km2:.0f} km²)
inside {host}, so {guest} is a MultiPolygon and {host} a Polygon with a hole.

## Files and fields

### `counties.geojson`
GeoJSON FeatureCollection, one (Multi)Polygon feature per county.

| field | meaning |
|---|---|
| `code` | 6-digit administrative division code (province 2 + city 2 + county 2) |
| `name` | county name in Chinese |
| `province` | province name in Chinese (内蒙古自治区, 山西省, 河北省) |
| `province_code` | 6-digit province code (150000, 140000, 130000) |
| `city` | prefecture-level city (乌兰察布市, 大同市, 张家口市) |

### `retailers.csv` (GCJ-02)
{retailers:,} licensed tobacco retailers: about 40% in each county seat, 35% in the townships
(5-9 per county) and the rest in villages strung along the roads between them. Every retailer
lies inside its county, at least 30 m from any county border.

| field | meaning |
|---|---|
| `licence_no` | tobacco retail licence number, 12 digits: county code + 6-digit serial; unique |
| `name` | shop name: county + township + shop, e.g. 兴和县城关镇张记便利店 |
| `address` | full Chinese address: province, city, county, township, street and number or village |
| `county_code` | code of the county that licensed it (the county it lies in) |
| `lon`, `lat` | GCJ-02 longitude and latitude |
| `tier` | tier 1-30 (档位), higher sells more; median {tier_median}, {tier_over_25} above 25 |
| `business_type` | business type (业态), a `BusinessType` value |
| `status` | a `RetailerStatus` value: active {active:,}, suspended {suspended}, closed {closed} |
| `key_retailer` | `true` for retailers under close supervision (重点零售户): {keys} |
| `phone` | 11-digit mobile, fixed line `AREA-LOCAL` (area 0474, 0352 or 0313), or empty |

### `schools.csv`
{schools} primary and secondary schools and kindergartens in the seats and townships.

| field | meaning |
|---|---|
| `name` | school name |
| `kind` | a `SchoolKind` value |
| `county_code` | county the school is in |
| `lon`, `lat` | WGS-84 position of the school (centre of its block) |

### `schools_campus.geojson`
Campus outlines (Polygon) for {campuses} of the schools; properties `name`, `kind`,
`county_code` as in `schools.csv` (join on `name`). The school point lies inside its campus.

### `checkpoints.csv`
{checkpoints} interception checkpoints (查堵卡点).

| field | meaning |
|---|---|
| `name` | checkpoint name, e.g. 110国道晋冀界卡点 |
| `kind` | a `CheckpointKind` value |
| `county_code` | county the checkpoint is in |
| `lon`, `lat` | WGS-84 position; border checkpoints sit on the road 0-180 m from the border |

Most are on roads where they cross a county or province border; two are motorway exits,
three are courier and logistics hubs and one is a railway station.

### `depots.csv`
One cigarette logistics centre (卷烟物流配送中心) per county, at the edge of the seat.

| field | meaning |
|---|---|
| `code` | depot code, `D` + county code |
| `name` | depot name |
| `county_code` | county it serves |
| `lon`, `lat` | WGS-84 position |
| `opens`, `closes` | opening hours, `HH:MM` |

### `vehicles.csv`
{vehicles} delivery vans, {vehicles_min}-{vehicles_max} per depot; each depot's vans together
carry its busiest day with room to spare.

| field | meaning |
|---|---|
| `plate` | 7 characters: province character, city letter, 5 letters or digits (蒙J, 晋B, 冀G) |
| `depot_code` | depot the van starts and ends at (`depots.csv` `code`) |
| `capacity_cartons` | capacity in cartons (条; 1 case 箱 = 50 cartons) |
| `shift_start`, `shift_end` | working hours, `HH:MM`, inside the depot's opening hours |

### `orders.csv`
{orders:,} orders ({cartons:,} cartons) for the week 2026-11-16 (Monday) to 2026-11-20 (Friday);
orders per day: {per_day}. Each active retailer has one fixed order weekday (by township; the
seat is split into five sectors) and most of them order this week; suspended and closed
retailers do not order.

| field | meaning |
|---|---|
| `licence_no` | the retailer (`retailers.csv` `licence_no`) |
| `date` | delivery date, ISO `YYYY-MM-DD` |
| `cartons` | cartons ordered, 1-60, growing with the retailer's tier |

### `staff.csv`
{staff} bureau staff (三员网格化): per county and role, one per grid the demo designs
(`max(20, active retailers / 45)`) plus up to two spares.

| field | meaning |
|---|---|
| `staff_no` | county code, `-`, role letter (M officer, A account manager, D deliverer), serial |
| `name` | name |
| `role` | a `StaffRole` value |
| `county_code` | county they work in |
| `phone` | 11-digit mobile number |
| `capacity` | workload capacity in visit minutes per week (e.g. 2400) |

### `roads.osm`
OSM XML 0.6 road network over the six counties and a little beyond: {nodes:,} nodes (ids from
1) and {ways:,} ways (ids from 1,000,001). Ways carry `highway` ({highways}), `name`, and
where relevant `ref` (G6, G55, G110, G208, S-roads), `oneway=yes` (motorway carriageways and
links, one one-way pair of streets in each seat) and `maxspeed` (km/h). A motorway has two
one-way carriageways that meet at the edge of the extract, and interchanges
(`motorway_link`) near the seats. Ways that meet share nodes; the directed network is strongly
connected. Every seat and township has a small street grid; county roads join them.

## Vocabularies

Categorical fields hold the English values of the enumerations in `gridmgmt/domain.py`
(`parse_enum` also reads the Chinese labels shown here in brackets):

{vocabularies}

## Planted facts

For tests, demos and benchmarks; all measured on this very data.

- **School red line.** {within_100} retailers lie within 100 m of a school point, {within_50}
  of them within 50 m (geodesic, after converting the retailers back to WGS-84). All other
  retailers are more than 100 m from every school.
- **Border crossings.** Non-residential roads cross the internal county borders at
  {crossings} places; {covered} have a checkpoint within 1 km and {uncovered_n} have none:
{uncovered}
- **Outflow suspects (真烟外流).** These low-tier retailers within 3 km of a province border
  order far more than their tier's norm (about 1.5 + 1.55 × tier cartons a week):

  | licence_no | name | tier | cartons |
  |---|---|---|---|
{suspects}

## `cases.json`: tobacco cases (涉烟案件)

400 cases opened in the six counties from 2021 to 2023, with 2,814 mentions of people, phones,
plates, waybills, addresses, licence numbers, bank accounts and companies. Made by
`data/generate_cases.py` from `gridmgmt.cases.synthetic`, which this generator runs last (it
reads `retailers.csv`, `checkpoints.csv` and `counties.geojson`); the same seed gives a
byte-identical file. To remake only the cases:

    uv run python data/generate_cases.py --out data/demo --seed 20261121

Import it with `gridmgmt import cases data/demo/cases.json`. `gridmgmt demo` imports it moved
in time (every case by the same number of days, the latest to the day before the demo runs,
case numbers unchanged; see `gridmgmt/demo/cases.py`) and writes that copy as
`demo-out/cases.json`. The file
is the JSON import form: a list of cases, each with

| field | meaning |
|---|---|
| `case_no` | case number (案件编号): county code, year, serial; unique |
| `county_code` | the county that opened the case |
| `opened_on` | date opened (立案日期), `YYYY-MM-DD` |
| `type` | counterfeit, smuggled, genuine_outflow, unlicensed_sale or courier_shipment |
| `status` | open, investigating, transferred or closed |
| `lon`, `lat` | WGS-84 place: the demo retailer the case names, else for most courier, smuggling and outflow cases a checkpoint of its county, else near a shop of its county |
| `seized_cartons`, `value_yuan` | cartons seized (条) and the value of the case (案值, yuan) |
| `summary` | where it was found and what (简要案情) |
| `entities` | what the case mentions: `kind`, `role` and `value`; a person has `name`, `id_number` and sometimes `phone` instead of `value` |

Planted: 8 networks of 3 to 9 cases, each spread over two or three counties and across the
province borders (a source from a producing province, drivers, sellers, a bank account, a
company and waybills shared between their cases); every other case stands on its own. Three
hub identifiers (a courier depot's landline, a market's address, a logistics company) appear
in 60 to 150 unrelated cases each and must not glue them together. Identifiers are noisy as
case files have them: 15-digit, mistyped, spaced or full-width ID numbers and some left out,
homophone names (张伟 / 张玮), +86, spaced and dashed phones, O/0 and I/1 slips in plates,
addresses with or without their province and county, full-width digits. Licence numbers are
those of demo retailers of the case's county.
"""


# --------------------------------------------------------------------------- main


@dataclass
class Demo:
    """Everything generated for one seed."""

    seed: int
    counties: dict[str, Polygon | MultiPolygon]
    places: list[Place]
    network: RoadNetwork
    schools: list[School]
    retailers: list[Retailer]
    checkpoints: list[Checkpoint]
    covered: list[Crossing]
    uncovered: list[Crossing]
    depots: list[Depot]
    vehicles: list[Vehicle]
    orders: list[tuple[str, str, int]]
    suspects: list[Retailer]
    staff: list[StaffMember]


def generate(seed: int) -> Demo:
    """Build the whole demo region from one seed."""
    rng = np.random.default_rng(seed)
    counties = build_counties(rng)
    check_counties(counties)
    motorways = motorway_paths(rng)
    seats = to_xy(np.array([spec.seat for spec in COUNTIES]))
    if min(LineString(m).distance(Point(s)) for m in motorways for s in seats) < 3000.0:
        msg = "a motorway runs through a county seat"
        raise RuntimeError(msg)
    places = place_towns(rng, counties, motorways) + place_gateways(counties)
    network, grids, roads, interchanges = build_roads(rng, places, motorways)
    referenced = {n for nodes, _ in network.ways for n in nodes}
    if len(referenced) != len(network.lonlat):
        msg = "some road nodes belong to no way"
        raise RuntimeError(msg)
    schools = place_schools(rng, places, grids)
    spots = place_retailers(rng, counties, places, grids, network, roads, schools)
    phones: set[str] = set()
    retailers = build_retailers(rng, spots, phones)
    checkpoints, covered, uncovered = build_checkpoints(rng, network, counties, grids, interchanges)
    depots = build_depots(rng, grids, network, interchanges)
    orders, suspects = build_orders(rng, retailers, places, counties)
    county_of = {r.licence_no: r.county for r in retailers}
    daily: Counter[tuple[str, str]] = Counter()
    for licence, date, cartons in orders:
        daily[(county_of[licence], date)] += cartons
    peak = {spec.code: max(daily[(spec.code, d)] for d in ORDER_DATES) for spec in COUNTIES}
    vehicles = build_vehicles(rng, depots, peak)
    staff = build_staff(rng, phones, retailers)
    return Demo(
        seed,
        counties,
        places,
        network,
        schools,
        retailers,
        checkpoints,
        covered,
        uncovered,
        depots,
        vehicles,
        orders,
        suspects,
        staff,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (data/demo)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed ({DEFAULT_SEED})"
    )
    args = parser.parse_args(argv)
    from generate_cases import write_demo_cases  # the sibling script: data/ is sys.path[0]

    demo = generate(args.seed)
    write_all(args.out, demo)
    write_demo_cases(args.out, args.seed)  # cases.json, placed at these retailers and checkpoints
    for path in sorted(args.out.iterdir()):
        print(f"{path.stat().st_size:>10,}  {path}")


if __name__ == "__main__":
    main()
