"""What faces show of a job: :class:`JobView`, built from the stored row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from gridmgmt.errors import (
    AccessDeniedError,
    ConflictError,
    GridmgmtError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from gridmgmt.services.results import Result
from gridmgmt.store.models.jobs import JobRecord, JobState

__all__ = ["JobError", "JobView", "error_of", "result_as", "view_of"]

ResultT = TypeVar("ResultT", bound=Result)


class JobError(Result):
    """Why a job failed (or that it was cancelled)."""

    kind: str
    message: str


class JobView(Result):
    """A job as its requester sees it: state, progress, and the result or the error."""

    id: str
    kind: str
    counties: list[str]
    requested_by: str
    params: dict[str, Any]
    state: JobState
    progress: float
    message: str
    result: dict[str, Any] | None
    error: JobError | None
    attempts: int
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        """Whether the job has ended."""
        return self.state.finished


def view_of(row: JobRecord) -> JobView:
    """The view of a stored job row."""
    error = (
        JobError(kind=row.error_kind or "error", message=row.error_message or "")
        if row.error_kind or row.error_message
        else None
    )
    return JobView(
        id=row.id,
        kind=row.kind,
        counties=[c.county_code for c in row.counties],
        requested_by=row.requested_by,
        params=dict(row.params or {}),
        state=row.state,
        progress=row.progress,
        message=row.message,
        result=row.result,
        error=error,
        attempts=row.attempts,
        cancel_requested=row.cancel_requested,
        created_at=_utc(row.created_at),
        started_at=None if row.started_at is None else _utc(row.started_at),
        finished_at=None if row.finished_at is None else _utc(row.finished_at),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    """A stored time (naive UTC) as an aware one, so answers say their offset (RFC 3339)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def result_as(view: JobView, result_type: type[ResultT]) -> ResultT:
    """The typed result of a succeeded job (``result_as(view, WeekPlanResult)``)."""
    if view.state is not JobState.SUCCEEDED or view.result is None:
        msg = f"job {view.id} has no result: it is {view.state.value}"
        raise ValueError(msg)
    return result_type.model_validate(view.result)


def error_of(view: JobView) -> GridmgmtError | None:
    """The error a failed job ended with, as its kind in the family (for faces that re-raise)."""
    if view.error is None or view.state is not JobState.FAILED:
        return None
    message = view.error.message
    makers: dict[str, Callable[[str], GridmgmtError]] = {
        InvalidInputError.kind: InvalidInputError,
        NotFoundError.kind: lambda m: NotFoundError("job result", message=m),
        AccessDeniedError.kind: AccessDeniedError,
        ConflictError.kind: ConflictError,
        UnavailableError.kind: UnavailableError,
    }
    return makers.get(view.error.kind, GridmgmtError)(message)
