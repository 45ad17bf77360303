"""Federation services (毗邻协作 隐私比对): private matching, in both ways bureaus deploy.

- One server for the area: :func:`list_hits` compares the strong identifiers of every
  county stored here and tells each liaison which of their cases share one with another
  county, through an opaque reference.
- One server per county: :func:`export_bundle` writes the county's keyed hashes as a signed
  bundle; :func:`import_bundle` verifies and stores a neighbour's; :func:`list_hits` then
  matches against the stored bundles too.

:func:`resolve_ref` finds the case behind a reference this server issued (for the server's
own use, e.g. answering a lead request); no face exposes it.
"""

from gridmgmt.services.federation.bundles import export_bundle, import_bundle, list_bundles
from gridmgmt.services.federation.hits import list_hits, resolve_ref
from gridmgmt.services.federation.results import (
    BundleExport,
    BundleImport,
    BundleSummary,
    FederationHit,
    RefTarget,
)

__all__ = [
    "BundleExport",
    "BundleImport",
    "BundleSummary",
    "FederationHit",
    "RefTarget",
    "export_bundle",
    "import_bundle",
    "list_bundles",
    "list_hits",
    "resolve_ref",
]
