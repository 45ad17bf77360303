"""``/sweeps``: joint border-market sweeps (毗邻市场集中整治) of the user's counties.

- ``/sweeps``: the sweeps the user's counties take part in, and (liaisons, administrators)
  the form that plans one over the border band of two or more of their counties.
- ``/sweeps/{sweep_no}``: the drawn targets on a map and in a table, the mixed teams
  (联合检查组), the draw's seed and hashes (``?verify=1`` draws it again and compares), and
  per target the form that records what the team found.

A result is recorded against the target's version shown on the page (a hidden
``base_version``): if someone recorded it since, the page says who and what, and nothing is
stored. Forms post back here; a refused step is shown on the page and nothing is stored
(each service call runs in a savepoint rolled back on error).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from shapely.geometry import Point
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.i18n import gettext_for
from api.pages.cooperation_common import county_names, county_outlines, page_user_for
from api.pages.labels import OUTCOME
from api.static import STATIC_URL
from api.web import render_page
from gridmgmt.config import Settings
from gridmgmt.crs import WGS84
from gridmgmt.errors import ConflictError, GridmgmtError
from gridmgmt.policy import Action, allows
from gridmgmt.services import records
from gridmgmt.services.rules._common import validated
from gridmgmt.services.sweeps import (
    SweepDetail,
    SweepPlan,
    SweepResultIn,
    get_sweep,
    list_sweeps,
    plan_sweep,
    record_sweep_result,
    verify_sweep_draw,
)
from gridmgmt.services.users import UserInfo, actor_for
from maps.assets import render_parts
from maps.sweeps import PENDING, build_sweep_map

router = APIRouter(include_in_schema=False)

SweepsUser = Annotated[UserInfo, Depends(page_user_for(Action.READ_SWEEPS))]
OUTCOMES = tuple(OUTCOME)


# -- the list and the plan form ------------------------------------------------------------


def _list_page(
    request: Request,
    user: UserInfo,
    session: Session,
    *,
    errors: list[str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    context: dict[str, Any] = {
        "sweeps": list_sweeps(session, actor),
        "names": county_names(session),
        "counties": records.list_counties(session, actor),
        "may_plan": allows(actor.role, Action.PLAN_SWEEPS),
        "errors": errors or [],
        "typed": typed or {},
        "default_day": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
    }
    return render_page(request, "cooperation/sweeps.html", user, context, status_code=status_code)


@router.get("/sweeps", response_class=HTMLResponse)
def sweeps_page(request: Request, user: SweepsUser, session: SessionDep) -> HTMLResponse:
    """The sweeps of the user's counties and the plan form."""
    return _list_page(request, user, session)


@router.post("/sweeps", response_class=HTMLResponse, response_model=None)
def plan_form(
    request: Request,
    user: SweepsUser,
    session: SessionDep,
    counties: Annotated[list[str] | None, Form()] = None,
    planned_for: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
    target_share: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Plan a sweep from the form; to its page, or back to the form with what is wrong."""
    _ = gettext_for(request)
    typed = {"counties": counties or [], "planned_for": planned_for, "title": title}
    typed |= {"seed": seed, "target_share": target_share}
    fields: dict[str, Any] = {"counties": counties or [], "title": title.strip()}
    fields["planned_for"] = planned_for.strip() or None
    fields["seed"] = seed.strip() or None
    fields["target_share"] = _share(target_share)
    try:
        plan = validated(SweepPlan, fields, "sweep plan")
        with session.begin_nested():
            sweep = plan_sweep(session, actor_for(user), plan)
    except GridmgmtError as error:
        problems = [str(p.get("message", "")) for p in getattr(error, "problems", [])]
        messages = [error.message, *[p for p in problems if p and p != error.message]]
        if len(set(counties or [])) < 2:
            messages.insert(0, _("Choose two or more counties that share a border."))
        return _list_page(
            request,
            user,
            session,
            errors=messages,
            typed=typed,
            status_code=error.http_status,
        )
    target = f"/sweeps/{quote(sweep.sweep_no)}?planned=1"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _share(text: str) -> Any:
    """The target share typed as a percentage (``20`` or ``20%``) as a fraction, else as is."""
    text = text.strip().rstrip("%").strip()
    if not text:
        return None
    try:
        return float(text) / 100
    except ValueError:
        return text


# -- one sweep -----------------------------------------------------------------------------


def _target_frame(sweep: SweepDetail) -> gpd.GeoDataFrame:
    rows = [
        {
            "position": t.position,
            "licence_no": t.licence_no,
            "name": t.name,
            "county_code": t.county_code,
            "team": t.team,
            "priority": t.priority,
            "reasons": list(t.reasons),
            "outcome": t.outcome.value if t.outcome is not None else PENDING,
            "geometry": Point(t.lon, t.lat),
        }
        for t in sweep.target_rows
    ]
    columns = ["position", "licence_no", "name", "county_code", "team", "priority", "reasons"]
    frame = pd.DataFrame(rows, columns=[*columns, "outcome", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def _sweep_page(
    request: Request,
    user: UserInfo,
    session: Session,
    settings: Settings,
    sweep_no: str,
    *,
    verify: bool = False,
    flash: str | None = None,
    form_errors: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    sweep = get_sweep(session, actor, sweep_no)
    m = build_sweep_map(
        county_outlines(session, sweep.counties),
        _target_frame(sweep),
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
    )
    context: dict[str, Any] = {
        "sweep": sweep,
        "names": county_names(session),
        "verification": verify_sweep_draw(session, actor, sweep_no) if verify else None,
        "flash": flash,
        "form_errors": form_errors or {},
        "outcomes": OUTCOMES,
        "outcome_labels": OUTCOME,
        "may_record": allows(actor.role, Action.RECORD_SWEEPS),
        "today": dt.date.today().isoformat(),
        "map": render_parts(m, static_url=STATIC_URL),
    }
    return render_page(request, "cooperation/sweep.html", user, context, status_code=status_code)


@router.get("/sweeps/{sweep_no}", response_class=HTMLResponse)
def sweep_page(
    sweep_no: str,
    request: Request,
    user: SweepsUser,
    session: SessionDep,
    settings: SettingsDep,
    verify: Annotated[bool, Query(description="Draw again and compare.")] = False,
    planned: Annotated[bool, Query(description="Just planned.")] = False,
    done: Annotated[str | None, Query(description="The licence just recorded.")] = None,
) -> HTMLResponse:
    """A sweep's map, teams and targets with their results."""
    _ = gettext_for(request)
    flash = None
    if planned:
        flash = _("Sweep planned: its teams and targets are drawn and stored.")
    elif done:
        flash = _("Result recorded for %(licence)s.") % {"licence": done}
    return _sweep_page(request, user, session, settings, sweep_no, verify=verify, flash=flash)


def _parse_result(
    request: Request, outcome: str, inspected_on: str, violations: str, seized: str
) -> tuple[dict[str, Any], list[str]]:
    """The result form's values, and what is wrong with them (in the page's language)."""
    _ = gettext_for(request)
    problems: list[str] = []
    values: dict[str, Any] = {"outcome": outcome}
    if outcome not in OUTCOMES:
        problems.append(_("Choose what the team found."))
    try:
        values["inspected_on"] = dt.date.fromisoformat(inspected_on.strip())
    except ValueError:
        problems.append(_("Give the date of the check (YYYY-MM-DD)."))
    text = violations.strip()
    values["violations"] = int(text) if text.isdigit() else None
    if text and not text.isdigit():
        problems.append(_("The number of violations must be a whole number."))
    try:
        values["seized_cartons"] = float(seized) if seized.strip() else None
    except ValueError:
        problems.append(_("Cartons seized must be a number."))
    return values, problems


@router.post("/sweeps/{sweep_no}/results", response_class=HTMLResponse, response_model=None)
def record_form(
    sweep_no: str,
    request: Request,
    user: SweepsUser,
    session: SessionDep,
    settings: SettingsDep,
    licence_no: Annotated[str, Form()],
    base_version: Annotated[int, Form()],
    outcome: Annotated[str, Form()] = "",
    inspected_on: Annotated[str, Form()] = "",
    violations: Annotated[str, Form()] = "",
    seized_cartons: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Record one target's result; a result recorded since the page was read is shown."""
    values, problems = _parse_result(request, outcome, inspected_on, violations, seized_cartons)
    conflict = False
    if not problems:
        result = {"licence_no": licence_no, "base_version": base_version, **values}
        try:
            with session.begin_nested():
                record_sweep_result(
                    session,
                    actor_for(user),
                    sweep_no,
                    SweepResultIn(notes=notes.strip() or None, **result),
                )
        except GridmgmtError as error:
            conflict = isinstance(error, ConflictError)
            problems.append(error.message)
    if problems:
        typed = {"outcome": outcome, "inspected_on": inspected_on, "violations": violations}
        typed |= {"seized_cartons": seized_cartons, "notes": notes}
        errors = {"key": licence_no, "messages": problems, "typed": typed, "conflict": conflict}
        code = status.HTTP_409_CONFLICT if conflict else status.HTTP_422_UNPROCESSABLE_CONTENT
        return _sweep_page(
            request, user, session, settings, sweep_no, form_errors=errors, status_code=code
        )
    target = f"/sweeps/{quote(sweep_no)}?done={quote(licence_no)}#t-{quote(licence_no)}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
