"""Cooperation pages (毗邻协作) for liaisons, officers and administrators.

- ``/cooperation``: the cooperation areas of the user's counties, the adjacent county pairs
  (province lines marked) and the overlaps and gaps of the stored outlines.
- ``/cooperation/areas/{code}``: the area's joint contact list (打假打私联动联络通讯录) with
  CSV and Excel downloads and, for liaisons and administrators, a form to name a liaison of
  their own county.

Other roles get a page saying what these are for (403); an area none of whose counties is
the user's answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import PageUser, SessionDep
from api.pages.refused import FOR_LIAISONS, PageRefusedError
from api.web import render_page
from gridmgmt.domain import UserRole
from gridmgmt.errors import GridmgmtError
from gridmgmt.policy import Action, allows
from gridmgmt.services.cooperation import (
    add_liaison,
    contact_list,
    list_adjacency,
    list_areas,
    list_boundary_defects,
)
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter(include_in_schema=False)

COOPERATION_ROLES: Final = frozenset({UserRole.LIAISON, UserRole.ADMIN, UserRole.OFFICER})


def get_cooperation_user(user: PageUser) -> UserInfo:
    """The logged-in liaison, administrator or officer; other roles are refused."""
    if UserRole(user.role) not in COOPERATION_ROLES:
        raise PageRefusedError(user, FOR_LIAISONS)
    return user


CooperationUser = Annotated[UserInfo, Depends(get_cooperation_user)]


@router.get("/cooperation", response_class=HTMLResponse)
def cooperation_page(request: Request, user: CooperationUser, session: SessionDep) -> HTMLResponse:
    """The user's areas, adjacency and the outlines' overlaps and gaps."""
    actor = actor_for(user)
    context: dict[str, Any] = {
        "areas": list_areas(session, actor),
        "pairs": list_adjacency(session, actor),
        "defects": list_boundary_defects(session, actor),
    }
    return render_page(request, "cooperation/index.html", user, context)


def _contacts_page(
    request: Request,
    user: UserInfo,
    session: SessionDep,
    code: str,
    *,
    errors: list[str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    contacts = contact_list(session, actor, code)
    own = [
        ref
        for ref in contacts.area.counties
        if actor.can_see(ref.code) and allows(actor.role, Action.CHANGE_LIAISONS)
    ]
    context: dict[str, Any] = {
        "contacts": contacts,
        "own_counties": own,
        "errors": errors or [],
        "typed": typed or {},
        "added": request.query_params.get("added"),
    }
    return render_page(request, "cooperation/contacts.html", user, context, status_code=status_code)


@router.get("/cooperation/areas/{code}", response_class=HTMLResponse)
def contacts_page(
    code: str, request: Request, user: CooperationUser, session: SessionDep
) -> HTMLResponse:
    """The area's joint contact list."""
    return _contacts_page(request, user, session, code)


@router.post("/cooperation/areas/{code}/liaisons", response_class=HTMLResponse, response_model=None)
def add_liaison_form(
    code: str,
    request: Request,
    user: CooperationUser,
    session: SessionDep,
    county_code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    mobile: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    duties: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Name a liaison of one of the user's counties; back to the list."""
    typed = {"county_code": county_code, "name": name, "title": title, "phone": phone}
    typed |= {"mobile": mobile, "email": email, "duties": duties}
    fields = {k: v for k, v in typed.items() if k != "county_code"}
    try:
        with session.begin_nested():
            contact_list(session, actor_for(user), code)  # the area must be the user's
            add_liaison(session, actor_for(user), county_code, **fields)
    except GridmgmtError as error:
        return _contacts_page(
            request,
            user,
            session,
            code,
            errors=[error.message],
            typed=typed,
            status_code=error.http_status,
        )
    return RedirectResponse(
        f"/cooperation/areas/{code}?added=1", status_code=status.HTTP_303_SEE_OTHER
    )
