"""Stored delivery plans (配送计划) on SQLite and PostgreSQL: versions, replans, manifests.

The world: county A with depot DA and county B with depot DB (routes_world), orders on
:data:`DAY` for most of each depot's first eight retailers and on the next day for the rest.
"""

from __future__ import annotations

import datetime as dt
import threading
from inspect import signature as inspect_signature
from pathlib import Path
from typing import Any

import pytest
import shapely
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, action_of
from gridmgmt.routing.closures import Closure
from gridmgmt.routing.manifest import day_totals
from gridmgmt.routing.model import DayPlan, UnservedReason
from gridmgmt.services import routes as svc
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Base
from gridmgmt.store.models.routes import RoutePlanRecord
from tests.gridmgmt.services.grids_world import BOX_A, BOX_B, LAT, LON, A, B, seed_world
from tests.gridmgmt.services.routes_world import DAY, seed_delivery, write_grid_osm

FAST: dict[str, Any] = {"time_limit": None, "max_iterations": 300, "seed": 1}
ALICE = Actor("alice", UserRole.DISPATCHER, frozenset({A}))
BOB = Actor("bob", UserRole.DISPATCHER, frozenset({B}))

World = tuple[str, Path, list[str]]


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> World:
    seed_world(store_url)
    ordered = seed_delivery(store_url, A, "DA", LON + 0.01, LAT + 0.01)
    seed_delivery(store_url, B, "DB", LON + 0.13, LAT + 0.01)
    bounds = (BOX_A.bounds[0], BOX_A.bounds[1], BOX_B.bounds[2], BOX_B.bounds[3])
    return store_url, write_grid_osm(tmp_path / "roads.osm", bounds, n=13), ordered


def _today(ordered: list[str]) -> list[str]:
    """The licences ordering on DAY (the others order the day after)."""
    return [lic for k, lic in enumerate(ordered) if k % 4]


def _day(depot: str = "DA", day: dt.date = DAY, **options: Any) -> svc.PlanRequest:
    return svc.PlanRequest.of(depot_code=depot, date=day, **{**FAST, **options})


def _replan_request(depot: str = "DA", **changes: Any) -> svc.ReplanRequest:
    return svc.ReplanRequest.of(depot_code=depot, date=DAY, **{**FAST, **changes})


def _week(depot: str = "DA") -> svc.WeekRequest:
    return svc.WeekRequest.of(depot_code=depot, week_of=DAY, **FAST)


def _plan(url: str, roads: Path, actor: Actor = ALICE, **options: Any) -> svc.StoredPlan:
    with db.transaction(url) as session:
        return svc.plan_and_store_day(session, actor, _day(**options), roads=roads)


def _replan(url: str, roads: Path, **changes: Any) -> svc.StoredReplan:
    with db.transaction(url) as session:
        return svc.replan_and_store_day(session, ALICE, _replan_request(**changes), roads=roads)


def _versions(url: str, day: dt.date | None = DAY) -> list[svc.PlanVersion]:
    with db.transaction(url) as session:
        return svc.plan_versions(session, ALICE, depot_code="DA", day=day).versions


def _current(url: str) -> svc.StoredPlan:
    with db.transaction(url) as session:
        return svc.current_plan(session, ALICE, depot_code="DA", day=DAY)


def _served(plan: DayPlan) -> set[str]:
    return {oid.split("@")[0] for oid in plan.served_order_ids}


def test_planning_stores_a_new_current_version_and_keeps_the_old(world: World) -> None:
    url, roads, ordered = world
    first = _plan(url, roads)
    second = _plan(url, roads, seed=2)
    with db.transaction(url) as session:
        other_day = svc.plan_and_store_day(
            session, SYSTEM, _day(day=DAY + dt.timedelta(days=1)), roads=roads
        )
    assert (first.version.version, second.version.version) == (1, 2)
    assert other_day.version.version == 1
    versions = _versions(url)
    assert [(v.version, v.current, v.kind) for v in versions] == [
        (1, False, "plan"),
        (2, True, "plan"),
    ]
    assert [v.day for v in _versions(url, None)] == [DAY, DAY, DAY + dt.timedelta(days=1)]
    v2 = versions[1]
    assert (v2.created_by, v2.county_code, v2.seed, v2.max_iterations) == ("alice", A, 2, 300)
    assert v2.time_limit_s is None
    assert v2.closure_mode == "skip"
    totals = day_totals(second.plan)
    assert (v2.km, v2.vehicles, v2.hours) == (totals["km"], totals["vehicles"], totals["hours"])
    assert v2.orders_served == len(_today(ordered))
    assert v2.orders_unserved == 0
    current = _current(url)
    assert current.plan == second.plan
    assert current.version == v2
    with db.transaction(url) as session:
        lines = session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "route_plan").order_by(AuditEntry.id)
        ).all()
        assert [(e.action, e.username, e.county_code) for e in lines] == [
            ("routes.plan", "alice", A),
            ("routes.plan", "alice", A),
            ("routes.plan", "cli", A),
        ]
        assert lines[1].detail["version"] == 2
        assert lines[1].detail["replaces"] == 1
        # the first version's routes are still stored
        old = session.get(RoutePlanRecord, versions[0].plan_id)
        assert old is not None
        assert svc.plan_from_json(old.plan) == first.plan


def test_manifest_is_written_from_the_stored_plan(world: World, tmp_path: Path) -> None:
    url, roads, ordered = world
    today = _today(ordered)
    with db.transaction(url) as session:
        made = svc.manifest_plan(session, ALICE, _day(), roads=roads)
    assert made.version.version == 1  # nothing stored: planned and stored first
    _replan(url, roads, cancel=[today[0]])  # version 2 drops a stored order
    with db.transaction(url) as session:
        stored = svc.manifest_plan(session, ALICE, _day(), roads=roads)
    assert stored.version.version == 2
    assert stored.plan == _current(url).plan
    assert today[0] not in _served(stored.plan)
    path = svc.write_manifest(stored.plan, tmp_path / "m.csv", fmt="csv")
    expected = svc.write_manifest(_current(url).plan, tmp_path / "expected.csv", fmt="csv")
    assert path.read_bytes() == expected.read_bytes()
    assert today[0] not in path.read_text("utf-8-sig")
    with db.transaction(url) as session:
        fresh = svc.manifest_plan(session, ALICE, _day(), roads=roads, fresh=True)
    assert fresh.version.version == 3
    assert _served(fresh.plan) == set(today)
    assert [v.version for v in _versions(url)] == [1, 2, 3]


def test_replan_starts_from_the_stored_plan_and_keeps_earlier_changes(world: World) -> None:
    url, roads, ordered = world
    today, newcomer = _today(ordered), ordered[0]
    _plan(url, roads)
    added = _replan(url, roads, add={newcomer: 15}, change={today[1]: 40})
    assert added.version.version == 2
    assert added.version.kind == "replan"
    assert added.changes["added"] == [svc.order_id(newcomer, DAY)]
    assert _served(added.result.plan) == {*today, newcomer}
    cancelled = _replan(url, roads, cancel=[today[0]])
    assert cancelled.version.version == 3
    assert _served(cancelled.result.plan) == {*today[1:], newcomer}  # the addition stays
    assert cancelled.changes["added"] == []
    assert cancelled.changes["cancelled"] == [svc.order_id(today[0], DAY)]
    stops = {s.retailer_id: s.cartons for r in cancelled.result.plan.routes for s in r.stops}
    assert stops[today[1]] == 40  # so does the change
    assert stops[newcomer] == 15
    stored = _current(url)
    assert stored.plan == cancelled.result.plan
    assert stored.order_changes == svc.OrderChanges(
        add={newcomer: 15}, cancel=(today[0],), change={today[1]: 40}
    )
    back = _replan(url, roads, cancel=[newcomer], add={today[0]: 5})
    assert _served(back.result.plan) == set(today)
    assert back.changes["cancelled"] == [svc.order_id(newcomer, DAY)]
    assert svc.order_id(newcomer, DAY) not in back.changes["moved"]
    assert _current(url).order_changes == svc.OrderChanges(change={today[0]: 5, today[1]: 40})
    with db.transaction(url) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.kind == "route_plan")
        ).all()
    assert actions.count("routes.replan") == 3


def test_replan_needs_a_stored_or_given_plan(world: World) -> None:
    url, roads, ordered = world
    today = _today(ordered)
    with pytest.raises(NotFoundError, match="plan the day first"):
        _replan(url, roads, cancel=[today[0]])
    assert _versions(url) == []
    with db.transaction(url) as session:
        given = svc.plan_depot_day(session, ALICE, _day(), roads=roads)
    result = _replan(url, roads, plan=given, cancel=[today[0]])
    assert result.version.version == 1
    assert result.version.kind == "replan"
    assert _served(_current(url).plan) == set(today[1:])


def test_failed_replan_leaves_the_stored_plan_unchanged(world: World) -> None:
    url, roads, ordered = world
    today = _today(ordered)
    stored = _plan(url, roads)
    for bad in ({"add": {today[0]: 5}}, {"cancel": [ordered[0]]}, {"add": {"999": 5}}):
        with pytest.raises(InvalidInputError, match=r"already order|no order|not retailers"):
            _replan(url, roads, **bad)
    with pytest.raises(InvalidInputError, match="not 2026-11-17"):
        svc.ReplanRequest.of(
            depot_code="DA", date=DAY + dt.timedelta(days=1), plan=stored.plan, **FAST
        )
    assert [(v.version, v.current) for v in _versions(url)] == [(1, True)]
    assert _current(url).plan == stored.plan
    with db.transaction(url) as session:
        lines = session.scalars(select(AuditEntry).where(AuditEntry.kind == "route_plan")).all()
    assert len(lines) == 1


def test_plans_of_another_county_are_not_found(world: World) -> None:
    url, roads, _ = world
    _plan(url, roads)
    with db.transaction(url) as session:
        svc.plan_and_store_day(session, BOB, _day("DB"), roads=roads)
    calls = {
        "plan": lambda s: svc.plan_and_store_day(s, BOB, _day(), roads=roads),
        "current": lambda s: svc.current_plan(s, BOB, depot_code="DA", day=DAY),
        "versions": lambda s: svc.plan_versions(s, BOB, depot_code="DA"),
        "replan": lambda s: svc.replan_and_store_day(s, BOB, _replan_request(), roads=roads),
        "manifest": lambda s: svc.manifest_plan(s, BOB, _day(), roads=roads),
        "week": lambda s: svc.plan_and_store_week(s, BOB, _week(), roads=roads),
    }
    for name, call in calls.items():
        with db.transaction(url) as session, pytest.raises(NotFoundError, match="DA"):
            call(session)
        assert [v.version for v in _versions(url)] == [1], name
    assert all(v.depot_code == "DA" for v in _versions(url, None))
    with db.transaction(url) as session:
        theirs = svc.plan_versions(session, BOB, depot_code="DB").versions
    assert [(v.depot_code, v.county_code, v.created_by) for v in theirs] == [("DB", B, "bob")]


def test_week_stores_each_day_and_replan_starts_from_it(world: World) -> None:
    url, roads, ordered = world
    with db.transaction(url) as session:
        stored = svc.plan_and_store_week(session, ALICE, _week(), roads=roads)
    assert set(stored.versions) == set(stored.week.days)
    assert {v.kind for v in stored.versions.values()} == {"week"}
    for day, plan in stored.week.days.items():
        with db.transaction(url) as session:
            current = svc.current_plan(session, ALICE, depot_code="DA", day=day)
        assert current.plan == plan
        assert current.version == stored.versions[day]
    monday = stored.week.days[DAY]
    week_changes = _current(url).order_changes
    moved_in = {lic for lic, d in stored.week.assignment.weekday.items() if d == 0}
    assert _served(monday) == moved_in
    assert set(week_changes.add) == moved_in - set(_today(ordered))
    assert set(week_changes.cancel) == set(_today(ordered)) - moved_in
    again = _replan(url, roads)  # no changes: the week's retailers stay on Monday
    assert _served(again.result.plan) == moved_in
    assert again.changes["added"] == again.changes["cancelled"] == []
    assert _current(url).order_changes == week_changes


def test_replan_reuses_the_stored_plans_closures(world: World) -> None:
    url, roads, _ = world
    first = _plan(url, roads)
    depot = (LON + 0.01, LAT + 0.01)
    stops = [s for r in first.plan.routes for s in r.stops]
    far = max(stops, key=lambda s: (s.lon - depot[0]) ** 2 + (s.lat - depot[1]) ** 2)
    box = shapely.box(far.lon - 0.012, far.lat - 0.006, far.lon + 0.012, far.lat + 0.006)
    closure = Closure("C1", box, DAY, DAY + dt.timedelta(days=1), "道路施工")
    later = Closure("C2", box, DAY + dt.timedelta(days=5), DAY + dt.timedelta(days=6))
    closed = _plan(url, roads, closures=[closure, later])
    assert closed.version.n_closures == 1  # only the closure active on the day is kept
    inside = {u.order_id for u in closed.plan.unserved}
    assert far.order_id in inside
    assert {u.reason for u in closed.plan.unserved} == {UnservedReason.INSIDE_CLOSURE}
    stored = _current(url)
    assert [(c.closure_id, c.reason) for c in stored.closures] == [("C1", "道路施工")]
    assert stored.closures[0].geometry.equals_exact(box, 1e-12)
    other = closed.plan.routes[0].stops[0].retailer_id
    replanned = _replan(url, roads, cancel=[other])
    assert {u.order_id for u in replanned.result.plan.unserved} == inside
    handed = _replan(url, roads, closure_mode="handoff")
    assert inside <= set(handed.result.plan.served_order_ids)
    assert not handed.result.plan.unserved
    assert _current(url).version.closure_mode == "handoff"


def test_order_changes_combine() -> None:
    base = svc.OrderChanges(add={"N1": 10}, cancel=("S1",), change={"S2": 30})
    ordered = {"S1", "S2", "S3"}
    combined = base.then(ordered, day=DAY, add={"S1": 7, "N2": 4}, cancel=["N1", "S3"])
    assert combined == svc.OrderChanges(add={"N2": 4}, cancel=("S3",), change={"S1": 7, "S2": 30})
    # orders re-imported since: the addition became a stored order, a cancelled one went
    assert base.then({"N1", "S2"}, day=DAY) == svc.OrderChanges(change={"N1": 10, "S2": 30})
    with pytest.raises(InvalidInputError, match="already order"):
        base.then(ordered, day=DAY, add={"S2": 1})
    with pytest.raises(InvalidInputError, match="no order"):
        base.then(ordered, day=DAY, change={"S1": 1})
    with pytest.raises(InvalidInputError, match="both"):
        base.then(ordered, day=DAY, cancel=["S2"], change={"S2": 1})
    assert svc.OrderChanges.from_json(combined.to_json()) == combined
    assert svc.OrderChanges.between({"A": 1, "B": 2}, {"B": 3, "C": 4}) == svc.OrderChanges(
        add={"C": 4}, cancel=("A",), change={"B": 3}
    )
    assert not svc.OrderChanges()


def test_migration_creates_the_route_plans_table_from_an_empty_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = db.get_engine(url)
    assert db.current_revision(engine) is None
    try:
        db.upgrade(url)
        assert db.current_revision(engine) == db.head_revision()
        assert "0005_routes" in (db.head_revision() or "")
        assert "route_plans" in inspect(engine).get_table_names()
        command.downgrade(db.alembic_config(url), "routes@0001")
        assert "route_plans" not in inspect(engine).get_table_names()
        columns = {c["name"] for c in inspect(engine).get_columns("retailers")}
        assert "delivery_weekday" not in columns
        assert "0005_routes" not in (db.current_revision(engine) or "")
        db.upgrade(url)
        assert "route_plans" in inspect(engine).get_table_names()
    finally:
        db.dispose_engine(url)


def test_migration_matches_the_model(store_url: str) -> None:
    with db.get_engine(store_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert [d for d in diff if "route_plans" in repr(d) or "delivery_weekday" in repr(d)] == []
    indexes = {ix["name"] for ix in inspect(db.get_engine(store_url)).get_indexes("route_plans")}
    assert "uq_route_plans_current" in indexes


@pytest.mark.postgres
def test_two_plans_stored_at_once_conflict_and_the_second_stores_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    seed_world(postgres_url)
    seed_delivery(postgres_url, A, "DA", LON + 0.01, LAT + 0.01)
    empty = DayPlan(day=DAY, routes=(), unserved=())
    request = _day()
    first_stored, second_done = threading.Event(), threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def second() -> None:
        first_stored.wait(30)
        try:
            with db.transaction(postgres_url) as session:
                svc.store_day_plan(session, ALICE, plan=empty, request=request)
            outcome["error"] = None
        except BaseException as error:
            outcome["error"] = error
        finally:
            second_done.set()

    worker = threading.Thread(target=second)
    worker.start()
    with db.transaction(postgres_url) as session:
        svc.store_day_plan(session, ALICE, plan=empty, request=request)
        first_stored.set()
        # The second writer waits on this transaction's version row until it commits.
        assert not second_done.wait(1.0)
    worker.join(30)
    assert isinstance(outcome["error"], ConflictError)
    assert outcome["error"].current["version"] == 1  # the version stored first
    versions = _versions(postgres_url)
    assert [(v.version, v.current) for v in versions] == [(1, True)]


@pytest.mark.parametrize("role", [UserRole.OFFICER, UserRole.LIAISON])
def test_only_dispatchers_and_admins_plan_and_nothing_is_stored(
    world: World, role: UserRole
) -> None:
    url, roads, _ = world
    _plan(url, roads)  # alice is a dispatcher
    clerk = Actor("clerk", role, frozenset({A}))
    empty = DayPlan(day=DAY, routes=(), unserved=())
    calls = {
        "plan": lambda s: svc.plan_and_store_day(s, clerk, _day(), roads=roads),
        "replan": lambda s: svc.replan_and_store_day(s, clerk, _replan_request(), roads=roads),
        "week": lambda s: svc.plan_and_store_week(s, clerk, _week(), roads=roads),
        "fresh manifest": lambda s: svc.manifest_plan(s, clerk, _day(), roads=roads, fresh=True),
        "store": lambda s: svc.store_day_plan(s, clerk, plan=empty, request=_day()),
    }
    for name, call in calls.items():
        with (
            db.transaction(url) as session,
            pytest.raises(AccessDeniedError, match=r"routes\.plan"),
        ):
            call(session)
        assert [v.version for v in _versions(url)] == [1], name
    with db.transaction(url) as session:  # reads are every role's
        assert svc.manifest_plan(session, clerk, _day(), roads=roads).version.version == 1
        assert svc.current_plan(session, clerk, depot_code="DA", day=DAY).version.version == 1
        assert svc.plan_week(session, clerk, _week(), roads=roads).days


def test_every_routes_service_with_an_actor_declares_its_action() -> None:
    plans = {"plan_and_store_day", "plan_and_store_week", "replan_and_store_day", "store_day_plan"}
    for name in svc.__all__:
        function = getattr(svc, name)
        if not callable(function) or isinstance(function, type):
            continue
        if "actor" not in inspect_signature(function).parameters:
            continue
        expected = Action.PLAN_ROUTES if name in plans else Action.READ_ROUTES
        assert action_of(function) == expected, name


def test_concurrent_replans_never_drop_a_confirmed_cancellation(world: World) -> None:
    """Four dispatchers replan the day at once, each cancelling a different order: every
    replan that was confirmed has its cancellation in the final plan; the others conflict."""
    url, roads, ordered = world
    today = _today(ordered)
    _plan(url, roads)
    barrier = threading.Barrier(4)
    outcomes: dict[str, svc.StoredReplan | ConflictError] = {}

    def cancel(licence: str) -> None:
        barrier.wait()
        try:
            outcomes[licence] = _replan(url, roads, cancel=[licence])
        except ConflictError as error:
            outcomes[licence] = error

    workers = [threading.Thread(target=cancel, args=(lic,)) for lic in today[:4]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    confirmed = [lic for lic, out in outcomes.items() if not isinstance(out, ConflictError)]
    assert len(outcomes) == 4
    assert confirmed  # someone wins
    served = _served(_current(url).plan)
    assert not served & set(confirmed), (confirmed, served)
    for out in outcomes.values():
        if isinstance(out, ConflictError):
            assert out.current is not None
            assert out.current["version"] >= 2


def test_a_replan_from_an_old_base_version_conflicts(world: World) -> None:
    url, roads, ordered = world
    today = _today(ordered)
    _plan(url, roads)
    _replan(url, roads, cancel=[today[0]])
    with pytest.raises(ConflictError) as raised:
        _replan(url, roads, cancel=[today[1]], base_version=1)
    assert raised.value.current["version"] == 2
    assert _replan(url, roads, cancel=[today[1]], base_version=2).version.version == 3
