"""Reading and rewriting the ``Cookie`` header of a raw ASGI request."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Scope

Headers = list[tuple[bytes, bytes]]


def request_cookie(scope: Scope, name: str) -> str | None:
    """The value of cookie ``name`` in the request, or None."""
    for key, value in _pairs(scope["headers"]):
        if key == name:
            return value
    return None


def without_cookie(headers: Iterable[tuple[bytes, bytes]], name: str) -> Headers:
    """``headers`` with cookie ``name`` removed from every ``Cookie`` header."""
    kept: Headers = []
    for key, value in headers:
        if key.lower() != b"cookie":
            kept.append((key, value))
            continue
        chunks = [c for c in value.decode("latin-1").split(";") if _key(c) != name]
        if any(c.strip() for c in chunks):
            kept.append((key, ";".join(chunks).strip().encode("latin-1")))
    return kept


def _key(chunk: str) -> str:
    return chunk.split("=", 1)[0].strip()


def _pairs(headers: Iterable[tuple[bytes, bytes]]) -> Iterable[tuple[str, str]]:
    for key, value in headers:
        if key.lower() != b"cookie":
            continue
        for chunk in value.decode("latin-1").split(";"):
            if "=" in chunk:
                name, _, cookie = chunk.partition("=")
                yield name.strip(), cookie.strip().strip('"')
