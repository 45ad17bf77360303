"""Batch runs on Dask (批量计算): every part over two counties, retries, domain failures, policy.

The world: counties A (about 160 retailers, depot DA) and B (about 40, depot DB) of the grids
world, orders on DAY and the next day, a street grid of roads, and the case world's cases of
the same two counties (X-001, X-002 and T-001 link into one network). Tasks run on an
in-process Dask cluster of threads, so a test can patch what a task calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client
from sqlalchemy import func, select

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.services import batch
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.batch import BatchOptions, BatchPart, BatchTask
from gridmgmt.services.cases.networks import network_parts
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry
from gridmgmt.store.models.cases import CaseMentionRecord
from gridmgmt.store.models.grids import GridRecord
from gridmgmt.store.models.routes import RoutePlanRecord

from .cases_world import TIANZHEN, XINGHE, case_records, import_case_file, write_case_file
from .grids_world import BOX_A, BOX_B, LAT, LON, A, B, seed_world
from .routes_world import DAY, seed_delivery, write_grid_osm

assert (A, B) == (XINGHE, TIANZHEN)  # the two worlds share their counties

FAST: dict[str, Any] = {"time_limit": 5.0, "max_iterations": 200, "retailers_per_grid": 40}


def seed_batch_world(url: str, folder: Path) -> Path:
    """Counties, retailers, depots, orders and cases; the roads file's path."""
    seed_world(url)
    seed_delivery(url, A, "DA", LON + 0.01, LAT + 0.01)
    seed_delivery(url, B, "DB", LON + 0.13, LAT + 0.01)
    records = [
        {k: v for k, v in record.items() if k not in {"lon", "lat"}}
        for record in case_records()
        if record["county_code"] in {A, B}
    ]
    import_case_file(url, write_case_file(folder / "cases.json", records))
    bounds = (BOX_A.bounds[0], BOX_A.bounds[1], BOX_B.bounds[2], BOX_B.bounds[3])
    return write_grid_osm(folder / "roads.osm", bounds, n=13)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    ) as dask_client:
        yield dask_client


def _options(roads: Path, **changes: Any) -> BatchOptions:
    return BatchOptions(roads=roads, **{**FAST, **changes})


def _run(url: str, client: Client, options: BatchOptions) -> batch.BatchReport:
    with db.transaction(url) as session:
        tasks = batch.batch_tasks(session, SYSTEM, options)
    return batch.run_batch(url, SYSTEM, tasks, options, client)


def _count(url: str, model: Any, *where: Any) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _design_audits(url: str, county: str) -> int:
    return _count(
        url, AuditEntry, AuditEntry.action == "grids.design", AuditEntry.county_code == county
    )


def test_tasks_are_listed_by_part_with_the_first_order_day(sqlite_url: str, tmp_path: Path) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    with db.transaction(sqlite_url) as session:
        tasks = batch.batch_tasks(session, SYSTEM, _options(roads))
        only_a = batch.batch_tasks(session, SYSTEM, _options(roads, counties=(A,)))
        weeks = batch.batch_tasks(
            session, SYSTEM, _options(roads, parts=(BatchPart.WEEKS,), week_of=DAY)
        )
    assert [t.key for t in tasks] == [
        f"grids:{B}",
        f"grids:{A}",
        f"days:DA@{DAY}",
        f"days:DB@{DAY}",
        f"weeks:DA@{DAY}",
        f"weeks:DB@{DAY}",
        "cases",
    ]
    assert [t.key for t in only_a] == [f"grids:{A}", f"days:DA@{DAY}", f"weeks:DA@{DAY}", "cases"]
    assert [t.part for t in weeks] == [BatchPart.WEEKS, BatchPart.WEEKS]


def test_listing_refuses_unknown_counties_missing_roads_and_other_roles(
    sqlite_url: str, tmp_path: Path
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    with db.transaction(sqlite_url) as session:
        with pytest.raises(NotFoundError):
            batch.batch_tasks(session, SYSTEM, _options(roads, counties=("999999",)))
        with pytest.raises(InvalidInputError, match="road network"):
            batch.batch_tasks(session, SYSTEM, _options(tmp_path / "none.osm"))
        batch.batch_tasks(session, SYSTEM, _options(tmp_path / "none.osm", parts=("grids",)))
        for role in (UserRole.OFFICER, UserRole.DISPATCHER, UserRole.LIAISON):
            actor = Actor("someone", role, frozenset({A, B}))
            with pytest.raises(AccessDeniedError):
                batch.batch_tasks(session, actor, _options(roads))
            with pytest.raises(AccessDeniedError):
                batch.run_batch(sqlite_url, actor, [], _options(roads), None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        BatchOptions(time_limit=0)
    with pytest.raises(InvalidInputError, match="Dask workers need a shared file"):
        batch.require_shared_database("sqlite://")
    with pytest.raises(InvalidInputError, match="Dask workers need a shared file"):
        batch.require_shared_database("sqlite:///:memory:")
    batch.require_shared_database(sqlite_url)


def _assert_everything_stored(url: str, report: batch.BatchReport) -> None:
    assert report.failed == [], [o.message for o in report.failed]
    for county in (A, B):
        assert _count(url, GridRecord, GridRecord.county_code == county) >= 1
        assert _design_audits(url, county) == 1
    days = _count(url, RoutePlanRecord, RoutePlanRecord.kind == "plan")
    weeks = _count(url, RoutePlanRecord, RoutePlanRecord.kind == "week")
    assert days == 2
    assert weeks >= 2  # each depot's week stores a plan for each of its order days
    assert _count(url, CaseMentionRecord, CaseMentionRecord.entity_id.is_(None)) == 0
    with db.transaction(url) as session:
        parts = network_parts(session, SYSTEM)
    assert any(len(part.cases) == 3 for part in parts.values())
    totals = report.by_part()
    assert [part.value for part in totals] == ["grids", "days", "weeks", "cases"]
    assert [t.count for t in totals.values()] == [2, 2, 2, 1]
    assert all(t.failed == 0 and t.max_seconds > 0 for t in totals.values())
    assert all(o.attempts == 1 for o in report.outcomes)
    assert report.wall_seconds >= max(o.seconds for o in report.outcomes)


@pytest.mark.slow
def test_a_batch_runs_every_part_and_stores_grids_plans_and_networks(
    sqlite_url: str, tmp_path: Path, client: Client
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    seen: list[tuple[int, int, str]] = []
    options = _options(roads)
    with db.transaction(sqlite_url) as session:
        tasks = batch.batch_tasks(session, SYSTEM, options)
    report = batch.run_batch(
        sqlite_url,
        SYSTEM,
        tasks,
        options,
        client,
        progress=lambda done, total, outcome: seen.append((done, total, outcome.task.key)),
    )
    _assert_everything_stored(sqlite_url, report)
    assert [done for done, _, _ in seen] == list(range(1, 8))
    assert {key for _, _, key in seen} == {t.key for t in tasks}
    by_key = {o.task.key: o for o in report.outcomes}
    with db.transaction(sqlite_url) as session:
        assert by_key[f"grids:{A}"].figures["grids"] == batch.grid_count(session, A, 40) > 1
    assert by_key[f"days:DA@{DAY}"].figures["orders_served"] >= 1
    assert by_key["cases"].figures["networks"] >= 1
    week = by_key[f"weeks:DA@{DAY}"]
    assert week.figures["days"] >= 1
    json = report.to_json()
    assert json["failed"] == 0
    assert len(json["outcomes"]) == 7


@pytest.mark.slow
def test_a_task_failing_outside_the_domain_is_retried_and_its_attempt_left_nothing(
    sqlite_url: str, tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    real = batch.design_county_grids
    calls: list[str] = []

    def flaky(session: Any, actor: Actor, county: str, **options: Any) -> Any:
        design = real(session, actor, county, **options)  # writes grids and the audit line
        calls.append(county)
        if county == A and calls.count(A) == 1:
            raise ConnectionResetError("worker lost its connection after writing")
        return design

    monkeypatch.setattr(batch, "design_county_grids", flaky)
    report = _run(sqlite_url, client, _options(roads, parts=(BatchPart.GRIDS,)))
    assert report.failed == []
    by_key = {o.task.key: o for o in report.outcomes}
    assert by_key[f"grids:{A}"].attempts == 2
    assert by_key[f"grids:{B}"].attempts == 1
    assert calls.count(A) == 2
    assert _design_audits(sqlite_url, A) == 1  # the failed attempt's writes were rolled back


@pytest.mark.slow
def test_a_task_failing_every_attempt_is_reported_failed_after_three(
    sqlite_url: str, tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(batch, "build_networks", broken)
    report = _run(sqlite_url, client, _options(roads, parts=(BatchPart.CASES,)))
    [outcome] = report.outcomes
    assert not outcome.ok
    assert outcome.attempts == 3
    assert "RuntimeError: a bug" in outcome.message


def test_a_domain_error_fails_its_task_at_once_and_stores_nothing_of_it(
    sqlite_url: str, tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    _run(sqlite_url, client, _options(roads, parts=(BatchPart.GRIDS,), counties=(A,)))
    stored = _count(sqlite_url, GridRecord, GridRecord.county_code == A)
    real = batch.design_county_grids

    def refused(session: Any, actor: Actor, county: str, **options: Any) -> Any:
        real(session, actor, county, **options)
        raise InvalidInputError(f"county {county}: bad data found after writing")

    monkeypatch.setattr(batch, "design_county_grids", refused)
    report = _run(sqlite_url, client, _options(roads, parts=(BatchPart.GRIDS,)))
    by_key = {o.task.key: o for o in report.outcomes}
    conflict = by_key[f"grids:{A}"]  # A has grids and --replace was not given
    assert not conflict.ok
    assert conflict.attempts == 1
    assert conflict.message.startswith("conflict: county 150924 already has")
    invalid = by_key[f"grids:{B}"]
    assert not invalid.ok
    assert invalid.attempts == 1
    assert invalid.message == f"invalid_input: county {B}: bad data found after writing"
    assert _count(sqlite_url, GridRecord, GridRecord.county_code == A) == stored
    assert _count(sqlite_url, GridRecord, GridRecord.county_code == B) == 0
    assert _design_audits(sqlite_url, B) == 0


def test_a_week_waits_for_its_depots_day(
    sqlite_url: str, tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)
    order: list[str] = []
    real_day, real_week = batch._day, batch._week

    def day(session: Any, task: BatchTask, options: BatchOptions) -> Any:
        import time

        time.sleep(0.5)  # the week would start first if it did not wait
        order.append(task.key)
        return real_day(session, task, options)

    def week(session: Any, task: BatchTask, options: BatchOptions) -> Any:
        order.append(task.key)
        return real_week(session, task, options)

    monkeypatch.setitem(batch._RUNNERS, BatchPart.DAYS, day)
    monkeypatch.setitem(batch._RUNNERS, BatchPart.WEEKS, week)
    options = _options(roads, parts=(BatchPart.WEEKS, BatchPart.DAYS), counties=(A,))
    report = _run(sqlite_url, client, options)
    assert report.failed == []
    assert order == [f"days:DA@{DAY}", f"weeks:DA@{DAY}"]


def test_options_are_capped_by_the_settings(tmp_path: Path) -> None:
    from gridmgmt.config import Settings

    settings = Settings(max_solver_seconds=3.0, max_grids=7, roads_file=tmp_path / "r.osm")
    capped = BatchOptions(time_limit=60.0).capped(settings)
    assert (capped.time_limit, capped.max_grids, capped.roads) == (3.0, 7, tmp_path / "r.osm")
    assert BatchOptions(time_limit=1.0, roads=Path("x")).capped(settings).roads == Path("x")
    assert BatchOptions(day=dt.date(2026, 1, 5)).day == dt.date(2026, 1, 5)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_batch_runs_on_postgresql(postgres_url: str, tmp_path: Path, client: Client) -> None:
    roads = seed_batch_world(postgres_url, tmp_path)
    report = _run(postgres_url, client, _options(roads))
    _assert_everything_stored(postgres_url, report)


def test_a_week_whose_day_failed_every_attempt_says_so(
    sqlite_url: str, tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    roads = seed_batch_world(sqlite_url, tmp_path)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the day's bug")

    monkeypatch.setitem(batch._RUNNERS, BatchPart.DAYS, broken)
    options = _options(roads, parts=(BatchPart.DAYS, BatchPart.WEEKS), counties=(A,))
    day, week = _run(sqlite_url, client, options).outcomes
    assert (day.ok, day.attempts) == (False, 3)
    assert (week.ok, week.attempts) == (False, 0)
    assert week.message == f"not run: days:DA@{DAY}, which it waits for, failed"
    assert _count(sqlite_url, RoutePlanRecord) == 0
