"""A generated province for the scale-out benchmark, written as files and loaded through the
real import.

The province (a synthetic 山西省, codes 14xxxx) is a grid of irregular counties: a lattice of
jittered corners whose shared edges wiggle, so neighbours tile exactly. Each county gets
retailers (a county seat, a few towns and the countryside), its depots (one per county, the
largest counties a second one), vans sized for a day's orders, a week of orders (each active
retailer orders once, on one weekday), and the province's cases come from the case
generator (:func:`gridmgmt.cases.synthetic.generate_case_set`: planted networks, hubs and
noise), placed at retailers of their county. Roads are a street grid over the province
(a primary road every sixth line), fine enough that every retailer is within the router's
snapping distance.

Files (``--out``): ``counties.geojson``, ``depots.csv``, ``vehicles.csv``,
``retailers.csv``, ``orders.csv``, ``cases.json``, ``roads.osm``. They are imported in
dependency order with :func:`gridmgmt.services.imports.import_file` and
:func:`gridmgmt.services.cases.import_cases`, each file in one transaction, as
``gridmgmt import KIND FILE`` does.

Usage::

    uv run python bench/province_region.py --url postgresql+psycopg://... [--scale 0.1]
    uv run python bench/province_region.py --url ... --quick --out /tmp/province

Full size: 60 counties, 300,000 retailers, 100 depots, 100,000 cases with about 1,000,000
entity mentions. Prints one JSON line: the sizes and the seconds to generate and to import
each file.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry import Polygon, mapping

from gridmgmt.cases.model import Case, cases_to_json
from gridmgmt.cases.synthetic import generate_case_set
from gridmgmt.domain import BusinessType, RetailerStatus

PROVINCE: Final = "山西省"
PROVINCE_CODE: Final = "140000"
CITIES: Final = (
    "太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市",
    "晋中市", "运城市", "忻州市", "临汾市", "吕梁市",
)  # fmt: skip
NAME_FIRST: Final = "安平和兴丰阳宁定清泉河山长永广昌"
NAME_SECOND: Final = "城乡源水原林川台谷"
PLATE_LETTERS: Final = "ABCDEFHJKLM"
LON0, LAT0 = 110.6, 35.4
CELL_LON, CELL_LAT = 0.45, 0.35
"""A county's cell on the lattice (about 40 x 39 km)."""
ROAD_SPACING_LON, ROAD_SPACING_LAT = 0.017, 0.0135
"""The street grid's spacing (about 1.5 km): every point within the router's 1 km snap."""
WEEK: Final = tuple(dt.date(2026, 11, 16) + dt.timedelta(days=k) for k in range(5))
"""The order week, Monday to Friday."""
STOPS_PER_VAN: Final = 60
VAN_CAPACITY: Final = 1500


@dataclass(frozen=True)
class RegionSize:
    """How big the province is."""

    counties: int = 60
    retailers: int = 300_000
    depots: int = 100
    cases: int = 100_000
    mentions_per_case: float = 10.0
    order_share: float = 1.0
    """Share of active retailers ordering in the week (each once)."""

    def scaled(self, scale: float) -> RegionSize:
        """Every count times ``scale`` (at least 2 counties, 1 depot per 50 cases)."""
        return dataclasses.replace(
            self,
            counties=max(2, round(self.counties * scale)),
            retailers=max(100, round(self.retailers * scale)),
            depots=max(1, round(self.depots * scale)),
            cases=max(100, round(self.cases * scale)),
        )


QUICK: Final = RegionSize(counties=3, retailers=2_000, depots=2, cases=1_000, mentions_per_case=6)
"""The benchmark's quick mode: seconds, not minutes."""


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city: str
    row: int
    outline: Polygon
    seat: tuple[float, float]


# --- counties --------------------------------------------------------------------------------


def _lattice(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """Corner points (rows+1, cols+1, 2), jittered by up to a fifth of a cell."""
    j, i = np.meshgrid(np.arange(cols + 1), np.arange(rows + 1))
    corners = np.stack([LON0 + j * CELL_LON, LAT0 + i * CELL_LAT], axis=-1).astype(float)
    jitter = rng.uniform(-0.2, 0.2, corners.shape) * np.array([CELL_LON, CELL_LAT])
    return corners + jitter


def _edge(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Points from ``a`` to ``b`` wiggling sideways by up to a tenth of the edge."""
    t = np.linspace(0.0, 1.0, 6)
    along = a + np.outer(t, b - a)
    normal = np.array([-(b - a)[1], (b - a)[0]])
    offsets = rng.uniform(-0.1, 0.1, len(t))
    offsets[[0, -1]] = 0.0
    return along + np.outer(offsets, normal)


def build_counties(n: int, rng: np.random.Generator) -> list[County]:
    """``n`` counties on a lattice of ``ceil(sqrt(1.5 n))`` columns; the last row ragged."""
    cols = math.ceil(math.sqrt(1.5 * n))
    rows = math.ceil(n / cols)
    corners = _lattice(rows, cols, rng)
    across = {
        (i, j): _edge(corners[i, j], corners[i, j + 1], rng)
        for i in range(rows + 1)
        for j in range(cols)
    }
    up = {
        (i, j): _edge(corners[i, j], corners[i + 1, j], rng)
        for i in range(rows)
        for j in range(cols + 1)
    }
    counties = []
    for k in range(n):
        i, j = divmod(k, cols)
        ring = np.concatenate(
            [across[i, j], up[i, j + 1][1:], across[i + 1, j][::-1][1:], up[i, j][::-1][1:]]
        )
        outline = Polygon(np.round(ring, 6))
        if not outline.is_valid:
            msg = f"county {k} came out invalid; try another --seed"
            raise ValueError(msg)
        name = f"{NAME_FIRST[k % len(NAME_FIRST)]}{NAME_SECOND[k // len(NAME_FIRST)]}县"
        seat = _inside(outline, 1, rng, around=outline.centroid.coords[0], spread=0.05)[0]
        code = f"14{i + 1:02d}{j + 21:02d}"
        counties.append(County(code, name, CITIES[i % len(CITIES)], i, outline, tuple(seat)))
    return counties


def _inside(
    outline: Polygon,
    n: int,
    rng: np.random.Generator,
    *,
    around: tuple[float, float] | None = None,
    spread: float = 0.0,
) -> np.ndarray:
    """``n`` points inside ``outline``: uniform, or normal around a point (kept inside)."""
    minx, miny, maxx, maxy = outline.bounds
    inner = outline.buffer(-0.001)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        k = max(2 * (n - have), 16)
        if around is None:
            xy = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        else:
            xy = rng.normal(around, (spread, spread * 0.8), (k, 2))
        xy = xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
        found.append(xy)
        have += len(xy)
    return np.concatenate(found)[:n]


def write_counties(path: Path, counties: Sequence[County]) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": c.code,
                "name": c.name,
                "province": PROVINCE,
                "province_code": PROVINCE_CODE,
                "city": c.city,
            },
            "geometry": mapping(c.outline),
        }
        for c in counties
    ]
    collection = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


# --- retailers and orders --------------------------------------------------------------------


@dataclass(frozen=True)
class Shops:
    """One county's retailers: licence numbers, points and whether each is active."""

    county: County
    licences: list[str]
    xy: np.ndarray
    active: np.ndarray


def _county_shares(n: int, rng: np.random.Generator) -> np.ndarray:
    shares = rng.uniform(0.7, 1.3, n)
    return shares / shares.sum()


def place_shops(county: County, n: int, rng: np.random.Generator) -> np.ndarray:
    """A county seat (40%), three to five towns (25%), the countryside (the rest)."""
    n_seat, n_towns = round(0.4 * n), round(0.25 * n)
    parts = [_inside(county.outline, n_seat, rng, around=county.seat, spread=0.02)]
    towns = _inside(county.outline, int(rng.integers(3, 6)), rng)
    for k, town in enumerate(towns):
        size = n_towns // len(towns) + (k < n_towns % len(towns))
        parts.append(_inside(county.outline, size, rng, around=tuple(town), spread=0.01))
    parts.append(_inside(county.outline, n - n_seat - n_towns, rng))
    return np.concatenate(parts)


def write_retailers(
    path: Path, counties: Sequence[County], size: RegionSize, rng: np.random.Generator
) -> list[Shops]:
    types = list(BusinessType)
    counts = np.round(_county_shares(len(counties), rng) * size.retailers).astype(int)
    counts[-1] += size.retailers - counts.sum()
    all_shops = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                *("licence_no", "name", "address", "county_code", "lon", "lat", "tier"),
                *("business_type", "status", "key_retailer"),
            ]
        )
        for county, n in zip(counties, counts, strict=True):
            xy = place_shops(county, int(n), rng)
            roll = rng.random(len(xy))
            status = np.where(
                roll < 0.02,
                RetailerStatus.CLOSED.value,
                np.where(roll < 0.05, RetailerStatus.SUSPENDED.value, RetailerStatus.ACTIVE.value),
            )
            tiers = rng.integers(1, 31, len(xy))
            kinds = rng.integers(0, len(types), len(xy))
            licences = [f"{county.code}{k:06d}" for k in range(len(xy))]
            for k, licence in enumerate(licences):
                kind = types[kinds[k]]
                out.writerow(
                    [
                        licence,
                        f"{county.name}{kind.value}{k:05d}号店",
                        f"{PROVINCE}{county.city}{county.name}第{k % 97 + 1}街{k}号",
                        county.code,
                        f"{xy[k, 0]:.6f}",
                        f"{xy[k, 1]:.6f}",
                        int(tiers[k]),
                        kind.value,
                        status[k],
                        "true" if roll[k] > 0.95 else "false",
                    ]
                )
            active = status == RetailerStatus.ACTIVE.value
            all_shops.append(Shops(county, licences, xy, active))
    return all_shops


def write_orders(
    path: Path, shops: Sequence[Shops], size: RegionSize, rng: np.random.Generator
) -> dict[str, int]:
    """Each ordering retailer once in the week; the busiest day's orders per county."""
    busiest = {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["licence_no", "date", "cartons"])
        for county in shops:
            ordering = np.flatnonzero(
                county.active & (rng.random(len(county.active)) < size.order_share)
            )
            days = rng.integers(0, len(WEEK), len(ordering))
            cartons = rng.integers(5, 41, len(ordering))
            for index, day, amount in zip(ordering, days, cartons, strict=True):
                out.writerow([county.licences[index], WEEK[day].isoformat(), int(amount)])
            per_day = np.bincount(days, minlength=len(WEEK))
            busiest[county.county.code] = int(per_day.max(initial=0))
    return busiest


# --- depots and vans -------------------------------------------------------------------------


def depots_per_county(counties: Sequence[County], shops: Sequence[Shops], n: int) -> list[int]:
    """One depot per county while they last, then one more for the largest counties."""
    sizes = [len(s.licences) for s in shops]
    count = [0] * len(counties)
    order = sorted(range(len(counties)), key=lambda k: -sizes[k])
    for k in range(n):
        count[order[k % len(order)]] += 1
    return count


def write_depots(
    folder: Path,
    counties: Sequence[County],
    shops: Sequence[Shops],
    busiest: dict[str, int],
    n: int,
    rng: np.random.Generator,
) -> int:
    """``depots.csv`` and ``vehicles.csv``; the number of vans."""
    vans = 0
    with (
        (folder / "depots.csv").open("w", encoding="utf-8", newline="") as depot_file,
        (folder / "vehicles.csv").open("w", encoding="utf-8", newline="") as van_file,
    ):
        depots, vehicles = csv.writer(depot_file), csv.writer(van_file)
        depots.writerow(["code", "name", "county_code", "lon", "lat", "opens", "closes"])
        vehicles.writerow(["plate", "depot_code", "capacity_cartons", "shift_start", "shift_end"])
        number = 0
        for county, many in zip(counties, depots_per_county(counties, shops, n), strict=True):
            if not many:
                continue
            places = _inside(county.outline, many, rng, around=county.seat, spread=0.03)
            for k, (lon, lat) in enumerate(places):
                code = f"D{county.code}{k + 1}"
                name = f"{county.name}卷烟配送中心{'一二三四五'[k % 5]}"
                depots.writerow(
                    [code, name, county.code, f"{lon:.6f}", f"{lat:.6f}", "07:00", "18:00"]
                )
                number += 1
                letter = PLATE_LETTERS[county.row % len(PLATE_LETTERS)]
                for van in range(max(2, math.ceil(busiest.get(county.code, 0) / STOPS_PER_VAN))):
                    vehicles.writerow(
                        [f"晋{letter}{number:03d}{van:02d}", code, VAN_CAPACITY, "08:00", "18:00"]
                    )
                    vans += 1
    return vans


# --- cases -----------------------------------------------------------------------------------


def write_cases(path: Path, shops: Sequence[Shops], size: RegionSize, seed: int) -> tuple[int, int]:
    """The case set over the province, each case at a retailer of its county; the numbers
    of cases and mentions."""
    names = {s.county.code: s.county.name for s in shops}
    places = {s.county.code: s.xy for s in shops}
    synthetic = generate_case_set(
        n_cases=size.cases,
        n_networks=max(1, size.cases // 50),
        network_size=(3, 12),
        mentions_per_case=size.mentions_per_case,
        n_hubs=max(3, size.cases // 3_000),
        hub_cases=(min(150, size.cases // 10), min(600, size.cases // 4)),
        counties=names,
        seed=seed,
    )
    pick = random.Random(seed)

    def placed(case: Case) -> Case:
        xy = places[case.county_code]
        lon, lat = xy[pick.randrange(len(xy))]
        return dataclasses.replace(case, lon=round(float(lon), 6), lat=round(float(lat), 6))

    cases = [placed(case) for case in synthetic.cases]
    path.write_text(
        json.dumps(cases_to_json(cases, synthetic.mentions), ensure_ascii=False), encoding="utf-8"
    )
    return len(cases), len(synthetic.mentions)


# --- roads -----------------------------------------------------------------------------------


def _road_lines(bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = bounds
    lons = np.arange(minx - ROAD_SPACING_LON, maxx + 2 * ROAD_SPACING_LON, ROAD_SPACING_LON)
    lats = np.arange(miny - ROAD_SPACING_LAT, maxy + 2 * ROAD_SPACING_LAT, ROAD_SPACING_LAT)
    return lons, lats


def _osm_lines(lons: np.ndarray, lats: np.ndarray) -> Iterator[str]:
    cols = len(lons)
    for i, lat in enumerate(lats):
        for j, lon in enumerate(lons):
            yield f'<node id="{i * cols + j + 1}" lat="{lat:.6f}" lon="{lon:.6f}"/>'
    way = 10**9
    for i in range(len(lats)):
        refs = "".join(f'<nd ref="{i * cols + j + 1}"/>' for j in range(cols))
        kind = "primary" if i % 6 == 0 else "unclassified"
        way += 1
        yield f'<way id="{way}">{refs}<tag k="highway" v="{kind}"/></way>'
    for j in range(cols):
        refs = "".join(f'<nd ref="{i * cols + j + 1}"/>' for i in range(len(lats)))
        kind = "primary" if j % 6 == 0 else "unclassified"
        way += 1
        yield f'<way id="{way}">{refs}<tag k="highway" v="{kind}"/></way>'


def write_roads(path: Path, counties: Sequence[County]) -> int:
    """The street grid over the province as OSM XML; the number of nodes."""
    bounds = shapely.union_all([c.outline for c in counties]).bounds
    lons, lats = _road_lines(bounds)
    with path.open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
        for line in _osm_lines(lons, lats):
            handle.write(line + "\n")
        handle.write("</osm>\n")
    return len(lons) * len(lats)


# --- the whole region ------------------------------------------------------------------------

FILES: Final = (
    ("counties.geojson", "counties"),
    ("depots.csv", "depots"),
    ("vehicles.csv", "vehicles"),
    ("retailers.csv", "retailers"),
    ("orders.csv", "orders"),
)
"""The base-data files in import order (cases.json comes last, through the case import)."""


def generate(folder: Path, size: RegionSize, seed: int) -> dict[str, Any]:
    """Write the province's files into ``folder``; what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    counties = build_counties(size.counties, rng)
    write_counties(folder / "counties.geojson", counties)
    shops = write_retailers(folder / "retailers.csv", counties, size, rng)
    busiest = write_orders(folder / "orders.csv", shops, size, rng)
    vans = write_depots(folder, counties, shops, busiest, size.depots, rng)
    cases, mentions = write_cases(folder / "cases.json", shops, size, seed)
    nodes = write_roads(folder / "roads.osm", counties)
    return {
        "counties": len(counties),
        "retailers": sum(len(s.licences) for s in shops),
        "depots": size.depots,
        "vans": vans,
        "orders_busiest_county_day": max(busiest.values(), default=0),
        "cases": cases,
        "mentions": mentions,
        "road_nodes": nodes,
    }


def load(url: str, folder: Path) -> dict[str, float]:
    """Import the files of ``folder`` into the database at ``url`` (migrated first), each in
    one transaction through the real import; seconds per file."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases import import_cases
    from gridmgmt.services.imports import import_file
    from gridmgmt.store import db

    db.upgrade(url)
    seconds = {}
    for name, kind in FILES:
        started = time.perf_counter()
        with db.transaction(url) as session:
            import_file(session, SYSTEM, kind, folder / name)
        seconds[name] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    with db.transaction(url) as session:
        import_cases(session, SYSTEM, folder / "cases.json")
    seconds["cases.json"] = round(time.perf_counter() - started, 2)
    return seconds


def size_of(args: argparse.Namespace) -> RegionSize:
    """The size the options ask for: ``--quick``, else the full province times ``--scale``."""
    return QUICK if args.quick else RegionSize().scaled(args.scale)


def add_size_options(parser: argparse.ArgumentParser) -> None:
    """``--quick``, ``--scale`` and ``--seed``, shared with ``bench/province.py``."""
    parser.add_argument("--quick", action="store_true", help="3 counties, 2,000 retailers")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full province")
    parser.add_argument("--seed", type=int, default=20261205, help="random seed")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL to import into")
    parser.add_argument("--out", type=Path, required=True, help="folder for the files")
    add_size_options(parser)
    args = parser.parse_args(argv)
    size = size_of(args)
    started = time.perf_counter()
    written = generate(args.out, size, args.seed)
    generated = round(time.perf_counter() - started, 2)
    imported = load(args.url, args.out)
    figures = {"bench": "province_region", **written, "generate_s": generated, "import_s": imported}
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
