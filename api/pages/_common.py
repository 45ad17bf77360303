"""What every officer page shares: who may open it, and how it renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import Depends, Request, status
from fastapi.responses import HTMLResponse

from api.deps import PageUser
from api.pages.labels import ALL as LABELS
from api.pages.refused import FOR_OFFICERS, PageRefusedError
from api.web import templates
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import Actor
from gridmgmt.services.users import actor_for
from gridmgmt.store.models import User

OFFICE_ROLES: Final = frozenset({UserRole.OFFICER, UserRole.ADMIN})
"""Roles whose day these pages are (administrators help officers with theirs)."""


@dataclass(frozen=True)
class ShownUser:
    """What the page header shows of a user, kept after the request's session closed."""

    username: str
    full_name: str | None
    role: UserRole


def get_officer(user: PageUser) -> User:
    """The logged-in officer (or administrator); other roles are refused."""
    if UserRole(user.role) not in OFFICE_ROLES:
        shown = ShownUser(user.username, user.full_name, UserRole(user.role))
        raise PageRefusedError(shown, FOR_OFFICERS)
    return user


OfficerUser = Annotated[User, Depends(get_officer)]


def actor_of(user: User) -> Actor:
    """The actor services run as for this page's user."""
    return actor_for(user)


def render(
    request: Request,
    name: str,
    user: User,
    context: dict[str, Any],
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """An officer template with the user and the label tables in its context."""
    return templates.TemplateResponse(
        request,
        name,
        {"user": user, "labels": LABELS, **context},
        status_code=status_code,
    )
