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
        JointCaseDetail,
        MergeDetail,
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
    rows = list(rows)
    # the first column is the row's id: kept whole, so it can be copied into the next command
    id_width = max((len(row[0]) for row in rows), default=0)
    for position, column in enumerate(columns):
        table.add_column(column, overflow="fold", min_width=id_width if position == 0 else None)
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
        (
            "network",
            "cases",
            "counties",
            "other counties",
            "cross-province",
            "network case",
            "stages",
        ),
        [
            (
                n.network_id,
                str(len(n.cases)),
                ", ".join(n.counties),
                str(n.other_counties or ""),
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
    source_county: Annotated[
        str | None,
        typer.Option("--from-county", help="County of case A, if several have that number."),
    ] = None,
    target_county: Annotated[
        str | None,
        typer.Option("--to-county", help="County of case B, if several have that number."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The strongest chain of shared entities from case A to case B.

    Exits 3 when a case is unknown or no chain links them (with ``--json``, the answer
    ``{"found": false, ...}`` is printed first, as the API answers it); exits 2 when a case
    number is used by several counties and its county is not given.
    """
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.networks import case_path

    with unit_of_work(ctx) as session:
        chain = case_path(
            session,
            SYSTEM,
            source,
            target,
            source_county=source_county,
            target_county=target_county,
        )
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
    county: Annotated[
        str | None,
        typer.Option("--county", help="The case's county, if several have that case number."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Share a case, or every case of a network, with another county (recorded in the audit log)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.results import CaseShare, NetworkShare
    from gridmgmt.services.cases.shares import share_case, share_network

    with unit_of_work(ctx) as session:
        if what is ShareWhat.CASE:
            result: CaseShare | NetworkShare = share_case(
                session, SYSTEM, key, to_county, note=note, county=county
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


# --- joint cases and merges -----------------------------------------------------------------

joint_app = typer.Typer(
    help="Joint cases (网络案件协同办理): open a network across counties, join, list.",
    no_args_is_help=True,
)
merge_app = typer.Typer(
    help="Cross-county merges (并案): propose with evidence, accept, decline, list.",
    no_args_is_help=True,
)
cases_app.add_typer(joint_app, name="joint")
cases_app.add_typer(merge_app, name="merge")
NoteOpt = Annotated[str, typer.Option("--note", help="A note for the history.")]


def _joint_table(joints: Sequence[JointCaseDetail]) -> Table:
    rows = [
        (
            str(j.id),
            j.network_id,
            j.title,
            ", ".join(f"{c.county_code} {c.state}" for c in j.counties)
            + (f" (+{j.other_counties})" if j.other_counties else ""),
            str(len(j.cases) + j.other_cases),
        )
        for j in joints
    ]
    columns = ("id", "network", "title", "counties", "cases")
    return _table(f"协同办理 joint cases ({len(rows)})", columns, rows)


@joint_app.command("open")
def joint_open_command(
    ctx: typer.Context,
    network_id: NetworkArg,
    title: Annotated[str, typer.Option("--title", help="What the joint case is about.")],
    county: Annotated[
        str, typer.Option("--county", help="The county opening it (holds a case of it).")
    ],
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Open a network spanning counties as a joint case; the other counties are invited."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.joint import open_joint_case

    with unit_of_work(ctx) as session:
        joint = open_joint_case(session, SYSTEM, network_id, title=title, note=note, county=county)
    if as_json:
        _echo_json(joint)
    else:
        console.print(_joint_table([joint]))


@joint_app.command("join")
def joint_join_command(
    ctx: typer.Context,
    joint_case_id: Annotated[int, typer.Argument(help="The joint case's id.")],
    county: Annotated[str, typer.Option("--county", help="The invited county answering.")],
    decline: Annotated[bool, typer.Option("--decline", help="Decline instead.")] = False,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Join a joint case for an invited county (its cases and the members' are shared)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.joint import join_joint_case

    with unit_of_work(ctx) as session:
        joint = join_joint_case(
            session, SYSTEM, joint_case_id, county=county, join=not decline, note=note or None
        )
    if as_json:
        _echo_json(joint)
    else:
        console.print(_joint_table([joint]))


@joint_app.command("list")
def joint_list_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every joint case, newest first."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.joint import list_joint_cases

    with unit_of_work(ctx) as session:
        joints = list_joint_cases(session, SYSTEM)
    if as_json:
        _echo_json(joints)
    else:
        console.print(_joint_table(joints))


def _merge_table(merges: Sequence[MergeDetail]) -> Table:
    rows = [
        (
            str(m.id),
            m.state,
            f"{m.proposer_county}/{m.proposer_case_no}" + (" ✓" if m.proposer_accepted else ""),
            f"{m.other_county}/{m.other_case_no or '?'}" + (" ✓" if m.other_accepted else ""),
            "; ".join(f"{e['kind']} {e['value']}" for e in m.evidence.shared)
            or " -> ".join(m.evidence.chain),
            str(m.version),
        )
        for m in merges
    ]
    columns = ("id", "state", "proposer", "other", "evidence", "version")
    return _table(f"并案 merges ({len(rows)})", columns, rows)


@merge_app.command("propose")
def merge_propose_command(
    ctx: typer.Context,
    case_no: Annotated[str, typer.Argument(help="The proposing county's case.")],
    county: Annotated[str, typer.Option("--county", help="Its county.")],
    other_case_no: Annotated[
        str | None, typer.Option("--other", help="The other county's case number.")
    ] = None,
    other_county: Annotated[
        str | None, typer.Option("--other-county", help="The other case's county.")
    ] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Or a private-matching hit's reference.")
    ] = None,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Propose merging two counties' cases, with the evidence that ties them."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.merges import propose_merge

    with unit_of_work(ctx) as session:
        merge = propose_merge(
            session,
            SYSTEM,
            case_no,
            county=county,
            other_case_no=other_case_no,
            other_county=other_county,
            ref=ref,
            note=note,
        )
    if as_json:
        _echo_json(merge)
    else:
        console.print(_merge_table([merge]))


def _decide_command(
    ctx: typer.Context, merge_id: int, county: str, version: int | None, note: str, *, accept: bool
) -> MergeDetail:
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.merges import accept_merge, decline_merge

    decide = accept_merge if accept else decline_merge
    with unit_of_work(ctx) as session:
        return decide(session, SYSTEM, merge_id, version=version, note=note or None, county=county)


MergeArg = Annotated[int, typer.Argument(help="The merge's id.")]
SideOpt = Annotated[str, typer.Option("--county", help="The county whose side decides.")]
VersionOpt = Annotated[
    int | None, typer.Option("--version", help="The version you read (409 if it changed).")
]


@merge_app.command("accept")
def merge_accept_command(
    ctx: typer.Context,
    merge_id: MergeArg,
    county: SideOpt,
    version: VersionOpt = None,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Accept a merge for one side; in force once both sides accepted."""
    merge = _decide_command(ctx, merge_id, county, version, note, accept=True)
    if as_json:
        _echo_json(merge)
    else:
        console.print(_merge_table([merge]))


@merge_app.command("decline")
def merge_decline_command(
    ctx: typer.Context,
    merge_id: MergeArg,
    county: SideOpt,
    version: VersionOpt = None,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Decline a merge for one side (final)."""
    merge = _decide_command(ctx, merge_id, county, version, note, accept=False)
    if as_json:
        _echo_json(merge)
    else:
        console.print(_merge_table([merge]))


@merge_app.command("list")
def merge_list_command(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option("--state", help="proposed, merged or declined.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every merge proposal, newest first."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases.merges import list_merges

    with unit_of_work(ctx) as session:
        merges = list_merges(session, SYSTEM, state=state)
    if as_json:
        _echo_json(merges)
    else:
        console.print(_merge_table(merges))
