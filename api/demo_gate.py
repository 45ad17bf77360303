"""The app while ``gridmgmt serve --demo`` prepares the demo (演示数据准备中).

The server answers at once; until the demo database is ready every request but the static
assets gets 503 with ``Retry-After``: the JSON API its usual error body (kind
``unavailable``), a page the page "the demo is being built", which reloads itself. When the
build fails the page says so and names the build's log file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_body
from api.static import STATIC_URL
from api.web import templates
from gridmgmt.errors import UnavailableError

__all__ = ["DemoGate", "DemoGateMiddleware", "GateState"]

RETRY_AFTER_S: Final = 5


class GateState(StrEnum):
    """Where the demo stands: being prepared, ready to use, or failed."""

    PREPARING = "preparing"
    READY = "ready"
    FAILED = "failed"


@dataclass
class DemoGate:
    """The demo's state, set by the thread preparing it and read by every request.

    Attributes
    ----------
    retry_after_s
        The ``Retry-After`` of the 503 answers, and the page's reload period.
    log_file
        The build's log, named on the page when the build fails.
    """

    retry_after_s: int = RETRY_AFTER_S
    log_file: str | None = None
    _state: GateState = GateState.PREPARING
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def state(self) -> GateState:
        with self._lock:
            return self._state

    def open(self) -> None:
        """The demo is ready: requests go through from now on."""
        with self._lock:
            self._state = GateState.READY

    def fail(self, log_file: str | None = None) -> None:
        """The demo could not be prepared (``log_file`` says why)."""
        with self._lock:
            self._state = GateState.FAILED
            self.log_file = log_file or self.log_file


class DemoGateMiddleware:
    """Answer 503 (page or JSON) until the :class:`DemoGate` is open."""

    def __init__(self, app: ASGIApp, gate: DemoGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.gate.state
        if scope["type"] != "http" or state is GateState.READY:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(STATIC_URL + "/"):
            await self.app(scope, receive, send)
            return
        headers = {"Retry-After": str(self.gate.retry_after_s), "Cache-Control": "no-store"}
        if path.startswith("/api/") or path == "/openapi.json":
            message = (
                f"the demo could not be built; see {self.gate.log_file}"
                if state is GateState.FAILED
                else "the demo is being built; retry shortly"
            )
            error = UnavailableError(message, retry_after_s=self.gate.retry_after_s)
            response: Response = JSONResponse(error_body(error), status_code=503, headers=headers)
        else:
            context = {
                "user": None,
                "failed": state is GateState.FAILED,
                "log_file": self.gate.log_file,
                "retry_after_s": self.gate.retry_after_s,
            }
            request = Request(scope, receive)
            response = templates.TemplateResponse(
                request, "demo_building.html", context, status_code=503, headers=headers
            )
        await response(scope, receive, send)
