"""Answers built from stored data and kept as JSON bytes per app process (缓存).

A heavy read (a county's map data, a rule layer, its grid outlines) is built once per key
and data version (:func:`gridmgmt.services.data_version.data_version`, read from the
database on every request, so several workers stay correct) and served from memory until
the data changes; the bytes are sent as they are, without serialising again. The cache is
bounded in entries and bytes (:data:`MAX_BYTES`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Final

import pydantic_core
from fastapi import Response

from gridmgmt.services.versioned_cache import VersionedCache

__all__ = ["MAX_BYTES", "cached_json", "json_bytes", "with_fields"]

MAX_BYTES: Final = 64 * 1024 * 1024
"""The most the cached answers of one process hold in all."""
_answers: Final[VersionedCache[bytes]] = VersionedCache(1024, max_size=MAX_BYTES, sizeof=len)


def json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, as the API answers it (Chinese as is; NaN and
    infinite numbers as null)."""
    return pydantic_core.to_json(value, inf_nan_mode="null")


def with_fields(body: bytes, fields: dict[str, Any]) -> bytes:
    """A JSON object ``body`` (cached bytes) with ``fields`` added, without parsing it."""
    if not fields:
        return body
    extra = json_bytes(fields)[1:-1]
    return body[:-1] + (b"," if body != b"{}" else b"") + extra + b"}"


def cached_json(
    key: Hashable,
    version: Hashable,
    build: Callable[[], Any],
    *,
    media_type: str = "application/json",
    extra: dict[str, Any] | None = None,
) -> Response:
    """The JSON answer of ``build()`` at ``version``, from the cache or built now.

    ``extra`` fields (e.g. texts in the request's language) are added to the cached object.
    """
    body = _answers.get(key, version, lambda: json_bytes(build()))
    return Response(with_fields(body, extra or {}), media_type=media_type)
