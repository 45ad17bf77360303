"""The liaison's joint cases and merges page (网络案件协同办理, 并案): ``/cases/joint``.

- joint cases one of the user's counties is in: counties and their state, the cases the
  user sees, and *Join* / *Decline* buttons for the user's invited counties;
- a form to open a network spanning counties as a joint case (the networks the user sees
  with a case of their own and cases elsewhere);
- merges (并案) of the user's counties with their evidence, and *Accept* / *Decline*
  buttons carrying the version shown (a merge changed meanwhile answers 409 on the page).

Liaisons and administrators act; officers see the page read-only; other roles get the page
saying what it is for (403). Forms post back here (the app checks their ``Origin``, as for
every cookie-authenticated write); a step refused for its state or input is shown on the page
and nothing is stored; one refused for scope or role is answered (and audited) as everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.declared import RecordId
from api.deps import SessionDep
from api.i18n import N_
from api.pages.leads_page import LeadUser, _render
from gridmgmt.errors import AccessDeniedError, GridmgmtError, NotFoundError
from gridmgmt.policy import Action, allows
from gridmgmt.services.cases import county_names, list_networks
from gridmgmt.services.cases.joint import join_joint_case, list_joint_cases, open_joint_case
from gridmgmt.services.cases.merges import accept_merge, decline_merge, list_merges
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter(include_in_schema=False)

PAGE: Final = "/cases/joint"
JOINT_STATES: Final = {
    "invited": N_("Invited"),
    "joined": N_("Joined"),
    "declined": N_("Declined"),
}
MERGE_STATES: Final = {
    "proposed": N_("Proposed"),
    "merged": N_("Merged"),
    "declined": N_("Declined"),
}


def _page(
    request: Request,
    user: UserInfo,
    session: Session,
    *,
    errors: list[str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    may_open = allows(actor.role, Action.OPEN_JOINT_CASES)
    joints = list_joint_cases(session, actor)
    taken = {j.network_id for j in joints}
    openable = [
        n
        for n in (list_networks(session, actor) if may_open else [])
        if n.network_id not in taken
        and (n.other_counties or len(n.counties) > 1)
        and any(actor.can_see(c) for c in n.counties)
    ]
    context: dict[str, Any] = {
        "joints": joints,
        "merges": list_merges(session, actor),
        "openable": openable,
        "may_open": may_open,
        "may_join": allows(actor.role, Action.JOIN_JOINT_CASES),
        "names": county_names(session),
        "joint_states": JOINT_STATES,
        "merge_states": MERGE_STATES,
        "errors": errors or [],
        "done": request.query_params.get("done"),
    }
    return _render(request, "liaison/joint.html", user, context, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
def joint_page(request: Request, user: LeadUser, session: SessionDep) -> HTMLResponse:
    """Joint cases and merges of the user's counties, with the steps the user may take."""
    return _page(request, user, session)


@router.post(PAGE, response_class=HTMLResponse, response_model=None)
def open_joint(
    request: Request,
    user: LeadUser,
    session: SessionDep,
    network_id: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Open the chosen network as a joint case."""
    return _step(
        request,
        user,
        session,
        lambda actor: open_joint_case(session, actor, network_id, title=title, note=note),
        "opened",
    )


@router.post(PAGE + "/{joint_case_id}/{answer}", response_class=HTMLResponse, response_model=None)
def answer_joint(
    joint_case_id: RecordId,
    answer: str,
    request: Request,
    user: LeadUser,
    session: SessionDep,
    county: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Join or decline for one of the user's invited counties."""
    if answer not in {"join", "decline"}:
        raise NotFoundError("step", answer)
    return _step(
        request,
        user,
        session,
        lambda actor: join_joint_case(
            session, actor, joint_case_id, county=county or None, join=answer == "join"
        ),
        answer,
    )


@router.post(
    "/cases/merges/{merge_id}/{decision}", response_class=HTMLResponse, response_model=None
)
def decide_merge(
    merge_id: RecordId,
    decision: str,
    request: Request,
    user: LeadUser,
    session: SessionDep,
    version: Annotated[int | None, Form()] = None,
    county: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Accept or decline a merge for the user's side, on the version the page showed."""
    steps = {"accept": accept_merge, "decline": decline_merge}
    if decision not in steps:
        raise NotFoundError("step", decision)
    decide = steps[decision]
    return _step(
        request,
        user,
        session,
        lambda actor: decide(session, actor, merge_id, version=version, county=county or None),
        decision,
    )


def _step(
    request: Request, user: UserInfo, session: Session, action: Any, done: str
) -> HTMLResponse | RedirectResponse:
    try:
        with session.begin_nested():
            action(actor_for(user))
    except (NotFoundError, AccessDeniedError):
        raise  # answered (and audited as refused) by the app's handlers
    except GridmgmtError as error:
        return _page(request, user, session, errors=[error.message], status_code=error.http_status)
    return RedirectResponse(f"{PAGE}?done={done}", status_code=status.HTTP_303_SEE_OTHER)
