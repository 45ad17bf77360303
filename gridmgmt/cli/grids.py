"""``gridmgmt grids ...``: design, assign, rebalance, staff, report and locate grids (网格).

Commands are thin: parse options, call one service in :mod:`gridmgmt.services.grids` in one
unit of work as the local administrator, print a table (or ``--json``: the same summary the
API answers). Errors are reported by the root group: an unknown county exits 3, a stored
design without ``--replace`` 5, bad options or files 2.

Services, pandas and geopandas are imported inside the commands, so ``gridmgmt --help``
does not load them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.errors import InvalidInputError

if TYPE_CHECKING:
    import geopandas as gpd

    from gridmgmt.services.results import Result

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


def _ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _read_lines(path: Path | None) -> gpd.GeoDataFrame | None:
    if path is None:
        return None
    if not path.is_file():
        msg = f"fixed-lines file {path} does not exist"
        raise InvalidInputError(msg, [{"file": str(path), "field": "fixed_lines", "message": msg}])
    import geopandas as gpd
    import pyogrio.errors

    from gridmgmt.crs import WGS84

    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as error:
        msg = f"{path}: cannot read fixed lines: {error}"
        raise InvalidInputError(msg) from None
    return frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)


def _print_json(result: Result) -> None:
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(result), ensure_ascii=False, indent=2))


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _table(records: Sequence[dict[str, Any]], title: str, columns: Sequence[str] = ()) -> None:
    """Print records (a summary's table) with ``columns``, or all of the first record's."""
    names = list(records[0]) if records else []
    shown = [c for c in columns if c in names] if columns else names
    table = Table(title=f"{title} ({len(records)})", title_justify="left")
    for column in shown:
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*(_cell(record.get(column)) for column in shown))
    console.print(table)


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
        msg = "give exactly one of --count and --target-workload"
        raise InvalidInputError(msg)
    from gridmgmt.services import grids as service
    from gridmgmt.services.actor import SYSTEM

    lines = _read_lines(fixed_lines)
    with unit_of_work(ctx) as session:
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
        summary = service.DesignSummary.of(design)
    if as_json:
        _print_json(summary)
        return
    report = summary.report
    _table(summary.grids, f"grids of {county}", GRID_COLUMNS)
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
    from gridmgmt.services import grids as service
    from gridmgmt.services.actor import SYSTEM

    with unit_of_work(ctx) as session:
        summary = service.AssignmentSummary.of(
            service.assign_retailers(session, SYSTEM, county=county)
        )
    if as_json:
        _print_json(summary)
        return
    console.print(
        f"{summary.assigned} assigned, {summary.moved} moved, {summary.unchanged} unchanged, "
        f"{summary.outside} outside every grid ({', '.join(summary.counties) or 'no grids'})"
    )
    if summary.changes:
        _table(summary.changes[:50], "changes")


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
    from gridmgmt.services import grids as service
    from gridmgmt.services.actor import SYSTEM

    with unit_of_work(ctx) as session:
        summary = service.RebalanceSummary.of(
            service.rebalance_county_grids(session, SYSTEM, county, lock=_ids(lock))
        )
    if as_json:
        _print_json(summary)
        return
    report = summary.report
    console.print(
        f"deviation {report['max_deviation_before']:.1%} -> {report['max_deviation_after']:.1%}"
        f" (tolerance {report['tolerance']:.0%}); moved {report['n_moved']} of "
        f"{report['n_existing']} retailers ({report['moved_share']:.1%})"
    )
    if summary.moved:
        _table(summary.moved, "moved retailers", ["licence_no", "from_grid", "to_grid"])


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
    from gridmgmt.services import grids as service
    from gridmgmt.services.actor import SYSTEM

    with unit_of_work(ctx) as session:
        summary = service.StaffingSummary.of(
            service.staff_county_grids(session, SYSTEM, county, allow_overload=allow_overload)
        )
    if as_json:
        _print_json(summary)
        return
    _table(summary.assignments, "posts", ["grid_id", "role", "staff_id", "kept"])
    _table(summary.staff_load, "staff load")
    if summary.unstaffed:
        _table(summary.unstaffed, "unstaffed posts", ["grid_id", "role"])


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
    from gridmgmt.services import grids as service
    from gridmgmt.services.actor import SYSTEM

    with unit_of_work(ctx) as session:
        report = service.grid_report(session, SYSTEM, county)
    if output is not None:
        service.write_grid_sheet(report, output, headers=headers)
        err.print(f"wrote {len(report.sheet)} grids to {output}", highlight=False)
    summary = service.ReportSummary.of(report)
    if as_json:
        _print_json(summary)
        return
    _table(summary.grids, f"grids of {county}", GRID_COLUMNS)
    console.print(", ".join(f"{k} {_cell(v)}" for k, v in summary.figures.items()))


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
    from gridmgmt.services import grids as service
    from gridmgmt.services.actor import SYSTEM

    with unit_of_work(ctx) as session:
        found = service.locate(session, SYSTEM, lon, lat, crs=crs)
    if found is None:
        if as_json:
            typer.echo("null")
        else:
            err.print("the location is in no grid", highlight=False)
        raise typer.Exit(1)
    if as_json:
        _print_json(found)
        return
    staff = ", ".join(f"{role} {name or '-'}" for role, name in found.staff.items())
    console.print(f"{found.county_code} {found.grid_id}: {staff}")
