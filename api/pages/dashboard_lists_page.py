"""``/dashboard/{figure}``: the list behind a figure of the leaders' dashboard (看板明细), a
page of rows with their values translated; and ``GET /api/v1/dashboard/{figure}``, the same
rows as JSON.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from api.i18n import N_
from api.pages.admin_common import render, user_for
from api.pages.dashboard_page import CountyQuery, PeriodQuery
from api.pages.labels import ALL as VALUES
from gridmgmt.domain import RetailerStatus
from gridmgmt.policy import Action
from gridmgmt.services.bounds import MAX_REQUEST_INT
from gridmgmt.services.dashboard_lists import PAGE_SIZE, Figure, FigureList, figure_list
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter()
api_router = APIRouter(prefix="/api/v1", tags=["dashboard"], responses=ERROR_RESPONSES)

StatusQuery = Annotated[
    RetailerStatus | None, Query(description="Only retailers of this status (retailers list).")
]
PageQuery = Annotated[
    int, Query(ge=1, le=MAX_REQUEST_INT // PAGE_SIZE, description="1-based page of 200 rows.")
]

FIGURE_TITLES: Final = {
    Figure.RETAILERS: N_("Retailers"),
    Figure.KEY_RETAILERS: N_("Key retailers"),
    Figure.RED_LINE: N_("Red-line violators left"),
    Figure.INSPECTIONS: N_("Inspections done"),
    Figure.TICKETS_OPEN: N_("Tickets open"),
    Figure.TICKETS_OVERDUE: N_("Tickets overdue"),
    Figure.CASES: N_("Cases"),
    Figure.NETWORK_CASES: N_("Cases in network cases"),
    Figure.DELIVERY: N_("Delivery route plans"),
}
"""Each list's heading (an English msgid)."""

COLUMN_TITLES: Final = {
    "licence_no": N_("Licence no."),
    "name": N_("Name"),
    "address": N_("Address"),
    "status": N_("Status"),
    "tier": N_("Tier"),
    "key_retailer": N_("Key retailer"),
    "grid_id": N_("Grid"),
    "school": N_("School"),
    "distance_m": N_("Distance (m)"),
    "limit_m": N_("Limit (m)"),
    "inspected_on": N_("Date"),
    "outcome": N_("Result"),
    "violations": N_("Violations"),
    "inspectors": N_("Inspectors"),
    "ticket_no": N_("Ticket"),
    "kind": N_("Kind"),
    "state": N_("State"),
    "summary": N_("Summary"),
    "collected_at": N_("Collected"),
    "due_at": N_("Deadline"),
    "case_no": N_("Case no."),
    "type": N_("Type"),
    "opened_on": N_("Opened"),
    "value_yuan": N_("Value (yuan)"),
    "network_id": N_("Network case"),
    "depot_code": N_("Depot"),
    "delivery_date": N_("Delivery date"),
    "version": N_("Version"),
    "km": N_("km"),
    "created_by": N_("Made by"),
}
"""Each column's heading (an English msgid)."""

VALUE_LABELS: Final = {
    Figure.TICKETS_OPEN: {"kind": "ticket_kind", "state": "ticket_state"},
    Figure.TICKETS_OVERDUE: {"kind": "ticket_kind", "state": "ticket_state"},
    Figure.INSPECTIONS: {"outcome": "outcome"},
    Figure.CASES: {"type": "case_type", "status": "case_status"},
    Figure.NETWORK_CASES: {"type": "case_type", "status": "case_status"},
    Figure.RETAILERS: {"status": "retailer_status"},
    Figure.KEY_RETAILERS: {"status": "retailer_status"},
}
"""Which label table (of ``labels``) translates a column's values, per list."""


@api_router.get("/dashboard/{figure}", dependencies=[allow(Action.READ_DASHBOARD)])
def read_figure_list(
    session: SessionDep,
    actor: CurrentActor,
    figure: Figure,
    county: CountyQuery,
    period: PeriodQuery,
    status: StatusQuery = None,
    page: PageQuery = 1,
) -> FigureList:
    """The rows a dashboard figure counts (a page of 200), for a county and a period."""
    return figure_list(session, actor, county, period, figure, status=status, page=page)


@router.get("/dashboard/{figure}", response_class=HTMLResponse)
def figure_list_page(
    request: Request,
    session: SessionDep,
    figure: Figure,
    county: CountyQuery,
    period: PeriodQuery,
    status: StatusQuery = None,
    page: PageQuery = 1,
    user: UserInfo = user_for(Action.READ_DASHBOARD),
) -> HTMLResponse:
    """The list behind a figure, with a way back to the dashboard and pages of 200 rows."""
    found = figure_list(session, actor_for(user), county, period, figure, status=status, page=page)
    context = {
        "found": found,
        "title": FIGURE_TITLES[figure],
        "column_titles": COLUMN_TITLES,
        "value_labels": VALUE_LABELS.get(figure, {}),
        "values": VALUES,
    }
    return render(request, "dashboard/list.html", user, context)
