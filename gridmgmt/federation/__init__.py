"""Private matching between counties (隐私比对): keyed hashes, signed bundles, hits.

Counties do not see each other's cases. What they may learn is that a case of theirs shares
a strong identifier (an ID number, phone, plate, waybill or bank account) with a case of a
neighbour, through an opaque reference the neighbour can resolve when asked. This package
is the pure part, no database and no web:

- :mod:`~gridmgmt.federation.keys`: the area's keys (``GRIDMGMT_FEDERATION_KEY``, rotation);
- :mod:`~gridmgmt.federation.identifiers`: the strong identifiers of mentions, normalised as
  the case graph normalises them;
- :mod:`~gridmgmt.federation.hashing`: identifier digests and opaque case references;
- :mod:`~gridmgmt.federation.bundle`: the signed bundle file a county exports and its
  neighbours import;
- :mod:`~gridmgmt.federation.matching`: hits on one server for the area, or against bundles.

The service (:mod:`gridmgmt.services.federation`) loads and stores; the faces are
``gridmgmt federation ...`` and ``/api/v1/federation``.
"""

from gridmgmt.federation.bundle import (
    Bundle,
    BundleEntry,
    BundleError,
    build_bundle,
    read_bundle,
    write_bundle,
)
from gridmgmt.federation.hashing import case_ref, identifier_digest
from gridmgmt.federation.identifiers import STRONG_KINDS, StrongIdentifier, strong_identifiers
from gridmgmt.federation.keys import FederationKey, Keyring, parse_keyring
from gridmgmt.federation.matching import Hit, digest_index, match_area, match_bundle

__all__ = [
    "STRONG_KINDS",
    "Bundle",
    "BundleEntry",
    "BundleError",
    "FederationKey",
    "Hit",
    "Keyring",
    "StrongIdentifier",
    "build_bundle",
    "case_ref",
    "digest_index",
    "identifier_digest",
    "match_area",
    "match_bundle",
    "parse_keyring",
    "read_bundle",
    "strong_identifiers",
    "write_bundle",
]
