"""``gridmgmt rules|checkpoints|inspections|tickets``: the geographic rules from the shell.

Commands are thin: parse options, call one service in :mod:`gridmgmt.services.rules` in
one transaction (:func:`~gridmgmt.cli._app.unit_of_work`) as the local administrator,
print a table (or ``--json``: the service's result, serialised as the API does), write a
CSV with ``-o``. Errors are reported by the root group with the exit code of their kind
(2 bad input, 3 not found, 4 refused, 5 conflict).

Only light modules are imported here; pandas, geopandas and the services are imported by
the command that needs them, so ``gridmgmt --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.errors import InvalidInputError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from sqlalchemy.orm import Session

    from gridmgmt.services.actor import Actor

EXIT_MISMATCH = 1
"""Exit code of ``inspections verify`` when the draw does not verify: a result (like
``cmp``'s), not an error; the message says what differs."""
T = TypeVar("T")

rules_app = typer.Typer(
    help="Geographic rules: red lines, spacing, licence checks, border markets, outflow.",
    no_args_is_help=True,
)
checkpoints_app = typer.Typer(help="Checkpoints (查堵卡点): border crossings and coverage.")
inspections_app = typer.Typer(
    help="Double-random inspections (双随机、一公开): draw, verify, record, publish.",
    no_args_is_help=True,
)
tickets_app = typer.Typer(
    help="Grid supervision tickets (网格监管信息): add, advance, overdue, report.",
    no_args_is_help=True,
)
app.add_typer(rules_app, name="rules")
app.add_typer(checkpoints_app, name="checkpoints", no_args_is_help=True)
app.add_typer(inspections_app, name="inspections")
app.add_typer(tickets_app, name="tickets")

console = Console()
err = Console(stderr=True)

CountyOpt = Annotated[str | None, typer.Option("--county", help="Only this county (6-digit code).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BaseVersionOpt = Annotated[
    int | None,
    typer.Option(
        "--base-version",
        min=0,
        help="The version you read (`version` in --json; 0: none yet); if it changed since, "
        "nothing is stored (exit 5).",
    ),
]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Also write the rows as CSV.")]
RoadsOpt = Annotated[
    Path | None,
    typer.Option(
        "--roads",
        help="OSM road network (.osm/.pbf) for walking distances and road crossings; "
        "without it (and none stored) straight lines are used.",
    ),
]


def _system() -> Actor:
    """The local administrator the shell's commands run as."""
    from gridmgmt.services.actor import SYSTEM

    return SYSTEM


def _print_json(value: Any) -> None:
    """A service result as JSON on stdout, serialised as the API serialises it."""
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


def _date(text: str | None, name: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"{name} {text!r} is not a date (YYYY-MM-DD)"
        raise InvalidInputError(msg) from None


def _moment(text: str | None, name: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        msg = f"{name} {text!r} is not a time (YYYY-MM-DD[THH:MM[+08:00]])"
        raise InvalidInputError(msg) from None


def _layer(path: Path | None, what: str) -> gpd.GeoDataFrame | None:
    """A point or polygon layer from CSV (``lon``, ``lat``, WGS-84) or any vector file."""
    if path is None:
        return None
    if not path.is_file():
        msg = f"{what} file {path} does not exist"
        raise InvalidInputError(msg)
    import geopandas as gpd
    import pandas as pd

    from gridmgmt.crs import WGS84

    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, encoding="utf-8-sig")
        missing = [c for c in ("lon", "lat") if c not in table.columns]
        if missing:
            msg = f"{path}: {what} CSV lacks columns {missing}"
            raise InvalidInputError(msg)
        points = gpd.points_from_xy(table.pop("lon"), table.pop("lat"))
        return gpd.GeoDataFrame(table, geometry=points, crs=WGS84)
    frame = gpd.read_file(path)
    return frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)


def _emit(
    frame: pd.DataFrame,
    *,
    as_json: bool,
    output: Path | None,
    title: str,
    columns: Sequence[str],
    notes: Sequence[str] = (),
    limit: int = 50,
) -> None:
    """Rows as JSON (stdout), a table (first ``limit`` rows) and optionally a CSV file."""
    import pandas as pd

    from gridmgmt.services.frames import frame_records

    for note in notes:
        err.print(f"note: {note}", highlight=False)
    if output is not None:
        records = pd.DataFrame(frame_records(frame))
        records.to_csv(output, index=False, encoding="utf-8-sig")
        err.print(f"wrote {len(records)} rows to {output}", highlight=False)
    if as_json:
        typer.echo(json.dumps(frame_records(frame), ensure_ascii=False))
        return
    table = Table(title=f"{title} ({len(frame)})", title_justify="left")
    shown = [c for c in columns if c in frame.columns]
    for column in shown:
        table.add_column(column, overflow="fold")
    for row in frame.head(limit)[shown].itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if len(frame) > limit:
        console.print(f"... {len(frame) - limit} more (use --json or -o FILE for all)")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):  # NaN
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _run(ctx: typer.Context, action: Callable[[Session], T]) -> T:
    """``action`` in the command's one transaction; what it returns must not be a row."""
    with unit_of_work(ctx) as session:
        return action(session)


# --- rules -----------------------------------------------------------------------------


@rules_app.command("settings")
def settings_command(
    ctx: typer.Context,
    county: Annotated[str, typer.Option("--county", help="The county (6-digit code).")],
    preset_name: Annotated[
        str | None, typer.Option("--preset", help="Start from a preset: default, wuhan, suqian.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="JSON or TOML with sections to change (red_line, spacing...)."),
    ] = None,
    roads: Annotated[
        Path | None, typer.Option("--roads", help="Store this OSM road file for the county.")
    ] = None,
    clear_roads: Annotated[
        bool, typer.Option("--clear-roads", help="Forget the road file.")
    ] = False,
    base_version: BaseVersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a county's rule settings, or set them from a preset and/or a file."""
    from gridmgmt.services.rules.settings import (
        get_rule_settings,
        read_settings_file,
        set_rule_settings,
    )

    change = preset_name is not None or file is not None or roads is not None or clear_roads
    if base_version is not None and not change:
        msg = "--base-version goes with a change (--preset, --file, --roads or --clear-roads)"
        raise InvalidInputError(msg)
    with unit_of_work(ctx) as session:
        if change:
            overrides = read_settings_file(file) if file is not None else None
            rules = set_rule_settings(
                session,
                _system(),
                county,
                preset_name=preset_name,
                overrides=overrides,
                roads_file=roads,
                clear_roads=clear_roads,
                base_version=base_version,
            )
        else:
            rules = get_rule_settings(session, _system(), county)
    if as_json:
        _print_json(rules)
        return
    verb = "set" if change else ("stored" if rules.stored else "not set; defaults")
    console.print(f"county {rules.county_code}: preset {rules.preset} ({verb})", highlight=False)
    console.print(f"roads: {rules.roads_file or '(none: straight lines)'}", highlight=False)
    console.print_json(rules.settings.model_dump_json())


@rules_app.command("red-lines")
def red_lines_command(
    ctx: typer.Context,
    metres: Annotated[
        float | None,
        typer.Option("--metres", min=0, help="Red-line distance for every school kind (m)."),
    ] = None,
    county: CountyOpt = None,
    roads: RoadsOpt = None,
    gates: Annotated[
        Path | None,
        typer.Option("--gates", help="School gates: CSV with school, lon, lat (or GeoJSON)."),
    ] = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Retailers inside school red lines (学校红线), nearest first."""
    from gridmgmt.services.rules.checks import red_lines

    gate_layer = _layer(gates, "gates")
    found = _run(
        ctx,
        lambda s: red_lines(
            s, _system(), county=county, metres=metres, roads=roads, gates=gate_layer
        ),
    )
    _emit(
        found.violations,
        as_json=as_json,
        output=output,
        title="红线内零售户 Retailers inside red lines",
        columns=["licence_no", "name", "school", "school_kind", "distance_m", "limit_m", "mode"],
        notes=found.notes,
    )


@rules_app.command("spacing")
def spacing_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    areas: Annotated[
        Path | None,
        typer.Option("--areas", help="Area-type polygons (GeoJSON...) with an area_type field."),
    ] = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Pairs of retailers closer than the minimum spacing (合理布局), worst first."""
    from gridmgmt.services.rules.checks import spacing

    area_layer = _layer(areas, "areas")
    found = _run(ctx, lambda s: spacing(s, _system(), county=county, areas=area_layer))
    _emit(
        found.breaches,
        as_json=as_json,
        output=output,
        title="间距不足 Spacing breaches",
        columns=["licence_no_a", "licence_no_b", "area_type_a", "distance_m", "required_m"],
        notes=found.notes,
    )


@rules_app.command("check-licence")
def check_licence_command(
    ctx: typer.Context,
    lon: Annotated[float, typer.Option("--lon", help="Longitude.")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude.")],
    crs: Annotated[
        str, typer.Option("--crs", help="wgs84, gcj02 (Amap, Tencent), bd09 (Baidu), cgcs2000.")
    ] = "wgs84",
    roads: RoadsOpt = None,
    areas: Annotated[
        Path | None, typer.Option("--areas", help="Area-type polygons with area_type.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Can a retailer be licensed at this point? Yes or no with every reason (exit 0 either way)."""
    from gridmgmt.services.rules.checks import check_licence

    area_layer = _layer(areas, "areas")
    answer = _run(
        ctx,
        lambda s: check_licence(
            s, _system(), lon=lon, lat=lat, crs=crs, roads=roads, areas=area_layer
        ),
    )
    if as_json:
        _print_json(answer)
        return
    check = answer
    verdict = "[green]可以办证 allowed[/green]" if check.allowed else "[red]不可办证 refused[/red]"
    console.print(f"{verdict} at {check.lon:.6f}, {check.lat:.6f} (WGS-84)")
    for reason in check.reasons:
        mark = "[red]x[/red]" if reason.blocking else "-"
        console.print(f" {mark} {reason.message}", highlight=False)
    for note in answer.notes:
        err.print(f"note: {note}", highlight=False)


@rules_app.command("border-markets")
def border_markets_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Retailers near county and province borders (边界市场), with a summary per border."""
    from gridmgmt.services.frames import frame_records
    from gridmgmt.services.rules.checks import border_markets_report

    found = _run(ctx, lambda s: border_markets_report(s, _system(), county=county))
    if as_json:
        data = {
            "retailers": frame_records(found.retailers),
            "segments": frame_records(found.segments),
            "neighbours": frame_records(found.neighbours),
            "notes": found.notes,
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    _emit(
        found.retailers,
        as_json=False,
        output=output,
        title="边界市场零售户 Border-market retailers",
        columns=[
            "licence_no",
            "name",
            "county_code",
            "neighbour",
            "county_border_m",
            "province_border_m",
        ],
        notes=found.notes,
        limit=20,
    )
    _emit(
        found.neighbours,
        as_json=False,
        output=None,
        title="按邻县 Per neighbouring county",
        columns=["county_code", "neighbour", "kind", "county_band", "province_band"],
    )


@rules_app.command("outflow")
def outflow_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First order date, YYYY-MM-DD.")
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last order date, YYYY-MM-DD.")] = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Outflow suspects (真烟外流): retailers ordering far above comparable ones, ranked."""
    from gridmgmt.services.rules.checks import outflow_report

    first, last = _date(start, "--start"), _date(end, "--end")
    found = _run(ctx, lambda s: outflow_report(s, _system(), county=county, start=first, end=last))
    _emit(
        found.suspects,
        as_json=as_json,
        output=output,
        title="真烟外流嫌疑 Outflow suspects",
        columns=["rank", "licence_no", "name", "tier", "cartons", "expected_cartons", "score"],
        notes=found.notes,
    )
    if not as_json:
        for row in found.suspects.head(10).itertuples(index=False):
            console.print(f"{row.rank}. {row.licence_no}: {row.reasons}", highlight=False)


# --- checkpoints -------------------------------------------------------------------------


@checkpoints_app.command("coverage")
def coverage_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    roads: RoadsOpt = None,
    k: Annotated[int, typer.Option("--k", min=1, help="New checkpoint sites to suggest.")] = 3,
    days: Annotated[
        int, typer.Option("--days", min=0, help="Days of mobile-checkpoint rotation (0: none).")
    ] = 14,
    per_day: Annotated[int, typer.Option("--per-day", min=1, help="Mobile posts a day.")] = 2,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the rotation.")] = 0,
    start: Annotated[
        str | None, typer.Option("--start", help="First rotation day, YYYY-MM-DD.")
    ] = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Road crossings of the borders, whether a checkpoint covers each, and new sites."""
    from gridmgmt.services.frames import frame_records
    from gridmgmt.services.rules.checkpoints import checkpoint_coverage

    first = _date(start, "--start")
    found = _run(
        ctx,
        lambda s: checkpoint_coverage(
            s,
            _system(),
            county=county,
            roads=roads,
            k=k,
            rotation_days=days,
            rotation_per_day=per_day,
            seed=seed,
            start=first,
        ),
    )
    if as_json:
        data = {
            "crossings": frame_records(found.crossings),
            "checkpoints": frame_records(found.checkpoints),
            "sites": frame_records(found.sites),
            "rotation": frame_records(found.rotation),
            "intercepted": found.intercepted,
            "uncovered": found.uncovered,
            "total": found.total,
            "method": found.method,
            "notes": found.notes,
        }
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    if len(found.crossings):
        _emit(
            found.crossings,
            as_json=False,
            output=output,
            title="越界道路 Border crossings",
            columns=[
                "highway",
                "kind",
                "county_a",
                "county_b",
                "covered",
                "checkpoint",
                "checkpoint_m",
            ],
            notes=found.notes,
        )
        covered = int(found.crossings["covered"].sum())
        console.print(f"{covered} of {len(found.crossings)} crossings covered")
        _emit(
            found.sites,
            as_json=False,
            output=None,
            title=f"建议卡点 Suggested sites ({found.method})",
            columns=["site", "source", "intercepted", "paths"],
        )
        console.print(
            f"new sites intercept {found.intercepted:g} of {found.uncovered:g} uncovered flow "
            f"({found.total:g} in all)"
        )
    else:
        _emit(
            found.checkpoints,
            as_json=False,
            output=output,
            title="查堵卡点 Checkpoints",
            columns=["name", "kind", "county_code", "border_m"],
            notes=found.notes,
        )


# --- inspections -------------------------------------------------------------------------


@inspections_app.command("draw")
def draw_command(
    ctx: typer.Context,
    county: Annotated[str, typer.Option("--county", help="The county (6-digit code).")],
    period: Annotated[str, typer.Option("--period", help="YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn.")],
    share: Annotated[
        float | None,
        typer.Option("--share", min=0.0001, max=1.0, help="Quota as a share of active retailers."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: random, recorded).")
    ] = None,
    key_always: Annotated[
        bool | None,
        typer.Option("--key-always/--no-key-always", help="Key retailers (重点零售户) always in."),
    ] = None,
    replace: Annotated[
        str | None,
        typer.Option("--replace", help="Redraw a stored draw, for this reason (audited)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw inspection targets and inspectors for a county and period, and store the draw."""
    from gridmgmt.services.rules.inspections import make_draw, rows_frame

    draw = _run(
        ctx,
        lambda s: make_draw(
            s,
            _system(),
            county=county,
            period=period,
            share=share,
            seed=seed,
            key_retailers_always=key_always,
            replace_reason=replace,
        ),
    )
    if as_json:
        _print_json(draw)
        return
    console.print(
        f"draw #{draw.id}: {county} {draw.period}, seed {draw.seed}, "
        f"{draw.quota} of {draw.population_size} retailers "
        f"(sha256 {draw.population_hash[:16]}...)",
        highlight=False,
    )
    _emit(
        rows_frame(draw.inspections),
        as_json=False,
        output=None,
        title="检查对象 Inspections",
        columns=["position", "licence_no", "name", "grid_id", "officers", "officer_names"],
    )


@inspections_app.command("list")
def list_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    period: Annotated[str | None, typer.Option("--period", help="Only this period.")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Superseded draws too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stored draws."""
    import pandas as pd

    from gridmgmt.services.rules.inspections import list_draws

    draws = _run(
        ctx,
        lambda s: list_draws(
            s, _system(), county=county, period=period, include_superseded=include_all
        ),
    )
    if as_json:
        _print_json(draws)
        return
    _emit(
        pd.DataFrame([d.model_dump() for d in draws]),
        as_json=False,
        output=None,
        title="抽查记录 Draws",
        columns=["id", "county_code", "period", "revision", "current", "seed", "quota", "drawn_by"],
    )


@inspections_app.command("show")
def show_command(
    ctx: typer.Context,
    draw_id: Annotated[int, typer.Argument(help="The draw.")],
    as_json: JsonOpt = False,
) -> None:
    """A stored draw: who drew it, when, the seed, the population hash and the targets."""
    from gridmgmt.services.rules.inspections import get_draw, rows_frame

    draw = _run(ctx, lambda s: get_draw(s, _system(), draw_id))
    if as_json:
        _print_json(draw)
        return
    for key, value in draw.model_dump(mode="json", exclude={"rules", "inspections"}).items():
        console.print(f"{key}: {value}", highlight=False)
    _emit(
        rows_frame(draw.inspections),
        as_json=False,
        output=None,
        title="检查对象 Inspections",
        columns=["position", "licence_no", "name", "grid_id", "officers", "outcome_zh"],
    )


@inspections_app.command("verify")
def verify_command(
    ctx: typer.Context, draw_id: Annotated[int, typer.Argument()], as_json: JsonOpt = False
) -> None:
    """Redraw a stored draw from its seed and today's population; exit 1 if it differs.

    A draw that does not verify is an answer, not an error: the message says what differs
    and the exit code is 1 (like ``cmp``), so scripts can tell the two apart from errors
    (2 and up).
    """
    from gridmgmt.services.rules.inspections import verify_inspection_draw

    result = _run(ctx, lambda s: verify_inspection_draw(s, _system(), draw_id))
    if as_json:
        _print_json(result)
    elif result.ok:
        console.print(result.message, highlight=False)
    else:
        err.print(f"draw #{draw_id} does not verify: {result.message}", highlight=False)
    if not result.ok:
        raise typer.Exit(EXIT_MISMATCH)


@inspections_app.command("record")
def record_command(
    ctx: typer.Context,
    draw_id: Annotated[int, typer.Argument(help="The draw.")],
    licence: Annotated[
        str | None, typer.Option("--licence", help="The drawn retailer's licence number.")
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="compliant, violation, not_open or not_found (or 中文)."),
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Inspection date (default today).")
    ] = None,
    violations: Annotated[int | None, typer.Option("--violations", min=0)] = None,
    inspector: Annotated[
        list[str] | None,
        typer.Option("--inspector", help="Staff number of an inspector; repeat (default: drawn)."),
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV of results: licence_no, outcome, inspected_on, violations, "
            "inspectors (;-separated), notes.",
        ),
    ] = None,
    base_version: BaseVersionOpt = None,
) -> None:
    """Record inspection results against a draw (one, or a CSV of them in one go)."""
    from gridmgmt.services.rules.inspections import record_inspection_result

    rows: list[dict[str, Any]]
    if file is not None and base_version is not None:
        msg = "--base-version is for one result (--licence), not --file"
        raise InvalidInputError(msg)
    if file is not None:
        rows = _result_rows(file)
    elif licence is not None and outcome is not None:
        rows = [
            {
                "licence_no": licence,
                "outcome": outcome,
                "inspected_on": _date(date, "--date") or dt.date.today(),
                "violations": violations,
                "inspectors": inspector or None,
                "notes": notes,
                "base_version": base_version,
            }
        ]
    else:
        msg = "give --licence and --outcome, or --file"
        raise InvalidInputError(msg)

    def action(session: Session) -> int:
        for row in rows:
            record_inspection_result(session, _system(), draw_id=draw_id, **row)
        return len(rows)

    count = _run(ctx, action)
    console.print(f"recorded {count} result(s) against draw #{draw_id}")


def _result_rows(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    if not path.is_file():
        msg = f"results file {path} does not exist"
        raise InvalidInputError(msg)
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
    missing = [c for c in ("licence_no", "outcome") if c not in table.columns]
    if missing:
        msg = f"{path} lacks columns {missing}"
        raise InvalidInputError(msg)
    rows = []
    for number, row in enumerate(table.to_dict("records"), start=2):
        when = row.get("inspected_on") or None
        count = row.get("violations") or None
        rows.append(
            {
                "licence_no": row["licence_no"],
                "outcome": row["outcome"],
                "inspected_on": _date(when, f"{path}:{number}: inspected_on") or dt.date.today(),
                "violations": int(count) if count else None,
                "inspectors": [s for s in (row.get("inspectors") or "").split(";") if s] or None,
                "notes": row.get("notes") or None,
            }
        )
    return rows


@inspections_app.command("results")
def results_command(
    ctx: typer.Context,
    draw_id: Annotated[int, typer.Argument(help="The draw.")],
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """The draw's targets with their recorded results."""
    from gridmgmt.services.rules.inspections import results_frame

    frame = _run(ctx, lambda s: results_frame(s, _system(), draw_id))
    _emit(
        frame,
        as_json=as_json,
        output=output,
        title=f"检查结果 Results of draw #{draw_id}",
        columns=["position", "licence_no", "name", "inspected_on", "outcome_zh", "violations"],
    )


@inspections_app.command("publish")
def publish_command(
    ctx: typer.Context,
    draw_id: Annotated[int, typer.Argument(help="The draw.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write to.")] = Path("."),
) -> None:
    """Publish the results (一公开) as a CSV and an HTML page."""
    from gridmgmt.services.rules.publish import publish_results

    publication = _run(ctx, lambda s: publish_results(s, _system(), draw_id, out))
    console.print(f"wrote {publication.csv} and {publication.page}", highlight=False)


# --- tickets -----------------------------------------------------------------------------


def _ticket_rows(tickets: Sequence[Any]) -> pd.DataFrame:
    import pandas as pd

    from gridmgmt.services.results import jsonable

    return pd.DataFrame([jsonable(t.model_copy(update={"events": []})) for t in tickets])


@tickets_app.command("add")
def add_ticket_command(
    ctx: typer.Context,
    county: Annotated[str, typer.Option("--county", help="The county (6-digit code).")],
    kind: Annotated[str, typer.Option("--kind", help="violation, complaint or market_info.")],
    summary: Annotated[str, typer.Option("--summary", help="What was found or reported.")],
    grid: Annotated[str | None, typer.Option("--grid", help="The grid (default: found).")] = None,
    licence: Annotated[str | None, typer.Option("--licence", help="The retailer.")] = None,
    lon: Annotated[float | None, typer.Option("--lon")] = None,
    lat: Annotated[float | None, typer.Option("--lat")] = None,
    crs: Annotated[str, typer.Option("--crs", help="Of --lon/--lat.")] = "wgs84",
    assignee: Annotated[str | None, typer.Option("--assignee", help="Staff number.")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Collected at (ISO; UTC unless an offset).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Collect a ticket (信息采集) in a grid; its deadline to be assigned starts now."""
    from gridmgmt.services.rules.tickets import create_ticket

    when = _moment(at, "--at")
    ticket = _run(
        ctx,
        lambda s: create_ticket(
            s,
            _system(),
            county=county,
            kind=kind,
            summary=summary,
            grid_id=grid,
            licence_no=licence,
            lon=lon,
            lat=lat,
            crs=crs,
            assignee=assignee,
            collected_at=when,
        ),
    )
    if as_json:
        _print_json(ticket)
        return
    due = ticket.due_at.isoformat() if ticket.due_at else None
    console.print(
        f"ticket {ticket.ticket_no} collected; to be assigned by {due} UTC", highlight=False
    )


@tickets_app.command("advance")
def advance_ticket_command(
    ctx: typer.Context,
    ticket_no: Annotated[str, typer.Argument(help="The ticket.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="assigned, responded, handled or fed_back (default: next)."),
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="When (ISO; default now).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="What was done.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Staff number.")] = None,
    base_version: BaseVersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a ticket to its next state (流转, 响应, 处理, 反馈)."""
    from gridmgmt.services.rules.tickets import advance_ticket

    when = _moment(at, "--at")
    ticket = _run(
        ctx,
        lambda s: advance_ticket(
            s,
            _system(),
            ticket_no,
            to=to,
            at=when,
            note=note,
            assignee=assignee,
            base_version=base_version,
        ),
    )
    if as_json:
        _print_json(ticket)
        return
    late = " (late)" if ticket.events[-1].late else ""
    due = f"; next step due {ticket.due_at.isoformat()} UTC" if ticket.due_at else "; closed"
    console.print(f"ticket {ticket_no} {ticket.state.value}{late}{due}", highlight=False)


@tickets_app.command("list")
def list_tickets_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Tickets, newest first."""
    from gridmgmt.services.rules.tickets import list_tickets

    tickets = _run(ctx, lambda s: list_tickets(s, _system(), county=county, state=state))
    if as_json:
        _print_json(tickets)
        return
    _emit(
        _ticket_rows(tickets),
        as_json=False,
        output=output,
        title="网格监管信息 Tickets",
        columns=["ticket_no", "county_code", "grid_id", "kind", "state", "due_at", "overdue"],
    )


@tickets_app.command("overdue")
def overdue_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    now: Annotated[str | None, typer.Option("--now", help="Judge at this time (ISO).")] = None,
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """Open tickets past the deadline of their next step, most overdue first."""
    from gridmgmt.services.rules.tickets import overdue_list

    moment = _moment(now, "--now")
    frame = _run(ctx, lambda s: overdue_list(s, _system(), county=county, now=moment))
    _emit(
        frame,
        as_json=as_json,
        output=output,
        title="超时 Overdue tickets",
        columns=["ticket_id", "county_code", "grid_id", "kind", "state", "due_at", "overdue_hours"],
    )


@tickets_app.command("report")
def report_command(
    ctx: typer.Context,
    county: Annotated[str, typer.Option("--county", help="The county (6-digit code).")],
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Day after the last, YYYY-MM-DD.")],
    as_json: JsonOpt = False,
    output: OutOpt = None,
) -> None:
    """The grid supervision report (网格监管情况报告) for a period, one row per grid."""
    from gridmgmt.services.rules.tickets import report

    first, last = _moment(start, "--start"), _moment(end, "--end")
    if first is None or last is None:  # pragma: no cover - both options are required
        msg = "give --start and --end"
        raise InvalidInputError(msg)
    frame = _run(ctx, lambda s: report(s, _system(), county=county, start=first, end=last))
    _emit(
        frame,
        as_json=as_json,
        output=output,
        title=f"网格监管情况报告 Grid supervision report {start} to {end}",
        columns=list(frame.columns),
    )
