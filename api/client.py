"""What the app may believe about the client: its address and whether it came over HTTPS.

Behind a reverse proxy the connection is the proxy's; its ``X-Forwarded-For`` and
``X-Forwarded-Proto`` headers tell the truth only when they come from the proxy itself
(anyone can send those headers to an app reached directly). With the setting
``trust_proxy`` on, :func:`install_proxy_headers` puts uvicorn's
:class:`~uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware` in front of the app: for a
request whose peer is one of ``trusted_proxies`` it takes the scheme from
``X-Forwarded-Proto`` and the client from ``X-Forwarded-For``, read from the right and
skipping the trusted proxies, so an address the client wrote into the header itself is never
taken. Everything downstream (login throttling, the audit log, the access log, Secure
cookies) then reads the ordinary ``request.client`` and ``request.url.scheme``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gridmgmt.config import Settings


def install_proxy_headers(app: FastAPI, settings: Settings) -> None:
    """Believe the forwarded headers of the trusted proxies (add it last: it runs first)."""
    if settings.trust_proxy:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


def client_address(request: Request) -> str:
    """The client's address (behind a trusted proxy: the one the proxy saw), or ``-``."""
    return request.client.host if request.client is not None else "-"


def is_https(request: Request) -> bool:
    """Whether the client came over HTTPS (so cookies must be Secure)."""
    return request.url.scheme == "https"
