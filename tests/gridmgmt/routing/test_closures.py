from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from gridmgmt.routing.closures import (
    Closure,
    active_closures,
    apply_closures,
    closed_edges,
    closure_of_points,
    handoff_points,
    metric_geometry,
)
from gridmgmt.routing.matrix import MatrixCache, day_point_matrix
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.synthetic import perturbed_grid_network

DAY = date(2022, 4, 2)


@pytest.fixture(scope="module")
def grid() -> RoadNetwork:
    """A regular 9 x 9 street grid, 150 m blocks, all two-way."""
    return perturbed_grid_network(9, 9, jitter=0.0, drop_share=0.0, oneway_share=0.0, seed=0)


def _centre_box(grid: RoadNetwork, half_blocks: float) -> shapely.Polygon:
    """A lon/lat box around the grid's centre junction, ``half_blocks`` blocks each way."""
    lon_c, lat_c = float(np.median(grid.lon)), float(np.median(grid.lat))
    dlon = (grid.lon.max() - grid.lon.min()) / 8 * half_blocks
    dlat = (grid.lat.max() - grid.lat.min()) / 8 * half_blocks
    return box(lon_c - dlon, lat_c - dlat, lon_c + dlon, lat_c + dlat)


@pytest.fixture
def lockdown(grid: RoadNetwork) -> Closure:
    return Closure(
        "lockdown-1",
        _centre_box(grid, 1.5),
        start=date(2022, 4, 1),
        end=date(2022, 4, 4),
        reason="封控区",
    )


def test_closure_periods() -> None:
    area = box(0, 0, 1, 1)
    works = Closure("works", area, start=datetime(2022, 4, 2, 22), end=datetime(2022, 4, 3, 5))
    assert works.active_on(date(2022, 4, 2))  # closes late that evening
    assert works.active_on(date(2022, 4, 3))  # still closed that morning
    assert not works.active_on(date(2022, 4, 4))
    days = Closure("days", area, start=date(2022, 4, 1), end=date(2022, 4, 3))
    assert [days.active_on(date(2022, 4, d)) for d in (1, 2, 3)] == [True, True, False]
    assert active_closures([works, days], date(2022, 4, 1)) == [days]
    with pytest.raises(ValueError, match="not after start"):
        Closure("bad", area, start=date(2022, 4, 3), end=date(2022, 4, 1))
    with pytest.raises(ValueError, match="Polygon"):
        Closure("line", LineString([(0, 0), (1, 1)]), start=date(2022, 4, 1), end=date(2022, 4, 3))


def test_roads_inside_an_active_closure_are_removed(grid: RoadNetwork, lockdown: Closure) -> None:
    open_network = apply_closures(grid, [lockdown], day=DAY)
    removed = grid.num_edges - open_network.num_edges
    closed = closed_edges(grid, [lockdown])
    assert removed == int(closed.sum()) > 0
    polygon = metric_geometry(grid, lockdown)
    remaining = shapely.intersects(open_network.edge_geometries(), polygon)
    assert not remaining.any()
    # Outside its period the closure changes nothing.
    assert apply_closures(grid, [lockdown], day=date(2022, 4, 10)) is grid


def test_routes_go_around_a_closure(grid: RoadNetwork, lockdown: Closure) -> None:
    lon_c, lat_c = float(np.median(grid.lon)), float(np.median(grid.lat))
    span = grid.lon.max() - grid.lon.min()
    lon = [lon_c - span * 0.4, lon_c + span * 0.4]  # west and east of the closure, same street
    lat = [lat_c, lat_c]
    before, _ = day_point_matrix(grid, lon, lat, day=date(2022, 3, 30), closures=[lockdown])
    during, _ = day_point_matrix(grid, lon, lat, day=DAY, closures=[lockdown])
    assert during.distance_m[0, 1] > before.distance_m[0, 1] + 300  # a detour of 2+ blocks
    assert np.isfinite(during.time_s).all()


def test_closure_is_part_of_the_cache_key(grid: RoadNetwork, lockdown: Closure) -> None:
    cache = MatrixCache()
    lon, lat = [grid.lon[0], grid.lon[-1]], [grid.lat[0], grid.lat[-1]]
    open_day, _ = day_point_matrix(grid, lon, lat, day=DAY, cache=cache)
    closed_day, _ = day_point_matrix(grid, lon, lat, day=DAY, closures=[lockdown], cache=cache)
    assert cache.misses == 2
    assert closed_day is not open_day


def test_points_inside_closures_and_their_handoff(grid: RoadNetwork, lockdown: Closure) -> None:
    lon_c, lat_c = float(np.median(grid.lon)), float(np.median(grid.lat))
    lon = np.array([lon_c + 0.0002, grid.lon.min()])
    lat = np.array([lat_c + 0.0001, grid.lat.min()])
    inside = closure_of_points(grid, lon, lat, [lockdown])
    assert inside.tolist() == [0, -1]

    open_network = apply_closures(grid, [lockdown], day=DAY)
    handoff = handoff_points(open_network, lon[:1], lat[:1], [lockdown], inside[:1])
    polygon = metric_geometry(grid, lockdown)
    spot = shapely.points(handoff.x, handoff.y)
    # The vehicle stops on an open road, outside the closure, close to its edge.
    assert not shapely.contains(polygon, spot).any()
    assert shapely.distance(polygon, spot)[0] < 80
    assert handoff.snapped.snap_distance_m.tolist() == [0.0]
    retailer = shapely.points(*grid_xy(grid, lon[0], lat[0]))
    assert handoff.walk_m[0] >= shapely.distance(polygon.boundary, retailer) - 1e-6
    assert abs(handoff.lon[0] - lon_c) < 0.01


def grid_xy(grid: RoadNetwork, lon: float, lat: float) -> tuple[float, float]:
    from gridmgmt.routing.snap import to_network_crs

    x, y = to_network_crs(grid, [lon], [lat])
    return float(x[0]), float(y[0])
