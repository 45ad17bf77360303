"""The API's one mapping of errors to answers, and a request id on every answer.

A :class:`~gridmgmt.errors.GridmgmtError` answers its kind's status (422, 404, 403, 409,
503) with ``{"detail": message, "kind": kind, ...}`` (``problems`` for invalid input,
``current`` for a conflict, a ``Retry-After`` header when unavailable). Anything else is a
bug: it answers 500 with the request id, and the traceback goes to the log under that id,
never to the caller.

A refusal to a logged-in user (404: not theirs or not there, the same answer; 403: not their
role or read-only) is audited (:func:`audit_refusal`) in a transaction of its own, as the
request's own is rolled back: who, what was asked, the answer, from where.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from api.observability import REQUEST_ID_HEADER
from gridmgmt.errors import AccessDeniedError, GridmgmtError, NotFoundError, UnavailableError
from gridmgmt.logs import current_request_id

log = logging.getLogger("gridmgmt.api")


class ErrorBody(BaseModel):
    """The body of every error answer (错误应答): a message, the error's kind and its extras
    (``problems``, ``current``, ``retry_after_s``...). Request validation errors list their
    problems in ``detail``."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[Any]
    kind: str | None = None


def _error(description: str) -> dict[str, Any]:
    # An inline JSON schema rather than ``model``: FastAPI would document a model under an
    # HTML route's media type, yet errors are always JSON.
    schema = ErrorBody.model_json_schema()
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("Not logged in, or the token has expired."),
    403: _error("Your role may not do this."),
    404: _error("No such thing in your counties."),
    409: _error("Someone else changed it first; `current` says how."),
    422: _error("The request is wrong; `problems` (or `detail`) says where."),
    503: _error("Busy or down; retry after `Retry-After` seconds."),
}
"""The error answers every API router declares (``APIRouter(responses=ERROR_RESPONSES)``)."""


def request_id(request: Request) -> str:
    """The id of this request (set by :mod:`api.observability`; the caller's header)."""
    return str(getattr(request.state, "request_id", "") or current_request_id() or "-")


def error_body(error: GridmgmtError) -> dict[str, object]:
    """The JSON body of an error answer."""
    return {"detail": error.message, "kind": error.kind, **jsonable_encoder(error.details())}


REFUSED: Final = "refused"
"""The audit action of a refused request."""


def audit_refusal(request: Request, status_code: int, reason: str) -> None:
    """Audit that the logged-in caller of ``request`` was refused (nothing if not logged in).

    Written in a transaction of its own; a database that cannot take it is logged, never
    turned into another answer.
    """
    from gridmgmt.services import audit
    from gridmgmt.store import db

    actor = getattr(request.state, "actor", None)
    if actor is None:
        return
    detail = {
        "method": request.method,
        "path": request.url.path,
        "status": status_code,
        "reason": reason,
        "request_id": request_id(request),
    }
    try:
        with db.transaction(request.app.state.settings.database_url) as session:
            audit.record(session, actor, REFUSED, kind="request", detail=detail)
    except Exception:  # the refusal answers whatever the log does
        log.exception("request %s: refusal not audited", request_id(request))


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, GridmgmtError)
    if isinstance(error, NotFoundError | AccessDeniedError):
        audit_refusal(request, error.http_status, error.kind)
    headers = {REQUEST_ID_HEADER: request_id(request)}
    if isinstance(error, UnavailableError):
        headers["Retry-After"] = str(error.retry_after_s)
    return JSONResponse(error_body(error), status_code=error.http_status, headers=headers)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    rid = request_id(request)
    log.error(
        "request %s %s %s failed",
        rid,
        request.method,
        request.url.path,
        exc_info=error,
        extra={"request_id": rid},
    )
    body = {
        "detail": f"internal error; quote request id {rid} to the administrator",
        "kind": "internal",
        "request_id": rid,
    }
    return JSONResponse(body, status_code=500, headers={REQUEST_ID_HEADER: rid})


def install_error_handlers(app: FastAPI) -> None:
    """Map the error family (and unexpected errors) to answers (request ids: observability)."""
    app.add_exception_handler(GridmgmtError, _service_error)
    app.add_exception_handler(Exception, _unexpected_error)
