"""``gridmgmt routes ...``: delivery route planning."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from gridmgmt.cli._app import database_url
from gridmgmt.routing.benchmark import solve_vrplib
from gridmgmt.routing.manifest import day_totals, stop_table
from gridmgmt.routing.model import DayPlan, hhmm
from gridmgmt.routing.vrplib_io import VrplibFormatError, format_solution
from gridmgmt.services import routes as service
from gridmgmt.services.actor import SYSTEM, AccessDeniedError
from gridmgmt.store import db

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


EXIT_BAD_INPUT = 2
DepotOpt = Annotated[str, typer.Option("--depot", help="Depot code.")]
RoadsOpt = Annotated[
    Path | None,
    typer.Option("--roads", help="OSM XML/PBF road network (default: the demo's roads.osm)."),
]
TimeLimitOpt = Annotated[
    float, typer.Option("--time-limit", min=0.01, help="Solver budget in seconds.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        typer.echo(f"error: {text!r} is not a date YYYY-MM-DD", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    try:
        with db.transaction(database_url(ctx)) as session:
            yield session
    except (ValueError, LookupError, FileNotFoundError, AccessDeniedError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _print_plan(plan: DayPlan) -> None:
    totals = day_totals(plan)
    typer.echo(
        f"{plan.day.isoformat()}: {totals['vehicles']} vehicles, {totals['km']} km, "
        f"{totals['hours']} h, {totals['stops']} stops, {totals['unserved']} unserved"
    )
    for route in plan.routes:
        typer.echo(
            f"  {route.route_id}: {len(route.stops)} stops, {route.load_cartons} cartons, "
            f"{route.distance_m / 1000:.1f} km, {hhmm(route.start_s)}-{hhmm(route.end_s)}"
        )
    for u in plan.unserved:
        typer.echo(f"  unserved {u.order_id}: {u.reason.value} {u.detail}")


def _plan_json(plan: DayPlan) -> dict[str, Any]:
    stops = stop_table(plan)
    return {
        "totals": day_totals(plan),
        "stops": json.loads(stops.to_json(orient="records", force_ascii=False)),
        "unserved": [
            {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unserved
        ],
    }


@app.command("plan")
def plan_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: Annotated[str, typer.Option("--date", help="Delivery date YYYY-MM-DD.")],
    time_limit: TimeLimitOpt = 30.0,
    roads: RoadsOpt = None,
    seed: SeedOpt = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the manifests (CSV, Excel, HTML).")
    ] = None,
) -> None:
    """Plan a depot's delivery day: routes per vehicle and unserved orders with reasons."""
    day = _date(date)
    with _session(ctx) as session:
        plan = service.plan_depot_day(
            session,
            SYSTEM,
            depot_code=depot,
            day=day,
            roads=roads or service.default_roads(),
            time_limit=time_limit,
            seed=seed,
        )
    if out is not None:
        service.manifest(plan, out, stem=f"{depot}-{day.isoformat()}", title=depot)
    if as_json:
        typer.echo(json.dumps(_plan_json(plan), ensure_ascii=False))
    else:
        _print_plan(plan)


@app.command("week")
def week_command(
    ctx: typer.Context,
    depot: DepotOpt,
    week_of: Annotated[str, typer.Option("--week-of", help="Any date of the week.")],
    time_limit: TimeLimitOpt = 30.0,
    roads: RoadsOpt = None,
    seed: SeedOpt = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Assign retailers to delivery weekdays (balanced, stable) and plan each day."""
    with _session(ctx) as session:
        week = service.plan_week(
            session,
            SYSTEM,
            depot_code=depot,
            week_of=_date(week_of),
            roads=roads or service.default_roads(),
            time_limit=time_limit,
            seed=seed,
        )
    changes = [
        {"retailer": c.retailer_id, "from": c.old_weekday, "to": c.new_weekday, "reason": c.reason}
        for c in week.assignment.changes
    ]
    if as_json:
        days = {d.isoformat(): day_totals(p) for d, p in week.days.items()}
        typer.echo(json.dumps({"days": days, "changes": changes}, ensure_ascii=False))
        return
    for plan in week.days.values():
        _print_plan(plan)
    typer.echo(f"{len(changes)} retailers change weekday")


@app.command("manifest")
def manifest_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: Annotated[str, typer.Option("--date", help="Delivery date YYYY-MM-DD.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or html.")] = "csv",
    time_limit: TimeLimitOpt = 30.0,
    roads: RoadsOpt = None,
    seed: SeedOpt = 0,
) -> None:
    """Plan a depot's day and write the driver manifest (配送单) as CSV, Excel or HTML."""
    if fmt not in service.MANIFEST_FORMATS:
        typer.echo(f"error: --format must be one of {list(service.MANIFEST_FORMATS)}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    with _session(ctx) as session:
        plan = service.plan_depot_day(
            session,
            SYSTEM,
            depot_code=depot,
            day=_date(date),
            roads=roads or service.default_roads(),
            time_limit=time_limit,
            seed=seed,
        )
    path = service.write_manifest(plan, output, fmt=fmt, title=depot)
    typer.echo(f"wrote {path}")
