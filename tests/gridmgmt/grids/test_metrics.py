"""Compactness, balance, contiguity and tiling measures."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmgmt.grids.metrics import (
    check_tiling,
    is_single_polygon,
    max_deviation,
    polsby_popper,
    polsby_popper_of_geometry,
)

SQUARE = shapely.box(112.0, 40.0, 112.1, 40.1)


def test_polsby_popper_of_a_square_and_a_strip() -> None:
    # A 0.1 x 0.1 degree cell is not square on the ground at 40N, so compare shapes
    # built square in metres.
    metric = gpd.GeoSeries([shapely.box(0, 0, 1000, 1000), shapely.box(0, 0, 10000, 100)], crs=4534)
    values = polsby_popper(metric)
    assert values[0] == pytest.approx(math.pi / 4)
    assert values[1] < 0.05


def test_polsby_popper_projects_geographic_input() -> None:
    value = polsby_popper_of_geometry(shapely.Point(112.0, 40.0).buffer(0.05, quad_segs=64))
    # A circle in degrees is an ellipse on the ground (cos 40 = 0.77): still round-ish.
    assert 0.9 < value < 1.0


def test_max_deviation() -> None:
    assert max_deviation([95, 100, 105]) == pytest.approx(0.05)
    assert max_deviation([90, 110], target=100) == pytest.approx(0.1)
    assert math.isnan(max_deviation([]))


def test_single_polygon_check() -> None:
    two = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    one = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])
    series = gpd.GeoSeries([shapely.box(0, 0, 1, 1), two, one], crs=4326)
    assert is_single_polygon(series).tolist() == [True, False, True]


def test_tiling_check_finds_gaps_and_overlaps() -> None:
    left = shapely.box(112.0, 40.0, 112.05, 40.1)
    right = shapely.box(112.05, 40.0, 112.1, 40.1)
    exact = check_tiling(gpd.GeoSeries([left, right], crs=4326), SQUARE)
    assert exact.ok
    assert exact.gap_area_m2 == pytest.approx(0, abs=1e-3)
    gap = check_tiling(
        gpd.GeoSeries([left, shapely.box(112.06, 40.0, 112.1, 40.1)], crs=4326), SQUARE
    )
    assert not gap.ok
    assert gap.gap_area_m2 == pytest.approx(0.01 / 0.1 * exact.county_area_m2, rel=0.01)
    overlap = check_tiling(
        gpd.GeoSeries([shapely.box(112.0, 40.0, 112.06, 40.1), right], crs=4326), SQUARE
    )
    assert not overlap.ok
    assert overlap.overlap_area_m2 > 0
    spill = check_tiling(
        gpd.GeoSeries([left, shapely.box(112.05, 40.0, 112.2, 40.1)], crs=4326), SQUARE
    )
    assert not spill.ok
    assert spill.outside_area_m2 == pytest.approx(exact.county_area_m2, rel=0.01)
    assert np.isfinite(spill.county_area_m2)
