"""Leads handed over between counties (线索移交) and their append-only history.

A :class:`Lead` is one lead to one receiving county (a dispatch to several counties makes
one lead each, sharing ``dispatch_id``); its current state and deadlines are kept in step
with its :class:`LeadEvent` rows in the same transaction. Events are never updated or
deleted: the ORM refuses it (:func:`_refuse_rewrites`) and the database does too (triggers
of migration ``0011_leads``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from gridmgmt.errors import ConflictError
from gridmgmt.leads.machine import LeadKind, LeadState, LeadStep, Urgency
from gridmgmt.store.models.base import Base, _enum, _utcnow


class Lead(Base):
    """A lead sent by one county to another, with its current state and deadlines."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[LeadKind] = mapped_column(_enum(LeadKind, "lead_kind"))
    from_county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    to_county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    #: The case the lead is about: the sender's (a lead) or the receiver's (a request).
    case_no: Mapped[str] = mapped_column(String(64), index=True)
    case_county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    #: The federation reference a request quoted.
    ref: Mapped[str | None] = mapped_column(String(32))
    ref_kind: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency, "lead_urgency"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The mentions of the case the sender chose, as they were when sent.
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[LeadState] = mapped_column(_enum(LeadState, "lead_state"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    ack_due_at: Mapped[dt.datetime]
    acked_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    feedback_due_at: Mapped[dt.datetime | None]
    fed_back_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    opened_case_no: Mapped[str | None] = mapped_column(String(64))
    seized_cartons: Mapped[float | None] = mapped_column(Float)
    value_yuan: Mapped[float | None] = mapped_column(Float)

    events: Mapped[list[LeadEvent]] = relationship(
        back_populates="lead", order_by="LeadEvent.seq", viewonly=True
    )


class LeadEvent(Base):
    """One step of a lead's history: who did what, when, with which note. Append-only."""

    __tablename__ = "lead_events"
    __table_args__ = (UniqueConstraint("lead_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    #: ``send`` for the first event, else the step taken.
    step: Mapped[str] = mapped_column(String(32))
    state: Mapped[LeadState] = mapped_column(_enum(LeadState, "lead_state"))
    at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(6))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    lead: Mapped[Lead] = relationship(back_populates="events", viewonly=True)


SEND_STEP = "send"
"""``LeadEvent.step`` of the event that opens a lead's history."""
STEPS = (SEND_STEP, *(step.value for step in LeadStep))


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: object, _instances: object) -> None:
    """Refuse to flush a changed or deleted :class:`LeadEvent`: history is never rewritten."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LeadEvent) and (obj in session.deleted or session.is_modified(obj)):
            msg = f"lead event {obj.id} of lead {obj.lead_id} is history and cannot be changed"
            raise ConflictError(msg)
