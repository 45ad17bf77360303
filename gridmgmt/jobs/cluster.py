"""The Dask client jobs are submitted through: one per process and scheduler address.

Without an address, the first job starts an in-process cluster of threads
(``Client(processes=False)``: no subprocesses; its HTTP server on a free loopback port); with one
(``GRIDMGMT_DASK_SCHEDULER=tcp://host:8786``), jobs go to that scheduler's workers, which
need gridmgmt installed and reach the same PostgreSQL database. ``distributed`` is imported
on first use only, so importing gridmgmt (and starting the CLI) stays fast.

``gridmgmt serve`` starts a local cluster of its own (:func:`start_local`): a scheduler in
the serving process and a worker process started when a job is queued, so a solver never
holds the app's interpreter (its GIL) while requests wait.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Final

from gridmgmt.errors import UnavailableError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

__all__ = ["HTTP_ADDRESS", "IN_PROCESS", "client_for", "shutdown", "start_local"]

IN_PROCESS = "in-process"
"""The key of the in-process cluster's client."""
CONNECT_TIMEOUT_S = 10
"""How long to wait for a scheduler at an address."""

HTTP_ADDRESS: Final = "127.0.0.1:0"
"""Where a cluster started here serves HTTP (dashboard, health): any free loopback port.
Dask's default, 8787, may be held by another cluster on the machine, and ``":0"`` listens
on every interface."""

LOCAL_IDLE_S = 600
"""The local cluster's worker process stops after this long without a job (memory back)."""

_CLIENTS: dict[str, Client] = {}
_LOCAL: list[LocalCluster] = []
_LOCK = threading.Lock()


def _threads() -> int:
    return max(2, os.cpu_count() or 1)


def _start(address: str | None) -> Client:
    from distributed import Client

    if address is None:
        return Client(  # type: ignore[no-untyped-call]
            processes=False,
            n_workers=1,
            threads_per_worker=_threads(),
            dashboard_address=HTTP_ADDRESS,
            set_as_default=False,
        )
    try:
        return Client(  # type: ignore[no-untyped-call]
            address, timeout=CONNECT_TIMEOUT_S, set_as_default=False
        )
    except (OSError, TimeoutError) as error:
        msg = f"no Dask scheduler answers at {address}: {error}"
        raise UnavailableError(msg) from None


def start_local() -> str:
    """Start this process's local job cluster and return its scheduler's address.

    The scheduler runs here (on loopback, any free port); one worker process, with a thread
    per core, is started when a job is queued and stopped after :data:`LOCAL_IDLE_S` without
    one. App processes started later find it through ``GRIDMGMT_DASK_SCHEDULER``.
    """
    from distributed import LocalCluster

    interval_s = 1.0
    with _LOCK:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=0,
            processes=True,
            threads_per_worker=_threads(),
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=HTTP_ADDRESS,
        )
        cluster.adapt(  # type: ignore[no-untyped-call]
            minimum=0,
            maximum=1,
            interval=f"{interval_s}s",
            wait_count=int(LOCAL_IDLE_S / interval_s),
        )
        _LOCAL.append(cluster)
        return str(cluster.scheduler_address)


def client_for(address: str | None = None) -> Client:
    """The process's client for ``address`` (None: the in-process cluster), made once."""
    key = address or IN_PROCESS
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is None or client.status in {"closing", "closed"}:
            client = _start(address or None)
            _CLIENTS[key] = client
        return client


def shutdown() -> None:
    """Close every client (and the in-process cluster). Called at exit; tests call it too."""
    with _LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
        local = list(_LOCAL)
        _LOCAL.clear()
    for client in clients:
        client.close()  # type: ignore[no-untyped-call]
    for cluster in local:  # after the clients: they would wait to reconnect to it
        cluster.close()  # type: ignore[no-untyped-call]


atexit.register(shutdown)
