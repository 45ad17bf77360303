from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from gridmgmt.rules.settings import DensityBand, DensityRule, SpacingSettings
from gridmgmt.rules.spacing import area_types, spacing_breaches

from .conftest import LOCAL, frame, points

NO_DENSITY = SpacingSettings(density=None)  # county_town 50, township 25, village 100, highway 500


@pytest.fixture
def areas() -> object:
    # A county town (0..1000 x 0..1000), a township east of it (2000..3000) and a highway
    # corridor crossing the town's north-east corner (x 900..5000, y 900..1100).
    return frame(
        [
            shapely.box(0, 0, 1000, 1000),
            shapely.box(2000, 0, 3000, 1000),
            shapely.box(900, 900, 5000, 1100),
        ],
        area_type=["county_town", "township", "highway"],
    )


def _pairs(result: object) -> dict[tuple[str, str], tuple[float, float]]:
    return {
        (row.licence_no_a, row.licence_no_b): (round(row.distance_m, 3), row.required_m)
        for row in result.itertuples()  # type: ignore[attr-defined]
    }


def test_pairs_closer_than_the_larger_minimum(areas: object) -> None:
    pairs = [
        ((100, 100), (130, 140)),  # town, 50 m apart: fine (not below 50)
        ((500, 500), (530, 520)),  # town, 36.06 m: breach of 50
        ((2100, 100), (2120, 100)),  # township, 20 m: breach of 25
        ((2500, 500), (2530, 500)),  # township, 30 m: fine
        ((4000, 1000), (4000, 700)),  # highway and village, 300 m: breach of 500
        ((950, 950), (950, 850)),  # highway (stricter than the town it overlaps) and town
    ]
    retailers = points(
        [xy for pair in pairs for xy in pair], licence_no=[f"r{i:02d}" for i in range(12)]
    )
    result = spacing_breaches(retailers, settings=NO_DENSITY, areas=areas, crs=LOCAL)
    assert _pairs(result) == {
        ("r02", "r03"): (36.056, 50.0),
        ("r04", "r05"): (20.0, 25.0),
        ("r08", "r09"): (300.0, 500.0),
        ("r10", "r11"): (100.0, 500.0),
    }
    assert list(result["shortfall_m"]) == sorted(result["shortfall_m"], reverse=True)
    row = result.set_index("licence_no_a").loc["r08"]
    assert (row["area_type_a"], row["area_type_b"]) == ("highway", "village")
    # The segment joins the two retailers, in WGS-84.
    assert result.crs.to_epsg() == 4326
    assert (
        result.to_crs(LOCAL).geometry.length.round(3).tolist()
        == result["distance_m"].round(3).tolist()
    )


def test_pairs_without_geometry_are_the_same(areas: object) -> None:
    retailers = points([(500, 500), (530, 520), (2100, 100), (2120, 100)], licence_no=list("abcd"))
    full = spacing_breaches(retailers, settings=NO_DENSITY, areas=areas, crs=LOCAL)
    plain = spacing_breaches(retailers, settings=NO_DENSITY, areas=areas, crs=LOCAL, geometry=False)
    assert not hasattr(plain, "geometry")
    assert plain.equals(pd.DataFrame(full.drop(columns="geometry")))


def test_closed_licences_do_not_count(areas: object) -> None:
    retailers = points(
        [(500, 500), (510, 500), (520, 500)],
        licence_no=["open", "shut", "paused"],
        status=["active", "closed", "歇业"],
    )
    result = spacing_breaches(retailers, settings=NO_DENSITY, areas=areas, crs=LOCAL)
    assert _pairs(result) == {("open", "paused"): (20.0, 50.0)}


def test_density_rule_sets_the_area_type() -> None:
    # 100 retailers on a 10 x 10 lattice 20 m apart: even a corner one has 26 retailers
    # (itself included) within 100 m, 26 / 0.0314 km² = 828 per km², a county town; a
    # lone retailer 5 km away has 1 / 0.0314 km² = 31.8 per km², a township.
    lattice = [(20.0 * i, 20.0 * j) for i in range(10) for j in range(10)]
    retailers = points([*lattice, (5000, 5000)], licence_no=[f"r{i}" for i in range(101)])
    settings = SpacingSettings(
        density=DensityRule(
            radius_m=100,
            bands=(
                DensityBand(min_per_km2=300, area_type="county_town"),
                DensityBand(min_per_km2=30, area_type="township"),
            ),
        )
    )
    types = area_types(retailers, settings=settings, crs=LOCAL)
    assert set(types.iloc[:100]) == {"county_town"}
    assert types.iloc[100] == "township"
    # In the town (50 m) each lattice neighbour at 20 m and 40 m breaches: 2 * 10 * 9 pairs
    # along each axis at 20 m, 2 * 10 * 8 at 40 m, plus diagonals below 50 m.
    result = spacing_breaches(retailers, settings=settings, crs=LOCAL)
    d = result["distance_m"].round(3)
    assert (d == 20).sum() == 180
    assert (d == 40).sum() == 160
    assert (d == round(np.hypot(20, 20), 3)).sum() == 162
    assert (d == round(np.hypot(40, 20), 3)).sum() == 2 * 2 * 9 * 8
    assert d.max() < 50


def test_unknown_area_type_lists_the_known_ones() -> None:
    areas = frame([shapely.box(0, 0, 10, 10)], area_type=["downtown"])
    retailers = points([(1, 1)], licence_no=["a"])
    with pytest.raises(ValueError, match=r"downtown.*county_town"):
        spacing_breaches(retailers, settings=NO_DENSITY, areas=areas, crs=LOCAL)
