"""Price checks and joint sweeps: self-discipline groups (自律互助小组), price observations
(价格采集) and joint border-market sweeps (毗邻市场集中整治) with their targets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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

from gridmgmt.domain import InspectionOutcome
from gridmgmt.store.models.base import Base, _enum, _utcnow
from gridmgmt.store.models.core import Retailer

__all__ = ["PriceObservation", "RetailerGroup", "SweepCounty", "SweepRecord", "SweepTarget"]


class RetailerGroup(Base):
    """A retailer's self-discipline group (自律互助小组); a retailer is in one group at most."""

    __tablename__ = "retailer_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), unique=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    group_code: Mapped[str] = mapped_column(String(32), index=True)
    group_name: Mapped[str] = mapped_column(String(100))
    leader: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    retailer: Mapped[Retailer] = relationship()


class PriceObservation(Base):
    """The price of one pack (包) of a brand and pack type seen at a retailer on a day."""

    __tablename__ = "price_observations"
    __table_args__ = (
        UniqueConstraint("retailer_id", "brand", "pack", "observed_on"),
        CheckConstraint("price_yuan > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    brand: Mapped[str] = mapped_column(String(64))
    pack: Mapped[str] = mapped_column(String(64))
    price_yuan: Mapped[float] = mapped_column(Float)
    observed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    observer: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class SweepRecord(Base):
    """A planned joint border-market sweep and its reproducible draw."""

    __tablename__ = "sweeps"
    __table_args__ = (CheckConstraint("seed >= 0", name="seed_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sweep_no: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    planned_for: Mapped[dt.date] = mapped_column(Date)
    seed: Mapped[int] = mapped_column(BigInteger)
    algorithm: Mapped[str] = mapped_column(String(64))
    candidates_hash: Mapped[str] = mapped_column(String(64))
    officers_hash: Mapped[str] = mapped_column(String(64))
    #: The candidates (licence_no, county_code, priority, reasons) as drawn from.
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: The officers (staff_no, county_code) teams were made from.
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    draw_json: Mapped[str] = mapped_column(Text)
    planned_by: Mapped[str] = mapped_column(String(64))
    planned_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)

    counties: Mapped[list[SweepCounty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SweepCounty.county_code"
    )
    targets: Mapped[list[SweepTarget]] = relationship(
        back_populates="sweep", cascade="all, delete-orphan", order_by="SweepTarget.position"
    )


class SweepCounty(Base):
    """A county taking part in a sweep: its users see the sweep and record its results."""

    __tablename__ = "sweep_counties"

    sweep_id: Mapped[int] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)


class SweepTarget(Base):
    """A retailer drawn for a sweep, its mixed team, and what the team found (整治结果)."""

    __tablename__ = "sweep_targets"
    __table_args__ = (
        UniqueConstraint("sweep_id", "retailer_id"),
        CheckConstraint("violations >= 0", name="violations_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    team: Mapped[str] = mapped_column(String(16))
    priority: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[InspectionOutcome | None] = mapped_column(
        _enum(InspectionOutcome, "inspection_outcome")
    )
    violations: Mapped[int] = mapped_column(Integer, default=0)
    seized_cartons: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    inspected_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime | None] = mapped_column()
    #: Bumped by every recorded result: a stale ``base_version`` is refused (no lost update).
    version: Mapped[int] = mapped_column(Integer, default=0)

    sweep: Mapped[SweepRecord] = relationship(back_populates="targets")
    retailer: Mapped[Retailer] = relationship(lazy="joined")
