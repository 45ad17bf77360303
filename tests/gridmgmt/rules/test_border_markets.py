from __future__ import annotations

import pytest
import shapely

from gridmgmt.rules.border_markets import border_markets, shared_borders
from gridmgmt.rules.settings import BorderSettings

from .conftest import LOCAL, frame, points

# A and B (province 42) side by side, 10 km squares; C (province 43) a 20 km x 10 km strip
# north of both. With a 1 m tolerance a border can run on up to 1 m past a triple point.
A, B, C = "420101", "420102", "430101"
SETTINGS = BorderSettings(county_border_m=2000, province_border_m=5000, tolerance_m=1)


@pytest.fixture
def counties() -> object:
    return frame(
        [
            shapely.box(0, 0, 10_000, 10_000),
            shapely.box(10_000, 0, 20_000, 10_000),
            shapely.box(0, 10_000, 20_000, 20_000),
        ],
        code=[A, B, C],
        province_code=["42", "42", "43"],
    )


def test_shared_borders_are_the_common_edges(counties: object) -> None:
    borders = shared_borders(counties, tolerance_m=1, crs=LOCAL)
    found = {
        (row.county_a, row.county_b): (row.kind, row.length_m)
        for row in borders.itertuples()  # type: ignore[attr-defined]
    }
    assert set(found) == {(A, B), (A, C), (B, C)}
    assert found[(A, B)][0] == "county"
    assert found[(A, C)][0] == found[(B, C)][0] == "province"
    for _, length in found.values():
        assert length == pytest.approx(10_000, abs=2)
    # Without a flag the study area's outer edge is not a border.
    assert "outside" not in set(borders["county_b"])


def test_slivers_between_boundaries_within_the_tolerance_still_make_a_border() -> None:
    counties = frame(
        [shapely.box(0, 0, 10_000, 10_000), shapely.box(10_020, 0, 20_000, 10_000)],
        code=[A, B],
    )
    assert len(shared_borders(counties, tolerance_m=10, crs=LOCAL)) == 0
    wide = shared_borders(counties, tolerance_m=50, crs=LOCAL)
    assert list(wide["kind"]) == ["county"]  # same province from the code's first digits
    assert wide["length_m"].iloc[0] == pytest.approx(10_000, abs=2 * 50)


def test_border_market_flags_and_summaries(counties: object) -> None:
    retailers = points(
        [(9000, 4000), (5000, 9000), (15_000, 6500), (5000, 3000), (5000, 500)],
        licence_no=["r1", "r2", "r3", "r4", "r5"],
    )
    result = border_markets(retailers, counties, settings=SETTINGS, crs=LOCAL)
    table = result.retailers.set_index("licence_no")
    assert sorted(table.index) == ["r1", "r2", "r3"]
    # r1: 1 km from B (county border), 6 km from C; r2: 1 km from C (province border);
    # r3: 3.5 km from C, so only in the wider province band.
    assert table.loc["r1", "county_border_m"] == pytest.approx(1000, abs=1e-3)
    assert not table.loc["r1", "near_province_border"]
    assert table.loc["r2", "province_border_m"] == pytest.approx(1000, abs=1e-3)
    assert table.loc["r2", "near_county_border"]
    assert table.loc["r3", "province_border_m"] == pytest.approx(3500, abs=1e-3)
    assert not table.loc["r3", "near_county_border"]
    assert table["neighbour"].to_dict() == {"r1": B, "r2": C, "r3": C}
    assert table["county_code"].to_dict() == {"r1": A, "r2": A, "r3": B}

    segments = {
        (row.county_a, row.county_b): (row.county_band, row.province_band)
        for row in result.segments.itertuples()
    }
    assert segments == {(A, B): (1, 0), (A, C): (1, 1), (B, C): (0, 1)}
    neighbours = {
        (row.county_code, row.neighbour, row.kind): (row.county_band, row.province_band)
        for row in result.neighbours.itertuples()
    }
    assert neighbours == {
        (A, B, "county"): (1, 0),
        (A, C, "province"): (1, 1),
        (B, C, "province"): (0, 1),
    }


def test_flagged_outer_edge_counts_as_a_border(counties: object) -> None:
    retailers = points([(5000, 500)], licence_no=["south"])
    assert len(border_markets(retailers, counties, settings=SETTINGS, crs=LOCAL).retailers) == 0
    flagged = border_markets(
        retailers, counties, settings=SETTINGS, crs=LOCAL, outer_edge={A: "province"}
    )
    row = flagged.retailers.iloc[0]
    assert (row["neighbour"], row["near_province_border"]) == ("outside", True)
    assert row["province_border_m"] == pytest.approx(500, abs=1e-3)
    # A's outer edge is its south and west sides (and stubs of at most the tolerance).
    outer = flagged.borders[flagged.borders["county_b"] == "outside"]
    assert outer["length_m"].sum() == pytest.approx(20_000, abs=4)


def test_outer_edge_of_an_unknown_county_is_refused(counties: object) -> None:
    with pytest.raises(ValueError, match="999999"):
        shared_borders(counties, outer_edge={"999999": "county"}, crs=LOCAL)
