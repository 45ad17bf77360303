"""One retailer and its history, for the officer's retailer page (零售户档案).

Everything is read in the caller's county scope: a retailer of another county is reported
exactly like a missing one (:class:`~gridmgmt.errors.NotFoundError`), and its inspections,
tickets, orders, cases and grid changes are those of the actor's counties only.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.cases.model import CaseStatus, CaseType, EntityKind
from gridmgmt.domain import (
    BusinessType,
    InspectionOutcome,
    RetailerStatus,
    TicketKind,
    TicketState,
)
from gridmgmt.errors import NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import AuditEntry, Order, Retailer
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord
from gridmgmt.store.models.grids import RetailerGrid
from gridmgmt.store.models.rules import (
    InspectionDrawRecord,
    InspectionResult,
    InspectionTarget,
    TicketRecord,
)

__all__ = [
    "CaseLine",
    "GridChange",
    "InspectionLine",
    "OrderSummary",
    "RetailerFile",
    "TicketLine",
    "retailer_file",
]

RECENT_ORDERS: Final = 12
GRID_ACTIONS: Final = ("grids.rebalance",)


class InspectionLine(Result):
    """The retailer drawn in a double-random draw, and what was found if recorded."""

    draw_id: int
    period: str
    current: bool
    outcome: InspectionOutcome | None
    inspected_on: dt.date | None
    violations: int | None
    notes: str | None


class TicketLine(Result):
    """A supervision ticket about the retailer."""

    ticket_no: str
    kind: TicketKind
    state: TicketState
    summary: str
    collected_at: dt.datetime
    due_at: dt.datetime | None


class OrderSummary(Result):
    """The retailer's orders: totals and the most recent ones."""

    count: int
    cartons: int
    first: dt.date | None
    last: dt.date | None
    recent: list[tuple[dt.date, int]]


class CaseLine(Result):
    """A case that mentions the retailer's licence number (no personal data)."""

    case_no: str
    opened_on: dt.date
    type: CaseType
    status: CaseStatus


class GridChange(Result):
    """A stored move of the retailer from one grid to another."""

    at: dt.datetime
    by: str | None
    from_grid: str | None
    to_grid: str | None


class RetailerFile(Result):
    """A retailer's record and history."""

    licence_no: str
    name: str
    address: str | None
    county_code: str
    tier: int
    business_type: BusinessType
    status: RetailerStatus
    key_retailer: bool
    phone: str | None
    lon: float
    lat: float
    grid_id: str | None
    grid_since: dt.datetime | None
    inspections: list[InspectionLine]
    tickets: list[TicketLine]
    orders: OrderSummary
    cases: list[CaseLine]
    grid_changes: list[GridChange]


def _retailer(session: Session, actor: Actor, licence_no: str) -> Retailer:
    stmt = scoped(select(Retailer), Retailer.county_code, actor)
    retailer = session.scalar(stmt.where(Retailer.licence_no == licence_no))
    if retailer is None:
        raise NotFoundError("retailer", licence_no)
    return retailer


def _inspections(session: Session, retailer: Retailer) -> list[InspectionLine]:
    stmt = (
        select(InspectionDrawRecord, InspectionResult)
        .join(InspectionTarget, InspectionTarget.draw_id == InspectionDrawRecord.id)
        .outerjoin(InspectionResult, InspectionResult.target_id == InspectionTarget.id)
        .where(InspectionTarget.retailer_id == retailer.id)
        .order_by(InspectionDrawRecord.period.desc(), InspectionDrawRecord.id.desc())
    )
    return [
        InspectionLine(
            draw_id=draw.id,
            period=draw.period,
            current=draw.superseded_at is None,
            outcome=InspectionOutcome(result.outcome) if result is not None else None,
            inspected_on=result.inspected_on if result is not None else None,
            violations=result.violations if result is not None else None,
            notes=result.notes if result is not None else None,
        )
        for draw, result in session.execute(stmt)
    ]


def _tickets(session: Session, retailer: Retailer) -> list[TicketLine]:
    stmt = (
        select(TicketRecord)
        .where(TicketRecord.retailer_id == retailer.id)
        .order_by(TicketRecord.collected_at.desc())
    )
    return [TicketLine.model_validate(record) for record in session.scalars(stmt)]


def _orders(session: Session, retailer: Retailer) -> OrderSummary:
    where = Order.retailer_id == retailer.id
    count, cartons, first, last = session.execute(
        select(
            func.count(),
            func.sum(Order.cartons),
            func.min(Order.order_date),
            func.max(Order.order_date),
        ).where(where)
    ).one()
    recent = session.execute(
        select(Order.order_date, Order.cartons)
        .where(where)
        .order_by(Order.order_date.desc())
        .limit(RECENT_ORDERS)
    ).all()
    return OrderSummary(
        count=int(count or 0),
        cartons=int(cartons or 0),
        first=first,
        last=last,
        recent=[(day, int(n)) for day, n in recent],
    )


def _cases(session: Session, actor: Actor, retailer: Retailer) -> list[CaseLine]:
    mentions = select(CaseMentionRecord.case_id).where(
        CaseMentionRecord.kind == EntityKind.LICENCE_NO,
        CaseMentionRecord.normalised == retailer.licence_no,
    )
    stmt = scoped(select(CaseRecord), CaseRecord.county_code, actor).where(
        CaseRecord.id.in_(mentions)
    )
    return [
        CaseLine.model_validate(case)
        for case in session.scalars(stmt.order_by(CaseRecord.opened_on.desc()))
    ]


def _grid_changes(session: Session, retailer: Retailer) -> list[GridChange]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.action.in_(GRID_ACTIONS), AuditEntry.county_code == retailer.county_code)
        .order_by(AuditEntry.at.desc())
    )
    changes = []
    for entry in session.scalars(stmt):
        for move in entry.detail.get("moved") or []:
            if isinstance(move, dict) and move.get("licence_no") == retailer.licence_no:
                changes.append(
                    GridChange(
                        at=entry.at,
                        by=entry.username,
                        from_grid=move.get("from_grid"),
                        to_grid=move.get("to_grid"),
                    )
                )
    return changes


@requires(Action.READ_BASE_DATA)
def retailer_file(session: Session, actor: Actor, licence_no: str) -> RetailerFile:
    """The retailer with ``licence_no`` and its history, if the actor may see it.

    Raises
    ------
    NotFoundError
        If there is no such retailer in the actor's counties.
    """
    retailer = _retailer(session, actor, licence_no)
    placed = session.get(RetailerGrid, retailer.id)
    location = retailer.location
    return RetailerFile(
        licence_no=retailer.licence_no,
        name=retailer.name,
        address=retailer.address,
        county_code=retailer.county_code,
        tier=retailer.tier,
        business_type=BusinessType(retailer.business_type),
        status=RetailerStatus(retailer.status),
        key_retailer=retailer.key_retailer,
        phone=retailer.phone,
        lon=float(location.x),
        lat=float(location.y),
        grid_id=placed.grid_id if placed is not None else None,
        grid_since=placed.assigned_at if placed is not None else None,
        inspections=_inspections(session, retailer),
        tickets=_tickets(session, retailer),
        orders=_orders(session, retailer),
        cases=_cases(session, actor, retailer),
        grid_changes=_grid_changes(session, retailer),
    )
