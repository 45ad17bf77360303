"""``gridmgmt routes ...``: delivery route planning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gridmgmt.routing.benchmark import solve_vrplib
from gridmgmt.routing.vrplib_io import VrplibFormatError, format_solution

app = typer.Typer(
    help="Delivery routes (配送线路): plan a depot's day, weekly plans, manifests, benchmarks.",
    no_args_is_help=True,
)


@app.callback()
def _routes() -> None:
    """Delivery routes (配送线路)."""


@app.command("solve-vrplib")
def solve_vrplib_command(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="VRPLIB instance (.vrp)."),
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="Wall-clock budget in seconds.")
    ] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Parallel searches (default: every core)."),
    ] = None,
    rounds: Annotated[
        int,
        typer.Option("--rounds", min=1, help="Rounds restarting all searches from the best."),
    ] = 4,
    max_iterations: Annotated[
        int | None,
        typer.Option(
            "--max-iterations", min=1, help="Iteration bound per search (machine-independent)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Solve a CVRP or VRPTW instance in VRPLIB format (CVRPLIB X, Solomon, Gehring-Homberger).

    The cost is in the instance's convention (CVRP: rounded Euclidean; VRPTW: DIMACS,
    truncated to one decimal); routes list customers 1..n-1 as in ``.sol`` files.
    """
    try:
        result = solve_vrplib(
            file,
            time_limit=time_limit,
            seed=seed,
            workers=workers,
            rounds=rounds,
            max_iterations=max_iterations,
        )
    except VrplibFormatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    typer.echo(format_solution(result.routes, result.cost), nl=False)
    status = "feasible" if result.feasible else "INFEASIBLE"
    typer.echo(f"# {result.instance}: {status}, {result.num_routes} routes, {result.time_s:.1f} s")
