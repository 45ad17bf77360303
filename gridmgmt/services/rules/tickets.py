"""Grid supervision tickets (网格监管信息): collect, move on with deadlines, report.

A ticket moves collected -> assigned -> responded -> handled -> fed back; each step is due
a number of hours after the previous one (the county's ticket deadlines). Every step is
kept as an event with its deadline and whether it was late. Times are UTC; a time with an
offset (``2026-11-20T09:00+08:00``) is converted. A ticket leaves here as a
:class:`TicketView`; a move the state machine does not allow is a conflict
(:class:`~gridmgmt.rules.tickets.TicketTransitionError`), and so is a step taken from a
ticket someone else moved meanwhile (its ``version``, :mod:`gridmgmt.services.row_versions`).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd
import shapely
from pydantic import AliasChoices, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.crs import CoordinateSystem, parse_crs, to_wgs84
from gridmgmt.domain import TicketKind, TicketState
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.rules.tickets import (
    LABELS_ZH,
    STATES,
    Ticket,
    overdue_tickets,
    supervision_report,
)
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.numbers import take_number
from gridmgmt.services.results import Result, jsonable
from gridmgmt.services.row_versions import claim_version
from gridmgmt.services.rules._common import (
    county_rules,
    optional_grids,
    require_visible,
    scope_counties,
)
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import Retailer
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.rules import (
    InspectionResult,
    InspectionTarget,
    TicketEvent,
    TicketRecord,
)

__all__ = [
    "TicketStep",
    "TicketView",
    "advance_ticket",
    "create_ticket",
    "get_ticket",
    "list_tickets",
    "overdue_list",
    "parse_kind",
    "report",
    "utc",
]

_KIND_NAMES: Final = {
    **{k.value: k for k in TicketKind},
    **{LABELS_ZH[k]: k for k in TicketKind},
    "违规": TicketKind.VIOLATION,
    "投诉": TicketKind.COMPLAINT,
    "举报": TicketKind.COMPLAINT,
    "市场": TicketKind.MARKET_INFO,
}


class TicketStep(Result):
    """One step of a ticket: the state reached, when, by whom, against which deadline."""

    state: TicketState
    at: dt.datetime
    by: str = Field(validation_alias=AliasChoices("by", "username"))
    deadline: dt.datetime | None
    late: bool
    note: str | None


class TicketView(Result):
    """A ticket with its steps and whether it is overdue (at the time it was read)."""

    ticket_no: str
    county_code: str
    grid_id: str | None
    kind: TicketKind
    kind_zh: str
    state: TicketState
    state_zh: str
    summary: str
    licence_no: str | None
    lon: float | None
    lat: float | None
    assignee: str | None
    created_by: str
    collected_at: dt.datetime
    assigned_at: dt.datetime | None
    responded_at: dt.datetime | None
    handled_at: dt.datetime | None
    fed_back_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool
    events: list[TicketStep]
    version: int = Field(description="Send it back as base_version with a step (409 if stale).")

    @classmethod
    def of(cls, record: TicketRecord, *, now: dt.datetime | None = None) -> TicketView:
        """The view of a stored ticket, overdue judged at ``now`` (default: now)."""
        kind, state = TicketKind(record.kind), TicketState(record.state)
        location = record.location
        return cls(
            ticket_no=record.ticket_no,
            county_code=record.county_code,
            grid_id=record.grid_id,
            kind=kind,
            kind_zh=LABELS_ZH[kind],
            state=state,
            state_zh=LABELS_ZH[state],
            summary=record.summary,
            licence_no=record.retailer.licence_no if record.retailer is not None else None,
            lon=location.x if location is not None else None,
            lat=location.y if location is not None else None,
            assignee=record.assignee,
            created_by=record.created_by,
            collected_at=record.collected_at,
            assigned_at=record.assigned_at,
            responded_at=record.responded_at,
            handled_at=record.handled_at,
            fed_back_at=record.fed_back_at,
            due_at=record.due_at,
            overdue=record.due_at is not None and utc(now) > record.due_at,
            events=[TicketStep.model_validate(event) for event in record.events],
            version=record.version,
        )


def utc(moment: dt.datetime | None) -> dt.datetime:
    """A moment as naive UTC (how times are stored); None is now."""
    if moment is None:
        return _utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def parse_kind(text: str) -> TicketKind:
    """A ticket kind from its English value or Chinese label."""
    kind = _KIND_NAMES.get(text.strip()) or _KIND_NAMES.get(text.strip().lower())
    if kind is None:
        msg = f"`kind` was {text!r} but is expected to be in {[k.value for k in TicketKind]}"
        raise InvalidInputError(msg)
    return kind


def _parse_state(text: TicketState | str) -> TicketState:
    if isinstance(text, TicketState):
        return text
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    names = {s.value: s for s in TicketState} | {LABELS_ZH[s]: s for s in TicketState}
    state = names.get(key) or names.get(text.strip())
    if state is None:
        msg = f"`state` was {text!r} but is expected to be in {[s.value for s in TicketState]}"
        raise InvalidInputError(msg)
    return state


def _engine_ticket(record: TicketRecord) -> Ticket:
    return Ticket(
        ticket_id=record.ticket_no,
        grid_id=record.grid_id,
        kind=TicketKind(record.kind),
        collected_at=record.collected_at,
        assigned_at=record.assigned_at,
        responded_at=record.responded_at,
        handled_at=record.handled_at,
        fed_back_at=record.fed_back_at,
    )


def _grid_of(
    session: Session,
    actor: Actor,
    county: str,
    retailer: Retailer | None,
    point: shapely.Point | None,
) -> str | None:
    """The grid that contains the ticket's retailer or point, when grids are stored."""
    grid = getattr(retailer, "grid_id", None)
    if grid is not None:
        return str(grid)
    where = point if point is not None else (retailer.location if retailer is not None else None)
    grids = optional_grids(session, actor, [county])
    if where is None or grids is None:
        return None
    hit = shapely.intersects_xy(np.asarray(grids.geometry.array, dtype=object), where.x, where.y)
    found = sorted(grids.loc[hit, "grid_id"].astype(str))
    return found[0] if found else None


@requires(Action.CHANGE_TICKETS)
def create_ticket(
    session: Session,
    actor: Actor,
    *,
    county: str,
    kind: TicketKind | str,
    summary: str,
    grid_id: str | None = None,
    licence_no: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    crs: str | CoordinateSystem = "wgs84",
    assignee: str | None = None,
    collected_at: dt.datetime | None = None,
) -> TicketView:
    """Collect a ticket (信息采集) in a county, with its deadline to be assigned.

    Parameters
    ----------
    session
        An open session (the caller commits).
    actor
        An officer or admin of the county.
    county
        The county.
    kind
        ``violation``, ``complaint`` or ``market_info`` (or the Chinese label).
    summary
        What was found or reported.
    grid_id
        The grid; by default the grid of the retailer or point when grids are stored.
    licence_no
        The retailer it concerns, if any (must be the county's).
    lon, lat, crs
        Where it was found, if known.
    assignee
        Staff number of whoever should take it on.
    collected_at
        When it was collected; by default now.

    Raises
    ------
    NotFoundError
        If the county or retailer is not the actor's.
    InvalidInputError
        If the kind is unknown or the summary empty.
    """
    (code,) = scope_counties(session, actor, county)
    ticket_kind = parse_kind(kind) if isinstance(kind, str) else kind
    if not summary.strip():
        msg = "a ticket needs a summary of what was found or reported"
        raise InvalidInputError(msg)
    retailer = None
    if licence_no is not None:
        retailer = session.scalar(select(Retailer).where(Retailer.licence_no == licence_no))
        if retailer is None or retailer.county_code != code:
            message = f"retailer {licence_no} not found in county {code}"
            raise NotFoundError("retailer", licence_no, message=message)
    point = None
    if lon is not None and lat is not None:
        wlon, wlat = (float(v) for v in to_wgs84(lon, lat, parse_crs(crs)))
        point = shapely.Point(wlon, wlat)
    at = utc(collected_at)
    deadlines = county_rules(session, [code])[code].settings.tickets
    record = TicketRecord(
        ticket_no=_next_number(session, code, at),
        county_code=code,
        grid_id=grid_id or _grid_of(session, actor, code, retailer, point),
        kind=ticket_kind,
        state=TicketState.COLLECTED,
        summary=summary.strip(),
        retailer_id=retailer.id if retailer is not None else None,
        location=point if point is not None else (retailer.location if retailer else None),
        assignee=assignee,
        collected_at=at,
        created_by=actor.username,
    )
    record.due_at = _engine_ticket(record).due_at(deadlines)
    record.events = [TicketEvent(state=TicketState.COLLECTED, at=at, username=actor.username)]
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "tickets.create",
        kind="ticket",
        county_code=code,
        detail={
            "ticket_no": record.ticket_no,
            "kind": ticket_kind.value,
            "grid_id": record.grid_id,
        },
    )
    return TicketView.of(record)


def _next_number(session: Session, county: str, at: dt.datetime) -> str:
    """The county's next ticket number of the day, taken atomically (no two alike)."""
    prefix = f"{county}-{at:%Y%m%d}-"
    taken = session.scalar(select(func.count()).where(TicketRecord.ticket_no.like(f"{prefix}%")))
    number = take_number(session, f"ticket:{prefix}", first=int(taken or 0) + 1)
    return f"{prefix}{number:03d}"


def _ticket(session: Session, actor: Actor, ticket_no: str) -> TicketRecord:
    """The stored ticket, if the actor may see it (else :class:`NotFoundError`)."""
    record = session.scalar(select(TicketRecord).where(TicketRecord.ticket_no == ticket_no))
    if record is None:
        raise NotFoundError("ticket", ticket_no)
    require_visible(actor, record.county_code, "ticket", ticket_no)
    return record


@requires(Action.READ_TICKETS)
def get_ticket(session: Session, actor: Actor, ticket_no: str) -> TicketView:
    """A ticket the actor may see, with its steps.

    Raises
    ------
    NotFoundError
        If there is no such ticket, or it is another county's.
    """
    return TicketView.of(_ticket(session, actor, ticket_no))


@requires(Action.CHANGE_TICKETS)
def advance_ticket(
    session: Session,
    actor: Actor,
    ticket_no: str,
    *,
    to: TicketState | str | None = None,
    at: dt.datetime | None = None,
    note: str | None = None,
    assignee: str | None = None,
    base_version: int | None = None,
) -> TicketView:
    """Move a ticket to its next state (流转, 响应, 处理, 反馈) and set the next deadline.

    Parameters
    ----------
    session
        An open session (the caller commits).
    actor
        An officer or admin of the ticket's county.
    ticket_no
        The ticket.
    to
        The state to move to; by default the next one. Only the next one is allowed.
    at
        When the step was taken; by default now.
    note
        What was done.
    assignee
        Staff number of whoever takes it on (set when assigning).
    base_version
        The ticket's ``version`` the step was decided on; by default the one read now.

    Raises
    ------
    TicketTransitionError
        If ``to`` is not the next state or ``at`` is before the current step (a conflict
        with the ticket's current state).
    ConflictError
        If the ticket was changed since ``base_version`` (or since it was read), with the
        ticket as it is now.
    """
    record = _ticket(session, actor, ticket_no)
    claim_version(
        session,
        record,
        base_version=base_version,
        what=f"ticket {ticket_no}",
        current=lambda: jsonable(TicketView.of(record)),
    )
    ticket = _engine_ticket(record)
    current = ticket.state
    if to is None:
        position = STATES.index(current)
        target = STATES[min(position + 1, len(STATES) - 1)]
    else:
        target = _parse_state(to)
    when = utc(at)
    moved = ticket.advance(target, when)  # raises TicketTransitionError on a wrong move
    deadline = record.due_at
    late = deadline is not None and when > deadline
    setattr(record, f"{target.value}_at", when)
    record.state = target
    deadlines = county_rules(session, [record.county_code])[record.county_code].settings.tickets
    record.due_at = moved.due_at(deadlines)
    if assignee is not None:
        record.assignee = assignee
    record.events.append(
        TicketEvent(
            state=target, at=when, username=actor.username, deadline=deadline, late=late, note=note
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "tickets.advance",
        kind="ticket",
        county_code=record.county_code,
        detail={"ticket_no": ticket_no, "from": current.value, "to": target.value, "late": late},
    )
    return TicketView.of(record)


def _records(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    state: TicketState | str | None = None,
    grid_id: str | None = None,
) -> list[TicketRecord]:
    stmt = scoped(select(TicketRecord), TicketRecord.county_code, actor)
    if county is not None:
        stmt = stmt.where(TicketRecord.county_code == county)
    if state is not None:
        stmt = stmt.where(TicketRecord.state == _parse_state(state))
    if grid_id is not None:
        stmt = stmt.where(TicketRecord.grid_id == grid_id)
    order = (TicketRecord.collected_at.desc(), TicketRecord.ticket_no.desc())
    return list(session.scalars(stmt.order_by(*order)))


@requires(Action.READ_TICKETS)
def list_tickets(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    state: TicketState | str | None = None,
    grid_id: str | None = None,
) -> list[TicketView]:
    """The actor's tickets, newest first."""
    now = utc(None)
    records = _records(session, actor, county=county, state=state, grid_id=grid_id)
    return [TicketView.of(record, now=now) for record in records]


def _ticket_table(records: list[TicketRecord]) -> pd.DataFrame:
    rows = [
        {
            "ticket_id": r.ticket_no,
            "county_code": r.county_code,
            "grid_id": r.grid_id,
            "kind": TicketKind(r.kind).value,
            "summary": r.summary,
            "assignee": r.assignee,
            "collected_at": r.collected_at,
            "assigned_at": r.assigned_at,
            "responded_at": r.responded_at,
            "handled_at": r.handled_at,
            "fed_back_at": r.fed_back_at,
        }
        for r in records
    ]
    columns = ["ticket_id", "county_code", "grid_id", "kind", "summary", "assignee"]
    columns += [f"{s.value}_at" for s in STATES]
    return pd.DataFrame(rows, columns=columns)


@requires(Action.READ_TICKETS)
def overdue_list(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Open tickets past the deadline of their next step, most overdue first.

    Each county's own deadlines apply. Columns: ``ticket_id``, ``county_code``,
    ``grid_id``, ``kind``, ``summary``, ``assignee``, ``state``, ``due_at``,
    ``overdue_hours`` and the time of each state reached.
    """
    codes = scope_counties(session, actor, county)
    moment = utc(now)
    parts = []
    rules = county_rules(session, codes)
    for code in codes:
        records = [
            r for r in _records(session, actor, county=code) if r.state != TicketState.FED_BACK
        ]
        if records:
            table = _ticket_table(records)
            parts.append(overdue_tickets(table, now=moment, deadlines=rules[code].settings.tickets))
    if not parts:
        return pd.DataFrame(
            columns=["ticket_id", "county_code", "state", "due_at", "overdue_hours"]
        )
    overdue = pd.concat(parts, ignore_index=True)
    overdue = overdue.sort_values(["overdue_hours", "ticket_id"], ascending=[False, True])
    return overdue.drop(columns=["overdue", "late_steps"]).reset_index(drop=True)


@requires(Action.READ_TICKETS)
def report(
    session: Session,
    actor: Actor,
    *,
    county: str,
    start: dt.datetime,
    end: dt.datetime,
) -> pd.DataFrame:
    """The grid supervision report (网格监管情况报告) of a county for ``[start, end)``.

    One row per grid (``""`` for tickets and inspections outside any grid): tickets
    collected in the period by state, overdue at the end of the period, closed late,
    inspections done (recorded results, current draws) and violations found.
    """
    (code,) = scope_counties(session, actor, county)
    begin, finish = utc(start), utc(end)
    deadlines = county_rules(session, [code])[code].settings.tickets
    tickets = _ticket_table(_records(session, actor, county=code))
    rows = session.execute(
        select(InspectionTarget.grid_id, InspectionResult.inspected_on, InspectionResult.violations)
        .join(InspectionTarget, InspectionResult.target_id == InspectionTarget.id)
        .where(InspectionResult.county_code == code)
    ).all()
    inspections = pd.DataFrame(rows, columns=["grid_id", "inspected_at", "violations"])
    inspections["inspected_at"] = pd.to_datetime(inspections["inspected_at"])
    grids = optional_grids(session, actor, [code])
    names = list(grids["grid_id"]) if grids is not None else None
    table = supervision_report(
        tickets,
        deadlines=deadlines,
        start=begin,
        end=finish,
        inspections=inspections,
        grids=names,
    )
    table.insert(0, "county_code", code)
    return table
