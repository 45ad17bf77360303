"""Independent demo tasks in worker processes, beside the steps the main process runs.

The grid designs take most of the demo's time and do not depend on one another or on the
routes and cases, so each county's grids are designed in a worker (forked, so it inherits the
imported modules: no second start-up) while the main process carries on. Each task opens its
own transactions; SQLite in WAL mode lets the writers take turns. Where ``fork`` is not
available, or with no workers, tasks run in this process when they are submitted.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from gridmgmt.store import db

__all__ = ["INLINE", "Inline", "default_workers", "workers"]

T = TypeVar("T")


class Inline(Executor):
    """An executor that runs each task at once, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the caller sees it from future.result()
            future.set_exception(error)
        return future


INLINE = Inline()


def default_workers() -> int:
    """Worker processes for the demo: one per core (the main process shares them)."""
    return os.cpu_count() or 1


def _fresh_connections(url: str) -> None:
    """In a forked worker: leave the parent's pooled connections alone, open new ones."""
    db.get_engine(url).dispose(close=False)


@contextmanager
def workers(url: str, count: int) -> Iterator[Executor]:
    """A pool of ``count`` forked workers for tasks on the database at ``url``.

    The workers start at once, so open the pool before any thread starts (a progress
    spinner, say): forking a process that runs threads is unsafe. Yields :data:`INLINE`
    when ``count`` is below one or the platform cannot fork.
    """
    if count < 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield INLINE
        return
    pool = ProcessPoolExecutor(
        count,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_fresh_connections,
        initargs=(url,),
    )
    try:
        pool.submit(os.getpid).result()  # a forking pool starts all its workers at once
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
