"""What a running job function gets: :class:`JobContext` (progress, cancel, settings, actor).

Cancellation is cooperative: the function calls :meth:`JobContext.check_cancelled` between
steps and :class:`JobCancelledError` unwinds it, rolling its transaction back. A cancel is
seen through the job row (any process, any worker) and, for jobs running in this process,
at once through an in-memory flag: on SQLite a job holding the write lock would otherwise
make the cancel request wait until the job ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gridmgmt.jobs import _rows

if TYPE_CHECKING:
    from gridmgmt.config import Settings
    from gridmgmt.services.actor import Actor

log = logging.getLogger("gridmgmt.jobs")

__all__ = ["JobCancelledError", "JobContext", "progress_while"]

PROGRESS_INTERVAL_S = 0.5
"""Progress is written at most this often (the first and the last report always)."""
CANCEL_POLL_S = 0.25
"""The job row's cancel flag is read at most this often."""


class JobCancelledError(Exception):
    """Raised in a job function by :meth:`JobContext.check_cancelled` when cancel was asked.

    Not a :class:`~gridmgmt.errors.GridmgmtError`: code catching the family must not stop it.
    """


_LOCAL_CANCELS: dict[str, threading.Event] = {}
_LOCAL_LOCK = threading.Lock()


def local_flag(job_id: str) -> threading.Event:
    """The in-process cancel flag of a job running here (made on first use)."""
    with _LOCAL_LOCK:
        return _LOCAL_CANCELS.setdefault(job_id, threading.Event())


def cancel_locally(job_id: str) -> bool:
    """Raise the in-process flag of a job running in this process; False if none runs here."""
    with _LOCAL_LOCK:
        flag = _LOCAL_CANCELS.get(job_id)
    if flag is None:
        return False
    flag.set()
    return True


def forget_local(job_id: str) -> None:
    """Drop a finished job's in-process flag."""
    with _LOCAL_LOCK:
        _LOCAL_CANCELS.pop(job_id, None)


@dataclass
class JobContext:
    """The running job's handle on its row, given to the job function.

    Parameters
    ----------
    job_id
        The job's id.
    attempt
        Which attempt this is (1, then 2... after a lost worker).
    settings
        The submitter's settings (database URL, roads file...), without the secret key.
    actor
        Who submitted the job; the function acts for them (scope, audit).
    """

    job_id: str
    attempt: int
    settings: Settings
    actor: Actor
    progress_interval_s: float = PROGRESS_INTERVAL_S
    cancel_poll_s: float = CANCEL_POLL_S
    _at_end: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)
    _flag: threading.Event = field(init=False, repr=False)
    _last_progress: float = field(default=float("-inf"), init=False, repr=False)
    _last_poll: float = field(default=float("-inf"), init=False, repr=False)

    def __post_init__(self) -> None:
        self._flag = local_flag(self.job_id)

    def when_ended(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the job has ended for good (succeeded, failed or cancelled,
        its transaction committed or rolled back), e.g. to remove an uploaded file. A run
        met by a busy database is run again first, so the file must still be there."""
        self._at_end.append(callback)

    def ended(self) -> None:
        """The job has ended: call what :meth:`when_ended` registered (the runner calls it)."""
        while self._at_end:
            try:
                self._at_end.pop()()
            except Exception:  # a clean-up's failure never changes the job's outcome
                log.exception("clean-up of job %s failed", self.job_id)

    @property
    def database_url(self) -> str:
        """The database the job reads and writes."""
        return self.settings.database_url

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far the job is (0..1) and what it is doing; written throttled.

        Also checks for cancellation, so a loop reporting progress can be cancelled.
        """
        self.check_cancelled()
        fraction = min(max(float(fraction), 0.0), 1.0)
        moment = time.monotonic()
        if fraction < 1.0 and moment - self._last_progress < self.progress_interval_s:
            return
        if _rows.record_progress(self.database_url, self.job_id, self.attempt, fraction, message):
            self._last_progress = moment

    def cancelled(self) -> bool:
        """Whether cancel was requested (the row is read at most every ``cancel_poll_s``)."""
        if self._flag.is_set():
            return True
        moment = time.monotonic()
        if moment - self._last_poll < self.cancel_poll_s:
            return False
        self._last_poll = moment
        if _rows.cancel_requested(self.database_url, self.job_id):
            self._flag.set()
        return self._flag.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelledError` if cancel was requested."""
        if self.cancelled():
            msg = f"job {self.job_id} was cancelled"
            raise JobCancelledError(msg)


TICK_S = 0.5
"""How often :func:`progress_while` reports."""
_TICK_CAP = 0.97
"""The share of its span :func:`progress_while` reaches at most before the block ends."""


@contextmanager
def progress_while(
    ctx: JobContext, start: float, end: float, expected_s: float, message: str
) -> Iterator[None]:
    """Report progress from ``start`` towards ``end`` while the block runs.

    For an engine call that gives no callback (a solver, a grid design): a thread reports
    the share of ``expected_s`` elapsed, capped short of ``end``. A cancel asked meanwhile
    is raised (:class:`JobCancelledError`) once the block is done, before anything after it
    is stored.
    """
    stop = threading.Event()
    began = time.monotonic()

    def tick() -> None:
        while not stop.wait(TICK_S):
            share = min((time.monotonic() - began) / max(expected_s, 0.1), _TICK_CAP)
            try:
                ctx.progress(start + (end - start) * share, message)
            except JobCancelledError:
                return

    ctx.progress(start, message)
    thread = threading.Thread(target=tick, name=f"progress-{ctx.job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    ctx.check_cancelled()
