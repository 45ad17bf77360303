"""What the lead services return (typed, frozen; the API and ``--json`` print the same)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from gridmgmt.leads.machine import LeadKind, LeadState, LeadStep, Urgency
from gridmgmt.services.results import Result

__all__ = ["LeadDetail", "LeadEventView", "LeadView", "SuggestedLead", "SuggestedReason"]

Side = Literal["sender", "receiver", "both"]


class LeadEventView(Result):
    """One step of a lead's history."""

    seq: int
    step: str = Field(description="send, acknowledge, accept, decline, feed_back or close.")
    state: LeadState = Field(description="The state the step left the lead in.")
    at: dt.datetime
    by: str
    county_code: str = Field(description="The county of whoever took the step.")
    note: str | None
    detail: dict[str, Any]


class LeadView(Result):
    """A lead as the caller may see it, with its next deadline and whether it is overdue.

    For a request (``kind`` request), ``case_no`` is the receiver's case behind ``ref``: the
    requesting county sees it only once the lead is accepted (null before, and if declined).
    """

    id: int
    dispatch_id: str = Field(description="Shared by the leads sent together to several counties.")
    kind: LeadKind
    side: Side = Field(description="The caller's side: sender, receiver, or both (an admin).")
    from_county: str
    to_county: str
    case_no: str | None
    case_county: str
    ref: str | None
    urgency: Urgency
    note: str
    entities: list[dict[str, Any]]
    state: LeadState
    created_by: str
    sent_at: dt.datetime
    ack_due_at: dt.datetime
    acked_at: dt.datetime | None
    decided_at: dt.datetime | None
    feedback_due_at: dt.datetime | None
    fed_back_at: dt.datetime | None
    closed_at: dt.datetime | None
    decline_reason: str | None
    opened_case_no: str | None
    seized_cartons: float | None
    value_yuan: float | None
    due_step: LeadStep | None = Field(description="The next step with a deadline, if any.")
    due_at: dt.datetime | None
    overdue: bool
    allowed: list[LeadStep] = Field(description="Steps the caller may take now.")


class LeadDetail(LeadView):
    """A lead with its whole history, oldest first."""

    history: list[LeadEventView]


class SuggestedReason(Result):
    """One thing of a case that lies in the neighbour county."""

    kind: str = Field(description="The mention's kind: address, licence_no, id_number, phone.")
    place: str = Field(description="Where it places it: the county, or a phone's home region.")
    text: str = Field(description="The same in a sentence.")


class SuggestedLead(Result):
    """A lead the caller's county should send (及时互通): a case of theirs touches a neighbour."""

    case_no: str
    from_county: str
    to_county: str
    to_county_name: str
    reasons: list[SuggestedReason] = Field(
        description="What of the case lies in the neighbour county."
    )
