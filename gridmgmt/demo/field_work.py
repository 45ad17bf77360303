"""The officers' work in progress on the demo (一线工作): inspection results recorded and
supervision tickets at every stage, so the officers' and leaders' pages open on real work.

Per county, on the current inspection draw: every third drawn retailer has its result
recorded (mostly no problem found; some violations, some shops closed), by the officers drawn
for it, from the day of the draw. In the grids of the county's demo officer
(``officer<code>``, linked to their staff record by the users step): one ticket just collected,
two left past their deadline, one passed on and one fed back (closed). Run after the users
step; a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.domain import InspectionOutcome, TicketKind, TicketState
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.rules import advance_ticket, create_ticket, record_inspection_result
from gridmgmt.store import db
from gridmgmt.store.models import County, Retailer, Staff, User
from gridmgmt.store.models.grids import RetailerGrid, StaffGrid
from gridmgmt.store.models.rules import InspectionDrawRecord, TicketRecord

__all__ = ["step"]

RECORD_EVERY: Final = 3
"""One drawn retailer in this many has its result recorded."""
OUTCOMES: Final = (
    (InspectionOutcome.COMPLIANT, 0, "证照齐全，未发现问题"),
    (InspectionOutcome.COMPLIANT, 0, "未发现问题"),
    (InspectionOutcome.VIOLATION, 2, "发现无标识外流烟2条，已登记"),
    (InspectionOutcome.COMPLIANT, 0, "未发现问题"),
    (InspectionOutcome.NOT_OPEN, 0, "两次上门均未营业"),
)
"""Results in turn: what each recorded inspection found, its violations and a note."""

Ticket = tuple[TicketKind, str, dt.timedelta, TicketState | None]
TICKETS: Final[tuple[Ticket, ...]] = (
    (TicketKind.COMPLAINT, "群众举报：{name} 疑似销售假烟", dt.timedelta(hours=2), None),
    (TicketKind.MARKET_INFO, "市场信息：{name} 周边出现外地卷烟", dt.timedelta(days=5), None),
    (TicketKind.VIOLATION, "巡查发现：{name} 未按规定明码标价", dt.timedelta(days=6), None),
    (
        TicketKind.COMPLAINT,
        "群众举报：{name} 向未成年人售烟",
        dt.timedelta(days=1),
        TicketState.ASSIGNED,
    ),
    (
        TicketKind.MARKET_INFO,
        "市场信息：{name} 价格明显低于指导价",
        dt.timedelta(days=12),
        TicketState.FED_BACK,
    ),
)
"""Per county: kind, summary, how long ago it was collected, and the state it was moved to
(None: left as collected). Deadlines follow from the county's rule settings."""


def _record_results(session: Session, draw: InspectionDrawRecord, today: dt.date) -> int:
    """Record every :data:`RECORD_EVERY`-th target of ``draw`` that has no result yet.

    An inspection is recorded on a day from the draw's to today (the demo draws today).
    """
    first = draw.drawn_at.date()
    recorded = 0
    for target in draw.targets:
        if target.position % RECORD_EVERY != 1 or target.result is not None:
            continue
        outcome, violations, note = OUTCOMES[target.position // RECORD_EVERY % len(OUTCOMES)]
        day = min(first + dt.timedelta(days=target.position % 7), today)
        record_inspection_result(
            session,
            SYSTEM,
            draw_id=draw.id,
            licence_no=target.retailer.licence_no,
            outcome=outcome,
            inspected_on=day,
            violations=violations,
            inspectors=[a.staff.staff_no for a in target.assignments],
            notes=note,
        )
        recorded += 1
    return recorded


def _officer_retailers(session: Session, county: str) -> list[Retailer]:
    """Retailers in the grids of the county's demo officer, by licence number."""
    staff_no = session.scalar(select(User.staff_no).where(User.username == f"officer{county}"))
    if staff_no is None:
        return []
    grids = (
        select(StaffGrid.grid_id)
        .join(Staff, Staff.id == StaffGrid.staff_id)
        .where(Staff.staff_no == staff_no, StaffGrid.county_code == county)
    )
    stmt = (
        select(Retailer)
        .join(RetailerGrid, RetailerGrid.retailer_id == Retailer.id)
        .where(RetailerGrid.county_code == county, RetailerGrid.grid_id.in_(grids))
        .order_by(Retailer.licence_no)
    )
    return list(session.scalars(stmt.limit(len(TICKETS))))


def _open_tickets(session: Session, county: str, now: dt.datetime) -> int:
    """Collect :data:`TICKETS` about the officer's retailers (each summary once)."""
    known = set(
        session.scalars(select(TicketRecord.summary).where(TicketRecord.county_code == county))
    )
    opened = 0
    for retailer, (kind, text, ago, state) in zip(
        _officer_retailers(session, county), TICKETS, strict=False
    ):
        summary = text.format(name=retailer.name)
        if summary in known:
            continue
        collected = now - ago
        view = create_ticket(
            session,
            SYSTEM,
            county=county,
            kind=kind,
            summary=summary,
            licence_no=retailer.licence_no,
            collected_at=collected,
        )
        if state is not None:
            steps = list(TicketState)
            for index, to in enumerate(steps[1 : steps.index(state) + 1], start=1):
                advance_ticket(
                    session,
                    SYSTEM,
                    view.ticket_no,
                    to=to,
                    at=collected + dt.timedelta(hours=3 * index),
                    note="已处理" if to is TicketState.FED_BACK else None,
                )
        opened += 1
    return opened


def step(run: DemoRun) -> StepResult:
    """Record inspection results and collect tickets in every county (see the module).

    Returns
    -------
    StepResult
        ``inspection_results`` and ``demo_tickets``: how many this run added.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    results = tickets = 0
    with db.transaction(run.url) as session:
        draws = session.scalars(
            select(InspectionDrawRecord)
            .where(InspectionDrawRecord.superseded_at.is_(None))
            .order_by(InspectionDrawRecord.county_code)
        ).all()
        for draw in draws:
            results += _record_results(session, draw, now.date())
        for county in session.scalars(select(County.code).order_by(County.code)):
            tickets += _open_tickets(session, county, now)
    return StepResult(counts={"inspection_results": results, "demo_tickets": tickets})
