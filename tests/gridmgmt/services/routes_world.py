"""Delivery fixtures: a street-grid OSM file over a box, and depots, vehicles and orders.

Used with a world that already holds counties and retailers (the grids world, the API
world): :func:`seed_delivery` adds a depot with two vans to a county and orders for a
handful of its retailers on :data:`DAY`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import shapely
from sqlalchemy import select

from gridmgmt.store import db
from gridmgmt.store.models import Depot, Order, Retailer, Vehicle

DAY = dt.date(2026, 11, 16)  # a Monday


def write_grid_osm(path: Path, bounds: tuple[float, float, float, float], n: int = 9) -> Path:
    """An ``n`` x ``n`` grid of two-way residential streets covering ``bounds``."""
    minx, miny, maxx, maxy = bounds
    nodes, ways = [], []
    for i in range(n):
        for j in range(n):
            lon = minx + (maxx - minx) * j / (n - 1)
            lat = miny + (maxy - miny) * i / (n - 1)
            nodes.append(f'<node id="{i * n + j + 1}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    way_id = 1000
    for i in range(n):
        for line in ([i * n + j + 1 for j in range(n)], [j * n + i + 1 for j in range(n)]):
            refs = "".join(f'<nd ref="{r}"/>' for r in line)
            ways.append(f'<way id="{way_id}">{refs}<tag k="highway" v="residential"/></way>')
            way_id += 1
    body = "\n".join(nodes + ways)
    path.write_text(f'<?xml version="1.0"?>\n<osm version="0.6">\n{body}\n</osm>\n', "utf-8")
    return path


def seed_delivery(
    url: str, county: str, depot_code: str, lon: float, lat: float, *, n_orders: int = 8
) -> list[str]:
    """A depot with two vans in ``county`` and orders on :data:`DAY` (and the next day) for
    its first ``n_orders`` retailers; the licence numbers ordered."""
    with db.transaction(url) as session:
        depot = Depot(
            code=depot_code,
            name=f"配送中心{county}",
            county_code=county,
            location=shapely.Point(lon, lat),
            opens=dt.time(7, 0),
            closes=dt.time(19, 0),
        )
        session.add(depot)
        session.flush()
        for k, capacity in enumerate((300, 200)):
            session.add(
                Vehicle(
                    plate=f"{depot_code}V{k}",
                    depot_id=depot.id,
                    county_code=county,
                    capacity_cartons=capacity,
                    shift_start=dt.time(8, 0),
                    shift_end=dt.time(17, 0),
                )
            )
        stmt = (
            select(Retailer)
            .where(Retailer.county_code == county)
            .order_by(Retailer.licence_no)
            .limit(n_orders)
        )
        retailers = list(session.scalars(stmt))
        for k, r in enumerate(retailers):
            day = DAY if k % 4 else DAY + dt.timedelta(days=1)
            session.add(Order(retailer_id=r.id, county_code=county, order_date=day, cartons=20 + k))
        return [r.licence_no for r in retailers]
