from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gridmgmt.routing.weekly import RetailerVolume, WeekSettings, assign_weekdays

LON0, LAT0 = 112.5, 40.5


def _retailers(n: int, *, seed: int = 0) -> list[RetailerVolume]:
    """Retailers in four towns around a depot, 20-80 cartons each."""
    rng = np.random.default_rng(seed)
    towns = np.array([[0.08, 0.0], [-0.08, 0.0], [0.0, 0.06], [0.0, -0.06]])
    which = rng.integers(0, 4, n)
    lon = LON0 + towns[which, 0] + rng.normal(0, 0.01, n)
    lat = LAT0 + towns[which, 1] + rng.normal(0, 0.01, n)
    cartons = rng.integers(20, 80, n)
    return [
        RetailerVolume(f"r{i:03d}", float(lon[i]), float(lat[i]), float(cartons[i]))
        for i in range(n)
    ]


def test_fresh_assignment_is_balanced_and_compact() -> None:
    retailers = _retailers(200)
    week = assign_weekdays(retailers, depot=(LON0, LAT0))
    assert set(week.weekday.values()) == {0, 1, 2, 3, 4}
    assert sum(week.day_cartons.values()) == pytest.approx(sum(r.cartons for r in retailers))
    assert week.imbalance <= 0.06
    # Compact: much closer to their day's centre than a random split would be.
    shuffled = assign_weekdays(
        [replace(r, current_weekday=i % 5) for i, r in enumerate(retailers)],
        settings=WeekSettings(move_penalty_m=1e9),  # frozen: a random, balanced split
    )
    assert week.spread_m < 0.6 * shuffled.spread_m
    assert len(week.changes) == 200  # everyone is new
    assert {c.reason for c in week.changes} == {"new retailer"}


def test_fixed_weekdays_are_kept() -> None:
    retailers = _retailers(100, seed=1)
    retailers[:10] = [replace(r, fixed_weekday=2) for r in retailers[:10]]
    week = assign_weekdays(retailers)
    assert all(week.weekday[r.retailer_id] == 2 for r in retailers[:10])


def test_small_changes_move_few_retailers() -> None:
    retailers = _retailers(150, seed=2)
    first = assign_weekdays(retailers)
    settled = [replace(r, current_weekday=first.weekday[r.retailer_id]) for r in retailers]
    # Next week: a few orders grow a little and two new retailers open.
    rng = np.random.default_rng(3)
    grown = [replace(r, cartons=r.cartons * (1.2 if rng.random() < 0.05 else 1.0)) for r in settled]
    newcomers = [replace(r, retailer_id=f"new{i}") for i, r in enumerate(_retailers(2, seed=9))]
    week = assign_weekdays([*grown, *newcomers])
    changed = {c.retailer_id for c in week.changes}
    assert {"new0", "new1"} <= changed
    assert len(changed - {"new0", "new1"}) <= 10
    assert week.imbalance <= 0.1


def test_retailers_on_a_dropped_weekday_are_moved() -> None:
    retailers = [replace(r, current_weekday=5) for r in _retailers(30, seed=4)]
    week = assign_weekdays(retailers, settings=WeekSettings(weekdays=(0, 2, 4)))
    assert set(week.weekday.values()) <= {0, 2, 4}
    assert {c.reason for c in week.changes} == {"current weekday is not a delivery day"}


def test_settings_and_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="distinct"):
        WeekSettings(weekdays=(0, 0))
    with pytest.raises(ValueError, match="expected 0"):
        RetailerVolume("r", LON0, LAT0, 10, fixed_weekday=7)
    with pytest.raises(ValueError, match=r"expected to be in \[0, 1\]"):
        assign_weekdays(
            [RetailerVolume("r", LON0, LAT0, 10, fixed_weekday=4)],
            settings=WeekSettings(weekdays=(0, 1)),
        )
    assert assign_weekdays([]).weekday == {}
