"""A small hand-drawn world for the rule services, laid out in metres.

Two counties side by side in different provinces, drawn in CGCS2000 / 3-degree
Gauss-Kruger CM 114E (EPSG:4547, the plane the services choose here), stored in WGS-84:

* county A 150924 (Inner Mongolia) is x in [-20 km, 0], county B 140222 (Shanxi) is
  x in [0, 20 km], both y in [0, 20 km]; their shared edge x = 0 is a province border.
* school S1 (primary, A) at (-10000, 10040); school S2 (middle, B) at (6000, 5000).
* retailers: A_RED (-10000, 10000), 40 m from S1; A_NEAR (-10000, 9930), 70 m from A_RED
  and 110 m from S1; A_CLOSED (-10000, 10010), closed; A_BORDER (-500, 5000), 500 m from
  the border; A_KEY (-15000, 15000), a key retailer; 25 grocery fillers 300 m apart
  around (-18000..-16800, 2000..3200), one of which (OUTFLOW) orders 8 times the others;
  B_BORDER (500, 5000) and B_RED (6000, 5030), 30 m from S2.
* staff: four monopoly officers and an account manager in A, two officers in B.
* checkpoint CP_A (toll station, A) at (-100, 10000).

:func:`write_roads` writes a matching OSM file: a primary road crossing the border at
y = 10 km (covered by CP_A), an unclassified one at y = 15 km (uncovered), two
residential roads joining them, and a residential street at y = 10100 past S1 and A_RED.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyproj
from shapely.geometry import MultiPolygon, Point, Polygon

from gridmgmt.domain import BusinessType, CheckpointKind, RetailerStatus, SchoolKind, StaffRole
from gridmgmt.store import db
from gridmgmt.store.models import Checkpoint, County, Order, Province, Retailer, School, Staff

LOCAL = "EPSG:4547"
ORIGIN = (500_000.0, 4_485_000.0)  # 114E, about 40.5N
A, B = "150924", "140222"
A_RED, A_NEAR, A_CLOSED, A_BORDER, A_KEY = (f"15092400000{i}" for i in range(1, 6))
B_BORDER, B_RED = "140222000001", "140222000002"
FILLERS = [f"1509241000{i:02d}" for i in range(25)]
OUTFLOW = FILLERS[12]
ORDER_DAY = dt.date(2026, 11, 16)
A_OFFICERS = [f"{A}-M0{i}" for i in range(1, 5)]
B_OFFICERS = [f"{B}-M0{i}" for i in range(1, 3)]

_to_wgs84 = pyproj.Transformer.from_crs(LOCAL, "EPSG:4326", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS-84 longitude and latitude of a point given in metres from the origin."""
    lon, lat = _to_wgs84.transform(ORIGIN[0] + x, ORIGIN[1] + y)
    return float(lon), float(lat)


def point(x: float, y: float) -> Point:
    """A WGS-84 point given in metres from the origin."""
    return Point(*lonlat(x, y))


def _square(x0: float, x1: float) -> MultiPolygon:
    corners = [(x0, 0), (x1, 0), (x1, 20_000), (x0, 20_000)]
    return MultiPolygon([Polygon([lonlat(x, y) for x, y in corners])])


@dataclass(frozen=True)
class RetailerSpec:
    licence_no: str
    x: float
    y: float
    status: RetailerStatus = RetailerStatus.ACTIVE
    key: bool = False


def _retailers() -> list[RetailerSpec]:
    specs = [
        RetailerSpec(A_RED, -10_000, 10_000),
        RetailerSpec(A_NEAR, -10_000, 9_930),
        RetailerSpec(A_CLOSED, -10_000, 10_010, RetailerStatus.CLOSED),
        RetailerSpec(A_BORDER, -500, 5_000),
        RetailerSpec(A_KEY, -15_000, 15_000, key=True),
        RetailerSpec(B_BORDER, 500, 5_000),
        RetailerSpec(B_RED, 6_000, 5_030),
    ]
    specs += [
        RetailerSpec(licence, -18_000 + 300 * (i % 5), 2_000 + 300 * (i // 5))
        for i, licence in enumerate(FILLERS)
    ]
    return specs


def seed_world(url: str) -> None:
    """Fill an empty, migrated database with the world."""
    with db.transaction(url) as session:
        session.add_all(
            [Province(code="150000", name="内蒙古自治区"), Province(code="140000", name="山西省")]
        )
        session.flush()
        session.add_all(
            [
                County(code=A, name="兴和县", province_code="150000", boundary=_square(-20_000, 0)),
                County(code=B, name="天镇县", province_code="140000", boundary=_square(0, 20_000)),
            ]
        )
        session.flush()
        session.add_all(
            [
                School(
                    name="城关第一小学",
                    kind=SchoolKind.PRIMARY,
                    county_code=A,
                    location=point(-10_000, 10_040),
                ),
                School(
                    name="玉泉中学",
                    kind=SchoolKind.MIDDLE,
                    county_code=B,
                    location=point(6_000, 5_000),
                ),
                Checkpoint(
                    name="兴和收费站",
                    kind=CheckpointKind.TOLL_STATION,
                    county_code=A,
                    location=point(-100, 10_000),
                ),
            ]
        )
        retailers = {}
        for spec in _retailers():
            retailers[spec.licence_no] = Retailer(
                licence_no=spec.licence_no,
                name=f"测试商店{spec.licence_no[-3:]}",
                address="人民路1号",
                county_code=spec.licence_no[:6],
                tier=5,
                business_type=BusinessType.GROCERY,
                status=spec.status,
                key_retailer=spec.key,
                location=point(spec.x, spec.y),
            )
        session.add_all(retailers.values())
        staff = [(number, StaffRole.MONOPOLY_OFFICER, A) for number in A_OFFICERS]
        staff += [(f"{A}-A01", StaffRole.ACCOUNT_MANAGER, A)]
        staff += [(number, StaffRole.MONOPOLY_OFFICER, B) for number in B_OFFICERS]
        session.add_all(
            Staff(staff_no=number, name=f"职员{number[-3:]}", role=role, county_code=county)
            for number, role, county in staff
        )
        session.flush()
        session.add_all(
            Order(
                retailer_id=retailers[licence].id,
                county_code=A,
                order_date=ORDER_DAY,
                cartons=80 if licence == OUTFLOW else 10,
            )
            for licence in FILLERS
        )


_ROAD_NODES = {
    1: (-3_000, 10_000),
    2: (3_000, 10_000),
    3: (-3_000, 15_000),
    4: (3_000, 15_000),
    5: (-3_000, 10_100),
    6: (-10_200, 10_100),
}
_ROAD_WAYS = [
    (101, [1, 2], "primary"),
    (102, [3, 4], "unclassified"),
    (103, [1, 5, 3], "residential"),
    (104, [2, 4], "residential"),
    (105, [6, 5], "residential"),
]


def write_roads(path: Path) -> Path:
    """Write the world's road network as OSM XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for node, (x, y) in _ROAD_NODES.items():
        lon, lat = lonlat(x, y)
        lines.append(f'<node id="{node}" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    for way, nodes, highway in _ROAD_WAYS:
        lines.append(f'<way id="{way}">')
        lines += [f'<nd ref="{n}"/>' for n in nodes]
        lines.append(f'<tag k="highway" v="{highway}"/></way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
