"""Matching: which local cases share a strong identifier with a case of another county.

Two ways, one answer. On one server for the whole area, :func:`match_area` compares the
normalised values of every county directly. On one server per county, the neighbours'
bundles hold digests only: :func:`digest_index` hashes the local values under the bundle's
key and :func:`match_bundle` looks each of the bundle's digests up. Both give a
:class:`Hit` per (local case, kind, other county, other case's reference): the same set on
the same data, up to the references, which each holding server computes under its own secret.

A hit tells which local case, which kind of identifier and which county; the reference stands
for the other case (and the kind) without naming it. Pairs within one county are not hits:
the county's own case graph links them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from gridmgmt.cases.model import EntityKind
from gridmgmt.federation.hashing import identifier_digest
from gridmgmt.federation.identifiers import StrongIdentifier

__all__ = ["CountyIdentifier", "Hit", "digest_index", "match_area", "match_bundle"]

CountyIdentifier = tuple[str, StrongIdentifier]
"""A strong identifier with the county of its case."""
RefOf = Callable[[str, str, EntityKind], str]
"""(county, case_no, kind) -> the opaque reference of that case and kind."""


class Hit(NamedTuple):
    """A local case shares an identifier of ``kind`` with a case of ``county_code``.

    Parameters
    ----------
    case_no
        The local case.
    local_county_code
        Its county.
    kind
        The kind of identifier shared (never the value).
    county_code
        The other county.
    ref
        The other case's opaque reference for this kind.
    """

    case_no: str
    local_county_code: str
    kind: EntityKind
    county_code: str
    ref: str


def match_area(identifiers: Iterable[CountyIdentifier], *, ref_of: RefOf) -> list[Hit]:
    """Hits between the counties of one server, on the clear normalised values.

    Parameters
    ----------
    identifiers
        Every county's strong identifiers, with the county of each case.
    ref_of
        Makes the reference of an other county's (case, kind).
    """
    holders: dict[tuple[EntityKind, str], set[tuple[str, str]]] = defaultdict(set)
    for county, item in identifiers:
        holders[(item.kind, item.value)].add((county, item.case_no))
    hits: set[Hit] = set()
    refs: dict[tuple[str, str, EntityKind], str] = {}
    for (kind, _value), cases in holders.items():
        if len({county for county, _case in cases}) < 2:
            continue
        for county, case_no in cases:
            for other_county, other_case in cases:
                if other_county == county:
                    continue
                key = (other_county, other_case, kind)
                ref = refs.get(key)
                if ref is None:
                    ref = refs[key] = ref_of(other_county, other_case, kind)
                hits.add(Hit(case_no, county, kind, other_county, ref))
    return sorted(hits)


DigestIndex = dict[bytes, list[tuple[str, str, EntityKind]]]
"""Digest -> the local (county, case_no, kind) holding that identifier."""


def digest_index(identifiers: Iterable[CountyIdentifier], match_key: bytes) -> DigestIndex:
    """The local identifiers' digests under one area key, for :func:`match_bundle`."""
    index: DigestIndex = defaultdict(list)
    for county, item in identifiers:
        digest = identifier_digest(match_key, item.kind, item.value)
        holder = (county, item.case_no, item.kind)
        if holder not in index[digest]:
            index[digest].append(holder)
    return dict(index)


def match_bundle(
    index: DigestIndex, entries: Iterable[tuple[str, str, bytes]], *, county_code: str
) -> Iterator[Hit]:
    """Hits of the local cases against one county's bundle entries.

    Parameters
    ----------
    index
        The local digests under the bundle's key (:func:`digest_index`).
    entries
        The bundle's (kind, ref, digest) triples.
    county_code
        The bundle's county; local cases of that county are skipped.
    """
    seen: set[tuple[str, str, EntityKind, str]] = set()
    for kind_text, ref, digest in entries:
        for local_county, case_no, kind in index.get(digest, ()):
            # The kind is inside the digest; the check guards against a mislabelled entry.
            if local_county == county_code or kind != kind_text:
                continue
            key = (case_no, local_county, kind, ref)
            if key not in seen:
                seen.add(key)
                yield Hit(case_no, local_county, kind, county_code, ref)
