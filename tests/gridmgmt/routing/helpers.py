"""Named fixture data for the routing tests: a synthetic town, its depot and orders."""

from __future__ import annotations

from datetime import date

import numpy as np

from gridmgmt.routing.model import DepotSite, Order
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.vrp import PlanSettings

DAY = date(2022, 4, 2)
H = 3600


def make_orders(
    town: RoadNetwork, n: int, *, seed: int = 0, cartons: tuple[int, int] = (5, 60)
) -> list[Order]:
    """``n`` orders at random spots of the town, ids ``o000``, ``o001``, ..."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(town.lon.min(), town.lon.max(), n)
    lat = rng.uniform(town.lat.min(), town.lat.max(), n)
    sizes = rng.integers(*cartons, n)
    return [
        Order(f"o{i:03d}", f"r{i:03d}", float(lon[i]), float(lat[i]), int(sizes[i]))
        for i in range(n)
    ]


def make_depot(town: RoadNetwork, depot_id: str = "D1", corner: int = 0) -> DepotSite:
    """A depot at a corner of the town (0 south-west, 1 south-east, 2 north-east, 3 north-west)."""
    lon = town.lon.min() if corner in (0, 3) else town.lon.max()
    lat = town.lat.min() if corner in (0, 1) else town.lat.max()
    return DepotSite(depot_id, float(lon), float(lat), opens_s=7 * H, closes_s=18 * H)


SETTINGS = PlanSettings(time_limit_s=None, max_iterations=400, seed=1)
SERVICE = SETTINGS.service
