"""The API's one mapping of errors to answers, and a request id on every answer.

A :class:`~gridmgmt.errors.GridmgmtError` answers its kind's status (422, 404, 403, 409,
503) with ``{"detail": message, "kind": kind, ...}`` (``problems`` for invalid input,
``current`` for a conflict, a ``Retry-After`` header when unavailable). Anything else is a
bug: it answers 500 with the request id, and the traceback goes to the log under that id,
never to the caller.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from gridmgmt.errors import GridmgmtError, UnavailableError

log = logging.getLogger("gridmgmt.api")

REQUEST_ID_HEADER = "X-Request-ID"


def request_id(request: Request) -> str:
    """The id of this request (set by the middleware; taken from the caller's header)."""
    return str(getattr(request.state, "request_id", "") or "-")


def error_body(error: GridmgmtError) -> dict[str, object]:
    """The JSON body of an error answer."""
    return {"detail": error.message, "kind": error.kind, **jsonable_encoder(error.details())}


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, GridmgmtError)
    headers = {REQUEST_ID_HEADER: request_id(request)}
    if isinstance(error, UnavailableError):
        headers["Retry-After"] = str(error.retry_after_s)
    return JSONResponse(error_body(error), status_code=error.http_status, headers=headers)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    rid = request_id(request)
    log.error("request %s %s %s failed", rid, request.method, request.url.path, exc_info=error)
    body = {
        "detail": f"internal error; quote request id {rid} to the administrator",
        "kind": "internal",
        "request_id": rid,
    }
    return JSONResponse(body, status_code=500, headers={REQUEST_ID_HEADER: rid})


async def _with_request_id(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    rid = request.headers.get(REQUEST_ID_HEADER, "")[:64] or uuid.uuid4().hex
    request.state.request_id = rid
    response = await call_next(request)
    response.headers.setdefault(REQUEST_ID_HEADER, rid)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Map the error family (and unexpected errors) to answers, and tag requests with ids."""
    app.middleware("http")(_with_request_id)
    app.add_exception_handler(GridmgmtError, _service_error)
    app.add_exception_handler(Exception, _unexpected_error)
