"""Security headers on every answer: no sniffing, no framing, a referrer policy and a CSP.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
``X-Frame-Options: DENY`` and a Content-Security-Policy with ``frame-ancestors 'none'``.

The CSP of an HTML page depends on the page:

- a page with no inline script (login, lists, forms) gets ``script-src 'self'``: only the
  app's own script files run;
- a map page rendered by folium carries inline scripts (the map's set-up code), so it gets
  ``script-src 'self' 'unsafe-inline'``: still nothing from another origin. Leaflet and its
  plugins are served by the app (``maps.assets``), never from a CDN.

Which one is chosen by looking at the page itself (an inline ``<script>`` without ``src``),
so a new page is strict unless it really inlines a script. Styles may be inline on every
page (``style=`` attributes; folium sets sizes that way). Images may also come from the tile
server (setting ``tile_url``). Answers that are not HTML get ``default-src 'none'``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)

COMMON_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def page_csp(*, inline_scripts: bool, tile_url: str | None = None) -> str:
    """The CSP of an HTML page: scripts from the app only (inline ones if it has some)."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    scripts = "'self' 'unsafe-inline'" if inline_scripts else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{tiles}; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
"""The CSP of an answer that is not a page (JSON, scripts, styles, files)."""


class SecurityHeaders:
    """ASGI middleware adding the security headers (HTML pages are read whole to choose
    their CSP; everything else streams through)."""

    def __init__(self, app: ASGIApp, *, tile_url: str | None = None) -> None:
        self.app = app
        self.tile_url = tile_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = message  # held until the page is read
                    return
                await send(_with_headers(message, OTHER_CSP))
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(body)
            inline = _INLINE_SCRIPT.search(page) is not None
            csp = page_csp(inline_scripts=inline, tile_url=self.tile_url)
            await send(_with_headers(start, csp))
            await send({"type": "http.response.body", "body": page, "more_body": False})

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
