"""Bundle files: a county's keyed hashes, signed, written and read back (联查数据包).

A bundle is one UTF-8 JSON document, written in canonical form (keys sorted, no spaces,
ASCII only) and ended by one newline::

    {"bundle":{"county_code":"150924",
               "created_at":"2026-03-01T08:00:00.000000Z",
               "digest":"hmac-sha256-128",
               "entries":{"id_number":[["<ref>","<digest>"],...],
                          "phone":[...],"plate":[...],"waybill":[...],"bank_account":[...]},
               "format":"gridmgmt-federation-bundle",
               "key_id":"2026q1",
               "version":1},
     "signature":{"algorithm":"hmac-sha256","value":"<64 hex digits>"}}

- ``entries`` holds, per identifier kind, pairs of an opaque case reference (32 hex digits,
  one per case and kind, see :func:`~gridmgmt.federation.hashing.case_ref`) and the digest
  of one normalised identifier of that case (32 hex digits,
  :func:`~gridmgmt.federation.hashing.identifier_digest`), sorted. No clear value, name,
  address or case number is in the file.
- ``signature.value`` is HMAC-SHA256, under the signing key derived from key ``key_id``, of
  the canonical form of ``bundle``.

Reading is strict: the file must be exactly the canonical form of what it holds (so no byte
can change unnoticed, not even white space), the key id must be one this server holds, the
signature must verify, and only then is the content checked and returned. Any failure raises
:class:`BundleError` naming the file; nothing is returned half-read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from gridmgmt.cases.model import EntityKind
from gridmgmt.errors import InvalidInputError
from gridmgmt.federation.hashing import case_ref, identifier_digest
from gridmgmt.federation.identifiers import STRONG_KINDS, StrongIdentifier
from gridmgmt.federation.keys import FederationKey, Keyring

__all__ = [
    "DIGEST_ALGORITHM",
    "FORMAT",
    "FORMAT_VERSION",
    "SIGNATURE_ALGORITHM",
    "Bundle",
    "BundleEntry",
    "BundleError",
    "build_bundle",
    "read_bundle",
    "write_bundle",
]

FORMAT: Final = "gridmgmt-federation-bundle"
FORMAT_VERSION: Final = 1
DIGEST_ALGORITHM: Final = "hmac-sha256-128"
SIGNATURE_ALGORITHM: Final = "hmac-sha256"
_COUNTY = re.compile(r"^\d{6}$")
_HEX = re.compile(r"[0-9a-f]*")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class BundleError(InvalidInputError):
    """A bundle file is refused: not a bundle, altered, or under a key this server lacks."""

    def __init__(self, source: str, reason: str) -> None:
        message = f"bundle {source} refused: {reason}; nothing was imported"
        super().__init__(message, [{"file": source, "message": reason}])
        self.source = source
        self.reason = reason


class BundleEntry(NamedTuple):
    """One (case reference, identifier digest) pair of a kind (a tuple: bundles hold many)."""

    kind: EntityKind
    ref: str
    digest: bytes


@dataclass(frozen=True, slots=True)
class Bundle:
    """A county's keyed hashes, as exported or as read from a verified file.

    Parameters
    ----------
    county_code
        The county whose cases the entries stand for.
    created_at
        When it was exported (UTC, timezone-aware); a newer bundle replaces an older one.
    key_id
        The area key the digests and the signature are under.
    entries
        The pairs, sorted.
    version
        Format version.
    """

    county_code: str
    created_at: dt.datetime
    key_id: str
    entries: tuple[BundleEntry, ...]
    version: int = FORMAT_VERSION

    def counts(self) -> dict[str, int]:
        """Entries per kind."""
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.kind.value] = counts.get(entry.kind.value, 0) + 1
        return counts


def build_bundle(
    identifiers: Iterable[StrongIdentifier],
    *,
    county_code: str,
    key: FederationKey,
    ref_secret: bytes,
    created_at: dt.datetime,
) -> Bundle:
    """Hash a county's strong identifiers into a bundle (one entry per distinct pair).

    Parameters
    ----------
    identifiers
        The valid strong identifiers of the county's cases.
    county_code
        The county.
    key
        The area key to hash under (the keyring's current key).
    ref_secret
        The exporting server's own secret for case references.
    created_at
        The export time (timezone-aware).
    """
    if created_at.tzinfo is None:
        msg = "created_at must be timezone-aware"
        raise ValueError(msg)
    refs: dict[tuple[str, EntityKind], str] = {}
    entries: set[BundleEntry] = set()
    for item in identifiers:
        ref = refs.get((item.case_no, item.kind))
        if ref is None:
            ref = refs[(item.case_no, item.kind)] = case_ref(
                ref_secret, county_code, item.case_no, item.kind
            )
        digest = identifier_digest(key.match_key, item.kind, item.value)
        entries.add(BundleEntry(item.kind, ref, digest))
    return Bundle(county_code, created_at.astimezone(dt.UTC), key.key_id, tuple(sorted(entries)))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _content(bundle: Bundle) -> dict[str, Any]:
    grouped: dict[str, list[list[str]]] = {kind.value: [] for kind in STRONG_KINDS}
    for entry in bundle.entries:
        grouped[entry.kind.value].append([entry.ref, entry.digest.hex()])
    return {
        "county_code": bundle.county_code,
        "created_at": bundle.created_at.astimezone(dt.UTC).strftime(_TIME_FORMAT),
        "digest": DIGEST_ALGORITHM,
        "entries": grouped,
        "format": FORMAT,
        "key_id": bundle.key_id,
        "version": bundle.version,
    }


def _signed_file(content_bytes: bytes, signature: str) -> bytes:
    # The canonical form of {"bundle": ..., "signature": ...}: "bundle" sorts first.
    envelope = _canonical({"algorithm": SIGNATURE_ALGORITHM, "value": signature})
    return b'{"bundle":' + content_bytes + b',"signature":' + envelope + b"}\n"


def _sign(key: FederationKey, content_bytes: bytes) -> str:
    return hmac.new(key.sign_key, content_bytes, hashlib.sha256).hexdigest()


def write_bundle(bundle: Bundle, key: FederationKey) -> bytes:
    """The signed file bytes of ``bundle`` (``key`` must be the key it was hashed under)."""
    if key.key_id != bundle.key_id:
        msg = f"the bundle is under key {bundle.key_id!r}, not {key.key_id!r}"
        raise ValueError(msg)
    content_bytes = _canonical(_content(bundle))
    return _signed_file(content_bytes, _sign(key, content_bytes))


def read_bundle(data: bytes, keyring: Keyring, *, source: str) -> Bundle:
    """Verify and read a bundle file.

    Parameters
    ----------
    data
        The file's bytes.
    keyring
        The keys this server holds; the bundle's key id must be one of them.
    source
        How to name the file in errors.

    Raises
    ------
    BundleError
        If the file is not a bundle, was changed in any byte, is under a key this server
        does not hold or does not verify under it, or holds malformed content.
    """
    document = _parse(data, source)
    content = document["bundle"]
    content_bytes = _canonical(content)
    signature = document["signature"]["value"]
    if _signed_file(content_bytes, signature) != data:
        reason = "the file is not byte for byte as gridmgmt writes bundles (altered?)"
        raise BundleError(source, reason)
    key_id = content.get("key_id")
    key = keyring.get(key_id) if isinstance(key_id, str) else None
    if key is None:
        reason = f"it is under key {key_id!r}, which this server does not hold ({keyring.key_ids})"
        raise BundleError(source, reason)
    if not hmac.compare_digest(_sign(key, content_bytes), signature):
        reason = (
            f"its signature does not verify under key {key_id!r}: the file was altered, or "
            "it was signed under another key of the same id"
        )
        raise BundleError(source, reason)
    return _bundle_of(content, source)


def _parse(data: bytes, source: str) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BundleError(source, f"not a bundle file (not canonical JSON: {error})") from None
    shape_ok = (
        isinstance(document, dict)
        and set(document) == {"bundle", "signature"}
        and isinstance(document["bundle"], dict)
        and isinstance(document["signature"], dict)
        and document["signature"].get("algorithm") == SIGNATURE_ALGORITHM
        and isinstance(document["signature"].get("value"), str)
        and set(document["signature"]) == {"algorithm", "value"}
    )
    if not shape_ok:
        reason = "not a bundle file (expected a signed object with 'bundle' and 'signature')"
        raise BundleError(source, reason)
    parsed: dict[str, Any] = document
    return parsed


def _bundle_of(content: Mapping[str, Any], source: str) -> Bundle:
    """Check a verified bundle's fields and build it."""
    if content.get("format") != FORMAT:
        raise BundleError(source, f"format is {content.get('format')!r}, expected {FORMAT!r}")
    version = content.get("version")
    if version != FORMAT_VERSION:
        reason = f"format version {version!r} is not supported (this gridmgmt reads version 1)"
        raise BundleError(source, reason)
    if content.get("digest") != DIGEST_ALGORITHM:
        raise BundleError(source, f"digest {content.get('digest')!r} is not {DIGEST_ALGORITHM}")
    county = content.get("county_code")
    if not isinstance(county, str) or not _COUNTY.match(county):
        raise BundleError(source, f"county_code {county!r} is not a 6-digit county code")
    created_at = _created_at(content.get("created_at"), source)
    entries = _entries(content.get("entries"), source)
    return Bundle(county, created_at, str(content["key_id"]), entries, FORMAT_VERSION)


def _created_at(text: Any, source: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(str(text), _TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        reason = f"created_at {text!r} is not a UTC time like 2026-03-01T08:00:00.000000Z"
        raise BundleError(source, reason) from None


def _entries(grouped: Any, source: str) -> tuple[BundleEntry, ...]:
    allowed = [kind.value for kind in STRONG_KINDS]
    if not isinstance(grouped, dict) or set(grouped) - set(allowed):
        raise BundleError(source, f"entries must be an object with kinds among {allowed}")
    entries: list[BundleEntry] = []
    for kind_text, pairs in grouped.items():
        kind = EntityKind(kind_text)
        if not isinstance(pairs, list) or not all(_is_pair(pair) for pair in pairs):
            reason = f"entries of {kind_text} must be a list of pairs of 32-hex-digit strings"
            raise BundleError(source, reason)
        # One scan of all the pairs' text (a bundle holds hundreds of thousands).
        if not _HEX.fullmatch("".join(ref + digest for ref, digest in pairs)):
            reason = f"an entry of {kind_text} holds more than lower-case hex digits"
            raise BundleError(source, reason)
        entries.extend(BundleEntry(kind, ref, bytes.fromhex(digest)) for ref, digest in pairs)
    return tuple(entries)


def _is_pair(pair: Any) -> bool:
    return (
        type(pair) is list
        and len(pair) == 2
        and type(pair[0]) is str
        and type(pair[1]) is str
        and len(pair[0]) == 32
        and len(pair[1]) == 32
    )
