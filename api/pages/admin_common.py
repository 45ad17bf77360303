"""What the administrators' and leaders' pages share: who may open them, and how they render.

A user whose role may not take a page's action (see :mod:`gridmgmt.policy`) gets the page
``admin/refused.html`` with status 403, not a bare error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request, status
from fastapi.responses import HTMLResponse

from api.deps import PageUser
from api.pages.admin_labels import ALL as LABELS
from api.pages.refused import FOR_ADMINISTRATORS, PageRefusedError
from api.web import render_page
from gridmgmt.policy import Action, allows
from gridmgmt.services.users import UserInfo


def page_for(action: Action) -> Callable[..., UserInfo]:
    """A dependency giving the page's user if their role may take ``action``."""

    def check(user: PageUser) -> UserInfo:
        if not allows(user.role, action):
            raise PageRefusedError(user, FOR_ADMINISTRATORS)
        return user

    return check


def user_for(action: Action) -> Any:
    """``Depends`` on :func:`page_for` (use as a parameter default)."""
    return Depends(page_for(action))


def render(
    request: Request,
    name: str,
    user: UserInfo,
    context: dict[str, Any],
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """A template with the user and the label tables (``labels``) in its context."""
    return render_page(request, name, user, {"labels": LABELS, **context}, status_code=status_code)
