"""The Dask client jobs are submitted through: one per process and scheduler address.

Without an address, the first job starts an in-process cluster of threads
(``Client(processes=False)``: no subprocesses; its HTTP server on a free port); with one
(``GRIDMGMT_DASK_SCHEDULER=tcp://host:8786``), jobs go to that scheduler's workers, which
need gridmgmt installed and reach the same PostgreSQL database. ``distributed`` is imported
on first use only, so importing gridmgmt (and starting the CLI) stays fast.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING

from gridmgmt.errors import UnavailableError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["IN_PROCESS", "client_for", "shutdown"]

IN_PROCESS = "in-process"
"""The key of the in-process cluster's client."""
CONNECT_TIMEOUT_S = 10
"""How long to wait for a scheduler at an address."""

_CLIENTS: dict[str, Client] = {}
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
            dashboard_address=":0",  # any free port: two processes on one machine never clash
            set_as_default=False,
        )
    try:
        return Client(  # type: ignore[no-untyped-call]
            address, timeout=CONNECT_TIMEOUT_S, set_as_default=False
        )
    except (OSError, TimeoutError) as error:
        msg = f"no Dask scheduler answers at {address}: {error}"
        raise UnavailableError(msg) from None


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
    for client in clients:
        client.close()  # type: ignore[no-untyped-call]


atexit.register(shutdown)
