"""The area's federation keys (协查密钥): parsing the setting, and the keys derived from each.

The setting ``GRIDMGMT_FEDERATION_KEY`` holds one or more keys as ``kid:secret`` pairs
separated by commas (``"2026q1:3f9c...,2025q4:a71e..."``). The first key is the one used to
export; every key listed is accepted on import, so an area rotates its key by putting the new
one first on every server, and dropping the old one once no bundle under it is kept. A value
without a ``kid:`` prefix is a single key with id ``default``.

Each secret is never used directly: a matching key (for identifier digests) and a signing key
(for bundle signatures) are derived from it with HMAC-SHA256 under fixed labels, so a
signature never doubles as a digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from gridmgmt.errors import InvalidInputError

__all__ = ["DEFAULT_KEY_ID", "MIN_SECRET_LENGTH", "FederationKey", "Keyring", "parse_keyring"]

DEFAULT_KEY_ID = "default"
MIN_SECRET_LENGTH = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MATCH_LABEL = b"gridmgmt/federation/v1/match"
_SIGN_LABEL = b"gridmgmt/federation/v1/sign"


def _derive(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, label, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class FederationKey:
    """One key of the area: its id and the two keys derived from its secret.

    Parameters
    ----------
    key_id
        Written into bundles so that the receiver picks the same key.
    secret
        The shared secret, as configured.
    """

    key_id: str
    secret: bytes = field(repr=False)
    match_key: bytes = field(init=False, repr=False)
    sign_key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID.match(self.key_id):
            msg = f"key id {self.key_id!r} must be 1-64 letters, digits, '.', '_' or '-'"
            raise InvalidInputError(msg)
        if len(self.secret) < MIN_SECRET_LENGTH:
            msg = (
                f"federation key {self.key_id!r} is shorter than {MIN_SECRET_LENGTH} "
                "characters; use a long random secret shared by the area"
            )
            raise InvalidInputError(msg)
        object.__setattr__(self, "match_key", _derive(self.secret, _MATCH_LABEL))
        object.__setattr__(self, "sign_key", _derive(self.secret, _SIGN_LABEL))


@dataclass(frozen=True, slots=True)
class Keyring:
    """The keys a server holds: the first exports, any of them verifies."""

    keys: tuple[FederationKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            msg = "a keyring needs at least one key"
            raise InvalidInputError(msg)
        ids = [key.key_id for key in self.keys]
        repeated = sorted({kid for kid in ids if ids.count(kid) > 1})
        if repeated:
            msg = f"federation key id(s) {repeated} are listed more than once"
            raise InvalidInputError(msg)

    @property
    def current(self) -> FederationKey:
        """The key bundles are exported under."""
        return self.keys[0]

    def get(self, key_id: str) -> FederationKey | None:
        """The key with id ``key_id``, or None if this server does not hold it."""
        return next((key for key in self.keys if key.key_id == key_id), None)

    @property
    def key_ids(self) -> list[str]:
        """The ids held, current first."""
        return [key.key_id for key in self.keys]

    def __iter__(self) -> Iterator[FederationKey]:
        return iter(self.keys)


def parse_keyring(text: str | None, *, setting: str = "GRIDMGMT_FEDERATION_KEY") -> Keyring:
    """Parse the setting's ``kid:secret,kid:secret`` text into a :class:`Keyring`.

    Raises
    ------
    InvalidInputError
        If the setting is empty or a key is malformed (the message names the setting, never
        the secret).
    """
    if not text or not text.strip():
        msg = f"{setting} is not set: the area's federation key is needed to match privately"
        raise InvalidInputError(msg)
    parts: Sequence[str] = [part.strip() for part in text.split(",") if part.strip()]
    keys = []
    for part in parts:
        key_id, sep, secret = part.partition(":")
        if not sep:
            key_id, secret = DEFAULT_KEY_ID, part
        keys.append(FederationKey(key_id.strip(), secret.strip().encode("utf-8")))
    return Keyring(tuple(keys))
