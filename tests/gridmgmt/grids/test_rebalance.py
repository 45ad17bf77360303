"""Rebalancing after new retailers: back within tolerance, few retailers moved, ids stable."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmgmt.grids import GridDesign, design_grids
from gridmgmt.grids._layout import Layout
from gridmgmt.grids.metrics import check_tiling
from gridmgmt.grids.rebalance import rebalance_grids, send_units_home
from gridmgmt.grids.units import build_units
from gridmgmt.grids.workload import retailer_workload

from .conftest import LAT, LON, County, grids_are_single_polygons, make_retailers

TOWN = (LON + 0.07, LAT + 0.05)


@pytest.fixture(scope="module")
def designed(square: County) -> GridDesign:
    return design_grids(square.boundary, square.retailers, n_grids=20, seed=1, compact_effort=10)


@pytest.fixture(scope="module")
def grown(square: County, designed: GridDesign) -> gpd.GeoDataFrame:
    """The county's retailers (with their grids) plus 10% more, all in one town."""
    rng = np.random.default_rng(23)
    existing = square.retailers.assign(grid_id=designed.assignment["grid_id"])
    extra = len(existing) // 10
    xy = np.column_stack([rng.normal(TOWN[0], 0.006, extra), rng.normal(TOWN[1], 0.006, extra)])
    new = make_retailers(xy, rng, prefix="151").assign(grid_id=None)
    return pd.concat([existing, new], ignore_index=True)


def test_ten_percent_more_in_one_town_is_rebalanced_moving_few(
    square: County, designed: GridDesign, grown: gpd.GeoDataFrame
) -> None:
    result = rebalance_grids(square.boundary, designed.grids[["grid_id", "geometry"]], grown)
    report = result.report
    assert report.max_deviation_before > 0.2
    assert report.within_tolerance
    assert report.max_deviation_after <= 0.05
    assert report.moved_share <= 0.10
    assert report.n_moved == len(result.moved) > 0
    assert set(result.grids["grid_id"]) == set(designed.grids["grid_id"])
    assert check_tiling(result.grids.geometry, square.boundary).ok
    assert grids_are_single_polygons(result.grids)
    # The moved list is exactly the existing retailers whose grid changed.
    before = grown["grid_id"]
    after = result.assignment["grid_id"]
    changed = before.notna() & (before != after)
    assert sorted(result.moved["licence_no"]) == sorted(grown.loc[changed, "licence_no"])
    assert (result.moved["from_grid"] != result.moved["to_grid"]).all()


def test_a_locked_grid_is_left_alone(
    square: County, designed: GridDesign, grown: gpd.GeoDataFrame
) -> None:
    grids = designed.grids[["grid_id", "geometry"]]
    far = shapely.distance(np.asarray(grids.geometry.array), shapely.Point(*TOWN)).argmax()
    locked_id = grids["grid_id"].iloc[far]
    result = rebalance_grids(square.boundary, grids, grown, locked=[locked_id])
    old = grids.set_index("grid_id").geometry[locked_id]
    new = result.grids.set_index("grid_id").geometry[locked_id]
    assert new.equals(old)
    assert result.report.n_locked == 1
    assert locked_id not in set(result.moved["from_grid"]) | set(result.moved["to_grid"])
    free = result.grids[~result.grids["locked"]]
    assert free["deviation"].abs().max() <= 0.05


def test_balanced_grids_are_not_touched(square: County, designed: GridDesign) -> None:
    retailers = square.retailers.assign(grid_id=designed.assignment["grid_id"])
    result = rebalance_grids(square.boundary, designed.grids[["grid_id", "geometry"]], retailers)
    assert result.report.n_moved == 0
    assert result.report.n_changed_grids == 0
    for a, b in zip(result.grids.geometry, designed.grids.geometry, strict=True):
        assert a.equals(b)


def test_unknown_locked_grid_is_refused(square: County, designed: GridDesign) -> None:
    with pytest.raises(ValueError, match="not among the grid ids"):
        rebalance_grids(
            square.boundary, designed.grids[["grid_id", "geometry"]], square.retailers,
            locked=["NOPE"],
        )  # fmt: skip


def _two_halves(square: County) -> tuple[Layout, np.ndarray]:
    """Units of the square county split into a west and an east grid."""
    retailers = square.retailers
    weights = retailer_workload(retailers).to_numpy(float)
    units = build_units(
        square.boundary,
        np.asarray(retailers.geometry.array),
        weights,
        target_workload=weights.sum() / 2,
    )
    x = units.centroid_xy[:, 0]
    labels = (x > np.median(x)).astype(np.int64)
    everything = np.ones(len(units.edges), bool)
    layout = Layout(
        units, labels, 2, move_edges=everything, connect_edges=everything,
        movable=np.ones(units.n, bool), frozen=np.zeros(2, bool),
    )  # fmt: skip
    return layout, labels


def _west_strip_moved_east(layout: Layout, home: np.ndarray, count: int) -> list[int]:
    """Move ``count`` western units on the border east, one at a time, keeping both whole."""
    moved: list[int] = []
    for i in np.argsort(-np.asarray(layout.x)).tolist():
        if len(moved) == count:
            break
        if home[i] == 0 and 1 in layout.neighbour_grids(i) and layout.can_leave(i):
            layout.move(i, 1)
            moved.append(i)
    return moved


def test_moves_the_balance_does_not_need_are_undone(square: County) -> None:
    layout, home = _two_halves(square)
    moved = _west_strip_moved_east(layout, home, 6)
    churn = np.ones(layout.n)
    wide = np.array([-np.inf, -np.inf]), np.array([np.inf, np.inf])
    assert send_units_home(layout, home, churn, *wide) == len(moved)
    assert layout.labels_array().tolist() == home.tolist()


def test_sending_units_home_keeps_the_band(square: County) -> None:
    layout, home = _two_halves(square)
    _west_strip_moved_east(layout, home, 6)
    now = np.array(layout.W)
    # The band is exactly today's workloads: no unit with workload may go back alone.
    lo, hi = now - 1e-9, now + 1e-9
    churn = np.ones(layout.n)
    send_units_home(layout, home, churn, lo, hi)
    assert np.all(np.array(layout.W) >= lo)
    assert np.all(np.array(layout.W) <= hi)
    assert all(len(layout.grid_components(g)) == 1 for g in range(2))
