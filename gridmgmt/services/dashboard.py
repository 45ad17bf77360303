"""The leaders' dashboard (局领导看板): one county's figures for a month, quarter or year.

Two kinds of figure:

*Snapshots* (as of now, whatever the period): retailers by status, key retailers, red-line
violators left (open licences inside a school red line under the county's settings), tickets
open and overdue.

*Period figures* (within the period's dates): inspections recorded against the quota of the
inspection draws whose period overlaps it, tickets collected, cases opened and how many of
them belong to a network case (串案: see :mod:`gridmgmt.cases.networks`), and the delivery
kilometres of the current stored route plans.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gridmgmt.domain import RetailerStatus
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services._dashboard_figures import (
    county_for,
    current_plans_where,
    inspections_where,
    key_retailers_where,
    networked_cases,
    open_tickets_where,
    overdue_tickets_where,
    period_cases_where,
    red_line_violators,
)
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result
from gridmgmt.store.models import Retailer
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.routes import RoutePlanRecord
from gridmgmt.store.models.rules import InspectionDrawRecord, InspectionResult, TicketRecord

__all__ = [
    "Dashboard",
    "Period",
    "dashboard",
    "first_data_year",
    "parse_period",
    "period_choices",
]

_PERIOD: Final = re.compile(r"^([12]\d{3})(?:-(0[1-9]|1[0-2])|-Q([1-4])|-H([12]))?$")
"""A year 1000-2999 (its dates must exist: year 0 answered 500) and a month, quarter or half."""


class Period(Result):
    """A reporting period: ``2026``, ``2026-Q2`` or ``2026-05`` (``2026-H1`` is accepted)."""

    name: str
    kind: str
    """``year``, ``half``, ``quarter`` or ``month``."""
    start: dt.date
    end: dt.date
    """The first day after the period."""
    last: dt.date
    """The period's last day."""

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share a day."""
        return self.start < other.end and other.start < self.end


def _month_start(year: int, month: int) -> dt.date:
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """The period named by ``text``.

    Raises
    ------
    InvalidInputError
        If ``text`` is not ``YYYY``, ``YYYY-Qn``, ``YYYY-MM`` or ``YYYY-Hn``.
    """
    name = text.strip().upper()
    match = _PERIOD.match(name)
    if match is None:
        msg = f"`period` was {text!r} but is expected to be YYYY, YYYY-Qn or YYYY-MM"
        raise InvalidInputError(msg, [{"field": "period", "message": msg}])
    year = int(match[1])
    if match[2]:
        first, months, kind = int(match[2]), 1, "month"
    elif match[3]:
        first, months, kind = 3 * int(match[3]) - 2, 3, "quarter"
    elif match[4]:
        first, months, kind = 6 * int(match[4]) - 5, 6, "half"
    else:
        first, months, kind = 1, 12, "year"
    start, end = _month_start(year, first), _month_start(year, first + months)
    return Period(name=name, kind=kind, start=start, end=end, last=end - dt.timedelta(days=1))


def period_choices(
    today: dt.date, *, months: int = 12, years: int = 3, first_year: int | None = None
) -> dict[str, list[str]]:
    """Periods a picker offers, newest first: the last months, quarters and years.

    ``first_year`` (the earliest year with data, see :func:`first_data_year`) extends the
    years back to it, so a picker offers every year the data spans.
    """
    month_names = []
    for back in range(months):
        start = _month_start(today.year, today.month - back)
        month_names.append(f"{start.year}-{start.month:02d}")
    oldest = today.year - years + 1
    if first_year is not None:
        oldest = max(min(oldest, first_year), 1)
    quarter = (today.month - 1) // 3
    quarters = []
    for back in range(months // 3 + 1):
        index = today.year * 4 + quarter - back
        quarters.append(f"{index // 4}-Q{index % 4 + 1}")
    return {
        "month": month_names,
        "quarter": quarters,
        "year": [str(year) for year in range(today.year, oldest - 1, -1)],
    }


class Dashboard(Result):
    """A county's figures for a period (see the module docstring for what each counts)."""

    county_code: str
    county_name: str
    period: Period
    as_of: dt.datetime
    retailers_by_status: dict[RetailerStatus, int]
    retailers: int
    key_retailers: int
    """Open (not closed) key retailers (重点零售户)."""
    red_line_violators: int
    """Open retailers inside a school red line now."""
    red_line_notes: list[str]
    inspections_done: int
    inspection_quota: int
    tickets_open: int
    tickets_overdue: int
    tickets_collected: int
    cases: int
    network_cases: int
    """Cases of the period that belong to a network case (串案)."""
    delivery_km: float
    route_plans: int
    delivery_km_by_depot: dict[str, float]


def _statuses(session: Session, county: str) -> dict[RetailerStatus, int]:
    rows = session.execute(
        select(Retailer.status, func.count())
        .where(Retailer.county_code == county)
        .group_by(Retailer.status)
    )
    counts = dict.fromkeys(RetailerStatus, 0)
    counts.update({RetailerStatus(status): int(n) for status, n in rows})
    return counts


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).where(*where)) or 0)


def _inspections(session: Session, county: str, period: Period) -> tuple[int, int]:
    done = _count(session, *inspections_where(county, period))
    draws = session.execute(
        select(InspectionDrawRecord.period, InspectionDrawRecord.quota).where(
            InspectionDrawRecord.county_code == county,
            InspectionDrawRecord.superseded_at.is_(None),
        )
    )
    quota = sum(int(q) for name, q in draws if parse_period(name).overlaps(period))
    return done, quota


def _tickets(
    session: Session, county: str, period: Period, now: dt.datetime
) -> tuple[int, int, int]:
    opened = _count(session, *open_tickets_where(county))
    overdue = _count(session, *overdue_tickets_where(county, now))
    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end, dt.time())
    collected = _count(
        session,
        TicketRecord.county_code == county,
        TicketRecord.collected_at >= start,
        TicketRecord.collected_at < end,
    )
    return opened, overdue, collected


def _cases(session: Session, actor: Actor, county: str, period: Period) -> tuple[int, int]:
    from gridmgmt.services.cases import case_key  # heavy: the link index

    keys = {
        case_key(county, case_no)
        for case_no in session.scalars(
            select(CaseRecord.case_no).where(*period_cases_where(county, period))
        )
    }
    if not keys:
        return 0, 0
    return len(keys), len(keys & networked_cases(session, actor, county).keys())


def _delivery(session: Session, county: str, period: Period) -> tuple[float, int, dict[str, float]]:
    rows = session.execute(
        select(RoutePlanRecord.depot_code, func.sum(RoutePlanRecord.km), func.count())
        .where(*current_plans_where(county, period))
        .group_by(RoutePlanRecord.depot_code)
        .order_by(RoutePlanRecord.depot_code)
    ).all()
    by_depot = {str(depot): round(float(km or 0.0), 1) for depot, km, _n in rows}
    total = round(sum(float(km or 0.0) for _d, km, _n in rows), 1)
    return total, sum(int(n) for _d, _km, n in rows), by_depot


@requires(Action.READ_DASHBOARD)
def first_data_year(session: Session, actor: Actor, county: str) -> int | None:
    """The earliest year of a period figure of the county (a case opened, a ticket
    collected, an inspection recorded), or None without any.

    Raises
    ------
    NotFoundError
        If the county is unknown or not one of the actor's.
    """
    county_for(session, actor, county)
    firsts = [
        session.scalar(
            select(func.min(CaseRecord.opened_on)).where(CaseRecord.county_code == county)
        ),
        session.scalar(
            select(func.min(TicketRecord.collected_at)).where(TicketRecord.county_code == county)
        ),
        session.scalar(
            select(func.min(InspectionResult.inspected_on)).where(
                InspectionResult.county_code == county
            )
        ),
    ]
    found = [day for day in firsts if day is not None]
    return min(day.year for day in found) if found else None


@requires(Action.READ_DASHBOARD)
def dashboard(
    session: Session,
    actor: Actor,
    county: str,
    period: str,
    *,
    now: dt.datetime | None = None,
) -> Dashboard:
    """The figures of one of the actor's counties for ``period``.

    Parameters
    ----------
    county
        The county's 6-digit code.
    period
        ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``.
    now
        The moment snapshots are taken at (default: now, UTC); tickets are overdue when
        their deadline is before it.

    Raises
    ------
    NotFoundError
        If the county is unknown or not one of the actor's.
    InvalidInputError
        If the period is not understood.
    """
    span = parse_period(period)
    row = county_for(session, actor, county)
    moment = now or dt.datetime.now(dt.UTC)
    statuses = _statuses(session, county)
    violators, notes = red_line_violators(session, actor, county)
    done, quota = _inspections(session, county, span)
    opened, overdue, collected = _tickets(session, county, span, moment)
    cases, network_cases = _cases(session, actor, county, span)
    km, plans, by_depot = _delivery(session, county, span)
    return Dashboard(
        county_code=county,
        county_name=row.name,
        period=span,
        as_of=moment,
        retailers_by_status=statuses,
        retailers=sum(statuses.values()),
        key_retailers=_count(session, *key_retailers_where(county)),
        red_line_violators=len(violators),
        red_line_notes=notes,
        inspections_done=done,
        inspection_quota=quota,
        tickets_open=opened,
        tickets_overdue=overdue,
        tickets_collected=collected,
        cases=cases,
        network_cases=network_cases,
        delivery_km=km,
        route_plans=plans,
        delivery_km_by_depot=by_depot,
    )
