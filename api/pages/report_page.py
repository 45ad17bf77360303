"""``/cooperation/report``: the quarterly mutual report (每季度互相通报) as a page.

Choose a cooperation area or a pair of adjacent counties and a quarter; the page shows the
report's counties on a map with the borders coloured by their flagged price gaps, each
section's chart as inline SVG (drawn here, no chart script), its table and notes, a link to
the Excel file, and prints on A4 (the stylesheet's print rules; the controls are left out).
Liaisons and administrators read it; reading the other counties' figures is audited by the
report service.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.i18n import gettext_for, request_locale
from api.pages.cooperation_common import county_outlines, page_user_for
from api.pages.labels import CASE_TYPE
from api.static import STATIC_URL
from api.web import render_page
from gridmgmt.config import Settings
from gridmgmt.cooperation.quarters import Quarter
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action
from gridmgmt.services.cooperation import list_adjacency, list_areas
from gridmgmt.services.cooperation.report import QuarterlyReport, quarterly_report
from gridmgmt.services.users import UserInfo, actor_for
from maps.assets import render_parts
from maps.charts import bar_chart
from maps.report import build_report_map

router = APIRouter(include_in_schema=False)

ReportUser = Annotated[UserInfo, Depends(page_user_for(Action.READ_COOPERATION_REPORT))]
QUARTERS_SHOWN: Final = 8


def recent_quarters(today: dt.date, count: int = QUARTERS_SHOWN) -> list[str]:
    """The quarter of ``today`` and the ``count - 1`` before it, latest first."""
    year, number = today.year, (today.month - 1) // 3 + 1
    found = []
    for _ in range(count):
        found.append(str(Quarter(year, number)))
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return found


def _scopes(session: Session, user: UserInfo) -> list[tuple[str, str]]:
    """(value, label) of every report the user may ask for: their areas, then their pairs."""
    actor = actor_for(user)
    scopes = [(f"area:{a.code}", a.name) for a in list_areas(session, actor)]
    for pair in list_adjacency(session, actor):
        if actor.can_see(pair.county_a) or actor.can_see(pair.county_b):
            label = f"{pair.name_a} – {pair.name_b}"
            scopes.append((f"pair:{pair.county_a},{pair.county_b}", label))
    return scopes


def _scope_arguments(scope: str) -> dict[str, Any]:
    kind, _sep, value = scope.partition(":")
    if kind == "area":
        return {"area": value}
    return {"counties": [c for c in value.split(",") if c]}


def _report_map(session: Session, settings: Settings, report: QuarterlyReport) -> Any:
    m = build_report_map(
        county_outlines(session, [c.code for c in report.counties]),
        report,
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
    )
    return render_parts(m, static_url=STATIC_URL)


def _export_url(request: Request, report: QuarterlyReport) -> str:
    query: list[tuple[str, str]] = [("quarter", report.quarter)]
    if report.area is not None:
        query.append(("area", report.area))
    else:
        query.extend(("county", c.code) for c in report.counties)
    query.append(("lang", request_locale(request)))
    return "/api/v1/cooperation/report/export?" + urlencode(query)


@router.get("/cooperation/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    user: ReportUser,
    session: SessionDep,
    settings: SettingsDep,
    scope: Annotated[
        str | None, Query(description="area:CODE, or pair:A,B (two adjacent counties).")
    ] = None,
    quarter: Annotated[str | None, Query(description="The quarter, e.g. 2026Q3.")] = None,
) -> HTMLResponse:
    """The quarterly mutual report of an area or a county pair, with a map and charts."""
    _ = gettext_for(request)
    scopes = _scopes(session, user)
    quarters = recent_quarters(dt.date.today())
    chosen = scope or (scopes[0][0] if scopes else None)
    period = (quarter or quarters[0]).strip()
    context: dict[str, Any] = {
        "scopes": scopes,
        "scope": chosen,
        "quarters": quarters if period in quarters else [period, *quarters],
        "quarter": period,
        "report": None,
        "error": None,
        "case_types": CASE_TYPE,
    }
    status_code = status.HTTP_200_OK
    if chosen is not None:
        try:
            with session.begin_nested():
                report = quarterly_report(
                    session, actor_for(user), period, **_scope_arguments(chosen)
                )
        except InvalidInputError as error:  # a wrong quarter; refusals go to the handlers
            context["error"] = error.message
            status_code = error.http_status
        else:
            context |= {
                "report": report,
                "sections": [
                    {
                        "key": s.key,
                        "title": _(s.title),
                        "columns": s.columns,
                        "headers": [_(c) for c in s.columns],
                        "rows": s.rows,
                        "notes": s.notes,
                        "chart_title": _(s.chart_title) if s.chart_title else "",
                    }
                    for s in report.sections
                ],
                "map": _report_map(session, settings, report),
                "charts": {
                    s.key: bar_chart(
                        _(s.chart_title), [(b.label, b.value) for b in s.chart], chart_id=s.key
                    )
                    for s in report.sections
                    if s.chart
                },
                "export_url": _export_url(request, report),
            }
    return render_page(request, "cooperation/report.html", user, context, status_code=status_code)
