"""What the federation services read from the store: local identifiers, secrets, keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgmt.cases.model import EntityKind
from gridmgmt.federation.identifiers import STRONG_KINDS, StrongIdentifier
from gridmgmt.federation.keys import Keyring, parse_keyring
from gridmgmt.federation.matching import CountyIdentifier
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord
from gridmgmt.store.models.federation import FederationSecret

if TYPE_CHECKING:
    from gridmgmt.config import Settings

__all__ = ["keyring", "local_counties", "local_identifiers", "ref_secret"]

REF_SECRET_NAME = "refs"


def keyring(settings: Settings) -> Keyring:
    """The area's keys from the settings (:class:`InvalidInputError` if unset or malformed)."""
    return parse_keyring(settings.federation_key)


def ref_secret(session: Session) -> bytes:
    """This server's secret for case references, made on first use and kept in the store."""
    row = session.get(FederationSecret, REF_SECRET_NAME)
    if row is None:
        try:
            with session.begin_nested():
                row = FederationSecret(name=REF_SECRET_NAME, secret=secrets.token_hex(32))
                session.add(row)
        except IntegrityError:  # another transaction made it first: use theirs
            row = session.get(FederationSecret, REF_SECRET_NAME, populate_existing=True)
            assert row is not None
    return bytes.fromhex(row.secret)


def local_counties(session: Session) -> set[str]:
    """The counties whose cases are stored on this server."""
    return set(session.scalars(select(CaseRecord.county_code).distinct()))


def local_identifiers(
    session: Session, counties: Iterable[str] | None = None
) -> list[CountyIdentifier]:
    """The valid strong identifiers of the stored cases (of ``counties``; None: all).

    Read from the normalised columns the case services stored (the same normalisers the
    case graph uses): a mention of a strong kind gives its value, a person its ID number
    and the phone given with them.
    """
    strong = list(STRONG_KINDS)
    base = (
        select(
            CaseRecord.case_no,
            CaseRecord.county_code,
            CaseMentionRecord.kind,
            CaseMentionRecord.normalised,
            CaseMentionRecord.valid,
            CaseMentionRecord.id_number,
            CaseMentionRecord.attributes,
        )
        .join(CaseRecord, CaseRecord.id == CaseMentionRecord.case_id)
        .where(CaseMentionRecord.kind.in_([*strong, EntityKind.PERSON]))
    )
    if counties is not None:
        base = base.where(CaseRecord.county_code.in_(sorted(set(counties))))
    found: set[CountyIdentifier] = set()
    for row in session.execute(base):
        for kind, value in _values(row):
            found.add((row.county_code, StrongIdentifier(row.case_no, kind, value)))
    return sorted(found)


def _values(row: Any) -> list[tuple[EntityKind, str]]:
    kind = EntityKind(row.kind)
    if kind is not EntityKind.PERSON:
        return [(kind, row.normalised)] if row.valid and row.normalised else []
    values = []
    if row.id_number and row.valid and row.normalised:
        values.append((EntityKind.ID_NUMBER, row.normalised))
    attributes = row.attributes or {}
    if attributes.get("phone") and attributes.get("phone_valid"):
        values.append((EntityKind.PHONE, str(attributes["phone"])))
    return values
