"""Jobs run on the in-process Dask cluster against a real SQLite file: all or nothing."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import select, update

from gridmgmt.config import Settings
from gridmgmt.domain import UserRole
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.jobs import (
    MAX_ATTEMPTS,
    JobState,
    JobView,
    _rows,
    cancel_job,
    error_of,
    get_job,
    list_jobs,
    result_as,
    submit,
    wait,
)
from gridmgmt.jobs.runner import execute
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.store import db
from gridmgmt.store.models import Province
from gridmgmt.store.models.jobs import JobRecord

from .conftest import COUNTY, OTHER_COUNTY
from .sample_jobs import BUSY_RUNS, ENDED, GATES, WriteResult

DISPATCHER = Actor(username="dora", role=UserRole.DISPATCHER, counties=frozenset({COUNTY}))


def _provinces(settings: Settings) -> set[str]:
    with db.transaction(settings.database_url) as session:
        return set(session.scalars(select(Province.code)))


def _until(settings: Settings, job_id: str, check: object, timeout_s: float = 10) -> JobView:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = get_job(job_id, actor=SYSTEM, settings=settings)
        if check(view):  # type: ignore[operator]
            return view
        time.sleep(0.02)
    pytest.fail(f"job {job_id} never reached the expected state: {view}")


def test_a_job_that_succeeds_stores_its_result_and_writes(settings: Settings) -> None:
    before = _provinces(settings)
    params = {"county_code": COUNTY, "codes": ["910000", "920000"]}
    queued = submit("tests.write", params, actor=SYSTEM, settings=settings)
    assert queued.state is JobState.QUEUED
    assert queued.counties == [COUNTY]

    done = wait(queued.id, settings=settings, timeout_s=10)

    assert done.state is JobState.SUCCEEDED, done.error
    assert done.progress == 1.0
    assert result_as(done, WriteResult).codes == ["910000", "920000"]
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.attempts == 1
    assert _provinces(settings) - before == {"910000", "920000"}


def test_a_job_that_raises_stores_nothing_and_records_the_message(settings: Settings) -> None:
    before = _provinces(settings)
    params = {"county_code": COUNTY, "codes": ["910000"], "fail_with": "no orders on that day"}
    view = submit("tests.write", params, actor=SYSTEM, settings=settings)

    done = wait(view.id, settings=settings, timeout_s=10)

    assert done.state is JobState.FAILED
    assert done.error is not None
    assert (done.error.kind, done.error.message) == ("invalid_input", "no orders on that day")
    assert isinstance(error_of(done), InvalidInputError)
    assert done.result is None
    assert _provinces(settings) == before


def test_a_bug_in_a_job_is_recorded_without_its_internals(settings: Settings) -> None:
    params = {"county_code": COUNTY, "codes": ["910000"], "crash": True}
    view = submit("tests.write", params, actor=SYSTEM, settings=settings)

    done = wait(view.id, settings=settings, timeout_s=10)

    assert done.state is JobState.FAILED
    assert done.error is not None
    assert done.error.kind == "internal"
    assert view.id in done.error.message
    assert "a bug in the action" not in done.error.message
    assert "910000" not in _provinces(settings)


@pytest.mark.parametrize("write_first", [False, True], ids=["computing", "holding-write-lock"])
def test_cancel_during_a_running_job_ends_cancelled_with_nothing_stored(
    settings: Settings, write_first: bool
) -> None:
    before = _provinces(settings)
    params = {"county_code": COUNTY, "gate": uuid.uuid4().hex, "write_first": write_first}
    view = submit("tests.wait", params, actor=DISPATCHER, settings=settings)
    _until(settings, view.id, lambda v: v.state is JobState.RUNNING)

    asked = cancel_job(view.id, actor=DISPATCHER, settings=settings)
    done = wait(view.id, settings=settings, timeout_s=10)

    assert asked.cancel_requested or asked.state is JobState.CANCELLED
    assert done.state is JobState.CANCELLED
    assert done.error is not None
    assert done.error.kind == "cancelled"
    assert done.result is None
    assert _provinces(settings) == before
    with pytest.raises(ConflictError, match="ended already"):
        cancel_job(view.id, actor=DISPATCHER, settings=settings)


def test_progress_is_stored_while_the_job_runs(settings: Settings) -> None:
    gate = uuid.uuid4().hex
    view = submit(
        "tests.wait", {"county_code": COUNTY, "gate": gate}, actor=DISPATCHER, settings=settings
    )

    running = _until(settings, view.id, lambda v: v.progress == 0.5)
    assert (running.state, running.message) == (JobState.RUNNING, "halfway")
    GATES.setdefault(gate, threading.Event()).set()
    done = wait(view.id, settings=settings, timeout_s=10)

    assert done.state is JobState.SUCCEEDED
    assert "990000" in _provinces(settings)


def test_jobs_are_listed_newest_first_and_scoped_to_the_counties(settings: Settings) -> None:
    first = submit("tests.write", {"county_code": COUNTY}, actor=DISPATCHER, settings=settings)
    second = submit("tests.write", {"county_code": COUNTY}, actor=DISPATCHER, settings=settings)
    wait(second.id, settings=settings, timeout_s=10)
    other = Actor(username="dora", role=UserRole.DISPATCHER, counties=frozenset({OTHER_COUNTY}))

    ids = [view.id for view in list_jobs(actor=DISPATCHER, settings=settings)]

    assert ids[:2] == [second.id, first.id]
    assert list_jobs(actor=other, settings=settings) == []
    with pytest.raises(NotFoundError):
        get_job(first.id, actor=other, settings=settings)


def test_a_job_cancelled_while_queued_never_runs(settings: Settings) -> None:
    view = _rows.create(
        settings.database_url,
        job_id=str(uuid.uuid4()),
        kind="tests.write",
        requested_by=SYSTEM.username,
        params={"county_code": COUNTY, "codes": ["910000"]},
        counties=[COUNTY],
    )

    assert cancel_job(view.id, actor=SYSTEM, settings=settings).state is JobState.CANCELLED
    assert execute(view.id, view.kind, "", view.params, settings, SYSTEM) == "skipped"
    assert "910000" not in _provinces(settings)


def test_a_finished_job_is_not_run_again_after_a_lost_worker(settings: Settings) -> None:
    params = {"county_code": COUNTY, "codes": ["910000"]}
    done = wait(
        submit("tests.write", params, actor=SYSTEM, settings=settings).id,
        settings=settings,
        timeout_s=10,
    )

    assert execute(done.id, done.kind, "", done.params, settings, SYSTEM) == "skipped"
    assert get_job(done.id, actor=SYSTEM, settings=settings) == done


def test_a_job_whose_workers_keep_dying_is_failed_after_the_last_attempt(
    settings: Settings,
) -> None:
    params = {"county_code": COUNTY, "codes": ["910000"]}
    view = _rows.create(
        settings.database_url,
        job_id=str(uuid.uuid4()),
        kind="tests.write",
        requested_by=SYSTEM.username,
        params=params,
        counties=[COUNTY],
    )
    with db.transaction(settings.database_url) as session:
        session.execute(
            update(JobRecord)
            .where(JobRecord.id == view.id)
            .values(state=JobState.RUNNING, attempts=MAX_ATTEMPTS)
        )

    assert execute(view.id, view.kind, "", params, settings, SYSTEM) == "skipped"
    failed = get_job(view.id, actor=SYSTEM, settings=settings)
    assert failed.state is JobState.FAILED
    assert failed.error is not None
    assert "gave up" in failed.error.message
    assert "910000" not in _provinces(settings)


def test_a_cancel_from_another_process_is_seen_through_the_row(settings: Settings) -> None:
    params = {"county_code": COUNTY, "gate": uuid.uuid4().hex}
    view = submit("tests.wait", params, actor=DISPATCHER, settings=settings)
    _until(settings, view.id, lambda v: v.state is JobState.RUNNING)

    # What a cancel handled by another API worker or machine does: only the row changes.
    assert _rows.request_cancel(settings.database_url, view.id)
    done = wait(view.id, settings=settings, timeout_s=10)

    assert done.state is JobState.CANCELLED
    assert "990000" not in _provinces(settings)


@pytest.mark.parametrize(("busy_times", "state"), [(1, JobState.SUCCEEDED), (9, JobState.FAILED)])
def test_a_run_that_met_a_busy_database_is_run_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, busy_times: int, state: JobState
) -> None:
    monkeypatch.setattr("gridmgmt.jobs.runner.BUSY_PAUSES_S", (0.01, 0.01))
    before = _provinces(settings)
    key = uuid.uuid4().hex
    params = {"county_code": COUNTY, "codes": ["930000"], "busy_times": busy_times, "busy_key": key}
    view = submit("tests.write", params, actor=SYSTEM, settings=settings)

    done = wait(view.id, settings=settings, timeout_s=10)

    assert done.state is state, done.error
    # Clean-ups (e.g. removing an upload) run once the job has ended, after the last run
    # (a success is committed just before them).
    deadline = time.monotonic() + 5
    while not ENDED[key] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert set(ENDED[key]) == {BUSY_RUNS[key]}
    if state is JobState.SUCCEEDED:
        assert BUSY_RUNS[key] == 1
        assert _provinces(settings) - before == {"930000"}  # written once, by the second run
    else:
        assert BUSY_RUNS[key] == 3  # the first run and one after each pause
        assert done.error is not None
        assert done.error.kind == "unavailable"
        assert _provinces(settings) == before  # no run left a row
