"""An officer's own work (我的网格与任务): the grids they are posted to (定岗) and what waits
for them there: the inspections they were drawn for, the tickets of their grids.

A login is linked to its staff record by ``users.staff_no``; a login without one (an
administrator helping out, or an officer not yet linked) has no grids and no tasks of its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.domain import TicketState
from gridmgmt.errors import NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result
from gridmgmt.store.models import Staff
from gridmgmt.store.models.grids import StaffGrid
from gridmgmt.store.models.rules import (
    InspectionAssignment,
    InspectionDrawRecord,
    InspectionResult,
    InspectionTarget,
    TicketRecord,
)

__all__ = ["MyWork", "my_work"]


class MyWork(Result):
    """What one officer has in one county."""

    county_code: str
    staff_no: str | None
    staff_name: str | None
    grids: list[str]
    """The grids they are posted to (any role of the three), sorted."""
    inspections_to_do: int
    """Targets of the county's current draws they were drawn for, with no result yet."""
    inspections_done: int
    """The same targets with a result recorded."""
    tickets_open: int
    """Tickets of their grids not yet fed back."""
    tickets_overdue: int
    """Open tickets of their grids whose deadline has passed."""


def _grids(session: Session, staff_id: int, county: str) -> list[str]:
    stmt = select(StaffGrid.grid_id).where(
        StaffGrid.staff_id == staff_id, StaffGrid.county_code == county
    )
    return sorted(set(session.scalars(stmt)))


def _inspections(session: Session, staff_id: int, county: str) -> tuple[int, int]:
    rows = session.execute(
        select(InspectionResult.id.is_not(None), func.count())
        .select_from(InspectionAssignment)
        .join(InspectionTarget, InspectionTarget.id == InspectionAssignment.target_id)
        .join(InspectionDrawRecord, InspectionDrawRecord.id == InspectionTarget.draw_id)
        .outerjoin(InspectionResult, InspectionResult.target_id == InspectionTarget.id)
        .where(
            InspectionAssignment.staff_id == staff_id,
            InspectionTarget.county_code == county,
            InspectionDrawRecord.superseded_at.is_(None),
        )
        .group_by(InspectionResult.id.is_not(None))
    )
    counts = {bool(recorded): int(n) for recorded, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


def _tickets(session: Session, grids: list[str], county: str, now: dt.datetime) -> tuple[int, int]:
    if not grids:
        return 0, 0
    open_ = (
        TicketRecord.county_code == county,
        TicketRecord.grid_id.in_(grids),
        TicketRecord.state != TicketState.FED_BACK,
    )
    opened = session.scalar(select(func.count()).where(*open_)) or 0
    late = TicketRecord.due_at < now.replace(tzinfo=None)
    overdue = session.scalar(select(func.count()).where(*open_, late)) or 0
    return int(opened), int(overdue)


@requires(Action.READ_INSPECTIONS)
def my_work(
    session: Session,
    actor: Actor,
    county: str,
    staff_no: str | None,
    *,
    now: dt.datetime | None = None,
) -> MyWork:
    """The grids, inspections and tickets of the officer ``staff_no`` in ``county``.

    Parameters
    ----------
    county
        One of the actor's counties.
    staff_no
        The officer's staff number (``users.staff_no``); ``None`` or a number of another
        county gives no grids and no tasks.
    now
        When tickets are overdue (default: now, UTC).

    Raises
    ------
    NotFoundError
        If the county is not one of the actor's.
    """
    if not actor.can_see(county):
        raise NotFoundError("county", county)
    staff = None
    if staff_no is not None:
        staff = session.scalar(
            select(Staff).where(Staff.staff_no == staff_no, Staff.county_code == county)
        )
    if staff is None:
        return MyWork(
            county_code=county,
            staff_no=staff_no,
            staff_name=None,
            grids=[],
            inspections_to_do=0,
            inspections_done=0,
            tickets_open=0,
            tickets_overdue=0,
        )
    grids = _grids(session, staff.id, county)
    to_do, done = _inspections(session, staff.id, county)
    opened, overdue = _tickets(session, grids, county, now or dt.datetime.now(dt.UTC))
    return MyWork(
        county_code=county,
        staff_no=staff.staff_no,
        staff_name=staff.name,
        grids=grids,
        inspections_to_do=to_do,
        inspections_done=done,
        tickets_open=opened,
        tickets_overdue=overdue,
    )
