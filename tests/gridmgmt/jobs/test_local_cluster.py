"""The local cluster ``gridmgmt serve`` starts: jobs run in a worker process, not the app's.

A solver holding the app's interpreter would make every request wait; on the local cluster
the job runs in another process, against the same database, and is cancelled through its
job row.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
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
