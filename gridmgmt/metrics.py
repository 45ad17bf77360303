"""Process metrics in the Prometheus format (运行指标): requests, latencies, solver times.

The metric objects live here, once per process, on prometheus-client's default registry;
services time their engines with :func:`solver_timer`, the API counts its requests
(``api/observability.py``) and serves them all at ``/metrics``. With several app workers
(processes), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder shared by the workers
before they start: each writes its samples there and ``/metrics`` adds them up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROCESS_DIR_VAR",
    "REQUESTS",
    "REQUEST_SECONDS",
    "SOLVER_SECONDS",
    "exposition",
    "solver_timer",
]

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
MULTIPROCESS_DIR_VAR: Final = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS: Final = Counter(
    "gridmgmt_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
REQUEST_SECONDS: Final = Histogram(
    "gridmgmt_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
SOLVER_SECONDS: Final = Histogram(
    "gridmgmt_solver_duration_seconds",
    "Time spent in an engine's solver (route day, replan, grid design, rebalance).",
    ["solver"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)


@contextmanager
def solver_timer(solver: str) -> Iterator[None]:
    """Time the block as one run of ``solver`` (recorded whether it ends well or not)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        SOLVER_SECONDS.labels(solver=solver).observe(time.perf_counter() - start)


def exposition() -> bytes:
    """Every metric of this process (or, in multi-process mode, of all workers) as text."""
    if os.environ.get(MULTIPROCESS_DIR_VAR):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
