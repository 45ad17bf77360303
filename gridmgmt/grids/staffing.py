"""Three-role staffing of grids (三员网格化: 定岗、定员、定责).

Each grid needs one monopoly officer (专管员), one account manager (客户经理) and one
deliverer or market-information collector (送货员 / 信息采集员). A person may look after
several grids as long as the grids' total workload fits their capacity. For each role the
assignment is a small integer programme (a generalised assignment, solved exactly by HiGHS):
staff every grid if at all possible, then keep as many people in their current grids as
possible, then spread work in proportion to capacity. Grids no one can take are reported
unstaffed; staff whose current load already exceeds their capacity are reported
overloaded. With ``allow_overload`` every grid is staffed and the least overload needed is
reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from gridmgmt.domain import StaffRole, parse_enum
from gridmgmt.errors import InvalidInputError

__all__ = ["StaffingResult", "assign_staff"]

# Objective weights: an unstaffed grid outweighs any number of changes, which outweigh
# the load-spreading tie-break; overload (when allowed) outweighs changes too.
_UNSTAFFED_COST = 1e6
_OVERLOAD_COST = 1e3
_CHANGE_COST = 1.0
_SPREAD_COST = 1e-3


@dataclass(frozen=True)
class StaffingResult:
    """Staff assigned to grids.

    Attributes
    ----------
    assignments
        One row per staffed grid and role: ``grid_id``, ``role``, ``staff_id``, ``kept``
        (the person already had this grid).
    unstaffed
        ``grid_id`` and ``role`` of every post no one could take.
    staff_load
        One row per person: ``staff_id``, ``role``, ``capacity``, ``current_load``,
        ``load``, ``n_grids``, ``overloaded`` (new load above capacity) and
        ``was_overloaded`` (current load above capacity).
    """

    assignments: pd.DataFrame
    unstaffed: pd.DataFrame
    staff_load: pd.DataFrame

    @property
    def overloaded(self) -> list[object]:
        """Ids of staff whose new or current load exceeds their capacity."""
        load = self.staff_load
        return list(load.loc[load["overloaded"] | load["was_overloaded"], "staff_id"])


def assign_staff(
    grids: pd.DataFrame,
    staff: pd.DataFrame,
    *,
    current: pd.DataFrame | None = None,
    allow_overload: bool = False,
    roles: tuple[StaffRole, ...] = tuple(StaffRole),
) -> StaffingResult:
    """Assign one person of each role to every grid.

    Parameters
    ----------
    grids
        ``grid_id`` and ``workload`` of each grid.
    staff
        ``staff_id``, ``role`` (a :class:`~gridmgmt.domain.StaffRole` value or Chinese
        label) and ``capacity`` (workload units) of each person.
    current
        Current posts: ``grid_id``, ``role``, ``staff_id``; people are kept there where
        possible.
    allow_overload
        Staff every grid even beyond capacity, with the least total overload.
    roles
        Roles to staff.

    Returns
    -------
    StaffingResult
        Assignments, unstaffed posts and each person's load.

    Raises
    ------
    ValueError
        If columns are missing, ids repeat, a role is unknown or a capacity negative.
    """
    grid_frame, staff_frame, current_frame = _validate(grids, staff, current)
    assignments, unstaffed = [], []
    for role in roles:
        people = staff_frame[staff_frame["role"] == role.value]
        posts = current_frame[current_frame["role"] == role.value]
        chosen, missing = _assign_role(grid_frame, people, posts, allow_overload)
        assignments.append(chosen.assign(role=role.value))
        unstaffed.append(pd.DataFrame({"grid_id": missing, "role": role.value}))
    assigned = pd.concat(assignments, ignore_index=True)[["grid_id", "role", "staff_id", "kept"]]
    return StaffingResult(
        assignments=assigned,
        unstaffed=pd.concat(unstaffed, ignore_index=True),
        staff_load=_loads(grid_frame, staff_frame, assigned, current_frame),
    )


def _assign_role(
    grids: pd.DataFrame, people: pd.DataFrame, posts: pd.DataFrame, allow_overload: bool
) -> tuple[pd.DataFrame, list[object]]:
    grid_ids = grids["grid_id"].tolist()
    if people.empty or not grid_ids:
        empty = pd.DataFrame({"grid_id": [], "staff_id": [], "kept": []})
        return empty, grid_ids
    n_g, n_s = len(grid_ids), len(people)
    work = grids["workload"].to_numpy(float)
    capacity = people["capacity"].to_numpy(float)
    held = set(zip(posts["grid_id"], posts["staff_id"], strict=True))
    kept = np.array([[(g, s) in held for s in people["staff_id"]] for g in grid_ids], dtype=bool)
    # Variables: x[g, s] (binary), unstaffed[g] (0..1), overload[s] (>= 0, if allowed).
    n_x = n_g * n_s
    spread = work[:, None] / np.maximum(capacity[None, :], 1e-9)
    cost_x = np.where(kept, 0.0, _CHANGE_COST) + _SPREAD_COST * spread
    cost = np.concatenate(
        [cost_x.ravel(), np.full(n_g, _UNSTAFFED_COST), np.full(n_s, _OVERLOAD_COST)]
    )
    g_idx = np.repeat(np.arange(n_g), n_s)
    s_idx = np.tile(np.arange(n_s), n_g)
    x_idx = np.arange(n_x)
    one_post = coo_matrix(
        (
            np.ones(n_x + n_g),
            (
                np.concatenate([g_idx, np.arange(n_g)]),
                np.concatenate([x_idx, n_x + np.arange(n_g)]),
            ),
        ),
        shape=(n_g, n_x + n_g + n_s),
    )
    load = coo_matrix(
        (
            np.concatenate([work[g_idx], -np.ones(n_s)]),
            (
                np.concatenate([s_idx, np.arange(n_s)]),
                np.concatenate([x_idx, n_x + n_g + np.arange(n_s)]),
            ),
        ),
        shape=(n_s, n_x + n_g + n_s),
    )
    overload_cap = np.full(n_s, np.inf if allow_overload else 0.0)
    if allow_overload:
        # Overload only when nobody else can take the grid: dearer than a change.
        cost[n_x + n_g :] = _OVERLOAD_COST / max(float(work.mean()), 1e-9)
    result = milp(
        cost,
        constraints=[
            LinearConstraint(one_post, lb=np.ones(n_g), ub=np.ones(n_g)),
            LinearConstraint(load, lb=-np.inf, ub=capacity),
        ],
        integrality=np.concatenate([np.ones(n_x), np.zeros(n_g + n_s)]),
        bounds=Bounds(
            np.zeros(n_x + n_g + n_s),
            np.concatenate([np.ones(n_x + n_g), overload_cap]),
        ),
    )
    if result.x is None:
        msg = f"staff assignment failed: {result.message}"
        raise RuntimeError(msg)
    x = result.x[:n_x].reshape(n_g, n_s) > 0.5
    rows = [
        {"grid_id": grid_ids[g], "staff_id": people["staff_id"].iloc[s], "kept": bool(kept[g, s])}
        for g, s in zip(*np.nonzero(x), strict=True)
    ]
    missing = [grid_ids[g] for g in range(n_g) if not x[g].any()]
    return pd.DataFrame(rows, columns=["grid_id", "staff_id", "kept"]), missing


def _loads(
    grids: pd.DataFrame, staff: pd.DataFrame, assigned: pd.DataFrame, current: pd.DataFrame
) -> pd.DataFrame:
    work = grids.set_index("grid_id")["workload"]
    new = assigned.assign(w=assigned["grid_id"].map(work)).groupby("staff_id")["w"]
    old = current.assign(w=current["grid_id"].map(work).fillna(0.0)).groupby("staff_id")["w"]
    out = staff[["staff_id", "role", "capacity"]].copy()
    out["current_load"] = out["staff_id"].map(old.sum()).fillna(0.0)
    out["load"] = out["staff_id"].map(new.sum()).fillna(0.0)
    out["n_grids"] = out["staff_id"].map(new.size()).fillna(0).astype(int)
    out["overloaded"] = out["load"] > out["capacity"] + 1e-9
    out["was_overloaded"] = out["current_load"] > out["capacity"] + 1e-9
    return out.reset_index(drop=True)


def _validate(
    grids: pd.DataFrame, staff: pd.DataFrame, current: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    _require(grids, ("grid_id", "workload"), "grids")
    _require(staff, ("staff_id", "role", "capacity"), "staff")
    if grids["grid_id"].duplicated().any():
        msg = "grids have duplicate grid ids"
        raise InvalidInputError(msg)
    if staff["staff_id"].duplicated().any():
        msg = "staff have duplicate staff ids"
        raise InvalidInputError(msg)
    staff_frame = staff.copy()
    staff_frame["role"] = [parse_enum(StaffRole, str(r)).value for r in staff["role"]]
    staff_frame["capacity"] = pd.to_numeric(staff["capacity"], errors="coerce")
    if staff_frame["capacity"].isna().any() or (staff_frame["capacity"] < 0).any():
        msg = "staff capacities must be numbers of workload units, 0 or more"
        raise InvalidInputError(msg)
    grid_frame = grids[["grid_id", "workload"]].copy()
    grid_frame["workload"] = pd.to_numeric(grid_frame["workload"], errors="coerce").fillna(0.0)
    if current is None:
        current_frame = pd.DataFrame({"grid_id": [], "role": [], "staff_id": []})
    else:
        _require(current, ("grid_id", "role", "staff_id"), "current")
        current_frame = current[["grid_id", "role", "staff_id"]].copy()
        current_frame["role"] = [parse_enum(StaffRole, str(r)).value for r in current["role"]]
    return grid_frame, staff_frame, current_frame


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name} lack columns {missing}; need {list(columns)}"
        raise InvalidInputError(msg)
