"""The job actions users take from a face: list their jobs, look at one, cancel one.

A job belongs to its counties: a user sees it when all of them are in their scope (another
county's job is "not found"); a job of no county is seen only by an actor of every county.
Only the requester or an administrator may cancel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, NotFoundError
from gridmgmt.jobs import _rows
from gridmgmt.jobs.context import cancel_locally
from gridmgmt.jobs.views import JobView
from gridmgmt.policy import Action, requires

if TYPE_CHECKING:
    from gridmgmt.config import Settings
    from gridmgmt.services.actor import Actor

__all__ = ["cancel_job", "get_job", "list_jobs"]

MAX_LIST = 200


def _visible(view: JobView, actor: Actor) -> bool:
    if actor.counties is None:
        return True
    return bool(view.counties) and all(actor.can_see(code) for code in view.counties)


@requires(Action.READ_JOBS)
def list_jobs(
    *, actor: Actor, settings: Settings, limit: int = 50, everyone: bool = False
) -> list[JobView]:
    """The actor's own jobs in their counties, newest first (``everyone``: anyone's)."""
    limit = min(max(limit, 1), MAX_LIST)
    requested_by = None if everyone else actor.username
    views = _rows.newest(settings.database_url, requested_by=requested_by, limit=limit)
    return [view for view in views if _visible(view, actor)]


@requires(Action.READ_JOBS)
def get_job(job_id: str, *, actor: Actor, settings: Settings) -> JobView:
    """The job ``job_id``: state, progress, message, result or error.

    Raises
    ------
    NotFoundError
        No such job in the actor's counties.
    """
    view = _rows.load(settings.database_url, job_id)
    if view is None or not _visible(view, actor):
        raise NotFoundError("job", job_id)
    return view


@requires(Action.CANCEL_JOBS)
def cancel_job(job_id: str, *, actor: Actor, settings: Settings) -> JobView:
    """Cancel a queued job, or ask a running one to stop (it ends cancelled, storing nothing).

    Raises
    ------
    NotFoundError
        No such job in the actor's counties.
    AccessDeniedError
        The actor neither requested the job nor is an administrator.
    ConflictError
        The job has ended already (its current state is in the error).
    """
    view = get_job(job_id, actor=actor, settings=settings)
    if view.requested_by != actor.username and actor.role is not UserRole.ADMIN:
        msg = f"job {job_id} was requested by {view.requested_by}; only they or an admin may cancel"
        raise AccessDeniedError(msg)
    if view.finished:
        raise _finished(view)
    # A job running here stops at its next check at once; on SQLite this also frees the
    # write lock it may hold, which the row's update below would otherwise wait for.
    ours = cancel_locally(job_id)
    if not _rows.request_cancel(settings.database_url, job_id):
        view = get_job(job_id, actor=actor, settings=settings)
        if not (ours and view.state.value == "cancelled"):
            raise _finished(view)
    return get_job(job_id, actor=actor, settings=settings)


def _finished(view: JobView) -> ConflictError:
    msg = f"job {view.id} has ended already: {view.state.value}"
    return ConflictError(msg, current=view.model_dump(mode="json"))
