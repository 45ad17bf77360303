"""Security headers on every answer: no sniffing, no framing, a referrer policy and a CSP.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
``X-Frame-Options: DENY`` and a Content-Security-Policy with ``frame-ancestors 'none'``.

An HTML page's CSP lets scripts run from the app's own files (``'self'``) and, inline, only
those carrying this answer's nonce (``'nonce-...'``, new for every request): never an inline
event handler, a ``javascript:`` link, or a script another origin serves. Most pages have no
inline script at all (their code is in ``api/static_files``; data for it sits in
``<script type="application/json">`` blocks, which never run). Three kinds of page carry
inline code the app itself generates, and mark it with the nonce (:func:`csp_nonce`,
:func:`with_nonce`):

- the folium maps (``/map``, ``/cases/network/{id}``): folium writes each map's set-up code
  and two Leaflet flags in the page; moving them to files would render every map twice;
- Swagger UI (``/docs`` and its OAuth2 redirect page), whose start-up code FastAPI inlines.

A name with markup in the data (a retailer called ``</script><script>...``) that broke out
of such a block would make a script without the nonce, which the browser refuses.

Styles may be inline on every page (``style=`` attributes; folium and Leaflet set sizes that
way). Images may also come from the tile server (setting ``tile_url``). Answers that are not
HTML get ``default-src 'none'``.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE_STATE = "csp_nonce"
"""The key of this request's nonce in the request's state (``request.state.csp_nonce``)."""

_INLINE_SCRIPT_TAG = re.compile(r"<script(?![^>]*\b(?:src|nonce)\s*=)", re.IGNORECASE)

COMMON_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def page_csp(*, nonce: str, tile_url: str | None = None) -> str:
    """The CSP of an HTML page: scripts from the app, inline ones only with ``nonce``."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{tiles}; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
"""The CSP of an answer that is not a page (JSON, scripts, styles, files)."""


def csp_nonce(request: Request) -> str:
    """This request's script nonce (empty outside :class:`SecurityHeaders`: nothing runs)."""
    return str(getattr(request.state, NONCE_STATE, ""))


def with_nonce(html: str, nonce: str) -> str:
    """``html`` with ``nonce`` on each inline ``<script>`` tag.

    Only for HTML the app generates itself (folium's map code, Swagger UI), never for text
    that came from a user: that would let their script run.
    """
    return _INLINE_SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)


class SecurityHeaders:
    """ASGI middleware adding the security headers and giving each request its nonce."""

    def __init__(self, app: ASGIApp, *, tile_url: str | None = None) -> None:
        self.app = app
        self.tile_url = tile_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope["state"] = {**scope.get("state", {}), NONCE_STATE: nonce}  # this request's own

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                is_page = headers.get(b"content-type", b"").startswith(b"text/html")
                csp = page_csp(nonce=nonce, tile_url=self.tile_url) if is_page else OTHER_CSP
                message = _with_headers(message, csp)
            await send(message)

        await self.app(scope, receive, wrapped)


def _with_headers(start: Message, csp: str) -> Message:
    headers = [
        (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-security-policy"
    ]
    present = {k.lower() for k, _ in headers}
    for name, value in COMMON_HEADERS.items():
        if name.lower().encode() not in present:
            headers.append((name.lower().encode(), value.encode()))
    headers.append((b"content-security-policy", csp.encode()))
    return {**start, "headers": headers}
