"""``gridmgmt cases``: networks of linked cases, merge suggestions, chains, exports, sharing.

Import cases with ``gridmgmt import cases FILE`` (JSON or CSV). Commands are thin: one
service call in one unit of work as the local administrator (every county, personal data
included), a table or ``--json`` on stdout (the same JSON the API answers). Errors exit with
the house's codes: 2 bad input, 3 an unknown case or network (or no chain between two
cases), 4 refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.errors import NotFoundError

if TYPE_CHECKING:
    from gridmgmt.cases.networks import Network
    from gridmgmt.services.cases.results import (
        ChainResult,
        MergeSuggestionItem,
        NetworkDetail,
        NetworkShare,
    )

cases_app = typer.Typer(
    help="Case links (涉烟案件串并): networks, merge suggestions, chains, exports, sharing.",
    no_args_is_help=True,
)
app.add_typer(cases_app, name="cases")
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NetworkArg = Annotated[str, typer.Argument(help="Network id, e.g. N-150924-2021-00012.")]


class ExportFormat(StrEnum):
    """Formats of a network export."""

    GEOJSON = "geojson"
    CSV = "csv"


class ShareWhat(StrEnum):
    """What to share: one case or every case of a network."""

    CASE = "case"
    NETWORK = "network"


def _echo_json(result: Any) -> None:
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(result), ensure_ascii=False, indent=2))


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


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
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.networks import list_networks

    with unit_of_work(ctx) as session:
        networks = list_networks(session, SYSTEM, county=county)
    if as_json:
        _echo_json(networks)
        return
    console.print(_networks_table(networks))


def _networks_table(networks: list[Network]) -> Table:
    return _table(
        f"案件网络 networks ({len(networks)})",
        ("network", "cases", "counties", "cross-province", "network case", "stages"),
        [
            (
                n.network_id,
                str(len(n.cases)),
                ", ".join(n.counties),
                "yes" if n.cross_province else "",
                "yes" if n.network_case else "",
                ", ".join(n.stages),
            )
            for n in networks
        ],
    )


@cases_app.command("network")
def network_command(ctx: typer.Context, network_id: NetworkArg, as_json: JsonOpt = False) -> None:
    """One network: its flags, timeline and most central people and phones."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.networks import network_detail

    with unit_of_work(ctx) as session:
        detail = network_detail(session, SYSTEM, network_id)
    if as_json:
        _echo_json(detail)
        return
    _print_network(detail)


def _print_network(detail: NetworkDetail) -> None:
    console.print(
        f"{detail.network_id}: {len(detail.cases)} cases in {', '.join(detail.counties)}"
        f"{'; network case' if detail.network_case else ''}"
        f"{'; cross-province' if detail.cross_province else ''}",
        highlight=False,
    )
    for reason in detail.network_case_reasons + detail.cross_province_signals:
        console.print(f"  {reason}", highlight=False)
    timeline = [
        (e.opened_on, e.case_no, e.county_code, e.type, "; ".join(e.linked_to_earlier))
        for e in detail.timeline
    ]
    heads = ("opened", "case", "county", "type", "shared with earlier cases")
    console.print(_table("时间线 timeline", heads, timeline))
    central = [
        (item.kind, item.label, str(item.cases), f"{item.betweenness}")
        for item in detail.central_entities
    ]
    columns = ("kind", "entity", "cases", "betweenness")
    console.print(_table("核心人员与电话 central people and phones", columns, central))


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
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.networks import merge_suggestions

    with unit_of_work(ctx) as session:
        suggestions = merge_suggestions(session, SYSTEM, min_score=min_score, limit=limit)
    if as_json:
        _echo_json(suggestions)
        return
    console.print(_suggestions_table(suggestions))


def _suggestions_table(suggestions: list[MergeSuggestionItem]) -> Table:
    rows = [
        (
            f"{s.score:.2f}",
            s.level,
            ", ".join(s.cases),
            "; ".join(f"{e.label} ({e.kind}, {e.weight:.2f})" for e in s.evidence),
        )
        for s in suggestions
    ]
    title = f"并案建议 merge suggestions ({len(suggestions)})"
    return _table(title, ("score", "level", "cases", "evidence"), rows)


@cases_app.command("path")
def path_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Case number to start from.")],
    target: Annotated[str, typer.Argument(help="Case number to reach.")],
    as_json: JsonOpt = False,
) -> None:
    """The strongest chain of shared entities from case A to case B.

    Exits 3 when a case is unknown or no chain links them (with ``--json``, the answer
    ``{"found": false, ...}`` is printed first, as the API answers it).
    """
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.networks import case_path

    with unit_of_work(ctx) as session:
        chain = case_path(session, SYSTEM, source, target)
    if as_json:
        _echo_json(chain)
    if not chain.found:
        raise NotFoundError(
            "chain", message=f"no chain of shared entities links {source} and {target}"
        )
    if not as_json:
        _print_chain(chain)


def _print_chain(chain: ChainResult) -> None:
    typer.echo(" -> ".join(chain.cases))
    for link in chain.links:
        typer.echo(
            f"  {link.from_case} --[{link.kind} {link.label}, {link.weight:.2f}]-- {link.to_case}"
        )


@cases_app.command("export")
def export_command(
    ctx: typer.Context,
    network_id: NetworkArg,
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
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.exports import export_network

    out = output or Path(f"{network_id}.{fmt.value}")
    with unit_of_work(ctx) as session:
        paths = export_network(session, SYSTEM, network_id, fmt=fmt.value, out=out)
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
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.results import CaseShare, NetworkShare
    from gridmgmt.services.cases.shares import share_case, share_network

    with unit_of_work(ctx) as session:
        if what is ShareWhat.CASE:
            result: CaseShare | NetworkShare = share_case(
                session, SYSTEM, key, to_county, note=note
            )
        else:
            result = share_network(session, SYSTEM, key, to_county, note=note)
    if as_json:
        _echo_json(result)
    elif isinstance(result, NetworkShare):
        typer.echo(_network_share_line(result))
    else:
        verb = "shared" if result.created else "was already shared"
        typer.echo(f"case {key} {verb} with county {to_county}")


def _network_share_line(answer: NetworkShare) -> str:
    return (
        f"network {answer.network_id}: {len(answer.shared)} case(s) shared with county "
        f"{answer.to_county}, {len(answer.already)} already shared, "
        f"{len(answer.skipped)} skipped"
    )
