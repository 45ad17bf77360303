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
from gridmgmt.routing.closures import Closure
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
ClosuresOpt = Annotated[
    Path | None,
    typer.Option(
        "--closures",
        help="GeoJSON/GeoPackage closure polygons (properties id, start, end, reason).",
    ),
]
ClosureModeOpt = Annotated[
    str,
    typer.Option(
        "--closure-mode",
        help="Retailers inside a closure: skip (reported) or handoff (约时约地, at its edge).",
    ),
]


def _closures(path: Path | None, mode: str) -> list[Closure] | None:
    if mode not in service.CLOSURE_MODES:
        typer.echo(f"error: --closure-mode must be one of {list(service.CLOSURE_MODES)}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if path is None:
        return None
    try:
        return service.read_closures(path)
    except service.ClosureFileError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _licence_counts(values: list[str], option: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        licence, _, cartons = value.partition(":")
        if not licence or not cartons.isdigit() or int(cartons) <= 0:
            typer.echo(f"error: {option} {value!r} is not LICENCE:CARTONS (cartons > 0)", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        counts[licence] = int(cartons)
    return counts


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


def _print_stored(version: service.PlanVersion) -> None:
    typer.echo(
        f"stored as version {version.version} of {version.depot_code} "
        f"{version.day.isoformat()} (current)"
    )


def _plan_json(plan: DayPlan) -> dict[str, Any]:
    stops = stop_table(plan)
    return {
        "totals": day_totals(plan),
        "stops": json.loads(stops.to_json(orient="records", force_ascii=False)),
        "unserved": [
            {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unserved
        ],
        "plan": service.plan_to_json(plan),
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
    closures: ClosuresOpt = None,
    closure_mode: ClosureModeOpt = "skip",
    save: Annotated[
        Path | None,
        typer.Option("--save", help="Write the plan as JSON (the start for `routes replan`)."),
    ] = None,
) -> None:
    """Plan a depot's delivery day: routes per vehicle and unserved orders with reasons.

    The plan is stored as the day's new current version (older versions are kept): `routes
    manifest` and `routes replan` start from it, `routes plans` lists the versions.
    """
    day = _date(date)
    closed = _closures(closures, closure_mode)
    with _session(ctx) as session:
        stored = service.plan_and_store_day(
            session,
            SYSTEM,
            depot_code=depot,
            day=day,
            roads=roads or service.default_roads(),
            time_limit=time_limit,
            seed=seed,
            closures=closed,
            closure_mode=closure_mode,
        )
    plan = stored.plan
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(service.plan_to_json(plan), ensure_ascii=False), "utf-8")
    if out is not None:
        service.manifest(plan, out, stem=f"{depot}-{day.isoformat()}", title=depot)
    if as_json:
        data = {**_plan_json(plan), "plan_version": stored.version.version}
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        _print_plan(plan)
        _print_stored(stored.version)


@app.command("week")
def week_command(
    ctx: typer.Context,
    depot: DepotOpt,
    week_of: Annotated[str, typer.Option("--week-of", help="Any date of the week.")],
    time_limit: TimeLimitOpt = 30.0,
    roads: RoadsOpt = None,
    seed: SeedOpt = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    closures: ClosuresOpt = None,
    closure_mode: ClosureModeOpt = "skip",
) -> None:
    """Assign retailers to delivery weekdays (balanced, stable) and plan each day.

    Each day's plan is stored as that date's new current version.
    """
    closed = _closures(closures, closure_mode)
    with _session(ctx) as session:
        stored = service.plan_and_store_week(
            session,
            SYSTEM,
            depot_code=depot,
            week_of=_date(week_of),
            roads=roads or service.default_roads(),
            time_limit=time_limit,
            seed=seed,
            closures=closed,
            closure_mode=closure_mode,
        )
    week = stored.week
    changes = [
        {"retailer": c.retailer_id, "from": c.old_weekday, "to": c.new_weekday, "reason": c.reason}
        for c in week.assignment.changes
    ]
    if as_json:
        days = {d.isoformat(): day_totals(p) for d, p in week.days.items()}
        versions = {d.isoformat(): v.version for d, v in stored.versions.items()}
        data = {"days": days, "changes": changes, "plan_versions": versions}
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for day, plan in week.days.items():
        _print_plan(plan)
        _print_stored(stored.versions[day])
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
    fresh: Annotated[
        bool,
        typer.Option(
            "--replan",
            help="Plan the day afresh (and store it) instead of using the stored plan.",
        ),
    ] = False,
) -> None:
    """Write the driver manifest (配送单) of a depot's day as CSV, Excel or HTML.

    The manifest is the day's stored current plan, as the dispatcher saw it; if none is
    stored (or with --replan) the day is planned and stored first.
    """
    if fmt not in service.MANIFEST_FORMATS:
        typer.echo(f"error: --format must be one of {list(service.MANIFEST_FORMATS)}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    with _session(ctx) as session:
        stored = service.manifest_plan(
            session,
            SYSTEM,
            depot_code=depot,
            day=_date(date),
            roads=roads or service.default_roads(),
            fresh=fresh,
            time_limit=time_limit,
            seed=seed,
        )
    path = service.write_manifest(stored.plan, output, fmt=fmt, title=depot)
    typer.echo(f"wrote {path} (plan version {stored.version.version}, {stored.version.kind})")


@app.command("replan")
def replan_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: Annotated[str, typer.Option("--date", help="Delivery date YYYY-MM-DD.")],
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Start from this plan (`routes plan --save` or `--json` output) instead of "
            "the stored current plan.",
        ),
    ] = None,
    add: Annotated[
        list[str] | None, typer.Option("--add", help="New order LICENCE:CARTONS (repeatable).")
    ] = None,
    cancel: Annotated[
        list[str] | None, typer.Option("--cancel", help="Cancel LICENCE's order (repeatable).")
    ] = None,
    change: Annotated[
        list[str] | None,
        typer.Option("--change", help="Change LICENCE's order to CARTONS (repeatable)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the new plan as JSON.")
    ] = None,
    time_limit: TimeLimitOpt = 10.0,
    roads: RoadsOpt = None,
    seed: SeedOpt = 0,
    closures: ClosuresOpt = None,
    closure_mode: Annotated[
        str | None,
        typer.Option(
            "--closure-mode",
            help="Retailers inside a closure: skip or handoff (default: as the stored plan).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Re-optimise a planned day after orders are added, cancelled or changed (调整计划).

    Starts from the stored current plan (or --plan), so little moves; its earlier order
    changes, closures and closure mode still apply unless given anew. Reports the orders
    added, cancelled, changed and moved between routes, and stores the new plan as the
    day's current version. The orders themselves are not changed.
    """
    day = _date(date)
    added = _licence_counts(add or [], "--add")
    changed = _licence_counts(change or [], "--change")
    closed = _closures(closures, closure_mode or "skip")
    current = None
    if plan_file is not None:
        try:
            current = service.plan_from_json(json.loads(plan_file.read_text("utf-8")))
        except (OSError, ValueError) as error:
            typer.echo(f"error: --plan {plan_file}: {error}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    with _session(ctx) as session:
        stored = service.replan_and_store_day(
            session,
            SYSTEM,
            depot_code=depot,
            day=day,
            roads=roads or service.default_roads(),
            current=current,
            add=added,
            cancel=cancel or [],
            change=changed,
            time_limit=time_limit,
            seed=seed,
            closures=closed,
            closure_mode=closure_mode,
        )
    result, summary = stored.result, stored.changes
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            json.dumps(service.plan_to_json(result.plan), ensure_ascii=False), "utf-8"
        )
    if as_json:
        data = {
            **_plan_json(result.plan),
            "changes": summary,
            "plan_version": stored.version.version,
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    _print_plan(result.plan)
    for key in ("added", "cancelled", "changed", "moved"):
        typer.echo(f"{key}: {', '.join(summary[key]) or '-'}")
    _print_stored(stored.version)


@app.command("plans")
def plans_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: Annotated[
        str | None, typer.Option("--date", help="Only this delivery date YYYY-MM-DD.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List a depot's stored plans (配送计划): every version per date, the current one marked."""
    day = _date(date) if date is not None else None
    with _session(ctx) as session:
        versions = service.plan_versions(session, SYSTEM, depot_code=depot, day=day)
    if as_json:
        data = {
            "depot_code": depot,
            "date": day.isoformat() if day is not None else None,
            "versions": [v.to_json() for v in versions],
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    if not versions:
        typer.echo(f"no stored plans of depot {depot}" + (f" for {date}" if date else ""))
        return
    for v in versions:
        mark = "*" if v.current else " "
        typer.echo(
            f"{mark} {v.day.isoformat()} v{v.version} {v.kind:<6} "
            f"{v.created_at:%Y-%m-%d %H:%M} {v.created_by}: {v.km} km, {v.vehicles} vehicles, "
            f"{v.hours} h, {v.orders_served} served, {v.orders_unserved} unserved"
        )
    typer.echo("* current plan")
