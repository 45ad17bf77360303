"""``/tickets``: grid supervision tickets (网格监管信息), overdue first; open one, move it on
through its states, close it (feed back).

Forms post back here; a refused move or a wrong value is shown on the page and nothing
is stored (each service call runs in a savepoint rolled back on error). A step is taken
from the ticket's version the page showed (a hidden ``base_version``): if someone moved the
ticket on meanwhile, the answer is 409 with the ticket as it is now and a plain notice.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.i18n import gettext_for
from api.pages._common import OfficerUser, actor_of, changed_meanwhile, render
from gridmgmt.domain import TicketKind, TicketState
from gridmgmt.errors import GridmgmtError
from gridmgmt.rules.tickets import STATES
from gridmgmt.services import records
from gridmgmt.services.rules import advance_ticket, create_ticket, get_ticket, list_tickets
from gridmgmt.services.rules.tickets import TicketView
from gridmgmt.services.users import UserInfo

router = APIRouter()


def _order(tickets: list[TicketView]) -> list[TicketView]:
    """Overdue first (most overdue on top), then open ones by deadline, then closed ones."""

    def key(ticket: TicketView) -> tuple[int, str]:
        closed = ticket.state is TicketState.FED_BACK
        rank = 2 if closed else (0 if ticket.overdue else 1)
        due = ticket.due_at.isoformat() if ticket.due_at is not None else "9999"
        return rank, due if not closed else ticket.collected_at.isoformat()

    return sorted(tickets, key=key)


def next_state(ticket: TicketView) -> str | None:
    """The state the ticket moves to next, or None once fed back."""
    position = STATES.index(ticket.state)
    return STATES[position + 1].value if position + 1 < len(STATES) else None


def _list_page(
    request: Request,
    user: UserInfo,
    session: Session,
    *,
    errors: list[str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_of(user)
    tickets = _order(list_tickets(session, actor))
    context: dict[str, Any] = {
        "tickets": tickets,
        "next_state": next_state,
        "counties": records.list_counties(session, actor),
        "kinds": [k.value for k in TicketKind],
        "errors": errors or [],
        "typed": typed or {},
        "overdue_count": sum(
            1 for t in tickets if t.overdue and t.state is not TicketState.FED_BACK
        ),
    }
    return render(request, "officer/tickets.html", user, context, status_code=status_code)


@router.get("/tickets", response_class=HTMLResponse)
def tickets_page(request: Request, user: OfficerUser, session: SessionDep) -> HTMLResponse:
    """Every ticket of the officer's counties, overdue first, and the form to open one."""
    return _list_page(request, user, session)


@router.post("/tickets", response_class=HTMLResponse, response_model=None)
def open_ticket(
    request: Request,
    user: OfficerUser,
    session: SessionDep,
    county: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    licence_no: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Collect a ticket (信息采集); its first deadline starts now."""
    _ = gettext_for(request)
    problems = [] if summary.strip() else [_("Say what was found or reported.")]
    if kind not in {k.value for k in TicketKind}:
        problems.append(_("Choose the kind of ticket."))
    ticket = None
    if not problems:
        try:
            with session.begin_nested():
                ticket = create_ticket(
                    session,
                    actor_of(user),
                    county=county,
                    kind=kind,
                    summary=summary,
                    licence_no=licence_no.strip() or None,
                )
        except GridmgmtError as error:
            problems.append(error.message)
    if ticket is None:
        typed = {"county": county, "kind": kind, "summary": summary, "licence_no": licence_no}
        return _list_page(
            request,
            user,
            session,
            errors=problems,
            typed=typed,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return RedirectResponse(
        f"/tickets/{quote(ticket.ticket_no)}", status_code=status.HTTP_303_SEE_OTHER
    )


def _ticket_page(
    request: Request,
    user: UserInfo,
    ticket: TicketView,
    *,
    errors: list[str] | None = None,
    conflict: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context = {
        "ticket": ticket,
        "next": next_state(ticket),
        "errors": errors or [],
        "conflict": conflict,
        "moved": request.query_params.get("moved"),
    }
    return render(request, "officer/ticket.html", user, context, status_code=status_code)


@router.get("/tickets/{ticket_no}", response_class=HTMLResponse)
def ticket_page(
    ticket_no: str, request: Request, user: OfficerUser, session: SessionDep
) -> HTMLResponse:
    """One ticket with its steps and the button to take the next one."""
    return _ticket_page(request, user, get_ticket(session, actor_of(user), ticket_no))


@router.post("/tickets/{ticket_no}/advance", response_class=HTMLResponse, response_model=None)
def advance(
    ticket_no: str,
    request: Request,
    user: OfficerUser,
    session: SessionDep,
    to: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    base_version: Annotated[int | None, Form()] = None,
) -> HTMLResponse | RedirectResponse:
    """Move the ticket to the state the form names (only the next one is allowed), from
    the version the form was drawn from (409 with the ticket now if it changed since)."""
    actor = actor_of(user)
    try:
        with session.begin_nested():
            advance_ticket(
                session,
                actor,
                ticket_no,
                to=to or None,
                note=note.strip() or None,
                assignee=assignee.strip() or None,
                base_version=base_version,
            )
    except GridmgmtError as error:
        conflict = changed_meanwhile(error)
        return _ticket_page(
            request,
            user,
            get_ticket(session, actor, ticket_no),
            errors=[] if conflict else [error.message],
            conflict=conflict,
            status_code=error.http_status,
        )
    return RedirectResponse(
        f"/tickets/{quote(ticket_no)}?moved={quote(to)}", status_code=status.HTTP_303_SEE_OTHER
    )
