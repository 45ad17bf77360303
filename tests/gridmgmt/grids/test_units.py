"""Base units: H3 cells filled by overlap, split where dense, clipped and cut exactly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmgmt.grids.metrics import check_tiling
from gridmgmt.grids.units import EdgeKind, Units, build_units
from gridmgmt.grids.workload import retailer_workload

from .conftest import LAT, LON, County

RIVER = shapely.LineString(
    [(LON - 0.01, LAT + 0.02), (LON + 0.09, LAT + 0.08), (LON + 0.21, LAT + 0.1)]
)


def units_of(county: County, n_grids: int = 20, **options: object) -> Units:
    weights = retailer_workload(county.retailers).to_numpy()
    return build_units(
        county.boundary,
        np.asarray(county.retailers.geometry.array),
        weights,
        target_workload=weights.sum() / n_grids,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def square_units(square: County) -> Units:
    return units_of(square)


def crossed_by(geoms: gpd.GeoSeries, line: shapely.Geometry) -> np.ndarray:
    """Which polygons the line runs through (not merely along their border).

    Shrinking by a centimetre keeps float noise along a border from counting as a crossing.
    """
    return shapely.intersects(shapely.buffer(np.asarray(geoms.array), -1e-7), line)


def test_units_tile_the_county_exactly(square: County, square_units: Units) -> None:
    check = check_tiling(square_units.frame.geometry, square.boundary)
    assert check.ok, check
    # Unit areas are measured on projected faces whose county edges carry extra vertices,
    # so they bend with the projection a little differently from the bare county: 1e-6.
    assert np.isclose(square_units.area_m2.sum(), check.county_area_m2, rtol=1e-5)


def test_units_tile_a_county_with_a_hole(lake: County) -> None:
    units = units_of(lake)
    assert check_tiling(units.frame.geometry, lake.boundary).ok
    lake_centre = shapely.Point(LON + 0.1, LAT + 0.075)
    assert not units.frame.intersects(lake_centre).any()


def test_every_retailer_inside_lies_in_exactly_one_unit(
    square: County, square_units: Units
) -> None:
    assert (square_units.retailer_unit >= 0).all()
    hits = square_units.frame.sindex.query(square.retailers.geometry, predicate="within")
    assert len(hits[0]) == len(square.retailers)


def test_retailer_next_to_the_border_is_kept(square: County) -> None:
    # Overlap filling: a cell whose centre is outside the county still covers its edge.
    edge = square.retailers.iloc[:1].copy()
    edge["geometry"] = [shapely.Point(LON + 1e-6, LAT + 0.0731)]
    units = build_units(
        square.boundary, np.asarray(edge.geometry.array), np.array([10.0]), target_workload=1e9
    )
    assert units.retailer_unit[0] >= 0


def test_dense_cells_are_split_below_three_percent(square: County, square_units: Units) -> None:
    frame = square_units.frame
    assert (frame["resolution"] > 8).any()
    assert frame["resolution"].max() <= 11
    # A unit may stay above 3% of the target only at the finest resolution or when it holds
    # a single retailer with workload, which no split can divide.
    weighted = retailer_workload(square.retailers).to_numpy() > 0
    holders = np.bincount(square_units.retailer_unit[weighted], minlength=square_units.n)
    heavy = frame["workload"].to_numpy() > 0.03 * square_units.target_workload
    coarse = frame["resolution"].to_numpy() < 11
    assert heavy.any()
    assert (holders[heavy & coarse] <= 1).mean() >= 0.9


def test_adjacency_lengths_add_up_to_the_unit_perimeters(square_units: Units) -> None:
    metric = square_units.frame.to_crs(square_units.crs)
    perimeter = metric.length.to_numpy()
    shared = np.zeros(square_units.n)
    np.add.at(shared, square_units.edges[:, 0], square_units.edge_length_m)
    np.add.at(shared, square_units.edges[:, 1], square_units.edge_length_m)
    assert np.allclose(shared + square_units.exterior_m, perimeter, rtol=1e-6)


def test_fixed_lines_cut_units(square: County) -> None:
    units = units_of(square, fixed_lines=gpd.GeoSeries([RIVER], crs=4326))
    assert not crossed_by(units.frame.geometry, RIVER).any()
    assert (units.edge_kind == EdgeKind.FIXED).sum() > 10
    assert check_tiling(units.frame.geometry, square.boundary).ok


def test_exclave_is_linked_to_the_main_part(exclave: County) -> None:
    units = units_of(exclave)
    assert units.frame["component"].nunique() == 2
    links = units.edges[units.edge_kind == EdgeKind.LINK]
    assert len(links) == 1
    component = units.frame["component"].to_numpy()
    assert component[links[0, 0]] != component[links[0, 1]]


def test_locked_grid_becomes_whole_units(square: County) -> None:
    locked = gpd.GeoDataFrame(
        {"grid_id": ["OLD"]}, geometry=[shapely.box(LON, LAT, LON + 0.05, LAT + 0.05)], crs=4326
    )
    units = units_of(square, partition=locked, locked=frozenset({"OLD"}))
    inside = units.frame[units.frame["locked"]]
    assert len(inside) == 1
    assert inside.geometry.iloc[0].symmetric_difference(locked.geometry.iloc[0]).area < 1e-12
    assert (units.frame.loc[~units.frame["locked"], "grid"].isna()).all()


def test_bad_resolutions_are_refused(square: County) -> None:
    with pytest.raises(ValueError, match="resolutions"):
        units_of(square, base_resolution=9, max_resolution=8)
