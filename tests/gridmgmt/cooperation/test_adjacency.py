"""County adjacency on clean and on real-world outlines; overlaps, gaps and the owner rule."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from gridmgmt.cooperation.adjacency import (
    OVERLAP_RULE,
    boundary_defects,
    county_adjacency,
    locate_points,
    neighbours_of,
    overlap_owner,
)
from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError

from .boundaries import SHANGYI, TIANZHEN, XINGHE, demo_counties, real_counties

DEMO_PAIRS = {
    ("130725", "130728"),
    ("130725", "150924"),
    ("130728", "140222"),
    ("130728", "150924"),
    ("140221", "140222"),
    ("140221", "150924"),
    ("140221", "150981"),
    ("140222", "150924"),
    ("150924", "150981"),
}
"""Counted on the demo map: nine borders, six of them province lines."""


def _pairs(table: gpd.GeoDataFrame) -> set[tuple[str, str]]:
    return set(zip(table["county_a"], table["county_b"], strict=True))


def test_clean_outlines_give_the_nine_borders_and_no_defects() -> None:
    table = county_adjacency(demo_counties())
    assert _pairs(table) == DEMO_PAIRS
    assert int(table["province_crossing"].sum()) == 6
    assert (
        not table.loc[table["county_a"] == "140221"]
        .query("county_b == '140222'")["province_crossing"]
        .any()
    )
    assert (table["border_m"] > 30_000).all()
    assert (table["overlap_m2"] == 0).all()
    assert len(boundary_defects(demo_counties())) == 0


def test_real_outlines_keep_the_same_borders_despite_overlap_and_gaps() -> None:
    clean = county_adjacency(demo_counties()).set_index(["county_a", "county_b"])
    real = county_adjacency(real_counties()).set_index(["county_a", "county_b"])
    assert set(real.index) == DEMO_PAIRS
    # The border length hardly moves (a 30 m gap, a 20 m overlap): within 1 %.
    ratio = real["border_m"] / clean.loc[real.index, "border_m"]
    assert ratio.between(0.99, 1.01).all()
    overlap = real.loc[(SHANGYI, XINGHE), "overlap_m2"]
    assert 1.6e6 < overlap < 1.9e6  # 20 m along 89 km
    assert (real.drop(index=(SHANGYI, XINGHE))["overlap_m2"] == 0).all()


def test_defects_name_the_overlap_and_the_gaps_with_area_and_place() -> None:
    defects = boundary_defects(real_counties())
    overlaps = defects[defects["kind"] == "overlap"]
    assert _pairs(overlaps) == {(SHANGYI, XINGHE)}
    row = overlaps.iloc[0]
    assert 1.6e6 < row["area_m2"] < 1.9e6
    assert 113.5 < row["lon"] < 115.0
    assert 40.0 < row["lat"] < 41.5
    gaps = defects[defects["kind"] == "gap"]
    tianzhen_gaps = gaps[(gaps["county_a"] == TIANZHEN) | (gaps["county_b"] == TIANZHEN)]
    # 天镇县 shrunk by 30 m: a gap along each of its three borders of 30 m x its length.
    big = tianzhen_gaps[tianzhen_gaps["area_m2"] > 1e5]
    assert _pairs(big) == {("130728", TIANZHEN), ("140221", TIANZHEN), (TIANZHEN, XINGHE)}
    lengths = county_adjacency(demo_counties()).set_index(["county_a", "county_b"])["border_m"]
    for a, b, area in big[["county_a", "county_b", "area_m2"]].itertuples(index=False):
        assert area == pytest.approx(30 * lengths[(a, b)], rel=0.1)
    # No gap is reported between counties that are nowhere near each other.
    assert ("130725", "140221") not in _pairs(gaps)


def test_a_corner_contact_is_no_border() -> None:
    counties = gpd.GeoDataFrame(
        {"code": ["100001", "100002", "100003"]},
        geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2), box(1, 0, 2, 1)],
        crs=WGS84,
    )
    table = county_adjacency(counties)
    assert _pairs(table) == {("100001", "100003"), ("100002", "100003")}
    assert neighbours_of(table, "100003") == ["100001", "100002"]
    assert neighbours_of(table, "100001") == ["100003"]


def test_a_point_in_an_overlap_belongs_to_the_lowest_code() -> None:
    assert OVERLAP_RULE == "lowest county code"
    assert overlap_owner(["150924", "130725"]) == "130725"
    defects = boundary_defects(real_counties())
    spot = defects[defects["kind"] == "overlap"].iloc[0]
    found = locate_points([spot["lon"], 113.0, 116.5], [spot["lat"], 40.0, 40.0], real_counties())
    assert list(found) == ["130725", None, None]
    with pytest.raises(InvalidInputError):
        overlap_owner([])


def test_bad_input_is_refused_with_a_clear_error() -> None:
    counties = demo_counties()
    with pytest.raises(InvalidInputError, match="tolerance_m"):
        county_adjacency(counties, tolerance_m=-1)
    twice = gpd.GeoDataFrame(
        {"code": ["1", "1"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=WGS84
    )
    with pytest.raises(InvalidInputError, match="more than once"):
        county_adjacency(twice)
    assert len(county_adjacency(counties.iloc[:1])) == 0
    assert np.asarray(locate_points([], [], counties)).size == 0
