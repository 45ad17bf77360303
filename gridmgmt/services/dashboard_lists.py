"""The list behind each figure of the leaders' dashboard (看板明细).

Each figure of :func:`gridmgmt.services.dashboard.dashboard` opens the rows it counted: the
same conditions (:mod:`gridmgmt.services._dashboard_figures`) select them, so a figure and its
list always agree. Rows are plain values (enumerations by their English value), a page at a
time, in a stable order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Executable, select
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
from gridmgmt.services.dashboard import Period, parse_period
from gridmgmt.services.results import Result
from gridmgmt.store.models import Retailer
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.grids import RetailerGrid
from gridmgmt.store.models.routes import RoutePlanRecord
from gridmgmt.store.models.rules import InspectionResult, InspectionTarget, TicketRecord

__all__ = ["PAGE_SIZE", "Figure", "FigureList", "figure_list"]

PAGE_SIZE: Final = 200
"""Rows per page of a list."""

Cell = str | int | float | bool | None


class Figure(StrEnum):
    """A figure of the dashboard whose list can be opened."""

    RETAILERS = "retailers"  # 零售户 (by status with ``status``)
    KEY_RETAILERS = "key_retailers"  # 重点零售户
    RED_LINE = "red_line"  # 红线内零售户
    INSPECTIONS = "inspections"  # 双随机检查
    TICKETS_OPEN = "tickets_open"  # 未办结的监管信息
    TICKETS_OVERDUE = "tickets_overdue"  # 超期的监管信息
    CASES = "cases"  # 案件
    NETWORK_CASES = "network_cases"  # 网络案件
    DELIVERY = "delivery"  # 配送线路方案


class FigureList(Result):
    """The rows behind one figure, one page of them."""

    figure: Figure
    county_code: str
    county_name: str
    period: Period
    as_of: dt.datetime
    status: RetailerStatus | None
    columns: list[str]
    """The keys of each row, in display order."""
    rows: list[dict[str, Cell]]
    total: int
    """Rows in all pages: the figure the dashboard shows."""
    page: int
    """1-based."""
    pages: int


class _Query:
    """What one list needs: the actor, the county, the period, the moment and a filter."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        county: str,
        period: Period,
        now: dt.datetime,
        status: RetailerStatus | None,
    ) -> None:
        self.session, self.actor, self.county = session, actor, county
        self.period, self.now, self.status = period, now, status


Rows = tuple[list[str], list[dict[str, Cell]]]

_RETAILER_COLUMNS: Final = ("licence_no", "name", "address", "status", "tier", "key_retailer")


def _retailer_rows(query: _Query, where: tuple[ColumnElement[bool], ...]) -> Rows:
    stmt = (
        select(*(getattr(Retailer, c) for c in _RETAILER_COLUMNS), RetailerGrid.grid_id)
        .outerjoin(RetailerGrid, RetailerGrid.retailer_id == Retailer.id)
        .where(*where)
        .order_by(Retailer.licence_no)
    )
    return _rows(query.session, stmt, [*_RETAILER_COLUMNS, "grid_id"])


def _rows(session: Session, stmt: Executable, columns: list[str]) -> Rows:
    return columns, [
        dict(zip(columns, map(_cell, row), strict=True)) for row in session.execute(stmt)
    ]


def _cell(value: Any) -> Cell:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value  # type: ignore[no-any-return]


def _retailers(query: _Query) -> Rows:
    where = [Retailer.county_code == query.county]
    if query.status is not None:
        where.append(Retailer.status == query.status)
    return _retailer_rows(query, tuple(where))


def _key_retailers(query: _Query) -> Rows:
    return _retailer_rows(query, key_retailers_where(query.county))


def _red_line(query: _Query) -> Rows:
    found, _notes = red_line_violators(query.session, query.actor, query.county)
    columns = ["licence_no", "name", "school", "distance_m", "limit_m"]
    if not len(found):
        return columns, []
    table = found.sort_values("licence_no")
    rows: list[dict[str, Cell]] = [
        {
            "licence_no": str(row.licence_no),
            "name": str(row.name),
            "school": str(row.school),
            "distance_m": round(float(row.distance_m)),
            "limit_m": round(float(row.limit_m)),
        }
        for row in table.itertuples(index=False)
    ]
    return columns, rows


def _inspections(query: _Query) -> Rows:
    stmt = (
        select(
            Retailer.licence_no,
            Retailer.name,
            InspectionTarget.grid_id,
            InspectionResult.inspected_on,
            InspectionResult.outcome,
            InspectionResult.violations,
            InspectionResult.inspectors,
        )
        .join(InspectionTarget, InspectionTarget.id == InspectionResult.target_id)
        .join(Retailer, Retailer.id == InspectionTarget.retailer_id)
        .where(*inspections_where(query.county, query.period))
        .order_by(InspectionResult.inspected_on, Retailer.licence_no)
    )
    columns = ["licence_no", "name", "grid_id", "inspected_on", "outcome", "violations"]
    return _rows(query.session, stmt, [*columns, "inspectors"])


_TICKET_COLUMNS: Final = (
    "ticket_no",
    "kind",
    "state",
    "summary",
    "grid_id",
    "collected_at",
    "due_at",
)


def _ticket_rows(query: _Query, where: tuple[ColumnElement[bool], ...]) -> Rows:
    stmt = (
        select(*(getattr(TicketRecord, c) for c in _TICKET_COLUMNS), Retailer.licence_no)
        .outerjoin(Retailer, Retailer.id == TicketRecord.retailer_id)
        .where(*where)
        .order_by(TicketRecord.due_at.is_(None), TicketRecord.due_at, TicketRecord.ticket_no)
    )
    return _rows(query.session, stmt, [*_TICKET_COLUMNS, "licence_no"])


def _tickets_open(query: _Query) -> Rows:
    return _ticket_rows(query, open_tickets_where(query.county))


def _tickets_overdue(query: _Query) -> Rows:
    return _ticket_rows(query, overdue_tickets_where(query.county, query.now))


def _case_rows(query: _Query, *, networked_only: bool) -> Rows:
    from gridmgmt.services.cases import case_key  # heavy: the link index

    networks = networked_cases(query.session, query.actor, query.county)
    stmt = (
        select(
            CaseRecord.case_no,
            CaseRecord.type,
            CaseRecord.status,
            CaseRecord.opened_on,
            CaseRecord.value_yuan,
        )
        .where(*period_cases_where(query.county, query.period))
        .order_by(CaseRecord.opened_on, CaseRecord.case_no)
    )
    columns, rows = _rows(
        query.session, stmt, ["case_no", "type", "status", "opened_on", "value_yuan"]
    )
    for row in rows:
        row["network_id"] = networks.get(case_key(query.county, str(row["case_no"])))
    if networked_only:
        rows = [row for row in rows if row["network_id"] is not None]
    return [*columns, "network_id"], rows


def _cases(query: _Query) -> Rows:
    return _case_rows(query, networked_only=False)


def _network_cases(query: _Query) -> Rows:
    return _case_rows(query, networked_only=True)


def _delivery(query: _Query) -> Rows:
    stmt = (
        select(
            RoutePlanRecord.depot_code,
            RoutePlanRecord.delivery_date,
            RoutePlanRecord.version,
            RoutePlanRecord.kind,
            RoutePlanRecord.km,
            RoutePlanRecord.created_by,
        )
        .where(*current_plans_where(query.county, query.period))
        .order_by(RoutePlanRecord.delivery_date, RoutePlanRecord.depot_code)
    )
    columns, rows = _rows(
        query.session, stmt, ["depot_code", "delivery_date", "version", "kind", "km", "created_by"]
    )
    for row in rows:
        row["km"] = round(float(row["km"] or 0.0), 1)
    return columns, rows


_LISTS: Final[dict[Figure, Callable[[_Query], Rows]]] = {
    Figure.RETAILERS: _retailers,
    Figure.KEY_RETAILERS: _key_retailers,
    Figure.RED_LINE: _red_line,
    Figure.INSPECTIONS: _inspections,
    Figure.TICKETS_OPEN: _tickets_open,
    Figure.TICKETS_OVERDUE: _tickets_overdue,
    Figure.CASES: _cases,
    Figure.NETWORK_CASES: _network_cases,
    Figure.DELIVERY: _delivery,
}


def _figure(text: str) -> Figure:
    try:
        return Figure(text)
    except ValueError:
        allowed = ", ".join(f.value for f in Figure)
        msg = f"`figure` was {text!r} but is expected to be one of: {allowed}"
        raise InvalidInputError(msg, [{"field": "figure", "message": msg}]) from None


@requires(Action.READ_DASHBOARD)
def figure_list(
    session: Session,
    actor: Actor,
    county: str,
    period: str,
    figure: Figure | str,
    *,
    status: RetailerStatus | None = None,
    page: int = 1,
    now: dt.datetime | None = None,
) -> FigureList:
    """The rows one dashboard figure counts, for one of the actor's counties and a period.

    Parameters
    ----------
    figure
        A :class:`Figure` or its value.
    status
        Only retailers of this status (for :attr:`Figure.RETAILERS`; ignored otherwise).
    page
        1-based page of :data:`PAGE_SIZE` rows; past the last page gives no rows.
    now
        The moment snapshots are taken at, as :func:`~gridmgmt.services.dashboard.dashboard`.

    Raises
    ------
    NotFoundError
        If the county is unknown or not one of the actor's.
    InvalidInputError
        If the period, the figure or the page is not understood.
    """
    chosen = figure if isinstance(figure, Figure) else _figure(figure)
    if page < 1:
        msg = f"`page` was {page} but is expected to be 1 or more"
        raise InvalidInputError(msg, [{"field": "page", "message": msg}])
    span = parse_period(period)
    row = county_for(session, actor, county)
    moment = now or dt.datetime.now(dt.UTC)
    kept = status if chosen is Figure.RETAILERS else None
    query = _Query(session, actor, county, span, moment, kept)
    columns, rows = _LISTS[chosen](query)
    start = (page - 1) * PAGE_SIZE
    return FigureList(
        figure=chosen,
        county_code=county,
        county_name=row.name,
        period=span,
        as_of=moment,
        status=kept,
        columns=columns,
        rows=rows[start : start + PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=max(1, -(-len(rows) // PAGE_SIZE)),
    )
