"""``gridmgmt leads``: lead handover between counties (线索移交), as the local administrator.

``send CASE --to C [--to C2 ...]`` sends a lead made from a case (``--entity N`` picks
mentions by position; all by default) to each county; ``send --ref R --from C`` asks the
county behind a private-matching hit for its case. ``ack``, ``accept``, ``decline`` and
``feedback`` take the receiver's steps; ``list`` (``--box inbox|outbox|all``), ``show``,
``overdue`` and ``suggested`` read. Every command prints JSON with ``--json``. Errors exit
with their kind's code (2 invalid input, 3 not found, 4 refused, 5 a step the lead's state
does not allow).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work

leads_app = typer.Typer(
    help="Lead handover between counties: send, acknowledge, accept, decline, feed back.",
    no_args_is_help=True,
)
app.add_typer(leads_app, name="leads")
console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept in the history.")]
LeadArg = Annotated[int, typer.Argument(help="The lead's number.")]


def _print_json(value: Any) -> None:
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


def _table(leads: list[Any]) -> None:
    table = Table("lead", "kind", "from", "to", "case", "urgency", "state", "due", "overdue")
    for lead in leads:
        due = f"{lead.due_step.value} by {lead.due_at:%Y-%m-%d %H:%M}" if lead.due_at else "—"
        table.add_row(
            str(lead.id),
            lead.kind.value,
            lead.from_county,
            lead.to_county,
            lead.case_no or "—",
            lead.urgency.value,
            lead.state.value,
            due,
            "OVERDUE" if lead.overdue else "",
        )
    console.print(table)
    err.print(f"{len(leads)} lead(s)")


def _show(lead: Any, as_json: bool) -> None:
    if as_json:
        _print_json(lead)
        return
    _table([lead])
    for event in lead.history:
        note = f" — {event.note}" if event.note else ""
        console.print(
            f"  {event.seq}. {event.at:%Y-%m-%d %H:%M} {event.step} by {event.by} "
            f"({event.county_code}) -> {event.state.value}{note}",
            highlight=False,
        )


@leads_app.command("send")
def send_command(
    ctx: typer.Context,
    case_no: Annotated[str | None, typer.Argument(help="The case the lead is made from.")] = None,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="A receiving county (repeat for more).")
    ] = None,
    entity: Annotated[
        list[int] | None, typer.Option("--entity", help="A mention's position to hand over.")
    ] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Request the case behind a hit's reference.")
    ] = None,
    from_county: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="The county the lead is from: with --ref the requesting county, with a case "
            "number the case's county (if several counties have that number).",
        ),
    ] = None,
    urgency: Annotated[str, typer.Option("--urgency", help="normal or urgent.")] = "normal",
    note: Annotated[str, typer.Option("--note", help="What the receiver should know.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Send a lead from a case to one or more counties, or request the case behind a hit."""
    from gridmgmt.errors import InvalidInputError
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import request_lead, send_lead

    if (case_no is None) == (ref is None):
        msg = "give either a case number (with --to) or --ref"
        raise InvalidInputError(msg)
    with unit_of_work(ctx) as session:
        if ref is not None:
            leads = [
                request_lead(session, SYSTEM, ref, county=from_county, note=note, urgency=urgency)
            ]
        else:
            assert case_no is not None
            leads = send_lead(
                session,
                SYSTEM,
                case_no,
                to or [],
                note=note,
                urgency=urgency,
                entities=entity,
                county=from_county,
            )
    if as_json:
        _print_json(leads)
        return
    _table(leads)


@leads_app.command("list")
def list_command(
    ctx: typer.Context,
    box: Annotated[str, typer.Option("--box", help="inbox, outbox or all.")] = "all",
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Leads, newest first."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import list_leads

    with unit_of_work(ctx) as session:
        leads = list_leads(session, SYSTEM, box=box, state=state)
    if as_json:
        _print_json(leads)
        return
    _table(leads)


@leads_app.command("show")
def show_command(ctx: typer.Context, lead_id: LeadArg, as_json: JsonOpt = False) -> None:
    """One lead with its history."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import get_lead

    with unit_of_work(ctx) as session:
        lead = get_lead(session, SYSTEM, lead_id)
    _show(lead, as_json)


@leads_app.command("ack")
def ack_command(
    ctx: typer.Context, lead_id: LeadArg, note: NoteOpt = None, as_json: JsonOpt = False
) -> None:
    """Acknowledge receipt of a lead (签收)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import acknowledge_lead

    with unit_of_work(ctx) as session:
        lead = acknowledge_lead(session, SYSTEM, lead_id, note=note)
    _show(lead, as_json)


@leads_app.command("accept")
def accept_command(
    ctx: typer.Context, lead_id: LeadArg, note: NoteOpt = None, as_json: JsonOpt = False
) -> None:
    """Accept a lead (接收): its case is shared read-only with the other side."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import accept_lead

    with unit_of_work(ctx) as session:
        lead = accept_lead(session, SYSTEM, lead_id, note=note)
    _show(lead, as_json)


@leads_app.command("decline")
def decline_command(
    ctx: typer.Context,
    lead_id: LeadArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    as_json: JsonOpt = False,
) -> None:
    """Decline a lead with a reason (退回); nothing is shared."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import decline_lead

    with unit_of_work(ctx) as session:
        lead = decline_lead(session, SYSTEM, lead_id, reason)
    _show(lead, as_json)


@leads_app.command("feedback")
def feedback_command(
    ctx: typer.Context,
    lead_id: LeadArg,
    case_no: Annotated[
        str | None, typer.Option("--case", help="The case opened on the lead.")
    ] = None,
    seized: Annotated[float | None, typer.Option("--seized", help="Cartons seized.")] = None,
    value: Annotated[float | None, typer.Option("--value", help="Value in yuan.")] = None,
    closed: Annotated[bool, typer.Option("--closed", help="The last feedback (办结).")] = False,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Feed back the result of an accepted lead (反馈)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import feed_back_lead

    with unit_of_work(ctx) as session:
        lead = feed_back_lead(
            session,
            SYSTEM,
            lead_id,
            opened_case_no=case_no,
            seized_cartons=seized,
            value_yuan=value,
            closed=closed,
            note=note,
        )
    _show(lead, as_json)


@leads_app.command("overdue")
def overdue_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Leads late for their next step, on both sides, most overdue first."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import overdue_leads

    with unit_of_work(ctx) as session:
        leads = overdue_leads(session, SYSTEM)
    if as_json:
        _print_json(leads)
        return
    _table(leads)


@leads_app.command("suggested")
def suggested_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Leads to send: cases that touch a neighbour county and were not sent to it yet."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.leads import suggested_leads

    with unit_of_work(ctx) as session:
        suggested = suggested_leads(session, SYSTEM)
    if as_json:
        _print_json(suggested)
        return
    table = Table("case", "from", "to", "why")
    for item in suggested:
        table.add_row(
            item.case_no,
            item.from_county,
            f"{item.to_county} {item.to_county_name}",
            "; ".join(reason.text for reason in item.reasons),
        )
    console.print(table)
    err.print(f"{len(suggested)} suggestion(s)")
