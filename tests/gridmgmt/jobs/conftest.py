"""Fixtures for job tests: a real SQLite file with one county, and the in-process cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from shapely.geometry import MultiPolygon, box

from gridmgmt.config import Settings
from gridmgmt.jobs import cluster
from gridmgmt.store import db
from gridmgmt.store.models import County, Province

COUNTY = "150924"
OTHER_COUNTY = "140222"


def close_dask() -> None:
    """Close the cluster, then distributed's own process-wide offload and callback threads.

    Those threads outlive every client by design (they are shared by all of them) and would
    only end with the interpreter; the session is over, so they can go now.
    """
    import threading

    from distributed import Future
    from distributed.utils import _offload_executor

    cluster.shutdown()
    _offload_executor.shutdown(wait=True)
    callbacks = Future._cb_executor  # made by the first done-callback on a cluster's job
    if callbacks is not None:
        callbacks.shutdown(wait=True)
        Future._cb_executor = None
    left = [t.name for t in threading.enumerate() if t.name.startswith("Dask")]
    assert not left, f"Dask threads left running: {left}"


@pytest.fixture(scope="session", autouse=True)
def _dask_cluster() -> Iterator[None]:
    """Close the in-process Dask cluster when the session ends (no threads left behind)."""
    yield
    close_dask()


@pytest.fixture
def settings(store_url: str) -> Settings:
    """Settings on a fresh database (SQLite; PostgreSQL when configured) with two counties."""
    with db.transaction(store_url) as session:
        session.add_all(
            [Province(code="150000", name="内蒙古自治区"), Province(code="140000", name="山西省")]
        )
        session.flush()
        for code, province in ((COUNTY, "150000"), (OTHER_COUNTY, "140000")):
            session.add(
                County(
                    code=code,
                    name=f"县{code}",
                    province_code=province,
                    boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
                )
            )
    return Settings(database_url=store_url, secret_key="test-secret-key-" + "x" * 24)
