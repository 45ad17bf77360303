"""``gridmgmt sweeps``: joint border-market sweeps (毗邻市场集中整治).

``plan`` draws mixed teams and targets over the border band of two or more counties and
stores the sweep; ``list`` the stored sweeps; ``show`` one with its teams and targets
(``--verify`` draws it again from its seed and says whether it matches); ``record`` what a
team found at one target, against the version you read (``--base-version``: a stale one
exits 5 and stores nothing). Every command prints JSON with ``--json``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.cli.rules import EXIT_MISMATCH, JsonOpt, _date, _print_json, _system
from gridmgmt.errors import InvalidInputError
from gridmgmt.services.rules._common import validated

sweeps_app = typer.Typer(
    help="Joint border-market sweeps (毗邻市场集中整治): plan, list, show, record results.",
    no_args_is_help=True,
)
app.add_typer(sweeps_app, name="sweeps")
console = Console()
err = Console(stderr=True)

SweepArg = Annotated[str, typer.Argument(help="The sweep's number, e.g. ZZ2026-001.")]


def _required_date(text: str, name: str) -> dt.date:
    value = _date(text, name)
    if value is None:  # pragma: no cover - typer gives the text
        raise InvalidInputError(f"{name} is required")
    return value


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, no_wrap=i == 0)
    for row in rows:
        table.add_row(*("—" if v is None else str(v) for v in row))
    console.print(table)


@sweeps_app.command("plan")
def plan_command(
    ctx: typer.Context,
    county: Annotated[
        list[str], typer.Option("--county", help="A county of the sweep; repeat (two or more).")
    ],
    date: Annotated[str, typer.Option("--date", help="The day of the sweep, YYYY-MM-DD.")],
    title: Annotated[str, typer.Option("--title", help="Default: 毗邻市场集中整治 DATE.")] = "",
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: random, recorded).")
    ] = None,
    share: Annotated[
        float | None,
        typer.Option("--share", min=0.0001, max=1.0, help="Targets as a share of candidates."),
    ] = None,
    team_size: Annotated[
        int | None, typer.Option("--team-size", min=1, help="Officers per mixed team.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan a joint sweep: draw mixed teams and targets over the counties' border band."""
    from gridmgmt.services.sweeps import SweepPlan, plan_sweep

    fields = {
        "counties": county,
        "planned_for": _required_date(date, "--date"),
        "title": title,
        "seed": seed,
        "target_share": share,
        "team_size": team_size,
    }
    plan = validated(SweepPlan, fields, "sweep plan")
    with unit_of_work(ctx) as session:
        sweep = plan_sweep(session, _system(), plan)
    if as_json:
        _print_json(sweep)
        return
    console.print(
        f"sweep {sweep.sweep_no}: {sweep.title}, {sweep.planned_for}, counties "
        f"{', '.join(sweep.counties)}; seed {sweep.seed}, {sweep.targets} targets of "
        f"{sweep.candidates} candidates, {len(sweep.teams)} teams",
        highlight=False,
    )
    _show_parts(sweep)


def _show_parts(sweep: Any) -> None:
    _table(
        "联合检查组 Mixed teams",
        ["team", "officers", "names", "counties"],
        [
            [t.team, ", ".join(t.officers), ", ".join(t.names), ", ".join(t.counties)]
            for t in sweep.teams
        ],
    )
    _table(
        "整治对象 Targets",
        ["#", "licence_no", "name", "county", "team", "priority", "outcome", "version"],
        [
            [
                t.position,
                t.licence_no,
                t.name,
                t.county_code,
                t.team,
                "yes" if t.priority else "",
                t.outcome.value if t.outcome is not None else None,
                t.version,
            ]
            for t in sweep.target_rows
        ],
    )


@sweeps_app.command("list")
def list_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The stored sweeps, latest day first."""
    from gridmgmt.services.sweeps import list_sweeps

    with unit_of_work(ctx) as session:
        sweeps = list_sweeps(session, _system())
    if as_json:
        _print_json(sweeps)
        return
    _table(
        "联合整治 Sweeps",
        ["sweep_no", "day", "title", "counties", "targets", "recorded", "violations"],
        [
            [
                s.sweep_no,
                s.planned_for,
                s.title,
                ", ".join(s.counties),
                s.targets,
                s.recorded,
                s.violations,
            ]
            for s in sweeps
        ],
    )


@sweeps_app.command("show")
def show_command(
    ctx: typer.Context,
    sweep_no: SweepArg,
    verify: Annotated[
        bool, typer.Option("--verify", help="Draw again from the seed; exit 1 if it differs.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """A sweep: its draw's seed and hashes, its teams and targets with their results."""
    from gridmgmt.services.sweeps import get_sweep, verify_sweep_draw

    with unit_of_work(ctx) as session:
        sweep = get_sweep(session, _system(), sweep_no)
        check = verify_sweep_draw(session, _system(), sweep_no) if verify else None
    if as_json:
        _print_json(sweep if check is None else {"sweep": sweep, "verification": check})
    else:
        summary = sweep.model_dump(mode="json", exclude={"teams", "target_rows"})
        for key, value in summary.items():
            console.print(f"{key}: {value}", highlight=False)
        _show_parts(sweep)
    if check is not None:
        (console if check.ok else err).print(check.message, highlight=False)
        if not check.ok:
            raise typer.Exit(EXIT_MISMATCH)


@sweeps_app.command("record")
def record_command(
    ctx: typer.Context,
    sweep_no: SweepArg,
    licence: Annotated[str, typer.Option("--licence", help="The target's licence number.")],
    outcome: Annotated[
        str,
        typer.Option("--outcome", help="compliant, violation, not_open or not_found (or 中文)."),
    ],
    date: Annotated[
        str | None, typer.Option("--date", help="Day of the check (default today).")
    ] = None,
    violations: Annotated[int | None, typer.Option("--violations", min=0)] = None,
    seized: Annotated[
        float | None, typer.Option("--seized", min=0, help="Cartons seized (条).")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    base_version: Annotated[
        int | None,
        typer.Option(
            "--base-version",
            min=0,
            help="The target's version you read (see show); a stale one is refused (exit 5).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record (or correct) what a team found at one target of the sweep."""
    from gridmgmt.services.sweeps import SweepResultIn, record_sweep_result

    fields = {
        "licence_no": licence,
        "outcome": outcome,
        "inspected_on": _date(date, "--date") or dt.date.today(),
        "violations": violations,
        "seized_cartons": seized,
        "notes": notes,
        "base_version": base_version,
    }
    result = validated(SweepResultIn, fields, "sweep result")
    with unit_of_work(ctx) as session:
        view = record_sweep_result(session, _system(), sweep_no, result)
    if as_json:
        _print_json(view)
        return
    console.print(
        f"recorded {view.licence_no} in {sweep_no}: {view.outcome.value if view.outcome else '—'}"
        f", {view.violations} violation(s); version {view.version}",
        highlight=False,
    )
