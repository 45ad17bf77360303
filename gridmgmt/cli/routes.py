"""``gridmgmt routes ...``: delivery route planning.

Each command builds the action's one request (:mod:`gridmgmt.services.routes.requests`)
from its options, opens the unit of work and calls the service; errors are reported by the
root group. Options not given are left to the request's defaults. Heavy modules (the
services, the engines) are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gridmgmt.cli._app import settings, unit_of_work
from gridmgmt.errors import InvalidInputError

if TYPE_CHECKING:
    from gridmgmt.routing.model import DayPlan
    from gridmgmt.services.actor import Actor
    from gridmgmt.services.routes import PlanVersion

app = typer.Typer(
    help="Delivery routes (配送线路): plan a depot's day, weekly plans, manifests, benchmarks.",
    no_args_is_help=True,
)


class ClosureMode(StrEnum):
    """Retailers inside a closure (the values of ``gridmgmt.routing.closures.ClosurePolicy``)."""

    SKIP = "skip"
    HANDOFF = "handoff"


class ManifestFormat(StrEnum):
    """Driver manifest formats (``gridmgmt.services.routes.MANIFEST_FORMATS``)."""

    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"


@app.callback()
def _routes() -> None:
    """Delivery routes (配送线路)."""


def _actor(ctx: typer.Context) -> Actor:
    """Who the command acts as: the local administrator (every county)."""
    from gridmgmt.services.actor import SYSTEM

    return SYSTEM


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
    from gridmgmt.routing.benchmark import solve_vrplib
    from gridmgmt.routing.vrplib_io import format_solution

    result = solve_vrplib(
        file,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        rounds=rounds,
        max_iterations=max_iterations,
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    typer.echo(format_solution(result.routes, result.cost), nl=False)
    status = "feasible" if result.feasible else "INFEASIBLE"
    typer.echo(f"# {result.instance}: {status}, {result.num_routes} routes, {result.time_s:.1f} s")


DepotOpt = Annotated[str, typer.Option("--depot", help="Depot code.")]
DateOpt = Annotated[str, typer.Option("--date", help="Delivery date YYYY-MM-DD.")]
RoadsOpt = Annotated[
    Path | None,
    typer.Option(
        "--roads",
        help="OSM XML/PBF road network (default: $GRIDMGMT_ROADS_FILE, else the demo's).",
    ),
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        "--time-limit", min=0.01, help="Solver budget in seconds (default 30; replan 10)."
    ),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (default 0).")]
MaxIterationsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-iterations",
        min=1,
        help="Iteration bound of the search (default 20000; replan 5000).",
    ),
]
ClosuresOpt = Annotated[
    Path | None,
    typer.Option(
        "--closures",
        help="GeoJSON/GeoPackage closure polygons (properties id, start, end, reason).",
    ),
]
ClosureModeOpt = Annotated[
    ClosureMode | None,
    typer.Option(
        "--closure-mode",
        help="Retailers inside a closure: skip (reported, the default) or handoff "
        "(约时约地, at its edge).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _given(**options: Any) -> dict[str, Any]:
    """The options given on the command line (the request's defaults apply to the rest)."""
    return {name: value for name, value in options.items() if value is not None}


def _options(
    *,
    closures: Path | None = None,
    closure_mode: ClosureMode | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    max_iterations: int | None = None,
) -> dict[str, Any]:
    """The closures (read from their file) and solver options given on the command line."""
    closed = None
    if closures is not None:
        from gridmgmt.services.routes import read_closures

        closed = read_closures(closures)
    return _given(
        closures=closed,
        closure_mode=closure_mode,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
    )


def _roads(ctx: typer.Context, roads: Path | None) -> Path:
    from gridmgmt.services.routes import roads_file

    return roads or roads_file(settings(ctx))


def _licence_counts(values: list[str] | None, option: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values or []:
        licence, _, cartons = value.partition(":")
        if not licence or not cartons.isdigit() or int(cartons) <= 0:
            msg = f"{option} {value!r} is not LICENCE:CARTONS (cartons > 0)"
            raise InvalidInputError(msg)
        counts[licence] = int(cartons)
    return counts


def _read_plan(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        msg = f"--plan {path}: {error}"
        raise InvalidInputError(msg) from None
    if not isinstance(data, dict):
        msg = f"--plan {path}: not a saved day plan"
        raise InvalidInputError(msg)
    return data


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _write_plan(path: Path | None, plan: DayPlan) -> None:
    if path is None:
        return
    from gridmgmt.services.routes import plan_to_json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan_to_json(plan), ensure_ascii=False), "utf-8")


def _print_plan(plan: DayPlan) -> None:
    from gridmgmt.routing.manifest import day_totals
    from gridmgmt.routing.model import hhmm

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


def _print_stored(version: PlanVersion) -> None:
    typer.echo(
        f"stored as version {version.version} of {version.depot_code} "
        f"{version.day.isoformat()} (current)"
    )


@app.command("plan")
def plan_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: DateOpt,
    time_limit: TimeLimitOpt = None,
    roads: RoadsOpt = None,
    seed: SeedOpt = None,
    max_iterations: MaxIterationsOpt = None,
    as_json: JsonOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the manifests (CSV, Excel, HTML).")
    ] = None,
    closures: ClosuresOpt = None,
    closure_mode: ClosureModeOpt = None,
    save: Annotated[
        Path | None,
        typer.Option("--save", help="Write the plan as JSON (the start for `routes replan`)."),
    ] = None,
) -> None:
    """Plan a depot's delivery day: routes per vehicle and unserved orders with reasons.

    The plan is stored as the day's new current version (older versions are kept): `routes
    manifest` and `routes replan` start from it, `routes plans` lists the versions.
    """
    from gridmgmt.services import routes as service

    options = _options(
        closures=closures,
        closure_mode=closure_mode,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
    )
    request = service.PlanRequest.of(depot_code=depot, date=date, **options)
    with unit_of_work(ctx) as session:
        stored = service.plan_and_store_day(session, _actor(ctx), request, roads=_roads(ctx, roads))
        name, contacts = service.plan_contacts(
            session, _actor(ctx), depot_code=depot, plan=stored.plan
        )
    _write_plan(save, stored.plan)
    if out is not None:
        stem = f"{depot}-{request.day.isoformat()}"
        service.manifest(stored.plan, out, stem=stem, title=name or depot, contacts=contacts)
    if as_json:
        _echo_json(stored.to_json())
        return
    _print_plan(stored.plan)
    _print_stored(stored.version)


@app.command("week")
def week_command(
    ctx: typer.Context,
    depot: DepotOpt,
    week_of: Annotated[str, typer.Option("--week-of", help="Any date of the week.")],
    time_limit: TimeLimitOpt = None,
    roads: RoadsOpt = None,
    seed: SeedOpt = None,
    max_iterations: MaxIterationsOpt = None,
    as_json: JsonOpt = False,
    closures: ClosuresOpt = None,
    closure_mode: ClosureModeOpt = None,
) -> None:
    """Assign retailers to delivery weekdays (balanced, stable) and plan each day.

    Each day's plan is stored as that date's new current version.
    """
    from gridmgmt.services import routes as service

    options = _options(
        closures=closures,
        closure_mode=closure_mode,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
    )
    request = service.WeekRequest.of(depot_code=depot, week_of=week_of, **options)
    with unit_of_work(ctx) as session:
        stored = service.plan_and_store_week(
            session, _actor(ctx), request, roads=_roads(ctx, roads)
        )
    if as_json:
        _echo_json(stored.to_json())
        return
    for day, plan in stored.week.days.items():
        _print_plan(plan)
        _print_stored(stored.versions[day])
    typer.echo(f"{len(stored.week.assignment.changes)} retailers change weekday")


@app.command("manifest")
def manifest_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: DateOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[ManifestFormat, typer.Option("--format", help="csv, xlsx or html.")] = (
        ManifestFormat.CSV
    ),
    time_limit: TimeLimitOpt = None,
    roads: RoadsOpt = None,
    seed: SeedOpt = None,
    max_iterations: MaxIterationsOpt = None,
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
    from gridmgmt.services import routes as service

    options = _options(time_limit=time_limit, seed=seed, max_iterations=max_iterations)
    request = service.PlanRequest.of(depot_code=depot, date=date, **options)
    with unit_of_work(ctx) as session:
        stored = service.manifest_plan(
            session, _actor(ctx), request, roads=_roads(ctx, roads), fresh=fresh
        )
        name, contacts = service.plan_contacts(
            session, _actor(ctx), depot_code=depot, plan=stored.plan
        )
    path = service.write_manifest(
        stored.plan,
        output,
        fmt=fmt.value,
        title=name or depot,
        contacts=contacts,
        depot=name or depot,
    )
    typer.echo(f"wrote {path} (plan version {stored.version.version}, {stored.version.kind})")


@app.command("replan")
def replan_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: DateOpt,
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
    time_limit: TimeLimitOpt = None,
    roads: RoadsOpt = None,
    seed: SeedOpt = None,
    max_iterations: MaxIterationsOpt = None,
    closures: ClosuresOpt = None,
    closure_mode: Annotated[
        ClosureMode | None,
        typer.Option(
            "--closure-mode",
            help="Retailers inside a closure: skip or handoff (default: as the stored plan).",
        ),
    ] = None,
    base_version: Annotated[
        int | None,
        typer.Option(
            "--base-version",
            min=1,
            help="The plan version you read (`routes plans`); if another was stored since, "
            "nothing is stored (exit 5).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-optimise a planned day after orders are added, cancelled or changed (调整计划).

    Starts from the stored current plan (or --plan), so little moves; its earlier order
    changes, closures and closure mode still apply unless given anew. Reports the orders
    added, cancelled, changed and moved between routes, and stores the new plan as the
    day's current version. The orders themselves are not changed.
    """
    from gridmgmt.services import routes as service

    options = _options(
        closures=closures,
        closure_mode=closure_mode,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
    )
    request = service.ReplanRequest.of(
        depot_code=depot,
        date=date,
        **_given(plan=_read_plan(plan_file)),
        add=_licence_counts(add, "--add"),
        cancel=tuple(cancel or ()),
        change=_licence_counts(change, "--change"),
        **_given(base_version=base_version),
        **options,
    )
    with unit_of_work(ctx) as session:
        stored = service.replan_and_store_day(
            session, _actor(ctx), request, roads=_roads(ctx, roads)
        )
    _write_plan(output, stored.result.plan)
    if as_json:
        _echo_json(stored.to_json())
        return
    _print_plan(stored.result.plan)
    for key in ("added", "cancelled", "changed", "moved"):
        typer.echo(f"{key}: {', '.join(stored.changes[key]) or '-'}")
    _print_stored(stored.version)


@app.command("plans")
def plans_command(
    ctx: typer.Context,
    depot: DepotOpt,
    date: Annotated[
        str | None, typer.Option("--date", help="Only this delivery date YYYY-MM-DD.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List a depot's stored plans (配送计划): every version per date, the current one marked."""
    import datetime as dt

    from gridmgmt.services import routes as service

    try:
        day = dt.date.fromisoformat(date) if date is not None else None
    except ValueError:
        msg = f"--date {date!r} is not a date YYYY-MM-DD"
        raise InvalidInputError(msg) from None
    with unit_of_work(ctx) as session:
        listing = service.plan_versions(session, _actor(ctx), depot_code=depot, day=day)
    if as_json:
        _echo_json(listing.to_json())
        return
    if not listing.versions:
        typer.echo(f"no stored plans of depot {depot}" + (f" for {date}" if date else ""))
        return
    for v in listing.versions:
        mark = "*" if v.current else " "
        typer.echo(
            f"{mark} {v.day.isoformat()} v{v.version} {v.kind:<6} "
            f"{v.created_at:%Y-%m-%d %H:%M} {v.created_by}: {v.km} km, {v.vehicles} vehicles, "
            f"{v.hours} h, {v.orders_served} served, {v.orders_unserved} unserved"
        )
    typer.echo("* current plan")
