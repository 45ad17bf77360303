"""The local cluster ``gridmgmt serve`` starts: jobs run in a worker process, not the app's.

A solver holding the app's interpreter would make every request wait; on the local cluster
the job runs in another process, against the same database, and is cancelled through its
job row.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from distributed import Client
from sqlalchemy import select

from gridmgmt.config import Settings
from gridmgmt.jobs import JobState, cancel_job, cluster, get_job, result_as, submit, wait
from gridmgmt.jobs.runner import JOB_NICENESS
from gridmgmt.services.actor import SYSTEM
from gridmgmt.store import db
from gridmgmt.store.models import Province

from .conftest import COUNTY
from .sample_jobs import WriteResult

WORKER_START_S = 90  # a new process imports gridmgmt: seconds on a busy machine


@pytest.fixture
def on_local_cluster(settings: Settings) -> Iterator[Settings]:
    if settings.database_url.startswith("postgresql"):
        pytest.skip("the process cluster is checked on SQLite, where the app serves alone")
    address = cluster.start_local()
    try:
        yield settings.model_copy(update={"dask_scheduler": address})
    finally:
        cluster.shutdown()


@contextmanager
def _port_taken(port: int) -> Iterator[None]:
    """``port`` held by another program for the block (or already held)."""
    with socket.socket() as holder:
        try:
            holder.bind(("0.0.0.0", port))  # every interface, as Dask's default binds
            holder.listen()
        except OSError:
            pass  # held already
        yield


def _http_address(dask_scheduler: Any) -> tuple[str, int]:
    return dask_scheduler.http_server.address, dask_scheduler.http_server.port


def test_the_cluster_starts_when_8787_is_taken_and_serves_http_on_loopback_only() -> None:
    """Dask's default HTTP port may be held by another cluster on the machine (a warning
    then, an error under this suite); the job cluster takes a free loopback port instead."""
    with _port_taken(8787):
        address = cluster.start_local()
        try:
            with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
                host, port = client.run_on_scheduler(_http_address)
        finally:
            cluster.shutdown()
    assert host == "127.0.0.1"
    assert port != 8787


def test_a_job_runs_in_a_worker_process_and_stores_its_result(on_local_cluster: Settings) -> None:
    settings = on_local_cluster
    params = {"county_code": COUNTY, "codes": ["930000"]}
    done = wait(
        submit("tests.write", params, actor=SYSTEM, settings=settings).id,
        settings=settings,
        timeout_s=WORKER_START_S,
    )
    assert done.state is JobState.SUCCEEDED, done.error
    result = result_as(done, WriteResult)
    assert result.pid is not None
    assert result.pid != os.getpid()
    assert result.nice is not None
    assert result.nice >= JOB_NICENESS  # requests first
    assert os.getpriority(os.PRIO_PROCESS, 0) < JOB_NICENESS  # this process is not lowered
    with db.transaction(settings.database_url) as session:
        assert "930000" in set(session.scalars(select(Province.code)))


def test_a_job_in_the_worker_process_is_cancelled_through_its_row(
    on_local_cluster: Settings,
) -> None:
    settings = on_local_cluster
    params = {"county_code": COUNTY, "gate": uuid.uuid4().hex, "max_wait_s": WORKER_START_S}
    view = submit("tests.wait", params, actor=SYSTEM, settings=settings)
    deadline = time.monotonic() + WORKER_START_S
    while get_job(view.id, actor=SYSTEM, settings=settings).state is not JobState.RUNNING:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    cancel_job(view.id, actor=SYSTEM, settings=settings)
    done = wait(view.id, settings=settings, timeout_s=30)
    assert done.state is JobState.CANCELLED
    with db.transaction(settings.database_url) as session:
        assert "990000" not in set(session.scalars(select(Province.code)))
