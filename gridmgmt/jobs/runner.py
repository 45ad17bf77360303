"""Submitting jobs to Dask, running them on a worker, and waiting for them.

:func:`submit` checks the request (kind, role, params, county scope), stores the queued job
row and hands :func:`execute` to Dask. :func:`execute` runs on a worker thread (in process,
or on a cluster's worker): it opens its own unit of work on the settings' database, runs the
job function, and stores the result in that same transaction together with the success
state. A failure or a cancel rolls every write of the action back and records the error.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from gridmgmt.errors import AccessDeniedError, GridmgmtError, NotFoundError, UnavailableError
from gridmgmt.jobs import _rows, cluster
from gridmgmt.jobs.context import JobCancelledError, JobContext, forget_local
from gridmgmt.jobs.registry import lookup
from gridmgmt.jobs.views import JobView
from gridmgmt.policy import require
from gridmgmt.services.results import Result, jsonable
from gridmgmt.store import db
from gridmgmt.store.models.jobs import JobState

if TYPE_CHECKING:
    from distributed import Future

    from gridmgmt.config import Settings
    from gridmgmt.services.actor import Actor

__all__ = ["MAX_ATTEMPTS", "RETRIES", "execute", "submit", "wait"]

log = logging.getLogger("gridmgmt.jobs")

RETRIES = 2
"""Dask retries of a job whose run raised outside the action (e.g. the database was down)."""
MAX_ATTEMPTS = RETRIES + 1
"""Runs of one job at most, counting reruns after a lost worker; then it is failed."""

BUSY_PAUSES_S = (2.0, 5.0)
"""Pauses before running an action again that met a busy or lost database (another write
held SQLite's lock past the busy timeout, or PostgreSQL went away): the rolled-back run
stored nothing, so the job is run again rather than failed."""

JOB_NICENESS = 10
"""The nice value jobs run at: a solver takes the CPU only when requests leave it some.
(On Linux the value is per thread: the worker thread running the job, and the threads it
starts, are lowered; the app's request threads are not.)"""

_WATCHED: dict[str, Future[str]] = {}


def _scope(counties: list[str], actor: Actor, kind: str) -> None:
    for code in counties:
        actor.require(code)
    if not counties and actor.counties is not None:
        msg = f"job {kind} spans every county; user {actor.username!r} has only some"
        raise AccessDeniedError(msg)


def _for_worker(settings: Settings) -> Settings:
    # Jobs never sign tokens: the secret key stays out of the messages to the workers.
    return settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})


def submit(
    kind: str, params: BaseModel | dict[str, Any], *, actor: Actor, settings: Settings
) -> JobView:
    """Queue the job ``kind`` with ``params`` for ``actor``; answer at once with its view.

    Parameters
    ----------
    kind
        A registered kind (``"routes.plan_week"``).
    params
        Its parameters: the kind's params model, or a mapping validated into it.
    actor
        Who asks; needs the kind's policy action and every county of the job in scope.
    settings
        The database URL the job works on and ``dask_scheduler`` (None: in process).

    Raises
    ------
    InvalidInputError
        Unknown kind or invalid params.
    AccessDeniedError
        The role may not, or a county of the job is out of the actor's scope.
    NotFoundError
        A county of the job does not exist.
    UnavailableError
        The Dask scheduler cannot be reached (the job is recorded as failed).
    """
    spec = lookup(kind)
    require(actor, spec.action)
    parsed = spec.parse(params)
    counties = sorted({str(code) for code in spec.scope(parsed)})
    _scope(counties, actor, kind)
    job_id = str(uuid.uuid4())
    url = settings.database_url
    data = parsed.model_dump(mode="json")
    try:
        view = _rows.create(
            url,
            job_id=job_id,
            kind=kind,
            requested_by=actor.username,
            params=data,
            counties=counties,
        )
    except IntegrityError:
        raise NotFoundError("county", ", ".join(counties)) from None
    _dispatch(view, spec.module, data, settings, actor)
    return view


def _dispatch(
    view: JobView, module: str, params: dict[str, Any], settings: Settings, actor: Actor
) -> None:
    from distributed import fire_and_forget

    address = settings.dask_scheduler or None
    try:
        client = cluster.client_for(address)
        future = client.submit(
            execute,
            view.id,
            view.kind,
            module,
            params,
            _for_worker(settings),
            actor,
            key=f"gridmgmt-job-{view.id}",
            pure=False,
            retries=RETRIES,
        )
    except Exception as error:
        _rows.fail_if_open(settings.database_url, view.id, f"could not queue the job: {error}")
        if isinstance(error, GridmgmtError):
            raise
        msg = f"could not queue the job on Dask: {error}"
        raise UnavailableError(msg) from None
    # Runs even if this process (an API worker) goes away before the job ends.
    fire_and_forget(future)  # type: ignore[no-untyped-call]
    if address is not None:
        _watch(future, view.id, settings.database_url)


def _watch(future: Future[str], job_id: str, url: str) -> None:
    """On a cluster, record a job the scheduler gave up on (its workers kept dying)."""
    _WATCHED[job_id] = future

    def done(finished: Future[str]) -> None:
        _WATCHED.pop(job_id, None)
        if finished.status == "error":
            _rows.fail_if_open(url, job_id, "the Dask scheduler gave up on the job")

    future.add_done_callback(done)  # type: ignore[no-untyped-call]


def execute(
    job_id: str,
    kind: str,
    module: str,
    params: dict[str, Any],
    settings: Settings,
    actor: Actor,
) -> str:
    """Run one attempt of a job (the Dask task); returns the state it ended in.

    Runs nothing if the job ended already (cancelled while queued, or finished by an
    earlier attempt whose worker was lost before telling the scheduler).
    """
    url = settings.database_url
    attempt = _rows.start(url, job_id, max_attempts=MAX_ATTEMPTS)
    if attempt is None:
        return "skipped"
    _lower_priority()
    try:
        state, error_kind, message = _run(job_id, attempt, kind, module, params, settings, actor)
    finally:
        forget_local(job_id)
    if state is not JobState.SUCCEEDED:
        _rows.end(url, job_id, attempt, state, error_kind, message)
    return state.value


def _lower_priority() -> None:
    """Run this thread at :data:`JOB_NICENESS` at least (never raised back: it cannot be)."""
    if not hasattr(os, "getpriority"):  # not on Windows
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < JOB_NICENESS:
            os.nice(JOB_NICENESS - current)
    except OSError as error:  # a container may forbid it: run at the normal priority
        log.debug("could not lower the job's priority: %s", error)


def _run(
    job_id: str,
    attempt: int,
    kind: str,
    module: str,
    params: dict[str, Any],
    settings: Settings,
    actor: Actor,
) -> tuple[JobState, str, str]:
    ctx = JobContext(job_id=job_id, attempt=attempt, settings=settings, actor=actor)
    try:
        for pause_s in (*BUSY_PAUSES_S, None):
            try:
                return _run_once(ctx, kind, module, params)
            except UnavailableError as error:
                if pause_s is None:
                    return JobState.FAILED, error.kind, error.message
                log.warning("job %s (%s): %s; run again in %s s", job_id, kind, error, pause_s)
                time.sleep(pause_s)
        raise AssertionError  # pragma: no cover  (the last pause is None)
    finally:
        ctx.ended()


def _run_once(
    ctx: JobContext, kind: str, module: str, params: dict[str, Any]
) -> tuple[JobState, str, str]:
    """One run of the action; a busy or lost database raises UnavailableError (nothing
    stored: the action's transaction is rolled back) for :func:`_run` to run it again."""
    job_id, attempt, settings = ctx.job_id, ctx.attempt, ctx.settings
    try:
        spec = lookup(kind, module=module)
        parsed = spec.parse(params)
        with db.transaction(settings.database_url) as session:
            ctx.check_cancelled()
            result = spec.function(ctx, session, parsed)
            if not isinstance(result, Result):
                msg = f"job {kind} returned {type(result).__name__}, not a Result"
                raise TypeError(msg)
            if not _rows.succeed(session, job_id, attempt, jsonable(result)):
                msg = f"job {job_id} was cancelled as it finished"
                raise JobCancelledError(msg)
    except JobCancelledError:
        return JobState.CANCELLED, "cancelled", "cancelled on request while running"
    except UnavailableError:
        raise
    except GridmgmtError as error:
        return JobState.FAILED, error.kind, error.message
    except Exception as error:
        log.exception("job %s (%s) failed", job_id, kind)
        message = (
            f"internal error ({type(error).__name__}); quote job {job_id} to the administrator"
        )
        return JobState.FAILED, "internal", message
    return JobState.SUCCEEDED, "", ""


def wait(
    job_id: str,
    *,
    settings: Settings,
    timeout_s: float | None = None,
    poll_s: float = 0.2,
    on_update: Callable[[JobView], None] | None = None,
) -> JobView:
    """Poll the job row until the job ends (or ``timeout_s`` passes); its last view.

    ``on_update`` is called with each view that differs from the one before (progress bars).
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    last: JobView | None = None
    while True:
        view = _rows.load(settings.database_url, job_id)
        if view is None:
            raise NotFoundError("job", job_id)
        if on_update is not None and view != last:
            on_update(view)
        last = view
        if view.finished or (deadline is not None and time.monotonic() >= deadline):
            return view
        time.sleep(poll_s)
