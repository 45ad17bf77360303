"""Job models: long actions run in the background (后台任务), with progress and cancel.

A :class:`JobRecord` is written by :mod:`gridmgmt.jobs` only, each write a short transaction
of its own (queued, running, progress, failed, cancelled), except the success state, which
is stored in the action's own transaction together with its writes. :class:`JobCounty` rows
name the counties a job belongs to: a user sees a job when all of them are in their scope.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmgmt.store.models.base import Base, _enum, _utcnow

__all__ = ["JobCounty", "JobRecord", "JobState"]


class JobState(StrEnum):
    """Where a job is in its life: queued -> running -> succeeded, failed or cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the job has ended (nothing will change it any more)."""
        return self in {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}


class JobRecord(Base):
    """One background job: what was asked, by whom, how far it is, and how it ended."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_requested_by_created_at", "requested_by", "created_at"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(String(2000))
    error_kind: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    counties: Mapped[list[JobCounty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="JobCounty.county_code"
    )


class JobCounty(Base):
    """A county a job belongs to (its scope)."""

    __tablename__ = "job_counties"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    county_code: Mapped[str] = mapped_column(
        ForeignKey("counties.code"), primary_key=True, index=True
    )
