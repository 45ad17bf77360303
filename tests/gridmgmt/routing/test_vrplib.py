from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers every command group)
from gridmgmt.cli._app import app
from gridmgmt.routing.benchmark import gap_percent, solve_vrplib
from gridmgmt.routing.vrplib_io import (
    VrplibFormatError,
    format_solution,
    read_best_known_cost,
    read_vrplib,
    routes_cost,
    routes_to_solution,
)

from .conftest import TINY_CVRP_COST, TINY_CVRP_ROUTES, TINY_VRPTW_COST, TINY_VRPTW_ROUTES


def test_cvrp_cost_uses_rounded_euclidean(tiny_cvrp: Path) -> None:
    instance = read_vrplib(tiny_cvrp)
    assert (instance.kind, instance.convention, instance.scale) == ("CVRP", "round", 1)
    # 1 + 1 + 3: the last leg is 2.83, rounded up, not truncated.
    assert routes_cost(instance, [[1, 2]]) == 5.0
    assert routes_cost(instance, [[1, 2], [3, 4]]) == TINY_CVRP_COST


def test_vrptw_cost_truncates_to_one_decimal(tiny_vrptw: Path) -> None:
    instance = read_vrplib(tiny_vrptw)
    assert (instance.kind, instance.convention, instance.scale) == ("VRPTW", "dimacs", 10)
    assert routes_cost(instance, [[1, 2]]) == 15.6
    assert routes_cost(instance, [[1, 2], [3]]) == TINY_VRPTW_COST


def test_solver_cost_matches_matrix_cost(tiny_cvrp: Path) -> None:
    instance = read_vrplib(tiny_cvrp)
    solution = routes_to_solution(instance, [[1, 2], [3, 4]])
    assert solution.is_feasible()
    assert solution.distance() == TINY_CVRP_COST


@pytest.mark.parametrize(
    ("fixture", "cost", "routes"),
    [
        ("tiny_cvrp", TINY_CVRP_COST, TINY_CVRP_ROUTES),
        ("tiny_vrptw", TINY_VRPTW_COST, TINY_VRPTW_ROUTES),
    ],
)
def test_solve_vrplib_finds_hand_computed_optimum(
    fixture: str, cost: float, routes: list[set[int]], request: pytest.FixtureRequest
) -> None:
    path = request.getfixturevalue(fixture)
    result = solve_vrplib(path, time_limit=None, max_iterations=300, seed=1, workers=1)
    assert result.feasible
    assert result.cost == cost
    assert sorted(map(set, result.routes), key=min) == routes


def test_vrptw_routes_respect_time_windows(tiny_vrptw: Path) -> None:
    instance = read_vrplib(tiny_vrptw)
    # Customer 3 after customer 1 arrives at 21 > 20: late.
    late = routes_to_solution(instance, [[1, 3], [2]])
    assert not late.is_feasible()
    assert late.time_warp() > 0


def test_solve_vrplib_is_reproducible_for_a_seed(tiny_cvrp: Path) -> None:
    runs = [
        solve_vrplib(tiny_cvrp, time_limit=None, max_iterations=200, seed=7, workers=1)
        for _ in range(2)
    ]
    assert runs[0].routes == runs[1].routes
    assert runs[0].iterations == runs[1].iterations == 200


def test_two_workers_return_the_best_of_both(tiny_cvrp: Path) -> None:
    result = solve_vrplib(tiny_cvrp, time_limit=20, max_iterations=200, seed=3, workers=2)
    assert result.cost == TINY_CVRP_COST
    assert result.iterations == 400
    assert result.workers == 2


def test_read_best_known_cost(tmp_path: Path) -> None:
    sol = tmp_path / "x.sol"
    sol.write_text(format_solution([[1, 2], [3, 4]], 25.0), encoding="utf-8")
    assert read_best_known_cost(sol) == 25.0
    sol.write_text("Route #1: 1 2\nCost 42444.8\n", encoding="utf-8")
    assert read_best_known_cost(sol) == 42444.8
    assert gap_percent(101.0, 100.0) == pytest.approx(1.0)


def test_unsupported_type_is_refused(tmp_path: Path, tiny_cvrp: Path) -> None:
    path = tmp_path / "tsp.vrp"
    path.write_text(tiny_cvrp.read_text().replace("TYPE : CVRP", "TYPE : TSP"), encoding="utf-8")
    with pytest.raises(VrplibFormatError, match=r"TSP.*\['CVRP', 'VRPTW'\]"):
        read_vrplib(path)


def test_cli_solve_vrplib_prints_json(tiny_cvrp: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["routes", "solve-vrplib", str(tiny_cvrp), "--time-limit", "1", "--seed", "2", "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["instance"] == "tiny-cvrp"
    assert payload["cost"] == TINY_CVRP_COST
    assert sorted(map(set, payload["routes"]), key=min) == TINY_CVRP_ROUTES
    assert payload["time_s"] < 10
    assert payload["seed"] == 2


def test_cli_solve_vrplib_prints_sol_text(tiny_vrptw: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["routes", "solve-vrplib", str(tiny_vrptw), "--max-iterations", "300", "--time-limit", "5"],
    )
    assert result.exit_code == 0, result.output
    assert "Cost 55.6" in result.stdout
    assert result.stdout.count("Route #") == 2


def test_cli_solve_vrplib_reports_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.vrp"
    path.write_text("NAME : bad\nTYPE : TSP\nDIMENSION : 1\nEOF\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["routes", "solve-vrplib", str(path), "--json"])
    assert result.exit_code == 2  # invalid input, reported by the root group
    assert "TSP" in result.stderr


def test_rounds_restart_from_the_best_and_stay_reproducible(tiny_vrptw: Path) -> None:
    runs = [
        solve_vrplib(tiny_vrptw, time_limit=None, max_iterations=90, seed=5, workers=2, rounds=3)
        for _ in range(2)
    ]
    assert runs[0].cost == runs[1].cost == TINY_VRPTW_COST
    assert runs[0].routes == runs[1].routes
    assert runs[0].iterations == 2 * 3 * 30
