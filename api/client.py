"""What the app may believe about the client: its address and whether it came over HTTPS.

Behind a reverse proxy the connection is the proxy's; its ``X-Forwarded-For`` and
``X-Forwarded-Proto`` headers tell the truth only when the setting ``trust_proxy`` is on
(anyone can send those headers to an app reached directly).
"""

from __future__ import annotations

from fastapi import Request

from gridmgmt.config import Settings


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the first forwarded one behind a trusted proxy, else the peer's."""
    if settings.trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client is not None else "-"


def is_https(request: Request, settings: Settings) -> bool:
    """Whether the client came over HTTPS (so cookies must be Secure)."""
    if settings.trust_proxy:
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if proto:
            return proto == "https"
    return request.url.scheme == "https"
