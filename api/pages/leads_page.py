"""Liaison pages (信息联络员) for lead handover (线索移交).

- ``/leads``: tabs for the inbox (received), the outbox (sent) and the suggested leads
  (及时互通), each lead with its state and next deadline, overdue ones marked in red.
- ``/leads/new``: send a lead: a case number, then the case's mentions to hand over, the
  receiving counties, a note and the urgency (reachable from the outbox tab and a case).
- ``/leads/{id}``: one lead with its history and the receiver's buttons (acknowledge,
  accept, decline with a reason, feed back).

Liaisons and administrators use them; officers see their counties' leads read-only; other
roles get a page saying what these are for (403). A lead of other counties answers 404.
Forms post back here; a refused step is shown on the page and nothing is stored (each
service call runs in a savepoint rolled back on error).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.declared import RecordId
from api.deps import PageUser, SessionDep
from api.i18n import N_, gettext_for
from api.pages.refused import FOR_LIAISONS, PageRefusedError
from api.web import render_page
from gridmgmt.domain import UserRole
from gridmgmt.errors import GridmgmtError, InvalidInputError, NotFoundError
from gridmgmt.leads.machine import LeadState, LeadStep, Urgency
from gridmgmt.policy import Action, allows
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases import county_names, get_case
from gridmgmt.services.leads import (
    accept_lead,
    acknowledge_lead,
    decline_lead,
    feed_back_lead,
    get_lead,
    list_leads,
    overdue_leads,
    send_lead,
    suggested_leads,
)
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter(include_in_schema=False)

STATE_LABELS: Final = {
    LeadState.SENT: N_("Sent"),
    LeadState.ACKNOWLEDGED: N_("Acknowledged"),
    LeadState.ACCEPTED: N_("Accepted"),
    LeadState.DECLINED: N_("Declined"),
    LeadState.FED_BACK: N_("Fed back"),
    LeadState.CLOSED: N_("Closed"),
}
STEP_LABELS: Final = {
    "send": N_("Sent"),
    LeadStep.ACKNOWLEDGE: N_("Acknowledge"),
    LeadStep.ACCEPT: N_("Accept"),
    LeadStep.DECLINE: N_("Decline"),
    LeadStep.FEED_BACK: N_("Feed back"),
    LeadStep.CLOSE: N_("Close"),
}
KIND_LABELS: Final = {
    "person": N_("Person"),
    "id_number": N_("ID number"),
    "phone": N_("Phone"),
    "plate": N_("Plate"),
    "waybill": N_("Waybill"),
    "address": N_("Address"),
    "licence_no": N_("Licence no."),
    "bank_account": N_("Bank account"),
    "company": N_("Company"),
}
REASON_LABELS: Final = {
    "address": N_("address in %(place)s"),
    "licence_no": N_("retailer licence of %(place)s"),
    "id_number": N_("ID number issued in %(place)s"),
    "phone": N_("phone registered in %(place)s"),
}
URGENCY_LABELS: Final = {Urgency.NORMAL: N_("Normal"), Urgency.URGENT: N_("Urgent")}
TABS: Final = ("inbox", "outbox", "suggested")
LEAD_ROLES: Final = frozenset({UserRole.LIAISON, UserRole.ADMIN, UserRole.OFFICER})


def get_lead_user(user: PageUser) -> UserInfo:
    """The logged-in liaison, administrator or officer; other roles are refused."""
    if UserRole(user.role) not in LEAD_ROLES:
        raise PageRefusedError(user, FOR_LIAISONS)
    return user


LeadUser = Annotated[UserInfo, Depends(get_lead_user)]


def _render(
    request: Request,
    name: str,
    user: UserInfo,
    context: dict[str, Any],
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    labels = {
        "state": STATE_LABELS,
        "step": STEP_LABELS,
        "urgency": URGENCY_LABELS,
        "kind": KIND_LABELS,
        "reason": REASON_LABELS,
    }
    return render_page(
        request, name, user, {"lead_labels": labels, **context}, status_code=status_code
    )


def _may(actor: Actor, action: Action) -> bool:
    return allows(actor.role, action)


@router.get("/leads", response_class=HTMLResponse)
def leads_page(
    request: Request, user: LeadUser, session: SessionDep, box: str = "inbox"
) -> HTMLResponse:
    """The inbox, the outbox or the suggested leads, with the overdue count of both sides."""
    actor = actor_for(user)
    sender = _may(actor, Action.SEND_LEADS)
    tab = box if box in TABS and (box != "suggested" or sender) else "inbox"
    context: dict[str, Any] = {
        "tab": tab,
        "tabs": [t for t in TABS if t != "suggested" or sender],
        "leads": list_leads(session, actor, box=tab) if tab != "suggested" else [],
        "suggested": suggested_leads(session, actor) if sender else [],
        "overdue": len(overdue_leads(session, actor)),
        "names": county_names(session),
        "may_send": sender,
        "sent": request.query_params.get("sent"),
    }
    return _render(request, "liaison/leads.html", user, context)


def _send_form(
    request: Request,
    user: UserInfo,
    session: Session,
    *,
    case_no: str,
    typed: dict[str, Any],
    errors: list[str],
    county: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    case = None
    if case_no:
        try:
            case = get_case(session, actor, case_no, county=county or None)
        except (NotFoundError, InvalidInputError) as error:
            errors = [*errors, error.message]
    names = county_names(session)
    own = case.county_code if case is not None else None
    context = {
        "case_no": case_no,
        "case_county": county,
        "own_counties": [(code, name) for code, name in names.items() if actor.can_see(code)],
        "case": case,
        "counties": [(code, name) for code, name in names.items() if code != own],
        "typed": typed,
        "errors": errors,
        "urgencies": list(Urgency),
    }
    return _render(request, "liaison/send.html", user, context, status_code=status_code)


@router.get("/leads/new", response_class=HTMLResponse)
def new_lead_page(
    request: Request,
    user: LeadUser,
    session: SessionDep,
    case_no: str = "",
    to: str = "",
    county: str = "",
) -> HTMLResponse:
    """The send form; with ``case_no`` (and its ``county`` where several of the user's
    counties have that number) it lists the case's mentions to choose from."""
    typed = {"to": [to] if to else [], "entities": None, "note": "", "urgency": "normal"}
    return _send_form(
        request,
        user,
        session,
        case_no=case_no.strip(),
        county=county.strip(),
        typed=typed,
        errors=[],
    )


@router.post("/leads/new", response_class=HTMLResponse, response_model=None)
def send_lead_form(
    request: Request,
    user: LeadUser,
    session: SessionDep,
    case_no: Annotated[str, Form()] = "",
    county: Annotated[str, Form()] = "",
    to: Annotated[list[str] | None, Form()] = None,
    entity: Annotated[list[int] | None, Form()] = None,
    note: Annotated[str, Form()] = "",
    urgency: Annotated[str, Form()] = "normal",
) -> HTMLResponse | RedirectResponse:
    """Send the lead to each county ticked; back to the outbox."""
    _ = gettext_for(request)
    problems = [] if entity else [_("Choose at least one entity to hand over.")]
    if not to:
        problems.append(_("Choose at least one county to send the lead to."))
    if not problems:
        try:
            with session.begin_nested():
                sent = send_lead(
                    session,
                    actor_for(user),
                    case_no.strip(),
                    to or [],
                    note=note,
                    urgency=urgency,
                    entities=entity,
                    county=county.strip() or None,
                )
        except GridmgmtError as error:
            problems.append(error.message)
        else:
            return RedirectResponse(
                f"/leads?box=outbox&sent={len(sent)}", status_code=status.HTTP_303_SEE_OTHER
            )
    typed = {"to": to or [], "entities": entity or [], "note": note, "urgency": urgency}
    return _send_form(
        request,
        user,
        session,
        case_no=case_no.strip(),
        county=county.strip(),
        typed=typed,
        errors=problems,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _lead_page(
    request: Request,
    user: UserInfo,
    session: Session,
    lead_id: RecordId,
    *,
    errors: list[str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    lead = get_lead(session, actor_for(user), lead_id)
    context = {
        "lead": lead,
        "names": county_names(session),
        "errors": errors or [],
        "done": request.query_params.get("done"),
    }
    return _render(request, "liaison/lead.html", user, context, status_code=status_code)


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    lead_id: RecordId, request: Request, user: LeadUser, session: SessionDep
) -> HTMLResponse:
    """One lead, its history, and the steps the user may take."""
    return _lead_page(request, user, session, lead_id)


@router.post("/leads/{lead_id}/{step}", response_class=HTMLResponse, response_model=None)
def take_step(
    lead_id: RecordId,
    step: str,
    request: Request,
    user: LeadUser,
    session: SessionDep,
    note: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    opened_case_no: Annotated[str, Form()] = "",
    seized_cartons: Annotated[str, Form()] = "",
    value_yuan: Annotated[str, Form()] = "",
    closed: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Take one receiver's step from the lead page's buttons."""
    _ = gettext_for(request)
    actor = actor_for(user)
    text = note.strip() or None
    try:
        with session.begin_nested():
            if step == "ack":
                acknowledge_lead(session, actor, lead_id, note=text)
            elif step == "accept":
                accept_lead(session, actor, lead_id, note=text)
            elif step == "decline":
                decline_lead(session, actor, lead_id, reason)
            elif step == "feedback":
                feed_back_lead(
                    session,
                    actor,
                    lead_id,
                    opened_case_no=opened_case_no or None,
                    seized_cartons=_number(seized_cartons, _("Seized cartons")),
                    value_yuan=_number(value_yuan, _("Value (yuan)")),
                    closed=bool(closed),
                    note=text,
                )
            else:
                raise NotFoundError("step", step)
    except GridmgmtError as error:
        if isinstance(error, NotFoundError) and error.what == "lead":
            raise
        return _lead_page(
            request,
            user,
            session,
            lead_id,
            errors=[error.message],
            status_code=error.http_status,
        )
    return RedirectResponse(f"/leads/{lead_id}?done={step}", status_code=status.HTTP_303_SEE_OTHER)


def _number(text: str, label: str) -> float | None:
    from gridmgmt.errors import InvalidInputError

    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        msg = f"{label}: {text!r} is not a number"
        raise InvalidInputError(msg) from None
