"""The price engines on a hand-counted fixture: latest prices, medians, gaps, outliers,
the evidence a gap adds to outflow suspects, and the sweep draw.

Two counties meet at lon 114.0: 150924 (west, Inner Mongolia) and 140222 (east, Shanxi).
Three retailers each side lie within 1 km of the border, one each side 30 km away.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gridmgmt.errors import InvalidInputError
from gridmgmt.prices.gaps import border_bands, gap_evidence, price_gaps
from gridmgmt.prices.medians import latest_prices, median_prices, price_outliers
from gridmgmt.rules.border_markets import shared_borders
from gridmgmt.rules.draws import DrawMismatchError
from gridmgmt.rules.settings import SweepSettings
from gridmgmt.sweeps.draw import SweepDraw, draw_sweep, verify_sweep

WEST, EAST = "150924", "140222"
D1, D2 = dt.date(2026, 10, 1), dt.date(2026, 11, 1)

RETAILERS = {
    "W1": (WEST, 113.990),
    "W2": (WEST, 113.995),
    "W3": (WEST, 113.998),
    "W4": (WEST, 113.600),
    "E1": (EAST, 114.002),
    "E2": (EAST, 114.005),
    "E3": (EAST, 114.010),
    "E4": (EAST, 114.400),
}
# 中华 硬盒: west band 40, 42, 44 (median 42), east band 45, 46, 50 (median 46): a gap of
# 4 yuan, 9.5% of 42. 玉溪 软盒: both medians 20, no gap. 黄鹤楼 only two retailers east.
PRICES = [
    ("W1", "中华", "硬盒", 38.0, D1),  # older: W1's latest is 40
    ("W1", "中华", "硬盒", 40.0, D2),
    ("W2", "中华", "硬盒", 42.0, D2),
    ("W3", "中华", "硬盒", 44.0, D2),
    ("W4", "中华", "硬盒", 30.0, D2),
    ("E1", "中华", "硬盒", 45.0, D2),
    ("E2", "中华", "硬盒", 46.0, D2),
    ("E3", "中华", "硬盒", 50.0, D2),
    ("E4", "中华", "硬盒", 20.0, D2),
    ("W1", "玉溪", "软盒", 20.0, D2),
    ("W2", "玉溪", "软盒", 20.0, D2),
    ("W3", "玉溪", "软盒", 21.0, D2),
    ("E1", "玉溪", "软盒", 20.0, D2),
    ("E2", "玉溪", "软盒", 21.0, D2),
    ("E3", "玉溪", "软盒", 20.0, D2),
    ("W1", "黄鹤楼", "硬盒", 10.0, D2),
    ("W2", "黄鹤楼", "硬盒", 10.0, D2),
    ("W3", "黄鹤楼", "硬盒", 10.0, D2),
    ("E1", "黄鹤楼", "硬盒", 19.0, D2),
    ("E2", "黄鹤楼", "硬盒", 19.0, D2),
]


@pytest.fixture
def counties() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [WEST, EAST], "province_code": ["150000", "140000"]},
        geometry=[box(113.5, 40.8, 114.0, 41.2), box(114.0, 40.8, 114.5, 41.2)],
        crs="EPSG:4326",
    )


@pytest.fixture
def retailers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "licence_no": list(RETAILERS),
            "county_code": [c for c, _ in RETAILERS.values()],
        },
        geometry=[Point(lon, 41.0) for _, lon in RETAILERS.values()],
        crs="EPSG:4326",
    )


@pytest.fixture
def observations() -> pd.DataFrame:
    frame = pd.DataFrame(PRICES, columns=["licence_no", "brand", "pack", "price", "date"])
    frame["county_code"] = frame["licence_no"].map({k: c for k, (c, _) in RETAILERS.items()})
    frame["group_code"] = frame["licence_no"].str[0]  # group W and group E
    return frame


def test_latest_price_per_retailer_and_product(observations: pd.DataFrame) -> None:
    latest = latest_prices(observations)
    w1 = latest[(latest["licence_no"] == "W1") & (latest["brand"] == "中华")]
    assert w1["price"].tolist() == [40.0]
    assert w1["observations"].tolist() == [2]
    assert len(latest) == len(PRICES) - 1
    before = latest_prices(observations, end=D1)
    assert before["price"].tolist() == [38.0]


def test_county_and_group_medians_are_counted_by_hand(observations: pd.DataFrame) -> None:
    latest = latest_prices(observations)
    by_county = median_prices(latest, ["county_code"]).set_index(["county_code", "brand"])
    assert by_county.loc[(WEST, "中华"), "median"] == 41.0  # 30, 40, 42, 44
    assert by_county.loc[(EAST, "中华"), "median"] == 45.5  # 20, 45, 46, 50
    assert by_county.loc[(EAST, "中华"), "retailers"] == 4
    assert by_county.loc[(WEST, "中华"), "min"] == 30.0
    assert by_county.loc[(WEST, "玉溪"), "median"] == 20.0  # 20, 20, 21
    by_group = median_prices(latest, ["group_code", "county_code"])
    assert set(by_group["group_code"]) == {"W", "E"}


def test_a_bad_price_is_refused(observations: pd.DataFrame) -> None:
    observations.loc[0, "price"] = 0
    with pytest.raises(InvalidInputError, match="positive price"):
        latest_prices(observations)


def test_border_bands_hold_the_retailers_near_their_own_border(
    retailers: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    borders = shared_borders(counties)
    bands = border_bands(retailers, borders, band_m=2000)
    assert sorted(bands["licence_no"]) == ["E1", "E2", "E3", "W1", "W2", "W3"]
    w1 = bands[bands["licence_no"] == "W1"].iloc[0]
    assert w1["neighbour"] == EAST
    assert w1["border_m"] == pytest.approx(0.010 * 84_100, rel=0.02)  # 0.01° at 41°N


def test_cross_border_gaps_are_counted_by_hand(
    retailers: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, observations: pd.DataFrame
) -> None:
    borders = shared_borders(counties)
    bands = border_bands(retailers, borders, band_m=2000)
    gaps = price_gaps(
        latest_prices(observations), bands, borders, gap_share=0.05, min_observations=3
    )
    # 黄鹤楼 has two retailers east: below min_observations, not compared.
    assert sorted(gaps["brand"]) == ["中华", "玉溪"]
    zhonghua = gaps[gaps["brand"] == "中华"].iloc[0]
    medians = {
        zhonghua["county_a"]: zhonghua["median_a"],
        zhonghua["county_b"]: zhonghua["median_b"],
    }
    assert medians == {WEST: 42.0, EAST: 46.0}
    assert abs(zhonghua["gap"]) == 4.0
    assert zhonghua["gap_share"] == pytest.approx(4 / 42)
    assert (zhonghua["cheaper"], zhonghua["dearer"]) == (WEST, EAST)
    assert zhonghua["flagged"]
    assert zhonghua["kind"] == "province"
    yuxi = gaps[gaps["brand"] == "玉溪"].iloc[0]
    assert not yuxi["flagged"]
    assert yuxi["gap"] == 0
    # Above the setting nothing is flagged.
    strict = price_gaps(
        latest_prices(observations), bands, borders, gap_share=0.10, min_observations=3
    )
    assert not strict["flagged"].any()
    assert gaps.iloc[0]["brand"] == "中华"  # flagged first


def test_outliers_against_the_county_median(observations: pd.DataFrame) -> None:
    outliers = price_outliers(latest_prices(observations), share=0.10, min_retailers=3)
    # 中华: E4 20 against 45.5 (-56%), W4 30 against 41 (-27%); 黄鹤楼 has only 2 east.
    assert outliers["licence_no"].tolist() == ["E4", "W4"]
    assert outliers["deviation"].iloc[1] == pytest.approx((30 - 41) / 41)
    assert set(outliers["direction"]) == {"below"}


def test_a_gap_is_evidence_against_the_cheaper_sides_band(
    retailers: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, observations: pd.DataFrame
) -> None:
    borders = shared_borders(counties)
    bands = border_bands(retailers, borders, band_m=2000)
    gaps = price_gaps(
        latest_prices(observations), bands, borders, gap_share=0.05, min_observations=3
    )
    suspects = pd.DataFrame({"licence_no": ["W2", "W4", "E1"], "reasons": ["ordered a lot"] * 3})
    found = gap_evidence(suspects, bands, gaps)
    assert found["price_gaps"].tolist()[1:] == [[], []]  # W4 is far; E1 is the dearer side
    (gap,) = found["price_gaps"].iloc[0]
    assert gap == {
        "neighbour": EAST,
        "brand": "中华",
        "pack": "硬盒",
        "median_here": 42.0,
        "median_there": 46.0,
        "gap_share": round(4 / 42, 4),
    }
    assert "中华 硬盒 sells 10% cheaper here" in found["reasons"].iloc[0]
    assert found["reasons"].iloc[1] == "ordered a lot"


# -- the sweep draw ------------------------------------------------------------------------


def _candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "licence_no": [f"{c}{i:02d}" for c in "WE" for i in range(10)],
            "county_code": [WEST] * 10 + [EAST] * 10,
            "priority": [i in (3, 14) for i in range(20)],
        }
    )


def _officers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_no": ["w1", "w2", "w3", "e1", "e2"],
            "county_code": [WEST, WEST, WEST, EAST, EAST],
        }
    )


def test_every_team_is_mixed_and_the_priority_candidates_are_in() -> None:
    draw = draw_sweep(
        _candidates(), _officers(), counties=[EAST, WEST], seed=42, settings=SweepSettings()
    )
    assert len(draw.teams) == 2  # two east officers: two mixed teams
    for team in draw.teams:
        assert team.counties == (EAST, WEST)
        assert len(team.officers) == 2
    targets = draw.targets.targets
    assert len(targets) == 4  # 20% of 20
    assert {"W03", "E04"} <= set(targets)
    # Stratified by county: two each side.
    assert sum(t.startswith("W") for t in targets) == 2
    assert set(draw.team_of().values()) <= {t.team for t in draw.teams}


def test_the_sweep_draw_is_reproducible_and_verifiable() -> None:
    settings = SweepSettings(target_share=0.5, team_size=3)
    one = draw_sweep(_candidates(), _officers(), counties=[WEST, EAST], seed=7, settings=settings)
    two = draw_sweep(
        _candidates().sample(frac=1, random_state=1),
        _officers().iloc[::-1],
        counties=[EAST, WEST],
        seed=7,
        settings=settings,
    )
    assert one == two
    stored = SweepDraw.from_json(one.to_json())
    assert stored == one
    verify_sweep(stored, _candidates(), _officers())
    other = draw_sweep(_candidates(), _officers(), counties=[WEST, EAST], seed=8, settings=settings)
    assert other != one
    changed = _candidates().assign(priority=False)
    with pytest.raises(DrawMismatchError, match="candidates differ"):
        verify_sweep(stored, changed, _officers())


@pytest.mark.parametrize(
    ("counties", "officers", "message"),
    [
        ([WEST], _officers(), "two or more counties"),
        ([WEST, EAST], _officers().iloc[:3], r"counties \['140222'\] have no monopoly officer"),
        ([WEST, EAST, "130728"], _officers(), "130728"),
    ],
)
def test_a_sweep_that_cannot_be_drawn_says_why(
    counties: list[str], officers: pd.DataFrame, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        draw_sweep(_candidates(), officers, counties=counties, seed=1, settings=SweepSettings())


def test_a_team_size_beyond_the_officers_is_refused_with_the_most_allowed() -> None:
    settings = SweepSettings(team_size=6)  # five officers in all
    with pytest.raises(InvalidInputError, match=r"team_size 6 .* 5 monopoly officers") as caught:
        draw_sweep(_candidates(), _officers(), counties=[WEST, EAST], seed=1, settings=settings)
    assert caught.value.problems[0]["field"] == "team_size"
    largest = SweepSettings(team_size=5)
    draw = draw_sweep(_candidates(), _officers(), counties=[WEST, EAST], seed=1, settings=largest)
    assert [len(t.officers) for t in draw.teams] == [5]


@pytest.mark.parametrize("seed", range(40))
def test_teams_never_outnumber_what_the_officers_allow(seed: int) -> None:
    """Random counties' officers and team sizes: every team is mixed, nobody is on two
    teams, no team is over size, and there are as many teams as the officers allow."""
    rng = np.random.default_rng(seed)
    codes = ["130725", "140222", "150924"][: int(rng.integers(2, 4))]
    per_county = {code: int(rng.integers(1, 7)) for code in codes}
    officers = pd.DataFrame(
        [(f"{code}-{i}", code) for code, n in per_county.items() for i in range(n)],
        columns=["staff_no", "county_code"],
    )
    candidates = pd.DataFrame(
        {"licence_no": [f"L{code}" for code in codes], "county_code": codes, "priority": False}
    )
    total = len(officers)
    team_size = int(rng.integers(1, total + 1))
    settings = SweepSettings(team_size=team_size)
    draw = draw_sweep(candidates, officers, counties=codes, seed=seed, settings=settings)
    size = max(team_size, len(codes))
    assert len(draw.teams) == min(min(per_county.values()), total // size)
    on_teams = [staff for team in draw.teams for staff in team.officers]
    assert len(on_teams) == len(set(on_teams))
    for team in draw.teams:
        assert team.counties == tuple(sorted(codes))
        assert len(codes) <= len(team.officers) <= size
    assert set(draw.team_of().values()) <= {t.team for t in draw.teams}
