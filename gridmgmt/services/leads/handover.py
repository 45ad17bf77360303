"""Sending leads and taking the receiver's steps (线索移交: 移交、签收、接收/退回、反馈、办结).

Every step appends one :class:`~gridmgmt.store.models.leads.LeadEvent` and moves the lead's
state in the same transaction, conditional on the state read (two users answering at once:
the second gets a 409 with the current state). Deadlines are the receiving county's
(:class:`~gridmgmt.rules.settings.LeadDeadlines`), fixed when their clock starts. Accepting
grants the case read-only through the existing case ``Share``
(:func:`gridmgmt.services.cases.shares.grant_case`); declining grants nothing. Every step
is audited.

``now`` may be passed (tests use a fixed clock); it defaults to the current UTC time.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.domain import parse_enum
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.leads.deadlines import ack_due, feedback_due
from gridmgmt.leads.machine import LeadKind, LeadState, LeadStep, Urgency, apply_step
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases._store import county_names, own_case
from gridmgmt.services.cases.shares import grant_case
from gridmgmt.services.leads._store import (
    add_event,
    deadlines_of,
    detail,
    load_lead,
    move,
    require_receiver,
    utcnow,
)
from gridmgmt.services.leads.results import LeadDetail
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord
from gridmgmt.store.models.leads import SEND_STEP, Lead

__all__ = [
    "accept_lead",
    "acknowledge_lead",
    "decline_lead",
    "feed_back_lead",
    "request_lead",
    "send_lead",
]


def _problem(field: str, msg: str) -> InvalidInputError:
    return InvalidInputError(msg, [{"field": field, "message": msg}])


def _urgency(text: str | Urgency) -> Urgency:
    return parse_enum(Urgency, str(text), labels={Urgency.NORMAL: "一般", Urgency.URGENT: "紧急"})


def _receivers(session: Session, to_counties: Sequence[str], own: str) -> list[str]:
    names = county_names(session)
    wanted = list(dict.fromkeys(code.strip() for code in to_counties if code.strip()))
    if not wanted:
        raise _problem("to_counties", "name at least one county to send the lead to")
    unknown = [code for code in wanted if code not in names]
    if unknown:
        raise _problem("to_counties", f"counties {unknown} are not stored")
    if own in wanted:
        raise _problem("to_counties", f"the case is of county {own} already")
    return wanted


def _snapshot(mention: CaseMentionRecord) -> dict[str, Any]:
    """What a lead carries of a chosen mention, as it is when sent."""
    fields = {
        "position": mention.position,
        "kind": mention.kind.value,
        "role": mention.role,
        "value": mention.value,
        "name": mention.name,
        "id_number": mention.id_number,
        "phone": mention.phone,
        "normalised": mention.normalised,
    }
    return {key: value for key, value in fields.items() if value not in (None, "")}


def _chosen(record: CaseRecord, positions: Sequence[int] | None) -> list[dict[str, Any]]:
    mentions = {mention.position: mention for mention in record.mentions}
    if positions is None:
        return [_snapshot(mentions[p]) for p in sorted(mentions)]
    unknown = sorted({p for p in positions if p not in mentions})
    if unknown:
        raise _problem("entities", f"case {record.case_no} has no mentions at {unknown}")
    return [_snapshot(mentions[p]) for p in sorted(set(positions))]


def _open(session: Session, actor: Actor, lead: Lead, at: dt.datetime, note: str | None) -> None:
    session.add(lead)
    session.flush()
    add_event(session, lead, actor, SEND_STEP, county=lead.from_county, at=at, note=note or None)
    audit.record(
        session,
        actor,
        "lead.send",
        kind="lead",
        county_code=lead.from_county,
        detail={
            "lead_id": lead.id,
            "kind": lead.kind.value,
            "to_county": lead.to_county,
            "case_no": lead.case_no if lead.kind is LeadKind.LEAD else None,
        },
    )


@requires(Action.SEND_LEADS)
def send_lead(
    session: Session,
    actor: Actor,
    case_no: str,
    to_counties: Sequence[str],
    *,
    note: str = "",
    urgency: str | Urgency = Urgency.NORMAL,
    entities: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    county: str | None = None,
) -> list[LeadDetail]:
    """Send a lead made from one of the actor's own cases to one or more counties.

    One lead per receiving county, all with the same ``dispatch_id``. ``entities`` are the
    positions of the case's mentions to hand over (all of them when None). ``county`` is the
    case's county, needed when the actor has cases of that number in several counties.

    Raises
    ------
    NotFoundError
        If the actor may not see the case.
    AccessDeniedError
        If the case was only shared with the actor, or their role may not send leads.
    InvalidInputError
        If a county is unknown or the case's own, an entity position is unknown, or the
        urgency is not normal/urgent.
    """
    at = now or utcnow()
    record = own_case(session, actor, case_no, doing="send a lead from", county=county)
    level = _urgency(urgency)
    receivers = _receivers(session, to_counties, record.county_code)
    chosen = _chosen(record, entities)
    dispatch = uuid.uuid4().hex
    leads = []
    for county in receivers:
        lead = Lead(
            dispatch_id=dispatch,
            kind=LeadKind.LEAD,
            from_county=record.county_code,
            to_county=county,
            case_no=record.case_no,
            case_county=record.county_code,
            urgency=level,
            note=note.strip(),
            entities=chosen,
            state=LeadState.SENT,
            created_by=actor.username,
            sent_at=at,
            ack_due_at=ack_due(at, deadlines_of(session, county)),
        )
        _open(session, actor, lead, at, note)
        leads.append(lead)
    return [detail(session, lead, actor, at) for lead in leads]


def _requesting_county(actor: Actor, county: str | None) -> str:
    if county is not None:
        if not actor.can_see(county):
            raise NotFoundError("county", county)
        return county
    if actor.counties is not None and len(actor.counties) == 1:
        return next(iter(actor.counties))
    raise _problem("county", "name the county the request is from (you work for several)")


@requires(Action.SEND_LEADS)
def request_lead(
    session: Session,
    actor: Actor,
    ref: str,
    *,
    county: str | None = None,
    note: str = "",
    urgency: str | Urgency = Urgency.NORMAL,
    now: dt.datetime | None = None,
) -> LeadDetail:
    """Ask the county behind a private-matching hit for its case ("send us your case behind R").

    The reference is resolved on this server (one server for the area); the request goes
    to the county whose case it stands for, and the requester learns that case's number
    only once the request is accepted.

    Raises
    ------
    InvalidInputError
        If ``ref`` is malformed or of the requester's own county, or the county is needed.
    NotFoundError
        If no case of this server has that reference, or ``county`` is not the actor's.
    """
    from gridmgmt.services.federation.hits import resolve_ref

    at = now or utcnow()
    own = _requesting_county(actor, county)
    level = _urgency(urgency)
    target = resolve_ref(session, ref.strip().lower())
    if target.county_code == own:
        raise _problem("ref", f"reference {ref} is of a case of your own county {own}")
    lead = Lead(
        dispatch_id=uuid.uuid4().hex,
        kind=LeadKind.REQUEST,
        from_county=own,
        to_county=target.county_code,
        case_no=target.case_no,
        case_county=target.county_code,
        ref=ref.strip().lower(),
        ref_kind=target.kind,
        urgency=level,
        note=note.strip(),
        entities=[],
        state=LeadState.SENT,
        created_by=actor.username,
        sent_at=at,
        ack_due_at=ack_due(at, deadlines_of(session, target.county_code)),
    )
    _open(session, actor, lead, at, note)
    return detail(session, lead, actor, at)


def _take(
    session: Session,
    actor: Actor,
    lead_id: int,
    step: LeadStep,
    *,
    at: dt.datetime,
    note: str | None,
    changes: dict[str, Any],
    event_detail: dict[str, Any] | None = None,
) -> Lead:
    """Check, move and record one receiver's step."""
    lead = load_lead(session, actor, lead_id)
    require_receiver(lead, actor, step)
    target = apply_step(lead.state, step)
    move(session, lead, target, changes)
    add_event(
        session,
        lead,
        actor,
        step.value,
        county=lead.to_county,
        at=at,
        note=note,
        detail=event_detail,
    )
    audit.record(
        session,
        actor,
        f"lead.{step.value}",
        kind="lead",
        county_code=lead.to_county,
        detail={"lead_id": lead.id, "state": target.value, **(event_detail or {})},
    )
    return lead


@requires(Action.HANDLE_LEADS)
def acknowledge_lead(
    session: Session,
    actor: Actor,
    lead_id: int,
    *,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> LeadDetail:
    """Acknowledge receipt (签收); a decision is then due within the feedback period.

    Raises
    ------
    NotFoundError
        If the actor may not see the lead.
    AccessDeniedError
        If the actor is on the sending side only.
    LeadTransitionError
        If the lead is not ``sent`` (409, with the current state).
    """
    at = now or utcnow()
    lead = load_lead(session, actor, lead_id)
    settings = deadlines_of(session, lead.to_county)
    lead = _take(
        session,
        actor,
        lead_id,
        LeadStep.ACKNOWLEDGE,
        at=at,
        note=note,
        changes={"acked_at": at, "feedback_due_at": feedback_due(at, settings)},
    )
    return detail(session, lead, actor, at)


def _share(session: Session, actor: Actor, lead: Lead) -> dict[str, Any]:
    """Grant the case of the lead through the case ``Share``: to the other side."""
    record = session.scalars(
        select(CaseRecord).where(
            CaseRecord.county_code == lead.case_county, CaseRecord.case_no == lead.case_no
        )
    ).one_or_none()
    if record is None:
        raise NotFoundError("case", lead.case_no)
    to_county = lead.to_county if lead.kind is LeadKind.LEAD else lead.from_county
    created = grant_case(session, actor, record, to_county, f"lead {lead.id}")
    return {"case_no": record.case_no, "to_county": to_county, "created": created}


@requires(Action.HANDLE_LEADS)
def accept_lead(
    session: Session,
    actor: Actor,
    lead_id: int,
    *,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> LeadDetail:
    """Accept the lead (接收): the case is shared read-only, feedback is due.

    A lead shares the sender's case with the receiving county; a request shares the
    receiver's case behind the reference with the requesting county. Both through the
    existing case ``Share``.

    Raises
    ------
    NotFoundError, AccessDeniedError, LeadTransitionError
        As :func:`acknowledge_lead`; 409 unless ``sent`` or ``acknowledged``.
    """
    at = now or utcnow()
    lead = load_lead(session, actor, lead_id)
    require_receiver(lead, actor, LeadStep.ACCEPT)
    apply_step(lead.state, LeadStep.ACCEPT)
    settings = deadlines_of(session, lead.to_county)
    share = _share(session, actor, lead)
    changes = {
        "acked_at": lead.acked_at or at,
        "decided_at": at,
        "feedback_due_at": feedback_due(at, settings),
    }
    lead = _take(
        session,
        actor,
        lead_id,
        LeadStep.ACCEPT,
        at=at,
        note=note,
        changes=changes,
        event_detail={"share": share},
    )
    return detail(session, lead, actor, at)


@requires(Action.HANDLE_LEADS)
def decline_lead(
    session: Session,
    actor: Actor,
    lead_id: int,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> LeadDetail:
    """Decline the lead (退回) with a reason; nothing is shared.

    Raises
    ------
    InvalidInputError
        If the reason is empty.
    NotFoundError, AccessDeniedError, LeadTransitionError
        As :func:`acknowledge_lead`.
    """
    at = now or utcnow()
    if not reason.strip():
        raise _problem("reason", "say why the lead is declined")
    lead = load_lead(session, actor, lead_id)
    changes = {"acked_at": lead.acked_at or at, "decided_at": at, "decline_reason": reason.strip()}
    lead = _take(
        session, actor, lead_id, LeadStep.DECLINE, at=at, note=reason.strip(), changes=changes
    )
    return detail(session, lead, actor, at)


def _amount(value: float | None, field: str) -> float | None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise _problem(field, f"{field} must be a number >= 0; got {value!r}")
    return value


@requires(Action.HANDLE_LEADS)
def feed_back_lead(
    session: Session,
    actor: Actor,
    lead_id: int,
    *,
    opened_case_no: str | None = None,
    seized_cartons: float | None = None,
    value_yuan: float | None = None,
    closed: bool = False,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> LeadDetail:
    """Feed back the result (反馈): the case opened, the seizure, its value; ``closed`` ends it.

    Feedback may be given several times; each is one event, and the lead shows the latest
    figures given.

    Raises
    ------
    InvalidInputError
        If a figure is negative or nothing at all is fed back.
    NotFoundError, AccessDeniedError, LeadTransitionError
        As :func:`acknowledge_lead`; 409 unless ``accepted`` or ``fed_back``.
    """
    at = now or utcnow()
    figures = {
        "opened_case_no": (opened_case_no or "").strip() or None,
        "seized_cartons": _amount(seized_cartons, "seized_cartons"),
        "value_yuan": _amount(value_yuan, "value_yuan"),
    }
    given = {key: value for key, value in figures.items() if value is not None}
    if not given and not closed and not (note or "").strip():
        raise _problem("note", "feed back something: a case number, a seizure, a value or a note")
    step = LeadStep.CLOSE if closed else LeadStep.FEED_BACK
    changes: dict[str, Any] = {**given, "fed_back_at": at}
    if closed:
        changes["closed_at"] = at
    lead = _take(
        session,
        actor,
        lead_id,
        step,
        at=at,
        note=(note or "").strip() or None,
        changes=changes,
        event_detail=given,
    )
    return detail(session, lead, actor, at)
