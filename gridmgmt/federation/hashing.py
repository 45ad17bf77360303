"""Keyed hashes: identifier digests under the area's key, and opaque case references.

An identifier digest is HMAC-SHA256 under the area's matching key of ``kind + "\\x00" +
value``, truncated to 128 bits (RFC 2104 allows truncation to half the output; 128 bits
keep the chance of any collision among billions of values negligible). The kind is part of
the message, so each kind is its own domain: a phone and a bank account of the same digits
never match. Without the key nobody can test a guessed value against a digest.

A case reference names a (case, kind) pair without revealing the case: HMAC-SHA256 under a
secret of the server that holds the case (never shared, not even within the area) of
``county + "\\x00" + case_no + "\\x00" + kind``, truncated to 128 bits, as 32 hex digits. It
is stable (the same pair always gives the same reference), so a later lead request can quote
it and the holding server can find the case again; a neighbour holding the area's key still
cannot guess case numbers from it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

__all__ = ["DIGEST_BYTES", "REF_PATTERN", "case_ref", "identifier_digest"]

DIGEST_BYTES: Final = 16
"""Bytes kept of each HMAC-SHA256 (128 bits)."""
REF_PATTERN: Final = re.compile(r"^[0-9a-f]{32}$")
"""What a case reference looks like: 32 lower-case hex digits."""


def identifier_digest(match_key: bytes, kind: str, value: str) -> bytes:
    """HMAC-SHA256(match_key, kind NUL value), first :data:`DIGEST_BYTES` bytes.

    ``kind`` may be an :class:`~gridmgmt.cases.model.EntityKind`: it formats as its value.
    """
    message = f"{kind}\x00{value}".encode()
    return hmac.digest(match_key, message, hashlib.sha256)[:DIGEST_BYTES]


def case_ref(ref_secret: bytes, county_code: str, case_no: str, kind: str) -> str:
    """The opaque reference of (case, kind) under the holding server's secret, 32 hex digits."""
    message = f"{county_code}\x00{case_no}\x00{kind}".encode()
    return hmac.digest(ref_secret, message, hashlib.sha256)[:DIGEST_BYTES].hex()
