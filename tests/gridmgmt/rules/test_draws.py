from __future__ import annotations

import hashlib
from collections import Counter

import pandas as pd
import pytest

from gridmgmt.rules.draws import (
    DrawInfeasibleError,
    DrawMismatchError,
    InspectionDraw,
    draw_inspections,
    population_hash,
    verify_draw,
)
from gridmgmt.rules.settings import InspectionSettings

SETTINGS = InspectionSettings(quota_share=0.1)


@pytest.fixture
def retailers() -> pd.DataFrame:
    # 103 retailers: 50 in G1 (the first four are key retailers), 30 in G2, 23 in G3.
    grids = ["G1"] * 50 + ["G2"] * 30 + ["G3"] * 23
    return pd.DataFrame(
        {
            "licence_no": [f"4201010{i:05d}" for i in range(103)],
            "grid_id": grids,
            "key_retailer": [i < 4 for i in range(103)],
        }
    )


@pytest.fixture
def officers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_no": [f"S{i}" for i in range(7)],
            "grid_id": ["G1", "G1", "G2", "G2", "G3", "G3", None],
        }
    )


def test_same_inputs_give_the_same_draw_whatever_the_row_order(
    retailers: pd.DataFrame, officers: pd.DataFrame
) -> None:
    first = draw_inspections(retailers, officers, seed=20240501, settings=SETTINGS)
    shuffled = retailers.sample(frac=1, random_state=3)
    again = draw_inspections(shuffled, officers.iloc[::-1], seed=20240501, settings=SETTINGS)
    assert again == first
    assert again.to_json() == first.to_json()
    other = draw_inspections(retailers, officers, seed=20240502, settings=SETTINGS)
    assert other.targets != first.targets
    assert other.population_hash == first.population_hash


def test_quota_is_split_over_grids_by_largest_remainder(
    retailers: pd.DataFrame, officers: pd.DataFrame
) -> None:
    draw = draw_inspections(retailers, officers, seed=1, settings=SETTINGS)
    # ceil(10.3) = 11; shares 5.34, 3.20, 2.46 -> 5, 3, 2 and the last one to G3.
    assert draw.quota == 11
    assert Counter(i.grid_id for i in draw.inspections) == {"G1": 5, "G2": 3, "G3": 3}
    assert draw.targets == sorted(draw.targets)
    assert len(set(draw.targets)) == 11


def test_key_retailers_can_always_be_in(retailers: pd.DataFrame, officers: pd.DataFrame) -> None:
    settings = InspectionSettings(quota_share=0.1, key_retailers_always=True)
    for seed in range(5):
        draw = draw_inspections(retailers, officers, seed=seed, settings=settings)
        keys = {i.retailer for i in draw.inspections if i.key_retailer}
        assert keys == {f"4201010{i:05d}" for i in range(4)}
        assert Counter(i.grid_id for i in draw.inspections)["G1"] == 5  # 4 keys + 1 drawn


def test_officers_never_inspect_their_own_grid_and_share_the_load(
    retailers: pd.DataFrame, officers: pd.DataFrame
) -> None:
    grid_of = dict(zip(officers["staff_no"], officers["grid_id"], strict=True))
    settings = InspectionSettings(quota_share=0.5)
    for seed in range(10):
        draw = draw_inspections(retailers, officers, seed=seed, settings=settings)
        for inspection in draw.inspections:
            assert len(set(inspection.officers)) == 2
            assert all(grid_of[o] != inspection.grid_id for o in inspection.officers)
        load = draw.load()
        # 52 inspections x 2 officers over 7 officers: 104 / 7 = 14.9 each.
        assert sum(load.values()) == 104
        assert max(load.values()) - min(load.values()) <= 1


def test_too_few_officers_outside_a_grid_is_infeasible(retailers: pd.DataFrame) -> None:
    officers = pd.DataFrame({"staff_no": ["S1", "S2", "S3"], "grid_id": ["G1", "G2", "G2"]})
    with pytest.raises(DrawInfeasibleError, match=r"grid G2: 1"):
        draw_inspections(retailers, officers, seed=1, settings=SETTINGS)
    relaxed = InspectionSettings(quota_share=0.1, exclude_own_grid=False)
    assert len(draw_inspections(retailers, officers, seed=1, settings=relaxed).inspections) == 11


def test_draw_survives_json_and_verifies(retailers: pd.DataFrame, officers: pd.DataFrame) -> None:
    draw = draw_inspections(retailers, officers, seed=7, settings=SETTINGS)
    stored = InspectionDraw.from_json(draw.to_json())
    assert stored == draw
    verify_draw(stored, retailers, officers)
    moved = retailers.assign(grid_id=retailers["grid_id"].replace({"G3": "G2"}))
    with pytest.raises(DrawMismatchError, match="population"):
        verify_draw(stored, moved, officers)
    tampered = InspectionDraw.from_dict({**draw.to_dict(), "seed": 8})
    with pytest.raises(DrawMismatchError, match="different result"):
        verify_draw(tampered, retailers, officers)


def test_population_hash_is_sha256_of_sorted_rows() -> None:
    frame = pd.DataFrame(
        {"licence_no": ["b", "a"], "grid_id": ["G2", None], "key_retailer": [True, False]}
    )
    expected = hashlib.sha256(b"a\t\t0\nb\tG2\t1\n").hexdigest()
    assert population_hash(frame) == expected


def test_repeated_ids_and_negative_seeds_are_refused(
    retailers: pd.DataFrame, officers: pd.DataFrame
) -> None:
    doubled = pd.concat([retailers, retailers.iloc[:1]])
    with pytest.raises(ValueError, match="repeats"):
        draw_inspections(doubled, officers, seed=1, settings=SETTINGS)
    with pytest.raises(ValueError, match="non-negative"):
        draw_inspections(retailers, officers, seed=-1, settings=SETTINGS)


def test_an_officer_of_several_grids_inspects_none_of_them(retailers: pd.DataFrame) -> None:
    officers = pd.DataFrame(
        {
            "staff_no": ["S1", "S2", "S3", "S4"],
            "grid_id": ["G1;G2", "G3", "G2 ; G1", None],
        }
    )
    own = {"S1": {"G1", "G2"}, "S2": {"G3"}, "S3": {"G1", "G2"}, "S4": set()}
    draw = draw_inspections(retailers, officers, seed=3, settings=SETTINGS)
    for inspection in draw.inspections:
        assert all(inspection.grid_id not in own[o] for o in inspection.officers)
    assert any(inspection.grid_id == "G1" for inspection in draw.inspections)
    # The order of an officer's grids does not change the officers' hash.
    swapped = officers.assign(grid_id=["G2;G1", "G3", "G1;G2", None])
    assert draw_inspections(retailers, swapped, seed=3, settings=SETTINGS) == draw
