"""Hits for a liaison: which of their cases share a strong identifier with another county.

Both ways bureaus deploy are answered together. Cases of every county stored on this server
(one server for the area) are compared on their normalised values; bundles imported from
counties whose cases are not stored here (one server per county) are compared on digests.
A hit names the local case, the kind of identifier and the other county, and an opaque
reference to the other case; never the value, the other case's number or its people.

:func:`resolve_ref` turns a reference this server issued back into its case, for the
server's own use (a lead request quoting it); no face exposes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.cases.model import EntityKind
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.federation.hashing import REF_PATTERN, case_ref
from gridmgmt.federation.identifiers import STRONG_KINDS
from gridmgmt.federation.matching import Hit, digest_index, match_area, match_bundle
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.federation._local import (
    keyring,
    local_counties,
    local_identifiers,
    ref_secret,
)
from gridmgmt.services.federation.results import FederationHit, RefTarget
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.federation import FederationBundle, FederationHash

if TYPE_CHECKING:
    from gridmgmt.config import Settings
    from gridmgmt.services.actor import Actor

__all__ = ["list_hits", "resolve_ref"]


@requires(Action.READ_FEDERATION_HITS)
def list_hits(
    session: Session, *, actor: Actor, settings: Settings, county_code: str | None = None
) -> list[FederationHit]:
    """The hits of the actor's counties' cases (or of ``county_code``, one of them).

    Raises
    ------
    NotFoundError
        If ``county_code`` is not one of the actor's counties.
    InvalidInputError
        If bundles are stored but ``GRIDMGMT_FEDERATION_KEY`` is unset or malformed.
    """
    if county_code is not None and not actor.can_see(county_code):
        raise NotFoundError("county", county_code)
    wanted = {county_code} if county_code is not None else actor.counties
    stored = local_counties(session)
    hits = [_view(hit, "area") for hit in _area_hits(session, wanted) if _in(hit, wanted)]
    hits += [_view(hit, "bundle") for hit in _bundle_hits(session, settings, wanted, stored)]
    hits.sort(key=lambda h: (h.local_county_code, h.case_no, h.kind, h.county_code, h.ref))
    audit.record(
        session,
        actor,
        "federation.hits.read",
        kind="federation_hits",
        county_code=county_code,
        detail={"hits": len(hits), "counties": sorted({h.county_code for h in hits})},
    )
    return hits


def _in(hit: Hit, wanted: Iterable[str] | None) -> bool:
    return wanted is None or hit.local_county_code in wanted


def _view(hit: Hit, source: str) -> FederationHit:
    return FederationHit(
        case_no=hit.case_no,
        local_county_code=hit.local_county_code,
        kind=hit.kind.value,
        county_code=hit.county_code,
        ref=hit.ref,
        source="area" if source == "area" else "bundle",
    )


def _area_hits(session: Session, wanted: set[str] | frozenset[str] | None) -> list[Hit]:
    """Hits between the counties stored here, on the clear normalised values."""
    identifiers = local_identifiers(session)
    if wanted is not None and not any(county in wanted for county, _item in identifiers):
        return []
    secret = ref_secret(session)

    def ref_of(county: str, case_no: str, kind: EntityKind) -> str:
        return case_ref(secret, county, case_no, kind.value)

    return match_area(identifiers, ref_of=ref_of)


def _bundle_hits(
    session: Session,
    settings: Settings,
    wanted: set[str] | frozenset[str] | None,
    stored: set[str],
) -> Iterator[Hit]:
    """Hits of the wanted local cases against each bundle of a county not stored here."""
    bundles = [
        row
        for row in session.scalars(select(FederationBundle).order_by(FederationBundle.county_code))
        if row.county_code not in stored
    ]
    if not bundles:
        return
    keys = keyring(settings)
    identifiers = local_identifiers(session, wanted)
    indexes: dict[str, dict[bytes, list[tuple[str, str, EntityKind]]]] = {}
    for bundle in bundles:
        key = keys.get(bundle.key_id)
        if key is None:  # under a retired key: no hits until the neighbour sends a new one
            continue
        if key.key_id not in indexes:
            indexes[key.key_id] = digest_index(identifiers, key.match_key)
        rows = session.execute(
            select(FederationHash.kind, FederationHash.ref, FederationHash.digest)
            .where(FederationHash.bundle_id == bundle.id)
            .execution_options(yield_per=20_000)
        )
        entries = ((row.kind, row.ref, bytes(row.digest)) for row in rows)
        yield from match_bundle(indexes[key.key_id], entries, county_code=bundle.county_code)


def resolve_ref(session: Session, ref: str, *, county_code: str | None = None) -> RefTarget:
    """The case and kind a reference issued by this server stands for (server use only).

    Parameters
    ----------
    ref
        A reference from a hit or a bundle this server exported.
    county_code
        The county the reference is of, when known (a faster search).

    Raises
    ------
    InvalidInputError
        If ``ref`` is not 32 lower-case hex digits.
    NotFoundError
        If no stored case of this server has that reference.
    """
    if not REF_PATTERN.match(ref):
        msg = f"reference {ref!r} is not 32 lower-case hex digits"
        raise InvalidInputError(msg)
    secret = ref_secret(session)
    query = select(CaseRecord.county_code, CaseRecord.case_no)
    if county_code is not None:
        query = query.where(CaseRecord.county_code == county_code)
    for county, case_no in session.execute(query):
        for kind in STRONG_KINDS:
            if case_ref(secret, county, case_no, kind.value) == ref:
                return RefTarget(county_code=county, case_no=case_no, kind=kind.value)
    raise NotFoundError("reference", ref)
