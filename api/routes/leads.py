"""Lead handover between counties (线索移交) over the JSON API.

- ``POST /api/v1/leads``: send a lead made from one of your cases to one or more counties
  (one lead each, same ``dispatch_id``), or, with ``ref``, request the case behind a
  private-matching hit; 201 with the leads.
- ``GET /api/v1/leads?box=inbox|outbox|all``: leads received by or sent by your counties.
- ``GET /api/v1/leads/overdue``: leads late for their next step, on both sides.
- ``GET /api/v1/leads/suggested``: leads your cases call for (及时互通), not yet sent.
- ``GET /api/v1/leads/{id}``: one lead with its history.
- ``POST /api/v1/leads/{id}/ack|accept|decline|feedback``: the receiver's steps.

A lead is visible to its two counties only: anyone else gets 404. Reading needs
``leads.read`` (officers, liaisons, admins), sending ``leads.send`` and answering
``leads.handle`` (liaisons, admins). A step the lead's state does not allow answers 409 with
``current``, the state it is in; the sender taking a receiver's step answers 403.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from api.declared import NON_BLANK, RecordId, at_least_one_of, one_of
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.leads.machine import LeadState, Urgency
from gridmgmt.policy import Action
from gridmgmt.services.bounds import RecordNumber
from gridmgmt.services.leads import (
    LeadDetail,
    LeadView,
    SuggestedLead,
    accept_lead,
    acknowledge_lead,
    decline_lead,
    feed_back_lead,
    get_lead,
    list_leads,
    overdue_leads,
    request_lead,
    send_lead,
    suggested_leads,
)

router = APIRouter(prefix="/api/v1/leads", tags=["leads"], responses=ERROR_RESPONSES)

READ = [allow(Action.READ_LEADS)]
SEND = [allow(Action.SEND_LEADS)]
HANDLE = [allow(Action.HANDLE_LEADS)]


class LeadIn(BaseModel):
    """A lead from a case (``case_no`` and ``to_counties``) or a request (``ref``)."""

    case_no: str | None = Field(default=None, description="One of your cases.")
    to_counties: list[str] = Field(default_factory=list, description="Receiving counties.")
    entities: list[RecordNumber] | None = Field(
        default=None, description="Positions of the case's mentions to hand over (all if null)."
    )
    ref: str | None = Field(default=None, description="A federation hit's reference.")
    county: str | None = Field(
        default=None,
        description="The county the lead is from: with ref, the requesting county; with "
        "case_no, the case's county (needed if several of yours have that case number).",
    )
    note: str = ""
    urgency: Urgency = Urgency.NORMAL


class NoteIn(BaseModel):
    """An optional note for the history."""

    note: str | None = None


class DeclineIn(BaseModel):
    """Why the lead is declined."""

    reason: str = Field(min_length=1)


FEEDBACK_SAYS: dict[str, JsonDict] = {
    "opened_case_no": NON_BLANK,
    "seized_cartons": {"type": "number"},
    "value_yuan": {"type": "number"},
    "closed": {"const": True},
    "note": NON_BLANK,
}
"""What a feedback may say; it must say one of them."""


class FeedbackIn(BaseModel):
    """The result of an accepted lead; ``closed`` makes it the last feedback. It must say
    something: a case number, a seizure, a value, a note, or that the lead is closed."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of(FEEDBACK_SAYS))

    opened_case_no: str | None = None
    seized_cartons: float | None = Field(default=None, ge=0)
    value_yuan: float | None = Field(default=None, ge=0)
    closed: bool = False
    note: str | None = None


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=SEND)
def create(body: LeadIn, session: SessionDep, actor: CurrentActor) -> list[LeadDetail]:
    """Send a lead to each county named, or request the case behind a hit's reference."""
    if body.ref is not None:
        lead = request_lead(
            session, actor, body.ref, county=body.county, note=body.note, urgency=body.urgency
        )
        return [lead]
    return send_lead(
        session,
        actor,
        body.case_no or "",
        body.to_counties,
        note=body.note,
        urgency=body.urgency,
        entities=body.entities,
        county=body.county,
    )


@router.get("", dependencies=READ)
def read_leads(
    session: SessionDep,
    actor: CurrentActor,
    box: Annotated[Literal["inbox", "outbox", "all"], Query()] = "all",
    state: Annotated[
        str | None,
        Query(description="Only this state.", json_schema_extra=one_of(s.value for s in LeadState)),
    ] = None,
) -> list[LeadView]:
    """Leads received by (inbox) or sent by (outbox) your counties, newest first."""
    return list_leads(session, actor, box=box, state=state)


@router.get("/overdue", dependencies=READ)
def read_overdue(session: SessionDep, actor: CurrentActor) -> list[LeadView]:
    """Leads late for their next step, whether you sent or received them."""
    return overdue_leads(session, actor)


@router.get("/suggested", dependencies=SEND)
def read_suggested(session: SessionDep, actor: CurrentActor) -> list[SuggestedLead]:
    """Your cases that touch a neighbour county, with the county and why, not yet sent."""
    return suggested_leads(session, actor)


@router.get("/{lead_id}", dependencies=READ)
def read_lead(lead_id: RecordId, session: SessionDep, actor: CurrentActor) -> LeadDetail:
    """One lead with its history."""
    return get_lead(session, actor, lead_id)


@router.post("/{lead_id}/ack", dependencies=HANDLE)
def ack(
    lead_id: RecordId, session: SessionDep, actor: CurrentActor, body: NoteIn | None = None
) -> LeadDetail:
    """Acknowledge receipt (签收)."""
    return acknowledge_lead(session, actor, lead_id, note=body.note if body else None)


@router.post("/{lead_id}/accept", dependencies=HANDLE)
def accept(
    lead_id: RecordId, session: SessionDep, actor: CurrentActor, body: NoteIn | None = None
) -> LeadDetail:
    """Accept (接收): the case is shared with the other side, read-only."""
    return accept_lead(session, actor, lead_id, note=body.note if body else None)


@router.post("/{lead_id}/decline", dependencies=HANDLE)
def decline(
    lead_id: RecordId, body: DeclineIn, session: SessionDep, actor: CurrentActor
) -> LeadDetail:
    """Decline with a reason (退回); nothing is shared."""
    return decline_lead(session, actor, lead_id, body.reason)


@router.post("/{lead_id}/feedback", dependencies=HANDLE)
def feedback(
    lead_id: RecordId, body: FeedbackIn, session: SessionDep, actor: CurrentActor
) -> LeadDetail:
    """Feed back the result (反馈); ``closed`` ends the lead (办结)."""
    return feed_back_lead(session, actor, lead_id, **body.model_dump())
