"""Grid supervision tickets (网格监管信息) of the caller's counties.

Collect a ticket, move it on (assigned, responded, handled, fed back) with deadlines from
the county's settings, list the overdue ones, and get the grid supervision report. Another
county's ticket answers 404; a move that skips a state answers 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.deps import CurrentActor, SessionDep
from api.routes.rules import service_errors
from gridmgmt.services.frames import frame_records
from gridmgmt.services.rules import (
    advance_ticket,
    create_ticket,
    get_ticket,
    list_tickets,
    overdue_list,
    report,
)
from gridmgmt.services.rules.tickets import ticket_dict

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


class TicketIn(BaseModel):
    """A ticket collected in a grid."""

    county: str = Field(description="6-digit county code.")
    kind: str = Field(description="violation, complaint or market_info.")
    summary: str = Field(min_length=1)
    grid_id: str | None = None
    licence_no: str | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: str = "wgs84"
    assignee: str | None = None
    collected_at: dt.datetime | None = Field(default=None, description="Default now (UTC).")


class AdvanceIn(BaseModel):
    """A step taken on a ticket."""

    to: str | None = Field(default=None, description="Default: the next state.")
    at: dt.datetime | None = Field(default=None, description="Default now (UTC).")
    note: str | None = None
    assignee: str | None = None


@router.get("")
def read_tickets(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    state: Annotated[str | None, Query(description="Only this state.")] = None,
) -> list[dict[str, Any]]:
    """Your counties' tickets, newest first."""
    with service_errors():
        records = list_tickets(session, actor, county=county, state=state)
    return [ticket_dict(r) for r in records]


@router.post("", status_code=status.HTTP_201_CREATED)
def add_ticket(body: TicketIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Collect a ticket (信息采集); its deadline to be assigned starts now."""
    with service_errors():
        record = create_ticket(
            session,
            actor,
            county=body.county,
            kind=body.kind,
            summary=body.summary,
            grid_id=body.grid_id,
            licence_no=body.licence_no,
            lon=body.lon,
            lat=body.lat,
            crs=body.crs,
            assignee=body.assignee,
            collected_at=body.collected_at,
        )
        return ticket_dict(record)


@router.get("/overdue")
def read_overdue(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    now: Annotated[dt.datetime | None, Query(description="Judge at this time.")] = None,
) -> list[dict[str, Any]]:
    """Open tickets past the deadline of their next step, most overdue first."""
    with service_errors():
        return frame_records(overdue_list(session, actor, county=county, now=now))


@router.get("/report")
def read_report(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str, Query(description="The county.")],
    start: Annotated[dt.datetime, Query(description="Start of the period.")],
    end: Annotated[dt.datetime, Query(description="End of the period (excluded).")],
) -> list[dict[str, Any]]:
    """The grid supervision report (网格监管情况报告): one row per grid."""
    with service_errors():
        return frame_records(report(session, actor, county=county, start=start, end=end))


@router.get("/{ticket_no}")
def read_ticket(ticket_no: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """One ticket with its steps."""
    with service_errors():
        return ticket_dict(get_ticket(session, actor, ticket_no))


@router.post("/{ticket_no}/advance")
def advance(
    ticket_no: str, body: AdvanceIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Move a ticket to its next state; 409 for any other move."""
    with service_errors():
        record = advance_ticket(
            session,
            actor,
            ticket_no,
            to=body.to,
            at=body.at,
            note=body.note,
            assignee=body.assignee,
        )
        return ticket_dict(record)
