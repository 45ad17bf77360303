"""Point-in-grid assignment with a deterministic tie-break on shared borders."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmgmt.grids.assign import GridIndex, assign_points, grid_at


def two_grids(order: list[int]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"grid_id": ["A", "B"]},
        geometry=[shapely.box(112.0, 40.0, 112.1, 40.1), shapely.box(112.1, 40.0, 112.2, 40.1)],
        crs=4326,
    )
    return frame.iloc[order].reset_index(drop=True)


def test_point_on_a_shared_border_goes_to_the_first_id_whatever_the_row_order() -> None:
    points = gpd.GeoSeries([shapely.Point(112.1, 40.05), shapely.Point(112.1, 40.0)], crs=4326)
    for order in ([0, 1], [1, 0]):
        assert assign_points(two_grids(order), points).tolist() == ["A", "A"]


def test_points_inside_outside_and_the_index_is_kept() -> None:
    points = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(112.05, 40.05),
            shapely.Point(112.15, 40.05),
            shapely.Point(113, 40),
        ],
        index=[10, 20, 30],
        crs=4326,
    )
    result = assign_points(two_grids([0, 1]), points)
    assert result.index.tolist() == [10, 20, 30]
    assert result.tolist()[:2] == ["A", "B"]
    assert pd.isna(result.iloc[2])


def test_single_point_lookup() -> None:
    grids = two_grids([1, 0])
    assert grid_at(grids, 112.15, 40.05) == "B"
    assert grid_at(grids, 112.1, 40.05) == "A"
    assert grid_at(grids, 111.0, 40.05) is None
    index = GridIndex(grids)
    assert index.lookup(112.01, 40.01) == "A"


def test_agrees_with_a_spatial_join_on_random_points() -> None:
    rng = np.random.default_rng(3)
    seeds = shapely.points(rng.uniform([112.0, 40.0], [112.5, 40.1], (200, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(seeds)))
    box = shapely.box(112.0, 40.0, 112.5, 40.1)
    grids = gpd.GeoDataFrame(
        {"grid_id": [f"G{i:03d}" for i in range(len(cells))]},
        geometry=shapely.intersection(cells, box),
        crs=4326,
    )
    points = gpd.GeoDataFrame(
        geometry=shapely.points(rng.uniform([112.0, 40.0], [112.5, 40.1], (5000, 2))), crs=4326
    )
    ours = assign_points(grids, points)
    joined = gpd.sjoin(points, grids, predicate="within")
    assert (ours.loc[joined.index] == joined["grid_id"]).all()
    assert ours.notna().all()
