"""Three-role staffing: capacities, keeping people in place, too few and overloaded staff."""

from __future__ import annotations

import pandas as pd
import pytest

from gridmgmt.domain import StaffRole
from gridmgmt.grids.staffing import assign_staff

GRIDS = pd.DataFrame(
    {"grid_id": ["G1", "G2", "G3", "G4"], "workload": [100.0, 100.0, 100.0, 100.0]}
)
ROLES = [r.value for r in StaffRole]


def staff(per_role: int, capacity: float) -> pd.DataFrame:
    rows = [
        {"staff_id": f"{role[:2]}{i}", "role": role, "capacity": capacity}
        for role in ROLES
        for i in range(per_role)
    ]
    return pd.DataFrame(rows)


def test_every_grid_gets_one_person_of_each_role_within_capacity() -> None:
    result = assign_staff(GRIDS, staff(2, 200.0))
    assert result.unstaffed.empty
    assert len(result.assignments) == 4 * 3
    per_grid = result.assignments.groupby(["grid_id", "role"]).size()
    assert (per_grid == 1).all()
    assert (result.staff_load["load"] <= result.staff_load["capacity"]).all()
    assert result.overloaded == []


def test_people_stay_in_their_current_grids_where_possible() -> None:
    people = staff(4, 200.0)
    current = pd.DataFrame(
        {"grid_id": ["G1", "G2", "G3", "G4"], "role": "monopoly_officer",
         "staff_id": ["mo3", "mo3", "mo0", "mo1"]}
    )  # fmt: skip
    result = assign_staff(GRIDS, people, current=current)
    officers = result.assignments[result.assignments["role"] == "monopoly_officer"]
    assert dict(zip(officers["grid_id"], officers["staff_id"], strict=True)) == {
        "G1": "mo3", "G2": "mo3", "G3": "mo0", "G4": "mo1",
    }  # fmt: skip
    assert officers["kept"].all()


def test_a_person_over_capacity_keeps_what_fits() -> None:
    people = staff(4, 200.0)
    # mo0 holds three grids (300 > 200): one of them must go to someone else.
    current = pd.DataFrame(
        {"grid_id": ["G1", "G2", "G3"], "role": "monopoly_officer", "staff_id": ["mo0"] * 3}
    )
    result = assign_staff(GRIDS, people, current=current)
    load = result.staff_load.set_index("staff_id")
    assert load.loc["mo0", "was_overloaded"]
    assert not load.loc["mo0", "overloaded"]
    assert load.loc["mo0", "n_grids"] == 2
    assert "mo0" in result.overloaded
    officers = result.assignments[result.assignments["role"] == "monopoly_officer"]
    assert officers["kept"].sum() == 2


def test_too_few_staff_leaves_grids_unstaffed() -> None:
    people = staff(1, 250.0)  # one person per role can take only two grids
    result = assign_staff(GRIDS, people)
    assert len(result.unstaffed) == 2 * 3
    assert set(result.unstaffed["role"]) == set(ROLES)
    assert (result.staff_load["load"] <= 250.0).all()


def test_a_role_with_nobody_leaves_all_its_posts_unstaffed() -> None:
    people = staff(2, 400.0)
    people = people[people["role"] != "deliverer"]
    result = assign_staff(GRIDS, people)
    assert sorted(result.unstaffed["grid_id"]) == ["G1", "G2", "G3", "G4"]
    assert set(result.unstaffed["role"]) == {"deliverer"}


def test_allowing_overload_staffs_everything_and_reports_it() -> None:
    people = staff(1, 250.0)
    result = assign_staff(GRIDS, people, allow_overload=True)
    assert result.unstaffed.empty
    load = result.staff_load
    assert load["overloaded"].all()
    assert (load["load"] == 400.0).all()
    assert len(result.overloaded) == 3


def test_roles_given_in_chinese_and_bad_input() -> None:
    people = pd.DataFrame(
        {"staff_id": ["a", "b", "c"], "role": ["专管员", "客户经理", "送货员"], "capacity": 1000}
    )
    result = assign_staff(GRIDS, people)
    assert result.unstaffed.empty
    with pytest.raises(ValueError, match="monopoly_officer"):
        assign_staff(GRIDS, people.assign(role="driver"))
    with pytest.raises(ValueError, match="capacities"):
        assign_staff(GRIDS, people.assign(capacity=-1))
    with pytest.raises(ValueError, match="duplicate"):
        assign_staff(GRIDS, pd.concat([people, people]))
