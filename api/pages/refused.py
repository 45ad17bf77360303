"""The one page a user sees when their role does not use a page (403), for every page family.

A page's dependency raises :class:`PageRefusedError` with whose page it is (a heading) and
why (a sentence), both English msgids marked with ``N_`` and translated when shown.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import HTMLResponse

from api.errors import audit_refusal
from api.i18n import N_
from api.web import templates

FOR_OFFICERS = (
    N_("For officers"),
    N_("This page is for monopoly officers and inspectors. Your role does not use it."),
)
FOR_ADMINISTRATORS = (
    N_("For administrators"),
    N_("This page is for the bureau's administrators and leaders. Your role does not use it."),
)
FOR_LIAISONS = (
    N_("For information liaisons"),
    N_(
        "Leads handed over between counties are for liaisons, administrators and officers. "
        "Your role does not use them."
    ),
)

FOR_COOPERATION = (
    N_("For information liaisons"),
    N_(
        "Price checks, joint sweeps and the quarterly report are for liaisons, administrators "
        "and officers of the counties taking part. Your role does not use them."
    ),
)


class PageRefusedError(Exception):
    """A user opened a page their role does not use.

    Parameters
    ----------
    user
        The logged-in user (shown in the header).
    reason
        ``(heading, explanation)``: one of the ``FOR_*`` pairs of this module.
    """

    def __init__(self, user: Any, reason: tuple[str, str]) -> None:
        super().__init__(getattr(user, "username", ""))
        self.user = user
        self.heading, self.explanation = reason


async def refuse(request: Request, error: Exception) -> HTMLResponse:
    """The 403 page: whose page this is, why, and a way home."""
    assert isinstance(error, PageRefusedError)
    audit_refusal(request, status.HTTP_403_FORBIDDEN, "page_role")
    return templates.TemplateResponse(
        request,
        "refused.html",
        {"user": error.user, "heading": error.heading, "explanation": error.explanation},
        status_code=status.HTTP_403_FORBIDDEN,
    )


def install(app: FastAPI) -> None:
    """Answer every :class:`PageRefusedError` with the refused page."""
    app.add_exception_handler(PageRefusedError, refuse)
