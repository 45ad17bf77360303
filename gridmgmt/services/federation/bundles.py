"""Export this county's bundle, import a neighbour's, list the stored ones.

One server per county: ``export_bundle`` hashes the county's valid strong identifiers under
the area's current key and signs the file; the neighbour's ``import_bundle`` verifies it and
stores its entries in one transaction (all or nothing), replacing an older bundle of the same
county and refusing an older one than stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.federation.bundle import Bundle, BundleError, build_bundle, read_bundle, write_bundle
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.federation._local import keyring, local_identifiers, ref_secret
from gridmgmt.services.federation.results import BundleExport, BundleImport, BundleSummary
from gridmgmt.store.models import County
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.federation import FederationBundle, FederationHash

if TYPE_CHECKING:
    from gridmgmt.config import Settings
    from gridmgmt.services.actor import Actor

__all__ = ["export_bundle", "import_bundle", "list_bundles"]

_INSERT_CHUNK = 50_000


@requires(Action.EXPORT_FEDERATION_BUNDLE)
def export_bundle(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    county_code: str,
    now: dt.datetime | None = None,
) -> BundleExport:
    """The signed bundle of ``county_code``'s cases, under the area's current key.

    Raises
    ------
    NotFoundError
        If the county is not stored here or not the actor's.
    InvalidInputError
        If ``GRIDMGMT_FEDERATION_KEY`` is unset or malformed.
    """
    if not actor.can_see(county_code) or session.get(County, county_code) is None:
        raise NotFoundError("county", county_code)
    key = keyring(settings).current
    bundle = build_bundle(
        (item for _county, item in local_identifiers(session, [county_code])),
        county_code=county_code,
        key=key,
        ref_secret=ref_secret(session),
        created_at=now or dt.datetime.now(dt.UTC),
    )
    data = write_bundle(bundle, key)
    sha256 = hashlib.sha256(data).hexdigest()
    audit.record(
        session,
        actor,
        "federation.bundle.export",
        kind="federation_bundle",
        county_code=county_code,
        detail={"key_id": key.key_id, "entries": len(bundle.entries), "sha256": sha256},
    )
    return BundleExport(
        county_code=county_code,
        key_id=key.key_id,
        created_at=bundle.created_at,
        entries=len(bundle.entries),
        counts=bundle.counts(),
        sha256=sha256,
        data=data,
    )


@requires(Action.IMPORT_FEDERATION_BUNDLE)
def import_bundle(
    session: Session, *, actor: Actor, settings: Settings, data: bytes, source: str
) -> BundleImport:
    """Verify a neighbour's bundle file and store it, replacing an older one of its county.

    Parameters
    ----------
    data
        The file's bytes.
    source
        The file's name, for messages.

    Raises
    ------
    BundleError
        (invalid input) If the file is not a bundle, was altered in any byte, is under a key
        this server does not hold, or is of a county whose cases are stored here.
    ConflictError
        If a bundle of the county as new or newer is stored already (its summary is in
        ``current``).
    """
    bundle = read_bundle(data, keyring(settings), source=source)
    if session.scalar(select(exists().where(CaseRecord.county_code == bundle.county_code))):
        reason = (
            f"cases of county {bundle.county_code} are stored on this server, which matches "
            "them directly"
        )
        raise BundleError(source, reason)
    sha256 = hashlib.sha256(data).hexdigest()
    created_at = bundle.created_at.astimezone(dt.UTC).replace(tzinfo=None)
    stored = session.scalar(
        select(FederationBundle).where(FederationBundle.county_code == bundle.county_code)
    )
    if stored is not None and stored.sha256 == sha256:
        return BundleImport(outcome="unchanged", bundle=_summary(stored, settings))
    if stored is not None and created_at <= stored.created_at:
        msg = (
            f"bundle {source} of county {bundle.county_code} was created at "
            f"{created_at:%Y-%m-%d %H:%M:%S} UTC, not after the stored one "
            f"({stored.created_at:%Y-%m-%d %H:%M:%S} UTC); nothing was imported"
        )
        raise ConflictError(msg, current=_summary(stored, settings).model_dump(mode="json"))
    replaced = stored.created_at if stored is not None else None
    if stored is not None:
        session.execute(delete(FederationHash).where(FederationHash.bundle_id == stored.id))
        session.delete(stored)
        session.flush()
    row = _store(session, bundle, actor=actor, sha256=sha256, source=source)
    audit.record(
        session,
        actor,
        "federation.bundle.import",
        kind="federation_bundle",
        county_code=bundle.county_code,
        detail={"key_id": bundle.key_id, "entries": row.entries, "sha256": sha256},
    )
    return BundleImport(
        outcome="stored" if replaced is None else "replaced",
        bundle=_summary(row, settings),
        replaced_created_at=replaced,
    )


def _store(
    session: Session, bundle: Bundle, *, actor: Actor, sha256: str, source: str
) -> FederationBundle:
    row = FederationBundle(
        county_code=bundle.county_code,
        key_id=bundle.key_id,
        format_version=bundle.version,
        created_at=bundle.created_at.astimezone(dt.UTC).replace(tzinfo=None),
        entries=len(bundle.entries),
        sha256=sha256,
        source=source[-500:],
        imported_by=actor.username,
    )
    session.add(row)
    session.flush()
    rows = [
        {"bundle_id": row.id, "kind": entry.kind.value, "ref": entry.ref, "digest": entry.digest}
        for entry in bundle.entries
    ]
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(insert(FederationHash), rows[start : start + _INSERT_CHUNK])
    return row


@requires(Action.READ_FEDERATION_HITS)
def list_bundles(session: Session, *, actor: Actor, settings: Settings) -> list[BundleSummary]:
    """The neighbours' bundles stored here, by county (they belong to the whole server)."""
    rows = session.scalars(select(FederationBundle).order_by(FederationBundle.county_code))
    return [_summary(row, settings) for row in rows]


def _summary(row: FederationBundle, settings: Settings) -> BundleSummary:
    return BundleSummary(
        county_code=row.county_code,
        key_id=row.key_id,
        format_version=row.format_version,
        created_at=row.created_at,
        entries=row.entries,
        sha256=row.sha256,
        source=row.source,
        imported_by=row.imported_by,
        imported_at=row.imported_at,
        usable=_holds(settings, row.key_id),
    )


def _holds(settings: Settings, key_id: str) -> bool:
    try:
        return keyring(settings).get(key_id) is not None
    except InvalidInputError:  # no key set, or a malformed setting: nothing usable
        return False
