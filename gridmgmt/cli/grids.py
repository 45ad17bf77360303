"""``gridmgmt grids ...``: design, assign, rebalance, staff, report and locate grids (网格).

Commands are thin: parse options, call one service in :mod:`gridmgmt.services.grids` in one
transaction as the local administrator, print a table (or ``--json``). Input problems
(unknown county, a stored design without ``--replace``, a bad file) exit with code 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from gridmgmt.cli._app import app, database_url
from gridmgmt.services import grids as service
from gridmgmt.services.actor import SYSTEM, AccessDeniedError
from gridmgmt.store import db

EXIT_BAD_INPUT = 2

grids_app = typer.Typer(
    help="Grids (网格): design, assign retailers, rebalance, staff (三员), report, locate.",
    no_args_is_help=True,
)
app.add_typer(grids_app, name="grids")

console = Console()
err = Console(stderr=True)

CountyOpt = Annotated[str, typer.Option("--county", help="The county (6-digit code).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
GRID_COLUMNS = (
    "grid_id", "workload", "deviation", "n_retailers", "n_key_retailers", "area_km2",
    "polsby_popper", "locked", "monopoly_officer", "account_manager", "deliverer",
)  # fmt: skip


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    url = database_url(ctx)
    try:
        with db.transaction(url) as session:
            yield session
    except (ValueError, LookupError, FileNotFoundError, AccessDeniedError) as error:
        raise _fail(str(error)) from None


def _ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _read_lines(path: Path | None) -> gpd.GeoDataFrame | None:
    if path is None:
        return None
    if not path.is_file():
        raise _fail(f"fixed-lines file {path} does not exist")
    try:
        frame = gpd.read_file(path)
    except Exception as error:
        raise _fail(f"{path}: cannot read fixed lines: {error}") from None
    return frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _table(frame: pd.DataFrame, title: str, columns: tuple[str, ...] | list[str]) -> None:
    table = Table(title=f"{title} ({len(frame)})", title_justify="left")
    shown = [c for c in columns if c in frame.columns]
    for column in shown:
        table.add_column(column, overflow="fold")
    for row in frame[shown].itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
    text = plain.to_json(orient="records", date_format="iso", force_ascii=False)
    records: list[dict[str, Any]] = json.loads(text)
    return records


@grids_app.command("design")
def design_command(
    ctx: typer.Context,
    county: CountyOpt,
    count: Annotated[
        int | None, typer.Option("--count", min=1, help="Number of grids (locked ones included).")
    ] = None,
    target_workload: Annotated[
        float | None,
        typer.Option("--target-workload", min=0.0, help="Workload per grid (visit minutes)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed; the same seed, the same grids.")] = 0,
    fixed_lines: Annotated[
        Path | None,
        typer.Option(
            "--fixed-lines",
            help="Lines grids must not cross (township boundaries, rivers, roads): any vector "
            "file of lines or polygons.",
        ),
    ] = None,
    lock: Annotated[
        str | None, typer.Option("--lock", help="Stored grids to keep as they are: G01,G02.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the county's stored design.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Design a county's grids and put every retailer in one."""
    if (count is None) == (target_workload is None):
        raise _fail("give exactly one of --count and --target-workload")
    lines = _read_lines(fixed_lines)
    with _session(ctx) as session:
        design = service.design_county_grids(
            session,
            SYSTEM,
            county,
            n_grids=count,
            target_workload=target_workload,
            seed=seed,
            fixed_lines=lines,
            lock=_ids(lock),
            replace=replace,
        )
    report = asdict(design.report)
    if as_json:
        typer.echo(
            json.dumps({"report": report, "grids": _records(design.grids)}, ensure_ascii=False)
        )
        return
    _table(design.grids, f"grids of {county}", GRID_COLUMNS)
    console.print(
        f"{report['n_grids']} grids, largest deviation {report['max_deviation']:.1%} "
        f"(tolerance {report['tolerance']:.0%}), mean Polsby-Popper "
        f"{report['mean_polsby_popper']:.2f} (county {report['county_polsby_popper']:.2f}), "
        f"exact tiling {report['exact_tiling']}, {report['seconds']:.1f} s"
    )
    for note in report["notes"]:
        err.print(f"note: {note}", highlight=False)


@grids_app.command("assign")
def assign_command(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option("--county", help="Only this county.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put new and moved retailers into the grid that contains them."""
    with _session(ctx) as session:
        report = service.assign_retailers(session, SYSTEM, county=county)
    figures = {k: v for k, v in asdict(report).items() if k != "changes"}
    if as_json:
        typer.echo(json.dumps({**figures, "changes": _records(report.changes)}, ensure_ascii=False))
        return
    console.print(
        f"{report.assigned} assigned, {report.moved} moved, {report.unchanged} unchanged, "
        f"{report.outside} outside every grid ({', '.join(report.counties) or 'no grids'})"
    )
    if len(report.changes):
        _table(report.changes.head(50), "changes", list(report.changes.columns))


@grids_app.command("rebalance")
def rebalance_command(
    ctx: typer.Context,
    county: CountyOpt,
    lock: Annotated[
        str | None, typer.Option("--lock", help="Grids to leave as they are: G01,G02.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring workloads back within tolerance, moving as few retailers as possible."""
    with _session(ctx) as session:
        result = service.rebalance_county_grids(session, SYSTEM, county, lock=_ids(lock))
    report = asdict(result.report)
    if as_json:
        typer.echo(
            json.dumps({"report": report, "moved": _records(result.moved)}, ensure_ascii=False)
        )
        return
    console.print(
        f"deviation {report['max_deviation_before']:.1%} -> {report['max_deviation_after']:.1%}"
        f" (tolerance {report['tolerance']:.0%}); moved {report['n_moved']} of "
        f"{report['n_existing']} retailers ({report['moved_share']:.1%})"
    )
    if len(result.moved):
        _table(result.moved, "moved retailers", ["licence_no", "from_grid", "to_grid"])


@grids_app.command("staff")
def staff_command(
    ctx: typer.Context,
    county: CountyOpt,
    allow_overload: Annotated[
        bool, typer.Option("--allow-overload", help="Staff every grid even beyond capacity.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Post a monopoly officer, account manager and deliverer to every grid (三员)."""
    with _session(ctx) as session:
        result = service.staff_county_grids(session, SYSTEM, county, allow_overload=allow_overload)
    if as_json:
        payload = {
            "assignments": _records(result.assignments),
            "unstaffed": _records(result.unstaffed),
            "staff_load": _records(result.staff_load),
            "overloaded": [str(s) for s in result.overloaded],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    _table(result.assignments, "posts", ["grid_id", "role", "staff_id", "kept"])
    _table(result.staff_load, "staff load", list(result.staff_load.columns))
    if len(result.unstaffed):
        _table(result.unstaffed, "unstaffed posts", ["grid_id", "role"])


@grids_app.command("report")
def report_command(
    ctx: typer.Context,
    county: CountyOpt,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the responsibility sheet (.csv or .xlsx)."),
    ] = None,
    headers: Annotated[str, typer.Option("--headers", help="Sheet headers: zh or en.")] = "zh",
    as_json: JsonOpt = False,
) -> None:
    """The grids' figures and the responsibility sheet (网格责任清单)."""
    with _session(ctx) as session:
        report = service.grid_report(session, SYSTEM, county)
        if output is not None:
            service.write_grid_sheet(report, output, headers=headers)
            err.print(f"wrote {len(report.sheet)} grids to {output}", highlight=False)
    if as_json:
        payload = {
            "figures": report.figures,
            "grids": _records(report.grids),
            "unstaffed": _records(report.unstaffed),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
        return
    _table(report.grids, f"grids of {county}", GRID_COLUMNS)
    console.print(", ".join(f"{k} {_cell(v)}" for k, v in report.figures.items()))


@grids_app.command("locate")
def locate_command(
    ctx: typer.Context,
    lon: Annotated[float, typer.Option("--lon", help="Longitude.")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude.")],
    crs: Annotated[
        str, typer.Option("--crs", help="wgs84, gcj02 (Amap, Tencent), bd09 (Baidu), cgcs2000.")
    ] = "wgs84",
    as_json: JsonOpt = False,
) -> None:
    """Which grid a location is in, and who answers for it (exit 1 when in none)."""
    with _session(ctx) as session:
        found = service.locate(session, SYSTEM, lon, lat, crs=crs)
    if found is None:
        if as_json:
            typer.echo("null")
        else:
            err.print("the location is in no grid", highlight=False)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(asdict(found), ensure_ascii=False))
        return
    staff = ", ".join(f"{role} {name or '-'}" for role, name in found.staff.items())
    console.print(f"{found.county_code} {found.grid_id}: {staff}")
