"""Federation models: neighbours' bundles of keyed hashes, and this server's reference secret.

A :class:`FederationBundle` is the latest verified bundle imported from one other county (at
most one per county: a newer one replaces it), with its :class:`FederationHash` rows, each a
(kind, opaque case reference, identifier digest) triple and nothing clear. The
:class:`FederationSecret` row holds this server's own random secret for case references; it
is made on first use and never leaves the server.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmgmt.store.models.base import Base, _utcnow

__all__ = ["FederationBundle", "FederationHash", "FederationSecret"]


class FederationBundle(Base):
    """The latest bundle imported from another county (联查数据包)."""

    __tablename__ = "federation_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), unique=True)
    key_id: Mapped[str] = mapped_column(String(64))
    format_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    entries: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)

    hashes: Mapped[list[FederationHash]] = relationship(
        back_populates="bundle", cascade="all, delete-orphan", passive_deletes=True
    )


class FederationHash(Base):
    """One entry of a bundle: a case reference and the digest of one of its identifiers."""

    __tablename__ = "federation_hashes"

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(
        ForeignKey("federation_bundles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(32))
    digest: Mapped[bytes] = mapped_column(LargeBinary(16), index=True)

    bundle: Mapped[FederationBundle] = relationship(back_populates="hashes")


class FederationSecret(Base):
    """A secret of this server (``name`` ``refs``: the key of opaque case references)."""

    __tablename__ = "federation_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
