"""Background jobs (后台任务) of the caller: list them, follow one, cancel one.

A long action's route answers ``202 Accepted`` at once with the job (:func:`accepted`);
the page then polls ``GET /api/v1/jobs/{id}`` for its state, progress and message, and
reads the result (a summary with the ids of the stored rows) when it has succeeded.
Another county's job answers 404; cancelling a job that has ended answers 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from api.deps import CurrentActor, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.jobs import JobView, cancel_job, get_job, list_jobs
from gridmgmt.policy import Action

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"], responses=ERROR_RESPONSES)


class ErrorOut(BaseModel):
    """An error answer."""

    detail: str
    kind: str
    current: dict[str, Any] | None = None


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such job in your counties."}
}


def accepted(view: JobView, response: Response) -> JobView:
    """Answer a submitted job: 202 with ``Location`` naming where to follow it.

    For routes of long actions: ``return accepted(jobs.submit(...), response)`` with
    ``status_code=202, response_model=JobView`` on the route.
    """
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"{router.prefix}/{view.id}"
    return view


@router.get("", dependencies=[allow(Action.READ_JOBS)])
def jobs_of_caller(
    actor: CurrentActor,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many.")] = 50,
) -> list[JobView]:
    """The jobs you started in your counties, newest first."""
    return list_jobs(actor=actor, settings=settings, limit=limit)


@router.get("/{job_id}", dependencies=[allow(Action.READ_JOBS)], responses=_NOT_FOUND)
def job_state(job_id: str, actor: CurrentActor, settings: SettingsDep) -> JobView:
    """A job's state, progress (0..1) and message; its result or error once it has ended."""
    return get_job(job_id, actor=actor, settings=settings)


@router.post(
    "/{job_id}/cancel",
    dependencies=[allow(Action.CANCEL_JOBS)],
    responses={
        **_NOT_FOUND,
        403: {"model": ErrorOut, "description": "Neither your job nor are you an admin."},
        409: {"model": ErrorOut, "description": "The job has ended already (current state)."},
    },
)
def cancel(job_id: str, actor: CurrentActor, settings: SettingsDep) -> JobView:
    """Cancel a queued job, or ask a running one to stop; it ends cancelled, storing nothing."""
    return cancel_job(job_id, actor=actor, settings=settings)
