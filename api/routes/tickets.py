"""Grid supervision tickets (网格监管信息) of the caller's counties.

Collect a ticket, move it on (assigned, responded, handled, fed back) with deadlines from
the county's settings, list the overdue ones, and get the grid supervision report. Another
county's ticket answers 404; a move that skips a state answers 409 (a conflict with the
ticket's current state), and so does a step from a ticket someone else moved meanwhile
(``base_version``; the answer's ``current`` is the ticket now). Errors are answered by the
app's handlers (``api/errors.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.declared import one_of
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.domain import TicketState
from gridmgmt.policy import Action
from gridmgmt.services.bounds import Version
from gridmgmt.services.frames import frame_records
from gridmgmt.services.rules.tickets import (
    TicketView,
    advance_ticket,
    create_ticket,
    get_ticket,
    list_tickets,
    overdue_list,
    report,
)

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], responses=ERROR_RESPONSES)

READ: Any = [allow(Action.READ_TICKETS)]
CHANGE: Any = [allow(Action.CHANGE_TICKETS)]


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
    base_version: Version | None = Field(
        default=None,
        ge=1,
        description="The ticket's version you read; 409 with the ticket if it changed since.",
    )


@router.get("", dependencies=READ)
def read_tickets(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    state: Annotated[
        str | None,
        Query(
            description="Only this state.", json_schema_extra=one_of(s.value for s in TicketState)
        ),
    ] = None,
) -> list[TicketView]:
    """Your counties' tickets, newest first."""
    return list_tickets(session, actor, county=county, state=state)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=CHANGE)
def add_ticket(body: TicketIn, session: SessionDep, actor: CurrentActor) -> TicketView:
    """Collect a ticket (信息采集); its deadline to be assigned starts now."""
    return create_ticket(
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


@router.get("/overdue", dependencies=READ)
def read_overdue(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    now: Annotated[dt.datetime | None, Query(description="Judge at this time.")] = None,
) -> list[dict[str, Any]]:
    """Open tickets past the deadline of their next step, most overdue first."""
    return frame_records(overdue_list(session, actor, county=county, now=now))


@router.get("/report", dependencies=READ)
def read_report(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str, Query(description="The county.")],
    start: Annotated[dt.datetime, Query(description="Start of the period.")],
    end: Annotated[dt.datetime, Query(description="End of the period (excluded).")],
) -> list[dict[str, Any]]:
    """The grid supervision report (网格监管情况报告): one row per grid."""
    return frame_records(report(session, actor, county=county, start=start, end=end))


@router.get("/{ticket_no}", dependencies=READ)
def read_ticket(ticket_no: str, session: SessionDep, actor: CurrentActor) -> TicketView:
    """One ticket with its steps."""
    return get_ticket(session, actor, ticket_no)


@router.post("/{ticket_no}/advance", dependencies=CHANGE)
def advance(
    ticket_no: str, body: AdvanceIn, session: SessionDep, actor: CurrentActor
) -> TicketView:
    """Move a ticket to its next state; 409 for any other move, or if it changed since
    ``base_version`` (or while this step was taken: the one confirmed first stays)."""
    return advance_ticket(
        session,
        actor,
        ticket_no,
        to=body.to,
        at=body.at,
        note=body.note,
        assignee=body.assignee,
        base_version=body.base_version,
    )
