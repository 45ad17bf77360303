"""``gridmgmt cases``: networks of linked cases, merge suggestions, chains, exports, sharing.

Import cases with ``gridmgmt import cases FILE`` (JSON or CSV). Commands are thin: one
service call in one transaction as the local administrator (every county), a table or
``--json`` on stdout. Input problems exit with code 2 and a message on stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from gridmgmt.cli._app import app, database_url
from gridmgmt.services.actor import SYSTEM, AccessDeniedError
from gridmgmt.store import db

EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 1

cases_app = typer.Typer(
    help="Case links (涉烟案件串并): networks, merge suggestions, chains, exports, sharing.",
    no_args_is_help=True,
)
app.add_typer(cases_app, name="cases")
console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class ExportFormat(StrEnum):
    """Formats of a network export."""

    GEOJSON = "geojson"
    CSV = "csv"


class ShareWhat(StrEnum):
    """What to share: one case or every case of a network."""

    CASE = "case"
    NETWORK = "network"


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    """One transaction for the command; unknown cases exit 1, bad input 2."""
    from gridmgmt.services.cases import CaseNotFoundError

    url = database_url(ctx)
    try:
        with db.transaction(url) as session:
            yield session
    except CaseNotFoundError as error:
        raise _fail(str(error), EXIT_NOT_FOUND) from None
    except (ValueError, AccessDeniedError) as error:
        raise _fail(str(error)) from None


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


@cases_app.command("networks")
def networks_command(
    ctx: typer.Context,
    county: Annotated[
        str | None, typer.Option("--county", help="Only networks with a case in this county.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The networks of linked cases, the largest first.

    JSON: a list of networks, each with ``cases`` (case numbers), ``counties``,
    ``cross_province`` and ``network_case`` (网络案件), and more.
    """
    from gridmgmt.services.cases import list_networks

    with _session(ctx) as session:
        networks = list_networks(session, SYSTEM, county=county)
    if as_json:
        _echo_json([n.as_dict() for n in networks])
        return
    table = Table(title=f"案件网络 networks ({len(networks)})", title_justify="left")
    for column in ("network", "cases", "counties", "cross-province", "network case", "stages"):
        table.add_column(column, overflow="fold")
    for n in networks:
        table.add_row(
            n.network_id,
            str(len(n.cases)),
            ", ".join(n.counties),
            "yes" if n.cross_province else "",
            "yes" if n.network_case else "",
            ", ".join(n.stages),
        )
    console.print(table)


@cases_app.command("network")
def network_command(
    ctx: typer.Context,
    network_id: Annotated[str, typer.Argument(help="Network id, e.g. N-150924-2021-00012.")],
    as_json: JsonOpt = False,
) -> None:
    """One network: its flags, timeline and most central people and phones."""
    from gridmgmt.services.cases import network_detail

    with _session(ctx) as session:
        detail = network_detail(session, SYSTEM, network_id)
    if as_json:
        _echo_json(detail)
        return
    console.print(
        f"{detail['network_id']}: {len(detail['cases'])} cases in {', '.join(detail['counties'])}"
        f"{'; network case' if detail['network_case'] else ''}"
        f"{'; cross-province' if detail['cross_province'] else ''}",
        highlight=False,
    )
    for reason in detail["network_case_reasons"] + detail["cross_province_signals"]:
        console.print(f"  {reason}", highlight=False)
    table = Table(title="时间线 timeline", title_justify="left")
    for column in ("opened", "case", "county", "type", "shared with earlier cases"):
        table.add_column(column, overflow="fold")
    for entry in detail["timeline"]:
        table.add_row(
            entry["opened_on"],
            entry["case_no"],
            entry["county_code"],
            entry["type"],
            "; ".join(entry["linked_to_earlier"]),
        )
    console.print(table)
    central = Table(title="核心人员与电话 central people and phones", title_justify="left")
    for column in ("kind", "entity", "cases", "betweenness"):
        central.add_column(column)
    for item in detail["central_entities"]:
        central.add_row(item["kind"], item["label"], str(item["cases"]), f"{item['betweenness']}")
    console.print(central)


@cases_app.command("suggest-merges")
def suggest_merges_command(
    ctx: typer.Context,
    min_score: Annotated[
        float, typer.Option("--min-score", help="Weakest link weight suggested (0-1).")
    ] = 0.7,
    limit: Annotated[int, typer.Option("--limit", help="At most this many suggestions.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Cases that should be merged (并案), strongest evidence first."""
    from gridmgmt.services.cases import merge_suggestions, suggestion_dict

    with _session(ctx) as session:
        suggestions = merge_suggestions(session, SYSTEM, min_score=min_score, limit=limit)
    data = [suggestion_dict(s) for s in suggestions]
    if as_json:
        _echo_json(data)
        return
    table = Table(title=f"并案建议 merge suggestions ({len(data)})", title_justify="left")
    for column in ("score", "level", "cases", "evidence"):
        table.add_column(column, overflow="fold")
    for item in data:
        evidence = "; ".join(
            f"{e['label']} ({e['kind']}, {e['weight']:.2f})" for e in item["evidence"]
        )
        table.add_row(f"{item['score']:.2f}", item["level"], ", ".join(item["cases"]), evidence)
    console.print(table)


@cases_app.command("path")
def path_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Case number to start from.")],
    target: Annotated[str, typer.Argument(help="Case number to reach.")],
    as_json: JsonOpt = False,
) -> None:
    """The strongest chain of shared entities from case A to case B (exit 1 if none)."""
    from gridmgmt.services.cases import case_path, chain_dict

    with _session(ctx) as session:
        chain = case_path(session, SYSTEM, source, target)
    if chain is None:
        if as_json:
            _echo_json(None)
        raise _fail(f"no chain of shared entities links {source} and {target}", EXIT_NOT_FOUND)
    data = chain_dict(chain)
    if as_json:
        _echo_json(data)
        return
    typer.echo(" -> ".join(data["cases"]))
    for link in data["links"]:
        typer.echo(
            f"  {link['from_case']} --[{link['kind']} {link['label']}, {link['weight']:.2f}]-- "
            f"{link['to_case']}"
        )


@cases_app.command("export")
def export_command(
    ctx: typer.Context,
    network_id: Annotated[str, typer.Argument(help="Network id, e.g. N-150924-2021-00012.")],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="geojson (cases as points, links as lines) or csv (FILE-nodes.csv and "
            "FILE-edges.csv, for i2, Gephi or Cytoscape).",
        ),
    ] = ExportFormat.GEOJSON,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Export a network for maps or other link-analysis tools."""
    from gridmgmt.services.cases import CaseNotFoundError, export_network

    out = output or Path(f"{network_id}.{fmt.value}")
    url = database_url(ctx)
    try:
        paths = export_network(url, network_id, fmt=fmt.value, out=out)
    except CaseNotFoundError as error:
        raise _fail(str(error), EXIT_NOT_FOUND) from None
    except ValueError as error:
        raise _fail(str(error)) from None
    for path in paths:
        typer.echo(f"wrote {path}")


@cases_app.command("share")
def share_command(
    ctx: typer.Context,
    what: Annotated[ShareWhat, typer.Argument(help="case or network.")],
    key: Annotated[str, typer.Argument(help="The case number or network id.")],
    to_county: Annotated[str, typer.Option("--to", help="County to share with (6-digit code).")],
    note: Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Share a case, or every case of a network, with another county (recorded in the audit log)."""
    from gridmgmt.services.cases import share_case, share_network

    with _session(ctx) as session:
        if what is ShareWhat.CASE:
            data = share_case(session, SYSTEM, key, to_county, note=note)
        else:
            data = share_network(session, SYSTEM, key, to_county, note=note)
    if as_json:
        _echo_json(data)
        return
    if what is ShareWhat.CASE:
        verb = "shared" if data["created"] else "was already shared"
        typer.echo(f"case {key} {verb} with county {to_county}")
        return
    typer.echo(
        f"network {key}: {len(data['shared'])} case(s) shared with county {to_county}, "
        f"{len(data['already'])} already shared, {len(data['skipped'])} skipped"
    )
