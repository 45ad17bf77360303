"""What every officer page shares: who may open it, and how it renders."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Request, status
from fastapi.responses import HTMLResponse

from api.deps import PageUser
from api.pages.labels import ALL as LABELS
from api.pages.refused import FOR_OFFICERS, PageRefusedError
from api.web import render_page
from gridmgmt.domain import UserRole
from gridmgmt.errors import ConflictError, GridmgmtError
from gridmgmt.services.actor import Actor
from gridmgmt.services.users import UserInfo, actor_for

OFFICE_ROLES: Final = frozenset({UserRole.OFFICER, UserRole.ADMIN})
"""Roles whose day these pages are (administrators help officers with theirs)."""


def get_officer(user: PageUser) -> UserInfo:
    """The logged-in officer (or administrator); other roles are refused."""
    if UserRole(user.role) not in OFFICE_ROLES:
        raise PageRefusedError(user, FOR_OFFICERS)
    return user


OfficerUser = Annotated[UserInfo, Depends(get_officer)]


def actor_of(user: UserInfo) -> Actor:
    """The actor services run as for this page's user."""
    return actor_for(user)


def render(
    request: Request,
    name: str,
    user: UserInfo,
    context: dict[str, Any],
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """An officer template with the user and the label tables in its context."""
    return render_page(request, name, user, {"labels": LABELS, **context}, status_code=status_code)


def changed_meanwhile(error: GridmgmtError) -> bool:
    """Whether ``error`` refused a change made from a version someone else replaced since
    (a row-version conflict, which carries the row's current state), as opposed to a step
    the current state does not allow."""
    return isinstance(error, ConflictError) and error.current is not None
