"""Cross-site request forgery protection: a strict Origin (or Referer) check.

A browser sends the session cookie with any request to this site, even one a page of
another site makes it send. For unsafe methods (anything but GET, HEAD, OPTIONS, TRACE)
:class:`OriginCheckMiddleware` therefore answers 403 when

- the request names another origin in ``Origin`` (or, without it, in ``Referer``), or
- it carries the session cookie but names no origin at all (browsers always send
  ``Origin`` with a POST; a script that names none should use a bearer token).

Requests with ``Authorization: Bearer ...`` are exempt: a browser never adds that header
on its own, so it cannot be forged across sites. Same-origin pages need nothing: forms and
``fetch`` calls from this site's pages pass as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.cookies import request_cookie
from api.security import COOKIE_NAME

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of a URL, or None if it names no http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def _own_origins(headers: Headers) -> set[tuple[str, str, int]]:
    """This site as the browser sees it: the ``Host`` the request came to, by http(s).

    Both schemes are accepted for the same host and port, since a TLS-terminating proxy
    forwards https requests as http.
    """
    host = headers.get("host")
    if not host:
        return set()
    found = (origin_of(f"{scheme}://{host}") for scheme in DEFAULT_PORTS)
    return {origin for origin in found if origin is not None}


def forbidden(scope: Scope, reason: str) -> Response:
    """A 403 in the form the caller reads: JSON for the API, text for pages."""
    path: str = scope.get("path", "")
    message = f"cross-site request refused: {reason}"
    if path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=403)
    return PlainTextResponse(f"403 拒绝跨站请求 {message}", status_code=403)


class OriginCheckMiddleware:
    """Refuse unsafe requests that another site could have made a browser send.

    Parameters
    ----------
    app
        The application to protect.
    trusted_origins
        Other origins allowed to post here (e.g. ``"https://gis.bureau.local"``).
    """

    def __init__(self, app: ASGIApp, *, trusted_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = {o for o in map(origin_of, trusted_origins) if o is not None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            reason = self.refusal(scope)
            if reason is not None:
                await forbidden(scope, reason)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        """Why this unsafe request is refused, or None to let it through."""
        headers = Headers(scope=scope)
        if headers.get("authorization", "").lower().startswith("bearer "):
            return None
        claimed = headers.get("origin") or headers.get("referer")
        if claimed is None:
            if request_cookie(scope, COOKIE_NAME) is not None:
                return "no Origin or Referer with a session cookie (use a bearer token)"
            return None
        origin = origin_of(claimed)
        if origin is None or origin not in _own_origins(headers) | self.trusted:
            return f"origin {claimed.split('?')[0]!r} is not this site"
        return None
