"""Core models: divisions, retailers, schools, checkpoints, logistics, staff, users, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmgmt.domain import (
    BusinessType,
    CheckpointKind,
    RetailerStatus,
    SchoolKind,
    StaffRole,
    UserRole,
    Weekday,
)
from gridmgmt.store.models.base import Base, _enum, _utcnow, spatial_index
from gridmgmt.store.types import Geometry


class Province(Base):
    """A province-level division (省), e.g. 150000 内蒙古自治区."""

    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))

    counties: Mapped[list[County]] = relationship(back_populates="province")


class County(Base):
    """A county-level division (县/县级市/区), the unit of tenancy."""

    __tablename__ = "counties"
    __table_args__ = (spatial_index("counties", "boundary"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    city: Mapped[str | None] = mapped_column(String(64))
    boundary: Mapped[BaseGeometry] = mapped_column(Geometry("MULTIPOLYGON"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    province: Mapped[Province] = relationship(back_populates="counties")


class Retailer(Base):
    """A licensed tobacco retailer (卷烟零售户)."""

    __tablename__ = "retailers"
    __table_args__ = (
        CheckConstraint("tier BETWEEN 1 AND 30", name="tier_range"),
        spatial_index("retailers", "location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    business_type: Mapped[BusinessType] = mapped_column(_enum(BusinessType, "business_type"))
    status: Mapped[RetailerStatus] = mapped_column(_enum(RetailerStatus, "retailer_status"))
    key_retailer: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    #: Fixed delivery weekday (固定送货日) weekly planning must keep; none means any day.
    delivery_weekday: Mapped[Weekday | None] = mapped_column(_enum(Weekday, "weekday"))
    location: Mapped[BaseGeometry] = mapped_column(Geometry("POINT"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class School(Base):
    """A school whose red line retailers must keep out of (学校红线)."""

    __tablename__ = "schools"
    __table_args__ = (
        UniqueConstraint("county_code", "name"),
        spatial_index("schools", "location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SchoolKind] = mapped_column(_enum(SchoolKind, "school_kind"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    location: Mapped[BaseGeometry] = mapped_column(Geometry("POINT"))
    campus: Mapped[BaseGeometry | None] = mapped_column(Geometry("MULTIPOLYGON"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class Checkpoint(Base):
    """A checkpoint where shipments are intercepted (查堵卡点)."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        UniqueConstraint("county_code", "name"),
        spatial_index("checkpoints", "location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CheckpointKind] = mapped_column(_enum(CheckpointKind, "checkpoint_kind"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    location: Mapped[BaseGeometry] = mapped_column(Geometry("POINT"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class Depot(Base):
    """A logistics centre or depot that vehicles leave from (物流中心/配送站)."""

    __tablename__ = "depots"
    __table_args__ = (spatial_index("depots", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    location: Mapped[BaseGeometry] = mapped_column(Geometry("POINT"))
    opens: Mapped[dt.time] = mapped_column(Time, default=dt.time(7, 0))
    closes: Mapped[dt.time] = mapped_column(Time, default=dt.time(19, 0))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="depot")


class Vehicle(Base):
    """A delivery vehicle with its capacity in cartons (条) and shift."""

    __tablename__ = "vehicles"
    __table_args__ = (CheckConstraint("capacity_cartons > 0", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depots.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    capacity_cartons: Mapped[int] = mapped_column(Integer)
    shift_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    shift_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(17, 0))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    depot: Mapped[Depot] = relationship(back_populates="vehicles")


class Order(Base):
    """A retailer's order for one delivery date, in cartons (条; 1 case 箱 = 50 cartons)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("retailer_id", "order_date"),
        CheckConstraint("cartons > 0", name="cartons_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    order_date: Mapped[dt.date] = mapped_column(Date, index=True)
    cartons: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)

    retailer: Mapped[Retailer] = relationship()


class Staff(Base):
    """A bureau staff member: monopoly officer, account manager or deliverer (三员)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    capacity: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class UserCounty(Base):
    """Which counties a user works for: the scope of everything they read and write."""

    __tablename__ = "user_counties"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)


class User(Base):
    """A person who logs in: officer, dispatcher, liaison, admin or leader (局领导).

    ``staff_no`` links an officer's login to their staff record (人员), hence to the grids
    they are posted to and the inspections they were drawn for; one login per staff member.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"))
    staff_no: Mapped[str | None] = mapped_column(
        ForeignKey("staff.staff_no", ondelete="SET NULL"), unique=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)

    county_links: Mapped[list[UserCounty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def county_codes(self) -> list[str]:
        """Codes of the counties this user works for, sorted."""
        return sorted(link.county_code for link in self.county_links)


class Share(Base):
    """An explicit, audited grant of one county's record to another county."""

    __tablename__ = "shares"
    # An object key is unique within the county that shares it (a case number, say).
    __table_args__ = (UniqueConstraint("kind", "from_county", "object_key", "to_county"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_key: Mapped[str] = mapped_column(String(64))
    from_county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    to_county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    shared_by: Mapped[str] = mapped_column(String(64))
    shared_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """One line of the audit log: who did what, when, to which county's data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=_utcnow, server_default=func.now(), index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(32))
    county_code: Mapped[str | None] = mapped_column(String(6), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The hash chain (gridmgmt.audit_chain): written by gridmgmt.services.audit only.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
