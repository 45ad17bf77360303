"""Stored plans (配送计划, table ``route_plans``): versions per depot and date.

Planning a day, planning its week or replanning it adds a new version for the depot and date
and makes it the current one, audited in the caller's transaction; older versions are kept.
Replanning starts from the stored current plan and the driver manifest is written from it,
so the driver gets the plan the dispatcher saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from gridmgmt.routing.closures import Closure, active_closures
from gridmgmt.routing.manifest import (
    day_totals,
)
from gridmgmt.routing.model import (
    DayPlan,
)
from gridmgmt.routing.replan import ReplanResult
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.routes.changes import OrderChanges
from gridmgmt.services.routes.closures import (
    closure_feature,
    closures_from_features,
    parse_closure_mode,
)
from gridmgmt.services.routes.codec import plan_from_json, plan_to_json
from gridmgmt.services.routes.planning import (
    WeekPlan,
    county_orders,
    depot_and_county,
    order_id,
    plan_depot_day,
    plan_settings,
    replan_depot_day,
    replan_summary,
    week_with_changes,
)
from gridmgmt.store.models.routes import RoutePlanKind, RoutePlanRecord


class PlanNotFoundError(LookupError):
    """No plan of the depot and date is stored."""


class PlanConflictError(RuntimeError):
    """Another plan of the same depot and date was stored at the same moment."""


@dataclass(frozen=True)
class PlanVersion:
    """One stored version of a depot's plan for a date (配送计划), without the routes.

    Attributes
    ----------
    plan_id
        Row id.
    depot_code, county_code, day
        Whose plan, for which delivery date.
    version
        1, 2, ... per depot and date.
    current
        Whether it is the plan in force (the newest version).
    kind
        ``plan``, ``replan`` or ``week``.
    created_at, created_by
        When (UTC) and by whom it was made.
    seed, time_limit_s, max_iterations, closure_mode
        The solver settings it was made with.
    n_closures
        Closures active on the day it avoided.
    km, vehicles, hours, orders_served, orders_unserved
        The day's totals.
    """

    plan_id: int
    depot_code: str
    county_code: str
    day: dt.date
    version: int
    current: bool
    kind: str
    created_at: dt.datetime
    created_by: str
    seed: int
    time_limit_s: float | None
    max_iterations: int | None
    closure_mode: str
    n_closures: int
    km: float
    vehicles: int
    hours: float
    orders_served: int
    orders_unserved: int

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (dates and times in ISO format)."""
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["created_at"] = self.created_at.isoformat(timespec="seconds")
        return data


@dataclass(frozen=True)
class StoredPlan:
    """A stored plan with its routes.

    Attributes
    ----------
    version
        Which version and its figures.
    plan
        The routes and unserved orders.
    closures
        The closures it was made with (those active on the day).
    order_changes
        The order changes it applies on top of the day's stored orders.
    """

    version: PlanVersion
    plan: DayPlan
    closures: tuple[Closure, ...] = ()
    order_changes: OrderChanges = field(default_factory=OrderChanges)


@dataclass(frozen=True)
class StoredWeek:
    """A planned week and the stored version of each day's plan."""

    week: WeekPlan
    versions: dict[dt.date, PlanVersion]


@dataclass(frozen=True)
class StoredReplan:
    """A replanned day, its stored version and what changed.

    Attributes
    ----------
    result
        The new plan and the orders added, cancelled and moved (this replan's only).
    version
        The stored version of the new plan.
    changes
        :func:`replan_summary` of this replan.
    """

    result: ReplanResult
    version: PlanVersion
    changes: dict[str, Any]


def _version(record: RoutePlanRecord) -> PlanVersion:
    return PlanVersion(
        plan_id=record.id,
        depot_code=record.depot_code,
        county_code=record.county_code,
        day=record.delivery_date,
        version=record.version,
        current=record.is_current,
        kind=RoutePlanKind(record.kind).value,
        created_at=record.created_at,
        created_by=record.created_by,
        seed=record.seed,
        time_limit_s=record.time_limit_s,
        max_iterations=record.max_iterations,
        closure_mode=record.closure_mode,
        n_closures=len(record.closures or ()),
        km=record.km,
        vehicles=record.vehicles,
        hours=record.hours,
        orders_served=record.orders_served,
        orders_unserved=record.orders_unserved,
    )


def _stored(record: RoutePlanRecord) -> StoredPlan:
    return StoredPlan(
        version=_version(record),
        plan=plan_from_json(record.plan),
        closures=tuple(closures_from_features(record.closures or [])),
        order_changes=OrderChanges.from_json(record.order_changes),
    )


def _current_record(
    session: Session, depot_code: str, day: dt.date, *, with_plan: bool = True
) -> RoutePlanRecord | None:
    stmt = select(RoutePlanRecord).where(
        RoutePlanRecord.depot_code == depot_code,
        RoutePlanRecord.delivery_date == day,
        RoutePlanRecord.is_current.is_(True),
    )
    if with_plan:
        stmt = stmt.options(undefer(RoutePlanRecord.plan))
    return session.scalars(stmt).one_or_none()


def store_day_plan(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    plan: DayPlan,
    kind: str = "plan",
    seed: int = 0,
    time_limit: float | None = None,
    max_iterations: int | None = None,
    closures: Sequence[Closure] = (),
    closure_mode: str = "skip",
    order_changes: OrderChanges | None = None,
    detail: Mapping[str, Any] | None = None,
) -> PlanVersion:
    """Store a day plan as the new current version for its depot and date (保存配送计划).

    The version in force, if any, is kept but no longer current. The write is audited
    (``routes.<kind>``) in the caller's transaction.

    Parameters
    ----------
    session
        An open session (the caller commits).
    actor
        Who planned (recorded); a depot outside their counties is not found.
    depot_code
        The depot.
    plan
        The plan; its day is the delivery date.
    kind
        ``plan``, ``replan`` or ``week``.
    seed, time_limit, max_iterations, closure_mode
        The solver settings it was made with.
    closures
        The closures it was made with (those active on the day are kept).
    order_changes
        Order changes the plan applies on top of the day's stored orders.
    detail
        More for the audit line.

    Returns
    -------
    PlanVersion
        The stored version.
    """
    kind = RoutePlanKind(kind)
    _, county = depot_and_county(session, actor, depot_code)
    previous = _current_record(session, depot_code, plan.day, with_plan=False)
    last = session.scalar(
        select(func.max(RoutePlanRecord.version)).where(
            RoutePlanRecord.depot_code == depot_code, RoutePlanRecord.delivery_date == plan.day
        )
    )
    if previous is not None:
        previous.is_current = False
        session.flush()  # the old version leaves the one-current-plan index first
    totals = day_totals(plan)
    record = RoutePlanRecord(
        depot_code=depot_code,
        county_code=county,
        delivery_date=plan.day,
        version=(last or 0) + 1,
        is_current=True,
        kind=kind,
        created_by=actor.username,
        seed=int(seed),
        time_limit_s=time_limit,
        max_iterations=max_iterations,
        closure_mode=parse_closure_mode(closure_mode).value,
        closures=[closure_feature(c) for c in active_closures(closures, plan.day)],
        order_changes=(order_changes or OrderChanges()).to_json(),
        plan=plan_to_json(plan),
        km=float(totals["km"]),
        vehicles=int(totals["vehicles"]),
        hours=float(totals["hours"]),
        orders_served=len(plan.served_order_ids),
        orders_unserved=len(plan.unserved),
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as error:
        msg = (
            f"another plan of depot {depot_code!r} for {plan.day.isoformat()} was stored at "
            "the same moment; nothing was stored, try again"
        )
        raise PlanConflictError(msg) from error
    audit.record(
        session,
        actor,
        f"routes.{kind.value}",
        kind="route_plan",
        county_code=county,
        detail={
            "plan_id": record.id,
            "depot_code": depot_code,
            "date": plan.day.isoformat(),
            "version": record.version,
            "replaces": previous.version if previous is not None else None,
            "km": record.km,
            "vehicles": record.vehicles,
            "orders_served": record.orders_served,
            "orders_unserved": record.orders_unserved,
            **(detail or {}),
        },
    )
    return _version(record)


def plan_and_store_day(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    day: dt.date,
    roads: Path,
    time_limit: float | None = 30.0,
    seed: int = 0,
    max_iterations: int | None = 20_000,
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
) -> StoredPlan:
    """Plan a depot's day (:func:`plan_depot_day`) and store it as the current version.

    Parameters are those of :func:`plan_depot_day`. The plan is made from the day's stored
    orders only: order changes of earlier replans are not carried over.

    Returns
    -------
    StoredPlan
        The stored version and the plan.
    """
    closures = list(closures or ())
    plan = plan_depot_day(
        session,
        actor,
        depot_code=depot_code,
        day=day,
        roads=roads,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
        closures=closures,
        closure_mode=closure_mode,
    )
    version = store_day_plan(
        session,
        actor,
        depot_code=depot_code,
        plan=plan,
        seed=seed,
        time_limit=time_limit,
        max_iterations=max_iterations,
        closures=closures,
        closure_mode=closure_mode,
    )
    active = tuple(active_closures(closures, day))
    return StoredPlan(version, plan, active, OrderChanges())


def plan_and_store_week(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    week_of: dt.date,
    roads: Path,
    time_limit: float | None = 30.0,
    seed: int = 0,
    max_iterations: int | None = 20_000,
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
) -> StoredWeek:
    """Plan a depot's week (:func:`plan_week`) and store each day's plan as its current one.

    A day's stored plan keeps, as order changes, how the week moved retailers into or out
    of that date and summed their cartons, so replanning the day starts from the week.

    Parameters are those of :func:`plan_week`.

    Returns
    -------
    StoredWeek
        The week and the stored version of each day.
    """
    closures = list(closures or ())
    week, changes = week_with_changes(
        session,
        actor,
        depot_code=depot_code,
        week_of=week_of,
        roads=roads,
        settings=plan_settings(time_limit, seed, max_iterations, closure_mode),
        closures=closures,
    )
    versions = {
        day: store_day_plan(
            session,
            actor,
            depot_code=depot_code,
            plan=plan,
            kind="week",
            seed=seed,
            time_limit=time_limit,
            max_iterations=max_iterations,
            closures=closures,
            closure_mode=closure_mode,
            order_changes=changes[day],
        )
        for day, plan in week.days.items()
    }
    return StoredWeek(week, versions)


def current_plan(
    session: Session, actor: Actor, *, depot_code: str, day: dt.date
) -> StoredPlan | None:
    """The stored plan in force for a depot and date (当前配送计划), or None.

    Raises
    ------
    DepotNotFoundError
        The depot is unknown or of a county outside the actor's.
    """
    depot_and_county(session, actor, depot_code)
    record = _current_record(session, depot_code, day)
    return None if record is None else _stored(record)


def plan_versions(
    session: Session, actor: Actor, *, depot_code: str, day: dt.date | None = None
) -> list[PlanVersion]:
    """The stored versions of a depot's plans, by date then version (oldest first).

    Parameters
    ----------
    session, actor
        As for :func:`plan_depot_day`.
    depot_code
        The depot.
    day
        Only this delivery date (default: every date).

    Raises
    ------
    DepotNotFoundError
        The depot is unknown or of a county outside the actor's.
    """
    depot_and_county(session, actor, depot_code)
    stmt = select(RoutePlanRecord).where(RoutePlanRecord.depot_code == depot_code)
    if day is not None:
        stmt = stmt.where(RoutePlanRecord.delivery_date == day)
    stmt = stmt.order_by(RoutePlanRecord.delivery_date, RoutePlanRecord.version)
    return [_version(r) for r in session.scalars(stmt)]


def replan_and_store_day(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    day: dt.date,
    roads: Path,
    current: DayPlan | None = None,
    add: Mapping[str, int] | None = None,
    cancel: Sequence[str] = (),
    change: Mapping[str, int] | None = None,
    time_limit: float | None = 10.0,
    seed: int = 0,
    max_iterations: int | None = 5_000,
    closures: Sequence[Closure] | None = None,
    closure_mode: str | None = None,
) -> StoredReplan:
    """Replan a depot's day (:func:`replan_depot_day`) and store the new current version.

    With no ``current`` plan the stored plan in force is the start: its earlier order
    changes still apply, and by default its closures and closure mode. An explicit
    ``current`` plan (from a file or a request) starts with no earlier changes.

    Parameters
    ----------
    session, actor, depot_code, roads, time_limit, seed, max_iterations
        As for :func:`plan_depot_day`.
    day
        Delivery date.
    current
        The plan to start from (default: the stored current plan).
    add, cancel, change
        The order changes, as for :func:`replan_depot_day`.
    closures, closure_mode
        As for :func:`plan_depot_day`; None keeps the stored plan's (or none and
        ``skip`` with an explicit ``current``).

    Returns
    -------
    StoredReplan
        The new plan, its stored version and this replan's changes.

    Raises
    ------
    PlanNotFoundError
        No ``current`` is given and no plan of the day is stored.
    ValueError
        The changes do not fit the day's orders, or ``current`` is of another day.
    """
    _, county = depot_and_county(session, actor, depot_code)
    base = OrderChanges()
    if current is None:
        record = _current_record(session, depot_code, day)
        if record is None:
            msg = (
                f"no plan of depot {depot_code!r} for {day.isoformat()} is stored: "
                "plan the day first, or give the current plan"
            )
            raise PlanNotFoundError(msg)
        stored = _stored(record)
        current, base = stored.plan, stored.order_changes
        closures = stored.closures if closures is None else closures
        closure_mode = stored.version.closure_mode if closure_mode is None else closure_mode
    closures, closure_mode = list(closures or ()), closure_mode or "skip"
    ordered = set(county_orders(session, actor, county, day, day)["licence_no"].astype(str))
    merged = base.then(ordered, day=day, add=add, cancel=cancel, change=change)
    result = replan_depot_day(
        session,
        actor,
        depot_code=depot_code,
        day=day,
        roads=roads,
        current=current,
        add=merged.add,
        cancel=merged.cancel,
        change=merged.change,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
        closures=closures,
        closure_mode=closure_mode,
    )
    # Report this replan's changes only, not the earlier ones carried along.
    served = result.plan.route_of()
    cancelled = tuple(order_id(k, day) for k in cancel)
    result = replace(
        result,
        added=tuple(i for i in (order_id(k, day) for k in add or {}) if i in served),
        cancelled=cancelled,
        moved=tuple(i for i in result.moved if i not in set(cancelled)),
    )
    summary = replan_summary(result, changed=[order_id(k, day) for k in change or {}])
    version = store_day_plan(
        session,
        actor,
        depot_code=depot_code,
        plan=result.plan,
        kind="replan",
        seed=seed,
        time_limit=time_limit,
        max_iterations=max_iterations,
        closures=closures,
        closure_mode=closure_mode,
        order_changes=merged,
        detail={"changes": {k: summary[k] for k in ("added", "cancelled", "changed", "moved")}},
    )
    return StoredReplan(result, version, summary)


def manifest_plan(
    session: Session,
    actor: Actor,
    *,
    depot_code: str,
    day: dt.date,
    roads: Path,
    fresh: bool = False,
    time_limit: float | None = 30.0,
    seed: int = 0,
    max_iterations: int | None = 20_000,
    closures: Sequence[Closure] | None = None,
    closure_mode: str = "skip",
) -> StoredPlan:
    """The plan a driver manifest (配送单) is written from: the stored current plan.

    When none is stored, or ``fresh`` is asked for, the day is planned and stored first
    (:func:`plan_and_store_day`, with the other parameters).

    Returns
    -------
    StoredPlan
        The plan in force.
    """
    if not fresh:
        stored = current_plan(session, actor, depot_code=depot_code, day=day)
        if stored is not None:
            return stored
    return plan_and_store_day(
        session,
        actor,
        depot_code=depot_code,
        day=day,
        roads=roads,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
        closures=closures,
        closure_mode=closure_mode,
    )
