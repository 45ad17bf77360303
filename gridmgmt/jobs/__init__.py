"""Background jobs (后台任务): long actions with progress and cancel, on Dask distributed.

Anything over a couple of seconds (route plans, week plans, grid designs, big imports, case
networks) runs as a job: the face answers at once with a :class:`JobView`, the work runs on a
Dask worker, progress and the outcome are stored in the ``jobs`` table, and the action's
writes are stored in one transaction together with its success, or not at all.

Register a job where the action lives (a service module), with typed params and result::

    from gridmgmt.jobs import JobContext, job
    from gridmgmt.policy import Action
    from gridmgmt.services.results import Result

    class PlanWeekParams(BaseModel):
        county_code: str            # the job's scope (or county_codes: list[str])
        depot_code: str
        week_start: dt.date

    class PlanWeekResult(Result):
        plan_ids: list[int]
        km: float

    @job("routes.plan_week", params=PlanWeekParams, action=Action.PLAN_ROUTES)
    def plan_week_job(ctx: JobContext, session: Session, params: PlanWeekParams) -> PlanWeekResult:
        orders = load_orders(session, params)           # read
        for day, fraction in ...:
            ctx.progress(fraction, f"planning {day}")   # throttled; also checks for cancel
            ...                                         # compute (engines)
        ctx.check_cancelled()
        ids = save_plans(session, plans, actor=ctx.actor)   # write at the end
        return PlanWeekResult(plan_ids=ids, km=total_km)

The function gets the unit of work (``session``): it must not commit; the runner commits
its writes together with the result, or rolls them back on an error or a cancel. Keep the
writes at the end: on SQLite the first write takes the file's write lock, and progress
reported after it is skipped until the job ends. The result is a small summary with
references to stored rows (a plan version id), not the rows themselves.

Submit from any face with the caller's actor and settings, and answer with the view::

    view = jobs.submit("routes.plan_week", params, actor=actor, settings=settings)

An API route of a long action is a plain ``def`` (FastAPI runs it in a thread; the Dask
client is synchronous) declared ``status_code=202, response_model=JobView``, and returns
``api.routes.jobs.accepted(view, response)`` (202 with ``Location: /api/v1/jobs/{id}``).

The API offers ``GET /api/v1/jobs``, ``GET /api/v1/jobs/{id}`` and
``POST /api/v1/jobs/{id}/cancel``; the CLI ``gridmgmt jobs list|show|cancel`` and, for
commands, :func:`gridmgmt.cli.jobs.run_with_progress` (submit, show a progress bar, return
the result). An engine call with no progress callback runs inside
:func:`progress_while` (progress by elapsed time, cancel seen when it returns).
:func:`submit` refuses an unknown kind or bad params (InvalidInputError), a
role without the kind's policy action or a county out of scope (AccessDeniedError).

Where jobs run: by default an in-process Dask cluster of threads, started with the first
job. With ``GRIDMGMT_DASK_SCHEDULER=tcp://host:8786`` they run on that scheduler's workers
(``dask scheduler``; ``dask worker tcp://host:8786`` on each machine, with gridmgmt
installed and the same ``GRIDMGMT_DATABASE_URL``, a shared PostgreSQL+PostGIS). Cancel is
cooperative (:meth:`JobContext.check_cancelled`, through the job row), so it works on
remote workers too. A job whose worker is lost is run again, at most :data:`MAX_ATTEMPTS`
times in all; since its writes commit only with its success, a rerun never finds half a
result.
"""

from __future__ import annotations

from gridmgmt.jobs.context import JobCancelledError, JobContext, progress_while
from gridmgmt.jobs.queries import cancel_job, get_job, list_jobs
from gridmgmt.jobs.registry import JobSpec, job, kinds, lookup
from gridmgmt.jobs.runner import MAX_ATTEMPTS, submit, wait
from gridmgmt.jobs.views import JobError, JobView, error_of, result_as
from gridmgmt.store.models.jobs import JobState

__all__ = [
    "MAX_ATTEMPTS",
    "JobCancelledError",
    "JobContext",
    "JobError",
    "JobSpec",
    "JobState",
    "JobView",
    "cancel_job",
    "error_of",
    "get_job",
    "job",
    "kinds",
    "list_jobs",
    "lookup",
    "progress_while",
    "result_as",
    "submit",
    "wait",
]
