"""Read and write standard VRPLIB instances in their own cost conventions.

Two families are supported, as collected on CVRPLIB:

- **CVRP** (Uchoa et al. "X" set): Euclidean distances rounded to the nearest integer.
- **VRPTW** (Solomon, Gehring-Homberger; the DIMACS convention): distances and durations
  truncated to one decimal. PyVRP works on integers, so every value is scaled by 10 and
  truncated, and costs are divided by 10 again on the way out.

Routes are given as in the ``.sol`` files: lists of location indices where the depot is 0
and customers are 1 to n-1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvrp
from pyvrp import Activity, ActivityType, ProblemData, Route, Solution

from gridmgmt.errors import InvalidInputError

#: Integer scale applied to every value by each convention.
CONVENTION_SCALE: dict[str, int] = {"round": 1, "dimacs": 10}

#: The convention each instance type is published in.
CONVENTION_BY_TYPE: dict[str, str] = {"CVRP": "round", "VRPTW": "dimacs"}

_COST_LINE = re.compile(r"^\s*cost\s*:?\s*([-+0-9.eE]+)\s*$", re.IGNORECASE)
_TYPE_LINE = re.compile(r"^\s*TYPE\s*:\s*(\S+)", re.IGNORECASE)


class VrplibFormatError(InvalidInputError):
    """A VRPLIB file that cannot be read as a supported instance."""


@dataclass(frozen=True)
class VrplibInstance:
    """A VRPLIB instance scaled to integers for the solver.

    Attributes
    ----------
    name
        Instance name (file stem).
    kind
        Problem type from the file's ``TYPE`` line: ``"CVRP"`` or ``"VRPTW"``.
    convention
        Rounding convention: ``"round"`` or ``"dimacs"``.
    data
        Integer problem data; location 0 is the depot, client ``c`` sits at location ``c + 1``.
    """

    name: str
    kind: str
    convention: str
    data: ProblemData

    @property
    def scale(self) -> int:
        """Factor between the instance's units and the integer data."""
        return CONVENTION_SCALE[self.convention]


def read_instance_type(path: str | Path) -> str:
    """Return the ``TYPE`` of a VRPLIB file, upper case.

    Parameters
    ----------
    path
        VRPLIB instance file.

    Returns
    -------
    str
        For example ``"CVRP"`` or ``"VRPTW"``.
    """
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if match := _TYPE_LINE.match(line):
                return match.group(1).upper()
            if "SECTION" in line.upper():
                break
    msg = f"{path}: no TYPE line before the data sections"
    raise VrplibFormatError(msg)


def read_vrplib(path: str | Path, *, convention: str | None = None) -> VrplibInstance:
    """Read a CVRP or VRPTW instance in VRPLIB format.

    Parameters
    ----------
    path
        VRPLIB instance file (``.vrp``).
    convention
        ``"round"`` or ``"dimacs"``; by default the one the instance type is published in
        (CVRP: round, VRPTW: dimacs).

    Returns
    -------
    VrplibInstance
        The instance with integer data ready for the solver.
    """
    path = Path(path)
    kind = read_instance_type(path)
    if kind not in CONVENTION_BY_TYPE:
        msg = (
            f"{path.name}: TYPE was {kind!r} but is expected to be in {sorted(CONVENTION_BY_TYPE)}"
        )
        raise VrplibFormatError(msg)
    convention = convention or CONVENTION_BY_TYPE[kind]
    if convention not in CONVENTION_SCALE:
        msg = f"`convention` was {convention!r} but is expected to be in {sorted(CONVENTION_SCALE)}"
        raise InvalidInputError(msg)
    data = pyvrp.read(path, round_func=convention)
    if data.num_depots != 1:
        msg = f"{path.name}: {data.num_depots} depots; only single-depot instances are supported"
        raise VrplibFormatError(msg)
    return VrplibInstance(name=path.stem, kind=kind, convention=convention, data=data)


def read_best_known_cost(path: str | Path) -> float:
    """Return the cost on the ``Cost`` line of a VRPLIB ``.sol`` file.

    Parameters
    ----------
    path
        Solution file.

    Returns
    -------
    float
        The best-known cost in the instance's own units.
    """
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if match := _COST_LINE.match(line):
                return float(match.group(1))
    msg = f"{path}: no 'Cost' line"
    raise VrplibFormatError(msg)


def solution_routes(solution: Solution) -> list[list[int]]:
    """Routes of a solution as VRPLIB location indices (depot 0, customers 1..n-1).

    Parameters
    ----------
    solution
        A PyVRP solution on data read by :func:`read_vrplib`.

    Returns
    -------
    list of list of int
        One list per non-empty route, depots excluded.
    """
    routes = []
    for route in solution.routes():
        visits = [act.idx + 1 for act in route if act.is_client()]
        if visits:
            routes.append(visits)
    return routes


def routes_to_solution(instance: VrplibInstance, routes: list[list[int]]) -> Solution:
    """Build a PyVRP solution from VRPLIB routes (customers numbered 1..n-1).

    Parameters
    ----------
    instance
        The instance the routes belong to.
    routes
        Lists of customer indices.

    Returns
    -------
    Solution
        The same routes, all on the first vehicle type.
    """
    data = instance.data
    pyvrp_routes = []
    for visits in routes:
        bad = [v for v in visits if not 1 <= v <= data.num_clients]
        if bad:
            msg = f"customer indices {bad} are outside 1..{data.num_clients}"
            raise InvalidInputError(msg)
        activities = [Activity(ActivityType.CLIENT, v - 1) for v in visits]
        pyvrp_routes.append(Route(data, activities, 0))
    return Solution(data, pyvrp_routes)


def routes_cost(instance: VrplibInstance, routes: list[list[int]]) -> float:
    """Total distance of routes in the instance's convention, computed from the matrix.

    Parameters
    ----------
    instance
        The instance the routes belong to.
    routes
        Lists of customer indices (depot 0 implicit at both ends).

    Returns
    -------
    float
        An integer for CVRP; a value with one decimal for VRPTW.
    """
    dist = instance.data.distance_matrix(0)
    total = 0
    for visits in routes:
        path = np.asarray([0, *visits, 0])
        total += int(dist[path[:-1], path[1:]].sum())
    return round(total / instance.scale, 1) if instance.scale != 1 else float(total)


def format_solution(routes: list[list[int]], cost: float) -> str:
    """Format routes and cost as a VRPLIB ``.sol`` text.

    Parameters
    ----------
    routes
        Lists of customer indices.
    cost
        Total cost in the instance's convention.

    Returns
    -------
    str
        ``Route #1: ...`` lines followed by ``Cost ...``.
    """
    lines = [f"Route #{i}: {' '.join(map(str, r))}" for i, r in enumerate(routes, start=1)]
    cost_text = str(int(cost)) if float(cost).is_integer() else f"{cost:.1f}"
    lines.append(f"Cost {cost_text}")
    return "\n".join(lines) + "\n"
