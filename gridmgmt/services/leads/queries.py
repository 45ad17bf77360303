"""Reading leads: the inbox and outbox, one lead with its history, the overdue ones."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import Select
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.leads.deadlines import overdue_step
from gridmgmt.leads.machine import OPEN_STATES, LeadState
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.leads._store import clock, detail, load_lead, utcnow, view, visible_leads
from gridmgmt.services.leads.results import LeadDetail, LeadView
from gridmgmt.store.models.leads import Lead

__all__ = ["Box", "get_lead", "list_leads", "overdue_leads"]

Box = Literal["inbox", "outbox", "all"]


def _in_box(stmt: Select[Lead], actor: Actor, box: str) -> Select[Lead]:
    if box not in ("inbox", "outbox", "all"):
        msg = f"box must be inbox, outbox or all; got {box!r}"
        raise InvalidInputError(msg, [{"field": "box", "message": msg}])
    if box == "all" or actor.counties is None:
        return stmt
    own = sorted(actor.counties)
    column = Lead.to_county if box == "inbox" else Lead.from_county
    return stmt.where(column.in_(own))


@requires(Action.READ_LEADS)
def list_leads(
    session: Session,
    actor: Actor,
    *,
    box: str = "all",
    state: str | None = None,
    now: dt.datetime | None = None,
) -> list[LeadView]:
    """Leads received by (``inbox``) or sent by (``outbox``) the actor's counties, newest first.

    Raises
    ------
    InvalidInputError
        If ``box`` or ``state`` is not one of theirs.
    """
    at = now or utcnow()
    stmt = _in_box(visible_leads(actor), actor, box)
    if state is not None:
        try:
            stmt = stmt.where(Lead.state == LeadState(state))
        except ValueError:
            msg = f"state must be one of {[s.value for s in LeadState]}; got {state!r}"
            raise InvalidInputError(msg, [{"field": "state", "message": msg}]) from None
    leads = session.scalars(stmt.order_by(Lead.sent_at.desc(), Lead.id.desc())).all()
    return [view(lead, actor, at) for lead in leads]


@requires(Action.READ_LEADS)
def get_lead(
    session: Session, actor: Actor, lead_id: int, *, now: dt.datetime | None = None
) -> LeadDetail:
    """One lead with its history.

    Raises
    ------
    NotFoundError
        If there is no such lead or it is neither sent by nor to the actor's counties.
    """
    return detail(session, load_lead(session, actor, lead_id), actor, now or utcnow())


@requires(Action.READ_LEADS)
def overdue_leads(
    session: Session, actor: Actor, *, now: dt.datetime | None = None
) -> list[LeadView]:
    """Leads late for their next step at ``now``, on both sides, most overdue first.

    The sender sees the leads its receivers have not answered in time; the receiver the
    ones it has not.
    """
    at = now or utcnow()
    stmt = visible_leads(actor).where(Lead.state.in_(sorted(OPEN_STATES)))
    late = [
        (due.due_at, lead)
        for lead in session.scalars(stmt)
        if (due := overdue_step(clock(lead), at)) is not None
    ]
    late.sort(key=lambda pair: (pair[0], pair[1].id))
    return [view(lead, actor, at) for _, lead in late]
