"""Operations face of the API: a request id on every answer, one access log line per
request, and Prometheus metrics at ``/metrics`` (运行监控).

One middleware does the three, so they agree: it takes the caller's ``X-Request-ID`` (or
makes one), binds it to the log context (every record made while answering carries it),
times the request, counts it by method, route template and status (a template such as
``/api/v1/cases/{case_no}``, never the raw path, so the series stay few and carry no case
numbers) and logs one structured line. ``GET /metrics`` answers the text format that
Prometheus scrapes; it is not behind a login, so expose it to the monitoring host only
(the reverse proxy's job), like ``/api/v1/health``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.routing import Match

from gridmgmt.logs import ACCESS_LOGGER, bind_request_id
from gridmgmt.metrics import CONTENT_TYPE, REQUEST_SECONDS, REQUESTS, exposition

__all__ = ["REQUEST_ID_HEADER", "install_observability", "route_template"]

REQUEST_ID_HEADER: Final = "X-Request-ID"
UNMATCHED: Final = "<unmatched>"
_MAX_REQUEST_ID: Final = 64

access_log = logging.getLogger(ACCESS_LOGGER)
router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics() -> Response:
    """Request counts and latencies, solver times (Prometheus text format, no login)."""
    return Response(exposition(), media_type=CONTENT_TYPE)


def route_template(request: Request) -> str:
    """The path template of the route that answers ``request`` (``<unmatched>`` if none)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    for candidate in request.app.router.routes:
        match, _ = candidate.matches(request.scope)
        if match is Match.FULL:
            return str(getattr(candidate, "path", UNMATCHED))
    return UNMATCHED


def _request_id(request: Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")[:_MAX_REQUEST_ID]
    return given if given.isprintable() and given.strip() else uuid.uuid4().hex


async def _observe(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    rid = _request_id(request)
    request.state.request_id = rid
    bind_request_id(rid)
    start = time.perf_counter()
    status = 500  # an exception escaping the app is answered 500 by the error handler
    try:
        response = await call_next(request)
        status = response.status_code
        response.headers.setdefault(REQUEST_ID_HEADER, rid)
        return response
    finally:
        seconds = time.perf_counter() - start
        route = route_template(request)
        REQUESTS.labels(method=request.method, route=route, status=str(status)).inc()
        REQUEST_SECONDS.labels(method=request.method, route=route).observe(seconds)
        access_log.info(
            "%s %s %s",
            request.method,
            request.url.path,
            status,
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.url.path,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "client": request.client.host if request.client else None,
            },
        )


def install_observability(app: FastAPI) -> None:
    """Tag every request with an id, count and time it, log it; serve ``/metrics``."""
    app.include_router(router)
    app.middleware("http")(_observe)
