"""What a running job function gets: :class:`JobContext` (progress, cancel, settings, actor).

Cancellation is cooperative: the function calls :meth:`JobContext.check_cancelled` between
steps and :class:`JobCancelledError` unwinds it, rolling its transaction back. A cancel is
seen through the job row (any process, any worker) and, for jobs running in this process,
at once through an in-memory flag: on SQLite a job holding the write lock would otherwise
make the cancel request wait until the job ends.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gridmgmt.jobs import _rows

if TYPE_CHECKING:
    from gridmgmt.config import Settings
    from gridmgmt.services.actor import Actor

__all__ = ["JobCancelledError", "JobContext"]

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
    _flag: threading.Event = field(init=False, repr=False)
    _last_progress: float = field(default=float("-inf"), init=False, repr=False)
    _last_poll: float = field(default=float("-inf"), init=False, repr=False)

    def __post_init__(self) -> None:
        self._flag = local_flag(self.job_id)

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
