"""``/tasks``: the double-random inspections (双随机) of the officer's counties, and the form
that records what an inspection found.

The form posts to ``/tasks/{draw_id}/results``. Wrong values are shown on the page with
what was typed, and nothing is stored (the service runs in a savepoint that is rolled back
on any error); a stored result sends the browser back to the list. A result is recorded
from the version the page showed (a hidden ``base_version``, 0 while none was recorded): if
someone recorded or corrected it meanwhile, the answer is 409 with the list as it is now
(that row showing the result in force, not what was typed) and a plain notice.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.declared import RecordId
from api.deps import SessionDep
from api.i18n import gettext_for
from api.pages._common import OfficerUser, actor_of, changed_meanwhile, render
from gridmgmt.errors import GridmgmtError
from gridmgmt.services.actor import Actor
from gridmgmt.services.rules import get_draw, list_draws, record_inspection_result
from gridmgmt.services.rules.inspections import DrawDetail
from gridmgmt.services.users import UserInfo

router = APIRouter()
OUTCOMES: Final = ("compliant", "violation", "not_open", "not_found")
WHOSE: Final = ("mine", "all")
"""Whose inspections the list shows: the officer's own (drawn for their staff number) or all."""


def _draws(session: Session, actor: Actor) -> list[DrawDetail]:
    return [get_draw(session, actor, d.id) for d in list_draws(session, actor)]


def _page(
    request: Request,
    user: UserInfo,
    session: Session,
    *,
    pending_only: bool = False,
    whose: str | None = None,
    done: str | None = None,
    errors: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    draws = _draws(session, actor_of(user))
    chosen = whose if whose in WHOSE else ("mine" if user.staff_no else "all")
    context = {
        "draws": draws,
        "pending_only": pending_only,
        "whose": chosen,
        "my_staff_no": user.staff_no if chosen == "mine" else None,
        "done": done,
        "form_errors": errors or {},
        "outcomes": OUTCOMES,
        "today": dt.date.today().isoformat(),
    }
    return render(request, "officer/tasks.html", user, context, status_code=status_code)


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    user: OfficerUser,
    session: SessionDep,
    pending: Annotated[bool, Query(description="Only inspections not yet recorded.")] = False,
    whose: Annotated[
        str | None, Query(description="mine: those I was drawn for (default when linked); all.")
    ] = None,
    done: Annotated[str | None, Query(description="The licence just recorded.")] = None,
) -> HTMLResponse:
    """The current draws of the officer's counties, each inspection with its result; an
    officer linked to a staff record sees the inspections drawn for them first."""
    return _page(request, user, session, pending_only=pending, whose=whose, done=done)


def _parse(
    request: Request, outcome: str, inspected_on: str, violations: str
) -> tuple[dict[str, Any], list[str]]:
    """The form's values typed, and what is wrong with them (in the page's language)."""
    _ = gettext_for(request)
    problems: list[str] = []
    values: dict[str, Any] = {"outcome": outcome}
    if outcome not in OUTCOMES:
        problems.append(_("Choose what the inspection found."))
    try:
        values["inspected_on"] = dt.date.fromisoformat(inspected_on.strip())
    except ValueError:
        problems.append(_("Give the date of the inspection (YYYY-MM-DD)."))
    text = violations.strip()
    if not text:
        values["violations"] = None
    elif text.isdigit():
        values["violations"] = int(text)
    else:
        problems.append(_("The number of violations must be a whole number."))
    return values, problems


@router.post("/tasks/{draw_id}/results", response_class=HTMLResponse, response_model=None)
def record_result(
    draw_id: RecordId,
    request: Request,
    user: OfficerUser,
    session: SessionDep,
    licence_no: Annotated[str, Form()],
    outcome: Annotated[str, Form()] = "",
    inspected_on: Annotated[str, Form()] = "",
    violations: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
    base_version: Annotated[int | None, Form()] = None,
) -> HTMLResponse | RedirectResponse:
    """Record (or correct) one inspection's result; errors are shown on the list."""
    values, problems = _parse(request, outcome, inspected_on, violations)
    conflict = False
    if not problems:
        try:
            with session.begin_nested():
                record_inspection_result(
                    session,
                    actor_of(user),
                    draw_id=draw_id,
                    licence_no=licence_no,
                    notes=notes.strip() or None,
                    base_version=base_version,
                    **values,
                )
        except GridmgmtError as error:
            conflict = changed_meanwhile(error)
            problems.append(error.message)
    if problems:
        typed = {"outcome": outcome, "inspected_on": inspected_on, "violations": violations}
        errors = {
            "key": (draw_id, licence_no),
            "messages": [] if conflict else problems,
            "typed": {**typed, "notes": notes},
            "conflict": conflict,
        }
        code = status.HTTP_409_CONFLICT if conflict else status.HTTP_422_UNPROCESSABLE_CONTENT
        return _page(request, user, session, errors=errors, status_code=code)
    target = f"/tasks?done={quote(licence_no)}#r-{draw_id}-{quote(licence_no)}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
