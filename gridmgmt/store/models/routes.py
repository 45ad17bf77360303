"""Route plan models: the delivery plans (配送计划) dispatchers made, every version kept.

A plan is stored per depot and delivery date. Planning the day again, replanning it or
planning its week adds a new version (1, 2, ...) and makes it the current one; older
versions stay, no longer current. A partial unique index keeps at most one current plan
per depot and date. The row holds the plan itself (the JSON of
``gridmgmt.services.routes.plan_to_json``), the solver settings and closures it was made
with, the order changes a replan applied on top of the stored orders, and the day's
totals, so versions can be listed without reading the plans.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridmgmt.store.models.base import Base, _enum, _utcnow

__all__ = ["RoutePlanKind", "RoutePlanRecord"]


class RoutePlanKind(StrEnum):
    """How a stored plan was made."""

    PLAN = "plan"  # 日计划: the day planned from its orders
    REPLAN = "replan"  # 调整计划: re-optimised after order changes
    WEEK = "week"  # 周计划: planned with the week's weekday assignment


_CURRENT = text("is_current")


class RoutePlanRecord(Base):
    """One version of a depot's delivery plan for one date (配送计划)."""

    __tablename__ = "route_plans"
    __table_args__ = (
        UniqueConstraint("depot_code", "delivery_date", "version"),
        Index(
            "uq_route_plans_current",
            "depot_code",
            "delivery_date",
            unique=True,
            sqlite_where=_CURRENT,
            postgresql_where=_CURRENT,
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("depots.code", ondelete="CASCADE")
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    delivery_date: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[RoutePlanKind] = mapped_column(_enum(RoutePlanKind, "route_plan_kind"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger, default=0)
    time_limit_s: Mapped[float | None] = mapped_column(Float)
    max_iterations: Mapped[int | None] = mapped_column(Integer)
    closure_mode: Mapped[str] = mapped_column(String(16), default="skip")
    closures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    order_changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    km: Mapped[float] = mapped_column(Float, default=0.0)
    vehicles: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    orders_served: Mapped[int] = mapped_column(Integer, default=0)
    orders_unserved: Mapped[int] = mapped_column(Integer, default=0)
