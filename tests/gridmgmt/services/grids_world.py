"""A small world for the grid services: two counties side by side, retailers and staff.

* county A 150924 (Inner Mongolia): a 0.12 x 0.09 degree box (about 10 x 10 km) near
  114E 40.5N, with 160 retailers (a town in the south-west and countryside), a few of
  them suspended, closed or key retailers; three staff of each role with capacities.
* county B 140222 (Shanxi): the box east of it, with 40 retailers and one officer.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from gridmgmt.domain import BusinessType, RetailerStatus, StaffRole
from gridmgmt.store import db
from gridmgmt.store.models import County, Province, Retailer, Staff

A, B = "150924", "140222"
LON, LAT = 114.0, 40.5
WIDTH, HEIGHT = 0.12, 0.09
BOX_A = shapely.box(LON, LAT, LON + WIDTH, LAT + HEIGHT)
BOX_B = shapely.box(LON + WIDTH, LAT, LON + 2 * WIDTH, LAT + HEIGHT)
TYPES = list(BusinessType)


def _points(box: shapely.Polygon, n: int, rng: np.random.Generator, town: bool) -> np.ndarray:
    minx, miny, maxx, maxy = box.bounds
    xy = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    if town:
        k = n // 3
        centre = (minx + 0.25 * (maxx - minx), miny + 0.3 * (maxy - miny))
        xy[:k] = np.column_stack([rng.normal(centre[0], 0.006, k), rng.normal(centre[1], 0.005, k)])
    inside = shapely.contains_xy(box, xy[:, 0], xy[:, 1])
    return xy[inside]


def retailer(
    county: str, number: int, lon: float, lat: float, rng: np.random.Generator
) -> Retailer:
    """One retailer of a county at a WGS-84 location."""
    status = RetailerStatus.ACTIVE
    if number % 23 == 5:
        status = RetailerStatus.SUSPENDED
    elif number % 31 == 7:
        status = RetailerStatus.CLOSED
    return Retailer(
        licence_no=f"{county}{number:06d}",
        name=f"测试商店{number:03d}",
        county_code=county,
        tier=int(rng.integers(1, 31)),
        business_type=TYPES[number % len(TYPES)],
        status=status,
        key_retailer=number % 17 == 3,
        phone=None,
        location=shapely.Point(lon, lat),
    )


def seed_world(url: str) -> None:
    """Fill an empty, migrated database with the world."""
    rng = np.random.default_rng(11)
    with db.transaction(url) as session:
        session.add_all(
            [Province(code="150000", name="内蒙古自治区"), Province(code="140000", name="山西省")]
        )
        session.flush()
        session.add_all(
            [
                County(
                    code=A, name="兴和县", province_code="150000", boundary=MultiPolygon([BOX_A])
                ),
                County(
                    code=B, name="天镇县", province_code="140000", boundary=MultiPolygon([BOX_B])
                ),
            ]
        )
        session.flush()
        for county, box, n, town in ((A, BOX_A, 170, True), (B, BOX_B, 40, False)):
            xy = _points(box, n, rng, town)
            session.add_all(retailer(county, i, x, y, rng) for i, (x, y) in enumerate(xy))
        staff = [
            Staff(
                staff_no=f"{A}-{role.value[0].upper()}{i}",
                name=f"{role.value[:3]}{i}",
                role=role,
                county_code=A,
                phone=f"1390000{i:04d}",
                capacity=capacity,
            )
            for role in StaffRole
            for i, capacity in enumerate((2500.0, 2500.0, 2500.0))
        ]
        staff.append(
            Staff(
                staff_no=f"{B}-M0",
                name="officerB",
                role=StaffRole.MONOPOLY_OFFICER,
                county_code=B,
                capacity=5000.0,
            )
        )
        session.add_all(staff)
