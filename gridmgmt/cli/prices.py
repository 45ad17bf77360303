"""``gridmgmt prices``: price checks (价格互查) in self-discipline groups (自律互助小组).

``medians`` prints the median price per brand and pack per county (``--groups``: per group
and county); ``gaps`` the price gaps across the borders of your counties (``--flagged``
only those above the setting; ``--map FILE`` draws them along the border);
``outliers`` the retailers far off their county's median. Prices and groups are imported
with ``gridmgmt import prices FILE`` and ``gridmgmt import groups FILE``. Every command
prints JSON with ``--json``; ``--start``/``--end`` choose the period (default: the county's
``prices.period_days`` up to the latest observation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.cli.rules import CountyOpt, JsonOpt, _date, _print_json, _system

prices_app = typer.Typer(
    help="Price checks between neighbour counties: medians, cross-border gaps, outliers.",
    no_args_is_help=True,
)
app.add_typer(prices_app, name="prices")
console = Console()
err = Console(stderr=True)

StartOpt = Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")]


def _notes(notes: list[str]) -> None:
    for note in notes:
        err.print(f"note: {note}", highlight=False)


def _rows(title: str, columns: list[str], rows: list[Any]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(_cell(getattr(row, c)) for c in columns))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@prices_app.command("medians")
def medians_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    groups: Annotated[bool, typer.Option("--groups", help="Per group and county.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Median price (yuan per pack) of each brand and pack, per county or per group."""
    from gridmgmt.services.prices import price_medians

    with unit_of_work(ctx) as session:
        found = price_medians(
            session,
            _system(),
            county=county,
            start=_date(start, "--start"),
            end=_date(end, "--end"),
        )
    if as_json:
        _print_json(found)
        return
    columns = ["county_code", "brand", "pack", "retailers", "median", "min", "max"]
    if groups:
        _rows("自律互助小组 Group medians", ["group_code", "group_name", *columns], found.by_group)
    else:
        _rows("县区 County medians", columns, found.by_county)
    _notes(found.notes)


@prices_app.command("gaps")
def gaps_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only gaps above the setting.")
    ] = False,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Also draw the gaps along the border (HTML).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Price gaps of each brand and pack across the borders of your counties (跨界价差)."""
    from gridmgmt.services.prices import price_gap_report

    with unit_of_work(ctx) as session:
        found = price_gap_report(
            session,
            _system(),
            county=county,
            start=_date(start, "--start"),
            end=_date(end, "--end"),
            flagged_only=flagged,
        )
        if map_file is not None:
            _write_map(session, found, map_file)
    if as_json:
        _print_json(found)
        return
    columns = ["county_a", "county_b", "brand", "pack", "median_a", "median_b", "gap_share"]
    _rows("跨界价差 Cross-border price gaps", [*columns, "cheaper", "flagged"], found.gaps)
    _notes(found.notes)


def _write_map(session: Any, found: Any, path: Path) -> None:
    from gridmgmt.services.prices import gap_frame
    from gridmgmt.services.rules._common import all_county_shapes
    from maps.assets import write_map
    from maps.prices import build_price_gap_map

    m = build_price_gap_map(all_county_shapes(session), gap_frame(found))
    err.print(f"map written to {write_map(m, path)}")


@prices_app.command("outliers")
def outliers_command(
    ctx: typer.Context,
    county: CountyOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retailers whose price is far off their county's median (sweep candidates)."""
    from gridmgmt.services.prices import price_outlier_report

    with unit_of_work(ctx) as session:
        found = price_outlier_report(
            session,
            _system(),
            county=county,
            start=_date(start, "--start"),
            end=_date(end, "--end"),
        )
    if as_json:
        _print_json(found)
        return
    columns = ["licence_no", "name", "brand", "pack", "price", "county_median", "deviation"]
    _rows("价格异常 Price outliers", columns, found.outliers)
    _notes(found.notes)
