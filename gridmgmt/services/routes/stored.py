"""Stored plans (配送计划, table ``route_plans``): versions per depot and date.

Planning a day, planning its week or replanning it adds a new version for the depot and date
and makes it the current one, audited in the caller's transaction; older versions are kept.
Replanning starts from the stored current plan and the driver manifest is written from it,
so the driver gets the plan the dispatcher saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import EllipsisType
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, undefer

from gridmgmt.errors import ConflictError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.routing.closures import Closure, ClosurePolicy, active_closures
from gridmgmt.routing.manifest import day_totals
from gridmgmt.routing.model import DayPlan
from gridmgmt.routing.replan import ReplanResult
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.routes.changes import OrderChanges
from gridmgmt.services.routes.closures import closure_feature, closures_from_features
from gridmgmt.services.routes.codec import day_plan_json, plan_from_json, plan_to_json
from gridmgmt.services.routes.planning import (
    WeekPlan,
    county_orders,
    depot_and_county,
    order_id,
    plan_depot_day,
    replan_depot_day,
    replan_summary,
    week_with_changes,
)
from gridmgmt.services.routes.requests import (
    PlanRequest,
    ReplanRequest,
    WeekRequest,
)
from gridmgmt.store.models.routes import RoutePlanKind, RoutePlanRecord


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

    def plan_json(self, plan: DayPlan) -> dict[str, Any]:
        """``plan`` of this version as both faces answer it (:func:`~gridmgmt.services.
        routes.codec.day_plan_json`), with ``plan_version`` and ``stored`` (this version)."""
        return {
            **day_plan_json(self.depot_code, plan),
            "plan_version": self.version,
            "stored": self.to_json(),
        }


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

    def to_json(self) -> dict[str, Any]:
        """The plan as both faces answer it (:func:`~gridmgmt.services.routes.codec.
        day_plan_json`), with ``plan_version``, ``stored`` (the version) and
        ``order_changes``."""
        return {
            **self.version.plan_json(self.plan),
            "order_changes": self.order_changes.to_json(),
        }


@dataclass(frozen=True)
class StoredWeek:
    """A planned week and the stored version of each day's plan."""

    week: WeekPlan
    versions: dict[dt.date, PlanVersion]

    def to_json(self) -> dict[str, Any]:
        """The week (:meth:`WeekPlan.to_json`) and ``plan_versions``: version per date."""
        versions = {d.isoformat(): v.version for d, v in self.versions.items()}
        return {**self.week.to_json(), "plan_versions": versions}


@dataclass(frozen=True)
class PlanVersions:
    """The stored versions of a depot's plans (of one date, or of every date)."""

    depot_code: str
    day: dt.date | None
    versions: list[PlanVersion]

    def to_json(self) -> dict[str, Any]:
        """``depot_code``, ``date`` (or null) and ``versions``, oldest first."""
        return {
            "depot_code": self.depot_code,
            "date": self.day.isoformat() if self.day is not None else None,
            "versions": [v.to_json() for v in self.versions],
        }


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

    def to_json(self) -> dict[str, Any]:
        """The new plan as both faces answer it, ``plan_version``, ``stored`` and
        ``changes``."""
        return {**self.version.plan_json(self.result.plan), "changes": self.changes}


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


def _conflict(
    session: Session, depot_code: str, day: dt.date, *, base: int | None = None
) -> ConflictError:
    """The conflict of a plan stored at the same moment (or since ``base`` was read),
    naming the version in force when a fresh read finds it (this transaction may no longer
    read)."""
    current = None
    try:
        with Session(session.get_bind()) as fresh:
            record = _current_record(fresh, depot_code, day, with_plan=False)
            current = None if record is None else _version(record).to_json()
    except SQLAlchemyError:
        current = None
    since = "the same moment" if base is None else f"the moment version {base} was read"
    msg = (
        f"another plan of depot {depot_code!r} for {day.isoformat()} was stored since "
        f"{since}; nothing was stored: reload the plan in force and try again"
    )
    return ConflictError(msg, current=current)


def _retire_base(session: Session, depot_code: str, day: dt.date, base: int | None) -> None:
    """Compare-and-set: make version ``base`` no longer current, if it still is.

    One UPDATE guarded by the version, so it is atomic on both stores (SQLite: it takes
    the write lock; PostgreSQL: the row lock, the guard re-checked after waiting). When
    ``base`` is None (computed with no plan stored), the one-current-plan index refuses a
    second current plan instead.

    Raises
    ------
    ConflictError
        The version in force is no longer ``base``.
    """
    if base is None:
        return
    retired = session.execute(
        update(RoutePlanRecord)
        .where(
            RoutePlanRecord.depot_code == depot_code,
            RoutePlanRecord.delivery_date == day,
            RoutePlanRecord.is_current.is_(True),
            RoutePlanRecord.version == base,
        )
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    if retired.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(session, depot_code, day, base=base)


@requires(Action.PLAN_ROUTES)
def store_day_plan(
    session: Session,
    actor: Actor,
    *,
    plan: DayPlan,
    request: PlanRequest | WeekRequest | ReplanRequest,
    kind: RoutePlanKind = RoutePlanKind.PLAN,
    order_changes: OrderChanges | None = None,
    detail: Mapping[str, Any] | None = None,
    base_version: int | EllipsisType | None = ...,
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
    plan
        The plan; its day is the delivery date.
    request
        What it was made from: the depot, the solver options, the closures (those active
        on the day are kept) and their mode (a replan's as resolved from its start).
    kind
        ``plan``, ``replan`` or ``week``.
    order_changes
        Order changes the plan applies on top of the day's stored orders.
    detail
        More for the audit line.
    base_version
        The version the plan was computed from (None: from no stored plan). It must still
        be the one in force (a compare-and-set), else nothing is stored. ``...`` (the
        default, for fresh plans): replace whatever is in force.

    Returns
    -------
    PlanVersion
        The stored version.

    Raises
    ------
    ConflictError
        Another plan of the depot and date was stored at the same moment, or since
        ``base_version`` was read (``current``: the version in force).
    """
    kind = RoutePlanKind(kind)
    depot_code = request.depot_code
    _, county = depot_and_county(session, actor, depot_code)
    if isinstance(base_version, EllipsisType):
        previous = _current_record(session, depot_code, plan.day, with_plan=False)
        replaces = previous.version if previous is not None else None
        if previous is not None:
            previous.is_current = False
            session.flush()  # the old version leaves the one-current-plan index first
    else:
        _retire_base(session, depot_code, plan.day, base_version)
        replaces = base_version
    last = session.scalar(
        select(func.max(RoutePlanRecord.version)).where(
            RoutePlanRecord.depot_code == depot_code, RoutePlanRecord.delivery_date == plan.day
        )
    )
    record = _record(depot_code, county, plan, (last or 0) + 1, kind, actor)
    record.seed = int(request.seed)
    record.time_limit_s = request.time_limit
    record.max_iterations = request.max_iterations
    record.closure_mode = ClosurePolicy(request.closure_mode or ClosurePolicy.SKIP).value
    active = active_closures(request.closures or (), plan.day)
    record.closures = [closure_feature(c) for c in active]
    record.order_changes = (order_changes or OrderChanges()).to_json()
    session.add(record)
    try:
        session.flush()
    except IntegrityError as error:
        raise _conflict(session, depot_code, plan.day) from error
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
            "replaces": replaces,
            "km": record.km,
            "vehicles": record.vehicles,
            "orders_served": record.orders_served,
            "orders_unserved": record.orders_unserved,
            **(detail or {}),
        },
    )
    return _version(record)


def _record(
    depot_code: str, county: str, plan: DayPlan, version: int, kind: RoutePlanKind, actor: Actor
) -> RoutePlanRecord:
    """A new current version row with the plan and its totals."""
    totals = day_totals(plan)
    return RoutePlanRecord(
        depot_code=depot_code,
        county_code=county,
        delivery_date=plan.day,
        version=version,
        is_current=True,
        kind=kind,
        created_by=actor.username,
        plan=plan_to_json(plan),
        km=float(totals["km"]),
        vehicles=int(totals["vehicles"]),
        hours=float(totals["hours"]),
        orders_served=len(plan.served_order_ids),
        orders_unserved=len(plan.unserved),
    )


@requires(Action.PLAN_ROUTES)
def plan_and_store_day(
    session: Session, actor: Actor, request: PlanRequest, *, roads: Path
) -> StoredPlan:
    """Plan a depot's day (:func:`~gridmgmt.services.routes.planning.plan_depot_day`) and
    store it as the current version.

    Parameters are those of ``plan_depot_day``. The plan is made from the day's stored
    orders only: order changes of earlier replans are not carried over.

    Returns
    -------
    StoredPlan
        The stored version and the plan.
    """
    plan = plan_depot_day(session, actor, request, roads=roads)
    version = store_day_plan(session, actor, plan=plan, request=request)
    active = tuple(active_closures(request.closures, request.day))
    return StoredPlan(version, plan, active, OrderChanges())


@requires(Action.PLAN_ROUTES)
def plan_and_store_week(
    session: Session, actor: Actor, request: WeekRequest, *, roads: Path
) -> StoredWeek:
    """Plan a depot's week (:func:`~gridmgmt.services.routes.planning.plan_week`) and store
    each day's plan as its current one.

    A day's stored plan keeps, as order changes, how the week moved retailers into or out
    of that date and summed their cartons, so replanning the day starts from the week.

    Parameters are those of ``plan_week``.

    Returns
    -------
    StoredWeek
        The week and the stored version of each day.
    """
    week, changes = week_with_changes(session, actor, request, roads=roads)
    versions = {
        day: store_day_plan(
            session,
            actor,
            plan=plan,
            request=request,
            kind=RoutePlanKind.WEEK,
            order_changes=changes[day],
        )
        for day, plan in week.days.items()
    }
    return StoredWeek(week, versions)


def _stored_current(
    session: Session, actor: Actor, depot_code: str, day: dt.date
) -> StoredPlan | None:
    depot_and_county(session, actor, depot_code)
    record = _current_record(session, depot_code, day)
    return None if record is None else _stored(record)


def _no_plan(depot_code: str, day: dt.date) -> NotFoundError:
    msg = f"no plan of depot {depot_code!r} for {day.isoformat()} is stored: plan the day first"
    return NotFoundError("plan", f"{depot_code} {day.isoformat()}", message=msg)


@requires(Action.READ_ROUTES)
def current_plan(session: Session, actor: Actor, *, depot_code: str, day: dt.date) -> StoredPlan:
    """The stored plan in force for a depot and date (当前配送计划).

    Raises
    ------
    NotFoundError
        The depot is unknown or of a county outside the actor's, or no plan of the day is
        stored.
    """
    stored = _stored_current(session, actor, depot_code, day)
    if stored is None:
        raise _no_plan(depot_code, day)
    return stored


@requires(Action.READ_ROUTES)
def plan_versions(
    session: Session, actor: Actor, *, depot_code: str, day: dt.date | None = None
) -> PlanVersions:
    """The stored versions of a depot's plans, by date then version (oldest first).

    Parameters
    ----------
    session, actor
        As for :func:`~gridmgmt.services.routes.planning.plan_depot_day`.
    depot_code
        The depot.
    day
        Only this delivery date (default: every date).

    Raises
    ------
    NotFoundError
        The depot is unknown or of a county outside the actor's.
    """
    depot_and_county(session, actor, depot_code)
    stmt = select(RoutePlanRecord).where(RoutePlanRecord.depot_code == depot_code)
    if day is not None:
        stmt = stmt.where(RoutePlanRecord.delivery_date == day)
    stmt = stmt.order_by(RoutePlanRecord.delivery_date, RoutePlanRecord.version)
    return PlanVersions(depot_code, day, [_version(r) for r in session.scalars(stmt)])


def _replan_start(
    session: Session, actor: Actor, request: ReplanRequest
) -> tuple[ReplanRequest, OrderChanges, int | None]:
    """The request with its start filled in, the order changes carried from it, and the
    base version (the request's, else the version in force now; None if none is stored).

    With no plan in the request the stored plan in force is the start: its order changes
    still apply, and unless the request gives them, its closures and closure mode.

    Raises
    ------
    ConflictError
        The request's ``base_version`` is no longer the version in force.
    """
    depot_code, day = request.depot_code, request.day
    if request.plan is not None:
        current = _current_record(session, depot_code, day, with_plan=False)
        read = current.version if current is not None else None
        base = request.base_version if request.base_version is not None else read
        return request, OrderChanges(), base
    stored = _stored_current(session, actor, depot_code, day)
    if stored is None:
        raise _no_plan(depot_code, day)
    base = stored.version.version
    if request.base_version is not None and request.base_version != base:
        raise _conflict(session, depot_code, day, base=request.base_version)
    closures = stored.closures if request.closures is None else request.closures
    mode = request.closure_mode or ClosurePolicy(stored.version.closure_mode)
    changes = {"plan": stored.plan, "closures": closures, "closure_mode": mode}
    return request.model_copy(update=changes), stored.order_changes, base


@requires(Action.PLAN_ROUTES)
def replan_and_store_day(
    session: Session, actor: Actor, request: ReplanRequest, *, roads: Path
) -> StoredReplan:
    """Replan a depot's day (:func:`~gridmgmt.services.routes.planning.replan_depot_day`)
    and store the new current version.

    With no ``plan`` in the request the stored plan in force is the start: its earlier
    order changes still apply, and by default its closures and closure mode. An explicit
    ``plan`` starts with no earlier changes (and no closures, ``skip``, by default).

    Returns
    -------
    StoredReplan
        The new plan, its stored version and this replan's changes.

    Raises
    ------
    NotFoundError
        The depot is unknown, or no ``plan`` is given and no plan of the day is stored.
    InvalidInputError
        The changes do not fit the day's orders.
    ConflictError
        The version the replan was computed from (``base_version``, default: the one in
        force when it started) is no longer in force: another replan was stored meanwhile.
    """
    day = request.day
    _, county = depot_and_county(session, actor, request.depot_code)
    start, carried, base_version = _replan_start(session, actor, request)
    ordered = set(county_orders(session, actor, county, day, day)["licence_no"].astype(str))
    merged = carried.then(
        ordered, day=day, add=request.add, cancel=request.cancel, change=request.change
    )
    effective = start.model_copy(
        update={"add": dict(merged.add), "cancel": merged.cancel, "change": dict(merged.change)}
    )
    result = _this_replans_changes(
        replan_depot_day(session, actor, effective, roads=roads), request
    )
    summary = replan_summary(result, changed=[order_id(k, day) for k in request.change])
    version = store_day_plan(
        session,
        actor,
        plan=result.plan,
        request=effective,
        kind=RoutePlanKind.REPLAN,
        order_changes=merged,
        detail={"changes": {k: summary[k] for k in ("added", "cancelled", "changed", "moved")}},
        base_version=base_version,
    )
    return StoredReplan(result, version, summary)


def _this_replans_changes(result: ReplanResult, request: ReplanRequest) -> ReplanResult:
    """The result reporting this request's changes only, not the earlier ones carried."""
    served = result.plan.route_of()
    cancelled = tuple(order_id(k, request.day) for k in request.cancel)
    return replace(
        result,
        added=tuple(i for i in (order_id(k, request.day) for k in request.add) if i in served),
        cancelled=cancelled,
        moved=tuple(i for i in result.moved if i not in set(cancelled)),
    )


@requires(Action.READ_ROUTES)
def manifest_plan(
    session: Session,
    actor: Actor,
    request: PlanRequest,
    *,
    roads: Path,
    fresh: bool = False,
) -> StoredPlan:
    """The plan a driver manifest (配送单) is written from: the stored current plan.

    When none is stored, or ``fresh`` is asked for, the day is planned and stored first
    (:func:`plan_and_store_day`, which needs the role to plan routes).

    Returns
    -------
    StoredPlan
        The plan in force.
    """
    if not fresh:
        stored = _stored_current(session, actor, request.depot_code, request.day)
        if stored is not None:
            return stored
    return plan_and_store_day(session, actor, request, roads=roads)
