"""``/dashboard``: the leaders' figures for a county and a month, quarter or year, each
linking to its list; and ``GET /api/v1/dashboard``, the same figures as JSON.

The dashboard is the first page of the leaders (局领导, a read-only role) and is open to
administrators too (``Action.READ_DASHBOARD``). Each figure links to its list
(:mod:`api.pages.dashboard_lists_page`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.declared import PERIOD
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from api.pages.admin_common import render, user_for
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action
from gridmgmt.services import records
from gridmgmt.services.dashboard import Dashboard, dashboard, first_data_year, period_choices
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter()
api_router = APIRouter(prefix="/api/v1", tags=["dashboard"], responses=ERROR_RESPONSES)

DashboardUser = user_for(Action.READ_DASHBOARD)
CountyQuery = Annotated[str, Query(pattern=r"^\d{6}$", description="6-digit county code.")]
PeriodQuery = Annotated[
    str, Query(description="YYYY, YYYY-Qn or YYYY-MM.", json_schema_extra=PERIOD)
]


@api_router.get("/dashboard", dependencies=[allow(Action.READ_DASHBOARD)])
def read_dashboard(
    session: SessionDep, actor: CurrentActor, county: CountyQuery, period: PeriodQuery
) -> Dashboard:
    """A county's dashboard figures for a period (snapshots are as of now)."""
    return dashboard(session, actor, county, period)


def _this_year(today: dt.date) -> str:
    return str(today.year)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    county: str | None = None,
    period: str | None = None,
    user: UserInfo = DashboardUser,
) -> HTMLResponse:
    """The figures of the chosen county and period (default: the first county, this year so
    far)."""
    actor = actor_for(user)
    counties = records.list_counties(session, actor)
    today = dt.datetime.now(dt.UTC).date()
    code = county or (counties[0].code if counties else None)
    chosen = period or _this_year(today)
    error = None
    figures = None
    if code is not None:
        try:
            figures = dashboard(session, actor, code, chosen)
        except InvalidInputError as wrong:
            error = wrong.message
            figures = dashboard(session, actor, code, _this_year(today))
    first = first_data_year(session, actor, code) if figures is not None and code else None
    choices = period_choices(today, first_year=first)
    if figures is not None and not any(figures.period.name in c for c in choices.values()):
        kind = figures.period.kind
        choices[kind] = [figures.period.name, *choices.get(kind, [])]
    context = {
        "counties": counties,
        "county": code,
        "choices": choices,
        "figures": figures,
        "error": error,
    }
    return render(request, "dashboard/dashboard.html", user, context)
