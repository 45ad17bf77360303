"""Joint cases (网络案件协同办理) and cross-county merges (并案), with their history.

A :class:`JointCase` is a network opened for joint work: its cases as they were when opened
(:class:`JointCaseMember`) and the counties that hold them (:class:`JointCaseCounty`), each
invited until its liaison joins or declines. Access goes through the ordinary case
:class:`~gridmgmt.store.models.Share`, granted per case to each joined county.

A :class:`CaseMerge` proposes that two cases of two counties are one (并案), with the
evidence; it takes effect when both sides have accepted. Its :class:`CaseMergeEvent` rows
are its history and are never changed (:func:`_refuse_rewrites`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from gridmgmt.cases.joint import MembershipState, MergeState
from gridmgmt.errors import ConflictError
from gridmgmt.store.models.base import Base, _enum, _utcnow

__all__ = ["CaseMerge", "CaseMergeEvent", "JointCase", "JointCaseCounty", "JointCaseMember"]


class JointCase(Base):
    """A network of cases opened for joint work by the counties that hold them."""

    __tablename__ = "joint_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The network's stable id when the joint case was opened.
    network_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    opened_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    counties: Mapped[list[JointCaseCounty]] = relationship(
        order_by="JointCaseCounty.county_code", cascade="all, delete-orphan"
    )
    members: Mapped[list[JointCaseMember]] = relationship(
        order_by="(JointCaseMember.county_code, JointCaseMember.case_no)",
        cascade="all, delete-orphan",
    )


class JointCaseCounty(Base):
    """A county of a joint case: invited, joined or declined."""

    __tablename__ = "joint_case_counties"

    joint_case_id: Mapped[int] = mapped_column(
        ForeignKey("joint_cases.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    state: Mapped[MembershipState] = mapped_column(_enum(MembershipState, "joint_state"))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class JointCaseMember(Base):
    """A case of a joint case, by its county and number (as when the joint case opened)."""

    __tablename__ = "joint_case_members"

    joint_case_id: Mapped[int] = mapped_column(
        ForeignKey("joint_cases.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64), primary_key=True)


class CaseMerge(Base):
    """A proposal to merge two cases of two counties (并案), and where it stands."""

    __tablename__ = "case_merges"
    __table_args__ = (
        UniqueConstraint("proposer_county", "proposer_case_no", "other_county", "other_case_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposer_county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    proposer_case_no: Mapped[str] = mapped_column(String(64))
    other_county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    other_case_no: Mapped[str] = mapped_column(String(64))
    state: Mapped[MergeState] = mapped_column(_enum(MergeState, "merge_state"), index=True)
    proposer_accepted: Mapped[bool] = mapped_column(default=False)
    other_accepted: Mapped[bool] = mapped_column(default=False)
    #: What ties the two cases, as both sides may see it (shared identifiers; a longer
    #: chain by the kinds of its links only).
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[CaseMergeEvent]] = relationship(
        order_by="CaseMergeEvent.seq", viewonly=True
    )


class CaseMergeEvent(Base):
    """One step of a merge's history: who did what, when. Append-only."""

    __tablename__ = "case_merge_events"
    __table_args__ = (UniqueConstraint("merge_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("case_merges.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    state: Mapped[MergeState] = mapped_column(_enum(MergeState, "merge_state"))
    at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(6))
    note: Mapped[str | None] = mapped_column(Text)


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: object, _instances: object) -> None:
    """Refuse to flush a changed or deleted :class:`CaseMergeEvent`: history stays."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, CaseMergeEvent) and (obj in session.deleted or session.is_modified(obj)):
            msg = f"merge event {obj.id} of merge {obj.merge_id} is history and cannot be changed"
            raise ConflictError(msg)
