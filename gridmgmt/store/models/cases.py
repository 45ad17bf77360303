"""Case models: tobacco cases (涉烟案件) and the entities they mention, county-scoped.

A case belongs to the county that opened it; every mention carries that county's code too,
so both tables answer to :func:`gridmgmt.services.scope.scoped`. A mention keeps the text
as the case file gave it *and* its normalised form, whether it is valid, why not, and what
it tells (birth date, home region, carrier ...): an invalid identifier is stored and
flagged, never dropped. ``entity_id`` is the resolved entity as last computed over the
whole store (``person:1509...``, ``phone:+86139...``); it is refreshed on every write.

``version`` changes on every write of a case (its fields or its mentions), so a cached
link index can tell which cases are new or changed since it was built.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmgmt.domain import CaseStatus, CaseType, EntityKind
from gridmgmt.store.models.base import Base, _enum, _utcnow, spatial_index
from gridmgmt.store.types import Geometry

__all__ = ["CaseMentionRecord", "CaseRecord"]


class CaseRecord(Base):
    """A stored tobacco case (涉烟案件) of one county."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "seized_cartons IS NULL OR seized_cartons >= 0", name="cartons_non_negative"
        ),
        CheckConstraint("value_yuan IS NULL OR value_yuan >= 0", name="value_non_negative"),
        UniqueConstraint("county_code", "case_no"),
        spatial_index("cases", "location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The case number (案件编号), unique within its county (migration ``0016_case_numbers``).
    case_no: Mapped[str] = mapped_column(String(64), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    opened_on: Mapped[dt.date] = mapped_column(Date, index=True)
    type: Mapped[CaseType] = mapped_column(_enum(CaseType, "case_type"))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"), index=True)
    location: Mapped[BaseGeometry | None] = mapped_column(Geometry("POINT"))
    seized_cartons: Mapped[float | None] = mapped_column(Float)
    value_yuan: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    mentions: Mapped[list[CaseMentionRecord]] = relationship(
        back_populates="case",
        order_by="CaseMentionRecord.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CaseMentionRecord(Base):
    """An entity as one case mentions it (涉案要素), raw and normalised, with its role."""

    __tablename__ = "case_mentions"
    __table_args__ = (UniqueConstraint("case_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind, "entity_kind"))
    role: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(64))
    id_number: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(64))
    normalised: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entity_id: Mapped[str | None] = mapped_column(String(200), index=True)

    case: Mapped[CaseRecord] = relationship(back_populates="mentions")
