"""What the lead services share: scope, deadlines settings, rows to views, the history.

A lead is visible to the users of its sending and of its receiving county, and to nobody
else (another county's lead answers 404, as if it did not exist). Only the receiving side
takes the receiver's steps; the sender who tries is refused (403: they know the lead).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from gridmgmt.errors import AccessDeniedError, NotFoundError
from gridmgmt.leads.deadlines import LeadClock, next_due
from gridmgmt.leads.machine import LeadKind, LeadState, LeadStep, LeadTransitionError
from gridmgmt.leads.machine import allowed_steps as machine_steps
from gridmgmt.policy import Action, allows
from gridmgmt.rules.settings import LeadDeadlines, RuleSettings
from gridmgmt.services.actor import Actor
from gridmgmt.services.leads.results import LeadDetail, LeadEventView, LeadView, Side
from gridmgmt.store.models.leads import Lead, LeadEvent
from gridmgmt.store.models.rules import RuleSettingsRecord

__all__ = [
    "add_event",
    "deadlines_of",
    "detail",
    "load_lead",
    "move",
    "utcnow",
    "view",
    "visible_leads",
]


def utcnow() -> dt.datetime:
    """Now as stored: naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def deadlines_of(session: Session, county: str) -> LeadDeadlines:
    """The lead deadlines of ``county``'s rule settings (the defaults until set)."""
    stored = session.scalar(
        select(RuleSettingsRecord.settings).where(RuleSettingsRecord.county_code == county)
    )
    return LeadDeadlines() if stored is None else RuleSettings.model_validate(stored).leads


def visible_leads(actor: Actor) -> Select[Lead]:
    """A select of the leads the actor may see (sent by or to one of their counties)."""
    stmt = select(Lead)
    if actor.counties is None:
        return stmt
    own = sorted(actor.counties)
    return stmt.where(or_(Lead.from_county.in_(own), Lead.to_county.in_(own)))


def load_lead(session: Session, actor: Actor, lead_id: int, *, history: bool = False) -> Lead:
    """The lead if the actor may see it.

    Raises
    ------
    NotFoundError
        If there is no such lead or it is neither sent by nor to the actor's counties.
    """
    stmt = visible_leads(actor).where(Lead.id == lead_id)
    if history:
        stmt = stmt.options(selectinload(Lead.events))
    lead = session.scalars(stmt).one_or_none()
    if lead is None:
        raise NotFoundError("lead", lead_id)
    return lead


def side_of(lead: Lead, actor: Actor) -> Side:
    """Which side of the lead the actor is on."""
    sender = actor.can_see(lead.from_county)
    receiver = actor.can_see(lead.to_county)
    if sender and receiver:
        return "both"
    return "sender" if sender else "receiver"


def require_receiver(lead: Lead, actor: Actor, step: LeadStep) -> None:
    """Raise unless the actor is of the receiving county (the sender knows the lead: 403)."""
    if not actor.can_see(lead.to_county):
        msg = (
            f"lead {lead.id} was sent to county {lead.to_county}; only its users may "
            f"{step.value} it"
        )
        raise AccessDeniedError(msg)


def clock(lead: Lead) -> LeadClock:
    """The lead's deadline clock."""
    return LeadClock(LeadState(lead.state), lead.ack_due_at, lead.feedback_due_at)


def _steps_for(lead: Lead, actor: Actor) -> list[LeadStep]:
    if not actor.can_see(lead.to_county) or not allows(actor.role, Action.HANDLE_LEADS):
        return []
    return machine_steps(LeadState(lead.state))


def _case_no_for(lead: Lead, side: Side) -> str | None:
    """A request's case stays hidden from the requester until accepted."""
    if lead.kind is LeadKind.LEAD or side != "sender":
        return lead.case_no
    hidden = {LeadState.SENT, LeadState.ACKNOWLEDGED, LeadState.DECLINED}
    return None if LeadState(lead.state) in hidden else lead.case_no


def _fields(lead: Lead, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    side = side_of(lead, actor)
    due = next_due(clock(lead))
    return {
        "id": lead.id,
        "dispatch_id": lead.dispatch_id,
        "kind": lead.kind,
        "side": side,
        "from_county": lead.from_county,
        "to_county": lead.to_county,
        "case_no": _case_no_for(lead, side),
        "case_county": lead.case_county,
        "ref": lead.ref,
        "urgency": lead.urgency,
        "note": lead.note,
        "entities": list(lead.entities or []),
        "state": lead.state,
        "created_by": lead.created_by,
        "sent_at": lead.sent_at,
        "ack_due_at": lead.ack_due_at,
        "acked_at": lead.acked_at,
        "decided_at": lead.decided_at,
        "feedback_due_at": lead.feedback_due_at,
        "fed_back_at": lead.fed_back_at,
        "closed_at": lead.closed_at,
        "decline_reason": lead.decline_reason,
        "opened_case_no": lead.opened_case_no,
        "seized_cartons": lead.seized_cartons,
        "value_yuan": lead.value_yuan,
        "due_step": due.step if due else None,
        "due_at": due.due_at if due else None,
        "overdue": due is not None and now > due.due_at,
        "allowed": _steps_for(lead, actor),
    }


def view(lead: Lead, actor: Actor, now: dt.datetime) -> LeadView:
    """The lead as ``actor`` may see it at ``now``."""
    return LeadView(**_fields(lead, actor, now))


def detail(session: Session, lead: Lead, actor: Actor, now: dt.datetime) -> LeadDetail:
    """The lead with its history, oldest step first."""
    events = session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.seq)
    ).all()
    history = [LeadEventView.model_validate(event) for event in events]
    return LeadDetail(**_fields(lead, actor, now), history=history)


def add_event(
    session: Session,
    lead: Lead,
    actor: Actor,
    step: str,
    *,
    county: str,
    at: dt.datetime,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
) -> LeadEvent:
    """Append the next step to the lead's history (never changes an earlier one)."""
    last = session.scalar(select(func.max(LeadEvent.seq)).where(LeadEvent.lead_id == lead.id))
    entry = LeadEvent(
        lead_id=lead.id,
        seq=(last or 0) + 1,
        step=step,
        state=lead.state,
        at=at,
        by=actor.username,
        county_code=county,
        note=note,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def move(session: Session, lead: Lead, target: LeadState, changes: dict[str, Any]) -> None:
    """Set the lead's state (and ``changes``) if nobody moved it first.

    The update is conditional on the state the caller read, so of two users taking a step at
    once the second gets a :class:`LeadTransitionError` with the state the first left.

    Raises
    ------
    LeadTransitionError
        If the stored state is no longer the one read.
    """
    read = LeadState(lead.state)
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.state == read)
        .values(state=target, **changes)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        session.expire(lead)
        current = LeadState(lead.state)
        msg = f"lead {lead.id} was moved to {current.value} meanwhile; reload it"
        raise LeadTransitionError(msg, current=current.value)
    session.expire(lead)
