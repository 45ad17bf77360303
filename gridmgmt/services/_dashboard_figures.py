"""What each figure of the leaders' dashboard (局领导看板) counts, as conditions and rows.

The dashboard (:mod:`gridmgmt.services.dashboard`) counts by these, and each figure's list
(:mod:`gridmgmt.services.dashboard_lists`) selects its rows by the same ones, so a figure and
its list always agree. Building blocks: the callers check the action (``dashboard.read``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from gridmgmt.domain import RetailerStatus, TicketState
from gridmgmt.errors import NotFoundError
from gridmgmt.services.actor import Actor
from gridmgmt.store.models import County, Retailer
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.routes import RoutePlanRecord
from gridmgmt.store.models.rules import InspectionResult, TicketRecord

if TYPE_CHECKING:
    from gridmgmt.services.dashboard import Period


def county_for(session: Session, actor: Actor, county: str) -> County:
    """The county, if it is one of the actor's.

    Raises
    ------
    NotFoundError
        If the county is unknown or not the actor's.
    """
    row = session.get(County, county)
    if row is None or not actor.can_see(county):
        raise NotFoundError("county", county)
    return row


def key_retailers_where(county: str) -> tuple[ColumnElement[bool], ...]:
    """Open (not closed) key retailers (重点零售户) of the county."""
    return (
        Retailer.county_code == county,
        Retailer.key_retailer.is_(True),
        Retailer.status != RetailerStatus.CLOSED,
    )


def inspections_where(county: str, period: Period) -> tuple[ColumnElement[bool], ...]:
    """Inspection results recorded for the county with a date within the period."""
    return (
        InspectionResult.county_code == county,
        InspectionResult.inspected_on >= period.start,
        InspectionResult.inspected_on < period.end,
    )


def open_tickets_where(county: str) -> tuple[ColumnElement[bool], ...]:
    """Tickets of the county not yet fed back (反馈)."""
    return (TicketRecord.county_code == county, TicketRecord.state != TicketState.FED_BACK)


def overdue_tickets_where(county: str, now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """Open tickets whose deadline is before ``now``."""
    return (*open_tickets_where(county), TicketRecord.due_at < now.replace(tzinfo=None))


def period_cases_where(county: str, period: Period) -> tuple[ColumnElement[bool], ...]:
    """Cases of the county opened within the period."""
    return (
        CaseRecord.county_code == county,
        CaseRecord.opened_on >= period.start,
        CaseRecord.opened_on < period.end,
    )


def current_plans_where(county: str, period: Period) -> tuple[ColumnElement[bool], ...]:
    """The county's route plans in force for delivery dates within the period."""
    return (
        RoutePlanRecord.county_code == county,
        RoutePlanRecord.is_current.is_(True),
        RoutePlanRecord.delivery_date >= period.start,
        RoutePlanRecord.delivery_date < period.end,
    )


def red_line_violators(session: Session, actor: Actor, county: str) -> tuple[Any, list[str]]:
    """The red-line report's violations, one row per licence, and its notes."""
    from gridmgmt.services.rules import red_lines  # heavy: geopandas, the rule engines

    report = red_lines(session, actor, county=county)
    found = report.violations
    if len(found):
        found = found.drop_duplicates("licence_no")
    return found, list(report.notes)


def networked_cases(session: Session, actor: Actor, county: str) -> dict[str, str]:
    """The network id of each case (of any county the actor sees) in a network case (串案),
    by case key (:func:`~gridmgmt.services.cases.case_key`: county and case number)."""
    from gridmgmt.services.cases import list_networks  # heavy: the link index

    networked: dict[str, str] = {}
    for network in list_networks(session, actor, county=county):
        if network.network_case:
            networked.update(dict.fromkeys(network.cases, network.network_id))
    return networked
