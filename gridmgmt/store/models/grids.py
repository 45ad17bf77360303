"""Grid models: the grids (网格) of a county, which grid each retailer is in, and who staffs it.

A grid is known by its county and its id (``G01``, unique within the county). Retailer and
staff posts refer to the grid by that pair, so deleting a grid takes its posts with it. The
design figures (seed, time, who) are kept on every grid row of the design, so a stored
design can be traced and redone.
"""

from __future__ import annotations

import datetime as dt

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridmgmt.domain import StaffRole
from gridmgmt.store.models.base import Base, _enum, _utcnow, spatial_index
from gridmgmt.store.types import Geometry

__all__ = ["GridRecord", "RetailerGrid", "StaffGrid"]

_GRID_KEY = ("county_code", "grid_id")
_GRID_REF = ("grids.county_code", "grids.grid_id")


class GridRecord(Base):
    """A stored grid (网格) of one county with its design figures."""

    __tablename__ = "grids"
    __table_args__ = (
        UniqueConstraint("county_code", "grid_id"),
        spatial_index("grids", "geometry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    grid_id: Mapped[str] = mapped_column(String(32))
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry("MULTIPOLYGON"))
    workload: Mapped[float] = mapped_column(Float, default=0.0)
    n_retailers: Mapped[int] = mapped_column(Integer, default=0)
    n_key_retailers: Mapped[int] = mapped_column(Integer, default=0)
    area_km2: Mapped[float] = mapped_column(Float, default=0.0)
    polsby_popper: Mapped[float | None] = mapped_column(Float)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    design_seed: Mapped[int | None] = mapped_column(Integer)
    designed_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
    designed_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class RetailerGrid(Base):
    """The grid a retailer is in (one row per retailer that has a grid)."""

    __tablename__ = "retailer_grids"
    __table_args__ = (ForeignKeyConstraint(_GRID_KEY, _GRID_REF, ondelete="CASCADE"),)

    retailer_id: Mapped[int] = mapped_column(
        ForeignKey("retailers.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    grid_id: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


class StaffGrid(Base):
    """A staff post: one person of one role in one grid (定岗、定员); one per role and grid."""

    __tablename__ = "staff_grids"
    __table_args__ = (
        UniqueConstraint("county_code", "grid_id", "role"),
        ForeignKeyConstraint(_GRID_KEY, _GRID_REF, ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    grid_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)
