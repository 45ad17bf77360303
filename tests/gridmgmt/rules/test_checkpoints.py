from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmgmt.rules.border_markets import shared_borders
from gridmgmt.rules.checkpoints import (
    border_crossings,
    candidate_sites,
    crossing_coverage,
    crossing_paths,
    rotation_schedule,
    suggest_checkpoints,
)
from gridmgmt.rules.settings import CheckpointSettings

from .conftest import LOCAL, frame, points

SETTINGS = CheckpointSettings(coverage_m=500, approach_m=3000, site_tolerance_m=30)
J = (9000, 8000)  # a junction in county A where two border roads meet


@pytest.fixture
def borders() -> gpd.GeoDataFrame:
    # A and B side by side (same province), C north of both (another province).
    counties = frame(
        [
            shapely.box(0, 0, 10_000, 10_000),
            shapely.box(10_000, 0, 20_000, 10_000),
            shapely.box(0, 10_000, 20_000, 20_000),
        ],
        code=["420101", "420102", "430101"],
    )
    return shared_borders(counties, tolerance_m=1, crs=LOCAL)


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    return frame(
        [
            shapely.LineString([(5000, 2000), (15_000, 2000)]),  # crosses A|B at y 2000
            shapely.LineString([(8000, 6000), (15_000, 6000)]),  # crosses A|B at y 6000
            shapely.LineString([J, (11_000, 8500)]),  # crosses A|B at (10000, 8250)
            shapely.LineString([J, (9000, 12_000)]),  # crosses A|C at (9000, 10000)
            shapely.LineString([(5000, 8000), J]),  # feeder, no crossing
            shapely.LineString([(1000, 1000), (2000, 1000)]),  # inside A
        ],
        highway=["motorway", "secondary", "tertiary", "tertiary_link", "tertiary", "residential"],
    )


def _xy(frame_: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    local = frame_.to_crs(LOCAL).geometry
    return [(round(p.x - 530_000, 3), round(p.y - 3_385_000, 3)) for p in local]


def test_crossings_are_where_roads_cut_borders(
    roads: gpd.GeoDataFrame, borders: gpd.GeoDataFrame
) -> None:
    crossings = border_crossings(roads, borders, settings=SETTINGS, crs=LOCAL)
    found = dict(
        zip(
            _xy(crossings),
            zip(crossings["highway"], crossings["weight"], crossings["kind"], strict=True),
            strict=True,
        )
    )
    assert found == {
        (10_000, 2000): ("motorway", 10.0, "county"),
        (10_000, 6000): ("secondary", 3.0, "county"),
        (10_000, 8250): ("tertiary", 2.0, "county"),
        (9000, 10_000): ("tertiary_link", 2.0, "province"),
    }


def test_coverage_by_existing_checkpoints(
    roads: gpd.GeoDataFrame, borders: gpd.GeoDataFrame
) -> None:
    crossings = border_crossings(roads, borders, settings=SETTINGS, crs=LOCAL)
    posts = points([(10_200, 2100), (10_000, 6600)], name=["收费站", "too far"])
    covered = crossing_coverage(crossings, posts, settings=SETTINGS, crs=LOCAL)
    by_road = covered.set_index("highway")
    assert by_road.loc["motorway", "covered"]
    assert by_road.loc["motorway", "checkpoint"] == "收费站"
    assert by_road.loc["motorway", "checkpoint_m"] == pytest.approx(223.607, abs=1e-3)
    assert not by_road.loc["secondary", "covered"]  # 600 m away
    assert covered["covered"].sum() == 1


def test_a_junction_where_two_border_roads_meet_is_the_best_single_site(
    roads: gpd.GeoDataFrame, borders: gpd.GeoDataFrame
) -> None:
    crossings = border_crossings(roads, borders, settings=SETTINGS, crs=LOCAL)
    paths = crossing_paths(crossings, roads, settings=SETTINGS, crs=LOCAL)
    candidates = candidate_sites(crossings, roads, settings=SETTINGS, crs=LOCAL)
    # 4 crossings + the road ends within 3 km of one: (8000, 6000), J, (11000, 8500),
    # (9000, 12000).
    assert len(candidates) == 8
    posts = points([(10_200, 2100)], name=["收费站"])  # already covers the motorway
    one = suggest_checkpoints(
        paths, candidates, k=1, settings=SETTINGS, checkpoints=posts, crs=LOCAL
    )
    # Uncovered: secondary 3 + two tertiary roads 2 + 2 through J.
    assert (one.total, one.uncovered, one.intercepted) == (17.0, 7.0, 4.0)
    assert _xy(one.sites) == [J]
    assert one.sites["paths"].tolist() == [2]
    two = suggest_checkpoints(
        paths, candidates, k=2, settings=SETTINGS, checkpoints=posts, crs=LOCAL
    )
    assert two.intercepted == 7.0
    assert two.sites["intercepted"].tolist() == [4.0, 3.0]
    statuses = {r.method: r for r in two.results}
    assert statuses["greedy"].status == "heuristic"
    assert statuses["milp"].status == "optimal"
    assert statuses["milp"].intercepted == statuses["greedy"].intercepted == 7.0
    assert set(statuses) == {"greedy", "milp"}


def test_greedy_can_be_trapped_and_the_exact_answer_wins() -> None:
    # A chain of four paths p1 - A - p2 - X - p3 - B - p4 with weights 1, 1.1, 1.1, 1.
    # X (on p2 and p3) has the largest gain, 2.2, so greedy takes it and then only one of
    # p1 or p4: 3.2. The optimum is A and B: 4.2.
    paths = frame(
        [
            shapely.LineString([(100, 0), (0, 0)]),
            shapely.LineString([(0, 0), (0, 1000)]),
            shapely.LineString([(0, 1000), (0, 2000)]),
            shapely.LineString([(0, 2000), (100, 2000)]),
        ],
        weight=[1.0, 1.1, 1.1, 1.0],
    )
    candidates = points([(0, 1000), (0, 0), (0, 2000)], name=["X", "A", "B"])
    plan = suggest_checkpoints(paths, candidates, k=2, settings=SETTINGS, crs=LOCAL)
    results = {r.method: r for r in plan.results}
    assert results["greedy"].intercepted == pytest.approx(3.2)
    assert results["greedy"].sites == (0, 1)
    assert results["milp"].intercepted == pytest.approx(4.2)
    assert plan.method == "milp"
    assert plan.intercepted == pytest.approx(4.2)
    assert sorted(plan.sites["name"]) == ["A", "B"]


@pytest.mark.slow
def test_spopt_mclp_agrees_with_the_milp() -> None:
    pytest.importorskip("spopt", reason="spopt (bench group) is not installed")
    paths = frame(
        [
            shapely.LineString([(100, 0), (0, 0)]),
            shapely.LineString([(0, 0), (0, 1000)]),
            shapely.LineString([(0, 1000), (0, 2000)]),
            shapely.LineString([(0, 2000), (100, 2000)]),
        ],
        weight=[1.0, 1.1, 1.1, 1.0],
    )
    candidates = points([(0, 1000), (0, 0), (0, 2000)], name=["X", "A", "B"])
    plan = suggest_checkpoints(
        paths, candidates, k=2, settings=SETTINGS, crs=LOCAL, methods=["milp", "spopt"]
    )
    results = {r.method: r for r in plan.results}
    assert results["spopt"].status == "optimal"
    assert results["spopt"].sites == results["milp"].sites == (1, 2)


def test_unknown_method_is_refused(borders: gpd.GeoDataFrame) -> None:
    paths = frame([shapely.LineString([(0, 0), (1, 0)])], weight=[1.0])
    with pytest.raises(ValueError, match="greedy"):
        suggest_checkpoints(paths, points([(0, 0)]), k=1, settings=SETTINGS, methods=["cplex"])


def test_rotation_never_repeats_yesterday_and_is_reproducible() -> None:
    sites = pd.DataFrame({"site": list("ABCDEF"), "weight": [5.0, 3.0, 1.0, 1.0, 1.0, 0.0]})
    plan = rotation_schedule(sites, days=200, per_day=2, seed=42, start=dt.date(2024, 5, 1))
    assert plan.equals(
        rotation_schedule(sites, days=200, per_day=2, seed=42, start=dt.date(2024, 5, 1))
    )
    assert not plan.equals(
        rotation_schedule(sites, days=200, per_day=2, seed=43, start=dt.date(2024, 5, 1))
    )
    days = plan.groupby("day")["site"].apply(set)
    assert all(len(s) == 2 for s in days)
    assert all(not (days[d] & days[d + 1]) for d in range(1, 200))
    assert "F" not in set(plan["site"])  # zero weight: never
    counts = plan["site"].value_counts()
    assert counts["A"] > counts["C"]
    assert plan["date"].iloc[-1] == dt.date(2024, 11, 16)


def test_rotation_needs_twice_the_daily_posts() -> None:
    sites = pd.DataFrame({"site": list("ABC"), "weight": [1.0, 1.0, 1.0]})
    with pytest.raises(ValueError, match="at least 4"):
        rotation_schedule(sites, days=3, per_day=2, seed=1)


def test_nothing_left_to_intercept_gives_no_sites() -> None:
    paths = frame([shapely.LineString([(0, 0), (100, 0)])], weight=[2.0])
    posts = points([(50, 0)], name=["old post"])
    plan = suggest_checkpoints(
        paths, points([(50, 5)], name=["S"]), k=1, settings=SETTINGS, checkpoints=posts, crs=LOCAL
    )
    assert (plan.total, plan.uncovered, plan.intercepted) == (2.0, 0.0, 0.0)
    assert len(plan.sites) == 0
