"""Cooperation areas (协作区) of adjacent counties and each county's liaisons (信息联络员).

A :class:`CooperationArea` is a named set of counties set by an administrator (for example the
six counties of the demo region); its members are :class:`CooperationAreaCounty` rows. Each
county names its :class:`Liaison` people; the liaisons of an area's counties make its joint
contact list (打假打私联动联络通讯录). Both carry a ``version`` so that two people editing at
once cannot overwrite each other (the second gets a conflict, 409).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmgmt.store.models.base import Base, _utcnow

__all__ = ["CooperationArea", "CooperationAreaCounty", "Liaison"]


class CooperationArea(Base):
    """A named set of counties that cooperate (毗邻协作区), set by an administrator."""

    __tablename__ = "cooperation_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)

    members: Mapped[list[CooperationAreaCounty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CooperationAreaCounty.county_code"
    )

    @property
    def county_codes(self) -> list[str]:
        """The member counties' codes, sorted."""
        return sorted(member.county_code for member in self.members)


class CooperationAreaCounty(Base):
    """One county of a cooperation area."""

    __tablename__ = "cooperation_area_counties"

    area_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_areas.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(
        ForeignKey("counties.code"), primary_key=True, index=True
    )


class Liaison(Base):
    """A person a county names for cross-county contact (信息联络员)."""

    __tablename__ = "liaisons"
    __table_args__ = (UniqueConstraint("county_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    mobile: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(128), default="")
    duties: Mapped[str] = mapped_column(Text, default="")
    #: The liaison's login on this server, if they have one.
    username: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
