"""``gridmgmt audit``: the tamper-evident audit log (审计日志): verify it, list it, export its head.

``verify`` streams the whole hash chain and exits 0 with "N entries, chain intact", or exits
5 naming the first entry that was changed, deleted, inserted or reordered. ``head`` prints
the latest ``SEQ:HASH``: send it to the province (or write it down) daily, and check later
with ``verify --expect-head SEQ:HASH`` that nobody rewrote the log up to there (the chain
alone cannot stop someone who rewrites the whole tail and the head). ``list`` shows the
newest entries. Commands run as the local administrator.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work

audit_app = typer.Typer(
    help="The tamper-evident audit log: verify the chain, list entries, print the head.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
console = Console()


@audit_app.command("verify")
def verify_command(
    ctx: typer.Context,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="SEQ:HASH",
            help="A head printed earlier by `gridmgmt audit head`: the log must still hold it.",
        ),
    ] = None,
) -> None:
    """Check the whole hash chain; exit 5 naming the first tampered entry."""
    from gridmgmt.audit_chain import parse_head
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.audit import verify_log

    expected = parse_head(expect_head) if expect_head is not None else None
    with unit_of_work(ctx) as session:
        report = verify_log(session, SYSTEM, expect_head=expected)
    typer.echo(f"{report.entries} entries, chain intact (head {report.head})")


@audit_app.command("head")
def head_command(ctx: typer.Context) -> None:
    """Print the latest entry as SEQ:HASH, to send out or write down."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.audit import audit_head

    with unit_of_work(ctx) as session:
        head = audit_head(session, SYSTEM)
    typer.echo(str(head))


@audit_app.command("list")
def list_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    before: Annotated[
        int | None, typer.Option("--before", help="Only entries older than this seq.")
    ] = None,
    county: Annotated[str | None, typer.Option("--county", help="Only this county.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The newest entries first."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.audit import list_entries
    from gridmgmt.services.results import jsonable

    with unit_of_work(ctx) as session:
        lines = list_entries(session, SYSTEM, limit=limit, before_seq=before, county_code=county)
    if as_json:
        typer.echo(json.dumps(jsonable(lines), ensure_ascii=False, indent=2))
        return
    table = Table("seq", "at (UTC)", "user", "action", "kind", "county", "from", "detail")
    for line in lines:
        table.add_row(
            str(line.seq),
            line.at,
            line.username or "",
            line.action,
            line.kind or "",
            line.county_code or "",
            line.remote_addr or "",
            json.dumps(line.detail, ensure_ascii=False, sort_keys=True),
        )
    console.print(table)
