"""``/admin/users``: who may log in, with which role, counties and staff number.

Add a user (a one-time password is shown once, on the page that answers the form), change
a user's role, counties and staff number (the staff member the login belongs to: an
officer's own grids follow from it), deactivate a login. Each change form carries the version of the
user it was made from: when another administrator changed the user meanwhile, the page says
so (409) and shows the current values; nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.i18n import gettext_for
from api.pages.admin_common import render, user_for
from gridmgmt.domain import UserRole
from gridmgmt.errors import GridmgmtError
from gridmgmt.policy import Action
from gridmgmt.services import records
from gridmgmt.services.users import (
    NewUser,
    UserInfo,
    actor_for,
    change_user,
    create_user,
    deactivate_user,
    list_managed_users,
    staff_choices,
)

router = APIRouter()

UsersUser = user_for(Action.MANAGE_USERS)


def _page(
    request: Request,
    user: UserInfo,
    session: Session,
    *,
    created: NewUser | None = None,
    flash: str | None = None,
    errors: list[str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    context = {
        "users": list_managed_users(session, actor),
        "counties": records.list_counties(session, actor),
        "staff": staff_choices(session, actor),
        "roles": [role.value for role in UserRole],
        "created": created,
        "flash": flash,
        "errors": errors or [],
        "typed": typed or {"role": UserRole.OFFICER.value, "counties": []},
    }
    return render(request, "admin/users.html", user, context, status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, user: UserInfo = UsersUser) -> HTMLResponse:
    """Every user sharing a county with the administrator, and the form to add one."""
    return _page(request, user, session)


def _failed(
    request: Request, user: UserInfo, session: Session, error: GridmgmtError, **kw: Any
) -> HTMLResponse:
    messages = [error.message]
    messages += [str(p.get("message")) for p in getattr(error, "problems", []) if p.get("message")]
    unique = list(dict.fromkeys(messages))
    return _page(request, user, session, errors=unique, status_code=error.http_status, **kw)


@router.post("/admin/users", response_class=HTMLResponse)
def add(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    counties: Annotated[list[str] | None, Form()] = None,
    staff_no: Annotated[str, Form()] = "",
    user: UserInfo = UsersUser,
) -> HTMLResponse:
    """Add a user; the page shows the one-time password once."""
    typed = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "counties": counties,
        "staff_no": staff_no,
    }
    try:
        with session.begin_nested():
            created = create_user(
                session,
                actor_for(user),
                username,
                role,
                counties or [],
                full_name=full_name.strip() or None,
                staff_no=staff_no,
            )
    except GridmgmtError as error:
        return _failed(request, user, session, error, typed=typed)
    return _page(request, user, session, created=created)


@router.post("/admin/users/{username}", response_class=HTMLResponse)
def change(
    username: str,
    request: Request,
    session: SessionDep,
    version: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    counties: Annotated[list[str] | None, Form()] = None,
    full_name: Annotated[str | None, Form()] = None,
    staff_no: Annotated[str, Form()] = "",
    user: UserInfo = UsersUser,
) -> HTMLResponse:
    """Change a user's role, counties, name and staff number (empty: no link), from the
    version the form was made from."""
    _ = gettext_for(request)
    try:
        with session.begin_nested():
            changed = change_user(
                session,
                actor_for(user),
                username,
                version=version,
                role=role or None,
                counties=counties or [],
                full_name=full_name,
                staff_no=staff_no,
            )
    except GridmgmtError as error:
        return _failed(request, user, session, error)
    flash = _("User %(name)s was changed.") % {"name": changed.username}
    return _page(request, user, session, flash=flash)


@router.post("/admin/users/{username}/deactivate", response_class=HTMLResponse)
def deactivate(
    username: str,
    request: Request,
    session: SessionDep,
    version: Annotated[str, Form()] = "",
    user: UserInfo = UsersUser,
) -> HTMLResponse:
    """Stop a user from logging in."""
    _ = gettext_for(request)
    try:
        with session.begin_nested():
            gone = deactivate_user(session, actor_for(user), username, version=version)
    except GridmgmtError as error:
        return _failed(request, user, session, error)
    flash = _("User %(name)s can no longer log in.") % {"name": gone.username}
    return _page(request, user, session, flash=flash)
