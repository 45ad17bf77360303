"""Structured logs (结构化日志): one JSON object per line, each with the request id.

:func:`configure_logging` sets up the root logger once for a server process; a log record
made while a request is answered carries that request's id (the ``X-Request-ID`` the
caller sees), so one grep finds everything a failed request did. The API's middleware
sets the id with :func:`bind_request_id`.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Final, Literal

__all__ = ["ACCESS_LOGGER", "bind_request_id", "configure_logging", "current_request_id"]

ACCESS_LOGGER: Final = "gridmgmt.access"
_REQUEST_ID: ContextVar[str | None] = ContextVar("gridmgmt_request_id", default=None)
_FIELDS: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"


def bind_request_id(request_id: str | None) -> None:
    """Tag the log records of the current context (a request) with ``request_id``."""
    _REQUEST_ID.set(request_id)


def current_request_id() -> str | None:
    """The request id bound in the current context, if any."""
    return _REQUEST_ID.get()


class _RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _REQUEST_ID.get()
        return True


def _formatter(fmt: Literal["json", "text"]) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            _FIELDS + " %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    return logging.Formatter(_FIELDS + " [request %(request_id)s]")


def configure_logging(
    *, fmt: Literal["json", "text"] = "json", level: str = "INFO", stream: object = None
) -> logging.Handler:
    """Send every log record to ``stream`` (default: standard error) as ``fmt``.

    Replaces the root logger's handlers, so calling it again reconfigures; uvicorn's own
    loggers are routed here too (its access log is left off: the API logs each request
    itself, with its id, route, status and duration).

    Returns
    -------
    logging.Handler
        The handler installed on the root logger.
    """
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(_formatter(fmt))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    return handler
