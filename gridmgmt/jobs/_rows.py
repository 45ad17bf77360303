"""Writes and reads of job rows, each a short transaction of its own.

State changes are compare-and-set updates (``UPDATE ... WHERE state = ...``), so a cancel
and a worker starting or finishing the same job at the same moment cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gridmgmt.jobs.views import JobView, view_of
from gridmgmt.store import db
from gridmgmt.store.models.jobs import JobCounty, JobRecord, JobState

log = logging.getLogger("gridmgmt.jobs")

_OPEN = (JobState.QUEUED, JobState.RUNNING)
_MESSAGE_LENGTH = 500
_ERROR_LENGTH = 2000
_PROGRESS_BUSY_MS = 250
"""How long a progress write waits for SQLite's write lock before it is skipped."""
_BUSY_MS = 10000
"""SQLite's usual wait (``gridmgmt.store.db``), restored on the pooled connection."""


def now() -> dt.datetime:
    """The current UTC time, naive, as stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def create(
    url: str,
    *,
    job_id: str,
    kind: str,
    requested_by: str,
    params: dict[str, Any],
    counties: Sequence[str],
) -> JobView:
    """Store a new queued job."""
    with db.transaction(url) as session:
        row = JobRecord(
            id=job_id,
            kind=kind,
            requested_by=requested_by,
            params=params,
            state=JobState.QUEUED,
            progress=0.0,
            message="",
            attempts=0,
            cancel_requested=False,
            created_at=now(),
            counties=[JobCounty(county_code=code) for code in counties],
        )
        session.add(row)
        session.flush()
        return view_of(row)


def load(url: str, job_id: str) -> JobView | None:
    """The job ``job_id``, or ``None``."""
    with db.transaction(url) as session:
        row = session.get(JobRecord, job_id)
        return None if row is None else view_of(row)


def newest(url: str, *, requested_by: str | None, limit: int) -> list[JobView]:
    """The newest jobs a user requested (``None``: anyone)."""
    query = select(JobRecord).order_by(JobRecord.created_at.desc(), JobRecord.id).limit(limit)
    if requested_by is not None:
        query = query.where(JobRecord.requested_by == requested_by)
    with db.transaction(url) as session:
        return [view_of(row) for row in session.scalars(query)]


def _set(session: Session | Connection, job_id: str, when: Any, **values: Any) -> bool:
    statement = update(JobRecord).where(JobRecord.id == job_id, when).values(**values)
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined, no-any-return]


def start(url: str, job_id: str, *, max_attempts: int) -> int | None:
    """Mark the job running for one more attempt; its number, or None if it must not run.

    A job that ended already (finished by an earlier attempt whose worker was lost before
    reporting, or cancelled while queued) is not run again; a job past ``max_attempts`` is
    recorded as failed.
    """
    with db.transaction(url) as session:
        row = session.get(JobRecord, job_id)
        if row is None or row.state.finished:
            return None
        attempt = row.attempts + 1
        seen = (JobRecord.state.in_(_OPEN)) & (JobRecord.attempts == row.attempts)
        if attempt > max_attempts:
            message = f"gave up after {row.attempts} attempts: the workers running it were lost"
            _set(session, job_id, seen, **_ended(JobState.FAILED, "unavailable", message))
            return None
        if not _set(
            session,
            job_id,
            seen,
            state=JobState.RUNNING,
            attempts=attempt,
            started_at=row.started_at or now(),
        ):
            return None
        return attempt


def _ended(state: JobState, error_kind: str | None, message: str | None) -> dict[str, Any]:
    return {
        "state": state,
        "finished_at": now(),
        "error_kind": error_kind,
        "error_message": None if message is None else message[:_ERROR_LENGTH],
    }


def succeed(session: Session, job_id: str, attempt: int, result: dict[str, Any]) -> bool:
    """In the action's own transaction: store the result; False if cancel came first."""
    current = (
        (JobRecord.state == JobState.RUNNING)
        & (JobRecord.attempts == attempt)
        & JobRecord.cancel_requested.is_(False)
    )
    values = _ended(JobState.SUCCEEDED, None, None)
    return _set(session, job_id, current, progress=1.0, result=result, **values)


def end(url: str, job_id: str, attempt: int, state: JobState, kind: str, message: str) -> None:
    """Record that this attempt of the job failed or was cancelled."""
    current = (JobRecord.state == JobState.RUNNING) & (JobRecord.attempts == attempt)
    with db.transaction(url) as session:
        _set(session, job_id, current, **_ended(state, kind, message))


def fail_if_open(url: str, job_id: str, message: str) -> None:
    """Record a job the scheduler gave up on as failed, unless it ended already."""
    with db.transaction(url) as session:
        ended = _ended(JobState.FAILED, "unavailable", message)
        _set(session, job_id, JobRecord.state.in_(_OPEN), **ended)


def request_cancel(url: str, job_id: str) -> bool:
    """Cancel a queued job at once, or ask a running one to stop; False if it has ended."""
    message = "cancelled before it started"
    with db.transaction(url) as session:
        if _set(
            session,
            job_id,
            JobRecord.state == JobState.QUEUED,
            cancel_requested=True,
            message=message,
            **_ended(JobState.CANCELLED, "cancelled", message),
        ):
            return True
        return _set(session, job_id, JobRecord.state == JobState.RUNNING, cancel_requested=True)


def cancel_requested(url: str, job_id: str) -> bool:
    """Whether someone asked the job to stop."""
    with db.get_engine(url).connect() as connection:
        query = select(JobRecord.cancel_requested).where(JobRecord.id == job_id)
        return bool(connection.execute(query).scalar())


@contextmanager
def _quick(url: str) -> Iterator[Connection]:
    """A connection whose writes give up soon on a busy SQLite file (not blocking the job)."""
    engine = db.get_engine(url)
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={_PROGRESS_BUSY_MS}")
            connection.commit()
        try:
            yield connection
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql(f"PRAGMA busy_timeout={_BUSY_MS}")
                connection.commit()


def record_progress(url: str, job_id: str, attempt: int, fraction: float, message: str) -> bool:
    """Store a running job's progress; False if skipped (SQLite's write lock was busy).

    On SQLite the action itself holds the write lock from its first write until it ends;
    progress reported then is skipped rather than waited for.
    """
    current = (JobRecord.state == JobState.RUNNING) & (JobRecord.attempts == attempt)
    values = {"progress": fraction, "message": message[:_MESSAGE_LENGTH]}
    try:
        with _quick(url) as connection, connection.begin():
            _set(connection, job_id, current, **values)
    except OperationalError as error:
        log.debug("progress of job %s skipped: %s", job_id, error)
        return False
    return True
