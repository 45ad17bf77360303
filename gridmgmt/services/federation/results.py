"""Typed results of the federation services (what the CLI prints and the API returns)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from gridmgmt.services.results import Result

__all__ = ["BundleExport", "BundleImport", "BundleSummary", "FederationHit", "RefTarget"]


class FederationHit(Result):
    """Your case ``case_no`` shares an identifier of ``kind`` with a case of ``county_code``.

    ``ref`` stands for that other case and kind, stable across calls; quote it in a lead
    request. Nothing else of the other case is told: not the value, not its number.
    """

    case_no: str = Field(description="The local case.")
    local_county_code: str = Field(description="The county of the local case.")
    kind: str = Field(description="The kind of identifier shared: id_number, phone, plate ...")
    county_code: str = Field(description="The other county.")
    ref: str = Field(description="Opaque reference of the other case (and kind).")
    source: Literal["area", "bundle"] = Field(
        description="area: both cases are on this server; bundle: the other county's bundle."
    )


class BundleSummary(Result):
    """A neighbour's bundle as stored (or as just read)."""

    county_code: str
    key_id: str
    format_version: int
    created_at: dt.datetime
    entries: int
    sha256: str
    source: str
    imported_by: str
    imported_at: dt.datetime
    usable: bool = Field(
        default=True,
        description="False when this server no longer holds the bundle's key: it gives no "
        "hits until the neighbour sends a bundle under a current key.",
    )


class BundleImport(Result):
    """What an import did: ``stored`` (new county), ``replaced`` (newer) or ``unchanged``."""

    outcome: Literal["stored", "replaced", "unchanged"]
    bundle: BundleSummary
    replaced_created_at: dt.datetime | None = None


class BundleExport(Result):
    """An exported bundle: its figures, and the signed file bytes to write (``data``)."""

    county_code: str
    key_id: str
    created_at: dt.datetime
    entries: int
    counts: dict[str, int]
    sha256: str
    data: bytes = Field(exclude=True, repr=False)


class RefTarget(Result):
    """What an opaque reference stands for, on the server that issued it (never sent out)."""

    county_code: str
    case_no: str
    kind: str
