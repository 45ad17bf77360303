"""Rule models: per-county rule settings, double-random inspections, grid supervision tickets.

An inspection draw (双随机抽查) is stored once per county and period and never silently
replaced: drawing again needs a reason, and the old draw stays, marked superseded. A
partial unique index keeps at most one current draw per county and period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmgmt.domain import InspectionOutcome, TicketKind, TicketState
from gridmgmt.store.models.base import Base, _enum, _utcnow, spatial_index
from gridmgmt.store.models.core import Retailer, Staff
from gridmgmt.store.types import Geometry

__all__ = [
    "InspectionAssignment",
    "InspectionDrawRecord",
    "InspectionResult",
    "InspectionTarget",
    "RuleSettingsRecord",
    "TicketEvent",
    "TicketRecord",
]


_CURRENT = text("superseded_at IS NULL")


class RuleSettingsRecord(Base):
    """The geographic rule settings of one county (a JSON of ``RuleSettings``)."""

    __tablename__ = "rule_settings"

    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    preset: Mapped[str | None] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column()
    roads_file: Mapped[str | None] = mapped_column(String(500))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)
    #: One more on every change; a change made from an older one is refused (409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class InspectionDrawRecord(Base):
    """A stored double-random draw (双随机抽查) for one county and period."""

    __tablename__ = "inspection_draws"
    __table_args__ = (
        UniqueConstraint("county_code", "period", "revision"),
        Index(
            "uq_inspection_draws_current",
            "county_code",
            "period",
            unique=True,
            sqlite_where=_CURRENT,
            postgresql_where=_CURRENT,
        ),
        CheckConstraint("quota >= 0", name="quota_non_negative"),
        CheckConstraint("seed >= 0", name="seed_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    period: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    seed: Mapped[int] = mapped_column(BigInteger)
    quota: Mapped[int] = mapped_column(Integer)
    population_size: Mapped[int] = mapped_column(Integer)
    population_hash: Mapped[str] = mapped_column(String(64))
    officers_hash: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(64))
    rules: Mapped[dict[str, Any]] = mapped_column()
    draw_json: Mapped[str] = mapped_column(Text)
    drawn_by: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_draws.id"))
    replace_reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[dt.datetime | None] = mapped_column()

    targets: Mapped[list[InspectionTarget]] = relationship(
        back_populates="draw",
        cascade="all, delete-orphan",
        order_by="InspectionTarget.position",
    )

    @property
    def current(self) -> bool:
        """Whether this draw is the one in force (not superseded by a redraw)."""
        return self.superseded_at is None


class InspectionTarget(Base):
    """A retailer drawn for inspection, with its grid and the officers sent (检查对象)."""

    __tablename__ = "inspection_targets"
    __table_args__ = (UniqueConstraint("draw_id", "retailer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_draws.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    grid_id: Mapped[str | None] = mapped_column(String(64))
    key_retailer: Mapped[bool] = mapped_column(default=False)

    draw: Mapped[InspectionDrawRecord] = relationship(back_populates="targets")
    retailer: Mapped[Retailer] = relationship(lazy="joined")
    assignments: Mapped[list[InspectionAssignment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    result: Mapped[InspectionResult | None] = relationship(
        back_populates="target", cascade="all, delete-orphan", lazy="selectin"
    )


class InspectionAssignment(Base):
    """An officer drawn to inspect a target (检查人员)."""

    __tablename__ = "inspection_assignments"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_targets.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)

    staff: Mapped[Staff] = relationship(lazy="joined")


class InspectionResult(Base):
    """What the inspection of one target found, recorded against the draw (检查结果)."""

    __tablename__ = "inspection_results"
    __table_args__ = (CheckConstraint("violations >= 0", name="violations_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_targets.id", ondelete="CASCADE"), unique=True
    )
    draw_id: Mapped[int] = mapped_column(ForeignKey("inspection_draws.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    inspected_on: Mapped[dt.date] = mapped_column(Date, index=True)
    outcome: Mapped[InspectionOutcome] = mapped_column(
        _enum(InspectionOutcome, "inspection_outcome")
    )
    violations: Mapped[int] = mapped_column(Integer, default=0)
    inspectors: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)
    #: One more on every correction; a correction made from an older one is refused (409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    target: Mapped[InspectionTarget] = relationship(back_populates="result")


class TicketRecord(Base):
    """A grid supervision ticket (网格监管信息) and when it reached each state."""

    __tablename__ = "grid_tickets"
    __table_args__ = (spatial_index("grid_tickets", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(32), unique=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    grid_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[TicketKind] = mapped_column(_enum(TicketKind, "ticket_kind"))
    state: Mapped[TicketState] = mapped_column(_enum(TicketState, "ticket_state"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    retailer_id: Mapped[int | None] = mapped_column(ForeignKey("retailers.id"), index=True)
    location: Mapped[BaseGeometry | None] = mapped_column(Geometry("POINT"))
    assignee: Mapped[str | None] = mapped_column(String(64))
    collected_at: Mapped[dt.datetime] = mapped_column()
    assigned_at: Mapped[dt.datetime | None] = mapped_column()
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    handled_at: Mapped[dt.datetime | None] = mapped_column()
    fed_back_at: Mapped[dt.datetime | None] = mapped_column()
    due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    #: One more on every step; a step taken from an older one is refused (409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    retailer: Mapped[Retailer | None] = relationship(lazy="joined")
    events: Mapped[list[TicketEvent]] = relationship(
        cascade="all, delete-orphan", order_by="TicketEvent.id", lazy="selectin"
    )


class TicketEvent(Base):
    """One step of a ticket: the state reached, when, by whom, against which deadline."""

    __tablename__ = "grid_ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("grid_tickets.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[TicketState] = mapped_column(_enum(TicketState, "ticket_state"))
    at: Mapped[dt.datetime] = mapped_column()
    username: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[dt.datetime | None] = mapped_column()
    late: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
