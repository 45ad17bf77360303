"""A stored week of delivery plans for the demo's dispatcher (周配送计划).

The routes step plans each depot's first order day; this step plans the dispatcher's depot's
whole week (retailers' weekdays balanced, each day routed, with the demo's solver bounds) and
stores each day as its current plan, so the dispatcher's page opens on stored routes for
every day of the week and the first day has two versions to compare. A second run keeps a
week already stored.
"""

from __future__ import annotations

from sqlalchemy import func, select

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.demo.routes import DEMO_MAX_ITERATIONS, DEMO_TIME_LIMIT_S
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.routes.requests import WeekRequest
from gridmgmt.services.routes.stored import plan_and_store_week
from gridmgmt.store import db
from gridmgmt.store.models import Depot, Order, User, UserCounty
from gridmgmt.store.models.routes import RoutePlanKind, RoutePlanRecord

__all__ = ["DISPATCHER", "step"]

DISPATCHER = "dispatcher"
"""The demo dispatcher's username (see :mod:`gridmgmt.demo.users`)."""


def step(run: DemoRun) -> StepResult:
    """Plan and store the week of the dispatcher's first depot (by code).

    Returns
    -------
    StepResult
        ``week_days`` stored by this run (0 when the week was there already) and
        ``week_km`` (whole km over the week's days).
    """
    with db.transaction(run.url) as session:
        county = session.scalar(
            select(func.min(UserCounty.county_code))
            .join(User, User.id == UserCounty.user_id)
            .where(User.username == DISPATCHER)
        )
        depot = session.scalar(select(func.min(Depot.code)).where(Depot.county_code == county))
        first = session.scalar(
            select(func.min(Order.order_date)).where(Order.county_code == county)
        )
        if depot is None or first is None:
            return StepResult(counts={"week_days": 0})
        stored = session.scalar(
            select(func.count()).where(
                RoutePlanRecord.depot_code == depot,
                RoutePlanRecord.kind == RoutePlanKind.WEEK,
                RoutePlanRecord.is_current.is_(True),
            )
        )
        if stored:
            return StepResult(counts={"week_days": 0})
        request = WeekRequest(
            depot_code=depot,
            week_of=first,
            time_limit=DEMO_TIME_LIMIT_S,
            max_iterations=DEMO_MAX_ITERATIONS,
        )
        week = plan_and_store_week(session, SYSTEM, request, roads=run.roads)
    km = sum(version.km for version in week.versions.values())
    return StepResult(counts={"week_days": len(week.versions), "week_km": round(km)})
