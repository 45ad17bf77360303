"""The strong identifiers counties compare, normalised exactly as the case graph does.

Only identifiers that name one thing anywhere are compared across counties: resident ID
numbers, phones, plates, waybills and bank accounts. Names, addresses and companies are not
(they are weak, and a name or an address is what must not travel). Each value is normalised
by the same functions, with the same options, as entity resolution
(:meth:`gridmgmt.cases.resolution.EntityResolver`): ``+86 139-4746-1234`` and ``13947461234``,
an ID number's ``x`` and ``X``, ``晋B 12345`` and ``晋B12345`` become one value.

Only *valid* identifiers take part: a mistyped ID number or a short phone number would send a
neighbour's liaison after a lead that is noise, and a value that fails its check is weak
evidence. Within a county the case graph still links them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

from gridmgmt.cases.identifiers import (
    NormalisedIdentifier,
    normalise_bank_account,
    normalise_id_number,
    normalise_phone,
    normalise_plate,
    normalise_waybill,
)
from gridmgmt.cases.model import EntityKind, Mention

__all__ = ["STRONG_KINDS", "StrongIdentifier", "normalise_strong", "strong_identifiers"]

STRONG_KINDS: Final = (
    EntityKind.ID_NUMBER,
    EntityKind.PHONE,
    EntityKind.PLATE,
    EntityKind.WAYBILL,
    EntityKind.BANK_ACCOUNT,
)
"""The identifier kinds compared across counties, each its own hashing domain."""


def _phone(raw: str) -> NormalisedIdentifier:
    # As the resolver: the home region is not part of the value, and geocoding is slow.
    return normalise_phone(raw, geocode=False)


_NORMALISERS: Final[dict[EntityKind, Callable[[str], NormalisedIdentifier]]] = {
    EntityKind.ID_NUMBER: normalise_id_number,
    EntityKind.PHONE: _phone,
    EntityKind.PLATE: normalise_plate,
    EntityKind.WAYBILL: normalise_waybill,
    EntityKind.BANK_ACCOUNT: normalise_bank_account,
}


class StrongIdentifier(NamedTuple):
    """A valid strong identifier one case mentions (a tuple: counties hold millions).

    Parameters
    ----------
    case_no
        The case that mentions it.
    kind
        One of :data:`STRONG_KINDS`.
    value
        The normalised value (``+8613947461234``, ``15092419850315123X`` ...).
    """

    case_no: str
    kind: EntityKind
    value: str


def normalise_strong(kind: EntityKind, raw: str) -> str | None:
    """The normalised value of ``raw`` as a ``kind`` identifier, or None if it is not valid."""
    identifier = _NORMALISERS[kind](raw)
    return identifier.value if identifier.valid and identifier.value else None


class _Cached:
    """Normalises each distinct spelling once (case files repeat the same phones a lot)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[EntityKind, str], str | None] = {}

    def __call__(self, kind: EntityKind, raw: str | None) -> str | None:
        if not raw:
            return None
        key = (kind, raw)
        if key not in self.seen:
            self.seen[key] = normalise_strong(kind, raw)
        return self.seen[key]


def _raw_values(mention: Mention) -> Iterable[tuple[EntityKind, str | None]]:
    if mention.kind is EntityKind.PERSON:
        # A person carries an ID number and possibly a phone: both are strong identifiers.
        yield EntityKind.ID_NUMBER, mention.id_number
        yield EntityKind.PHONE, mention.phone
    elif mention.kind in _NORMALISERS:
        yield mention.kind, mention.value


def strong_identifiers(mentions: Iterable[Mention]) -> list[StrongIdentifier]:
    """The distinct valid strong identifiers of the mentions, one per (case, kind, value).

    A person mention gives its ID number and its phone; a mention of a strong kind gives its
    value; anything else (names, addresses, companies, licences) gives nothing.
    """
    normalised = _Cached()
    found: set[StrongIdentifier] = set()
    for mention in mentions:
        for kind, raw in _raw_values(mention):
            value = normalised(kind, raw)
            if value is not None:
                found.add(StrongIdentifier(mention.case_no, kind, value))
    return sorted(found)
