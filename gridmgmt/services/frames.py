"""Stored rows as (Geo)DataFrames for engines, maps and exports, scoped by county.

One place says which columns each stored kind has; everything that reads a kind in bulk
(exports, maps, engines) goes through :func:`load_frame`. Within :func:`shared_frames`, the
same rows read twice are read from the store once (a report whose sections each read them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridmgmt.crs import WGS84
from gridmgmt.domain import StaffRole
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import (
    Checkpoint,
    County,
    Depot,
    Order,
    Province,
    Retailer,
    School,
    Staff,
    Vehicle,
)
from gridmgmt.store.models.grids import GridRecord, RetailerGrid, StaffGrid
from gridmgmt.store.models.prices import PriceObservation, RetailerGroup

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
"""A select of any columns (the kinds differ in their number and types)."""


@dataclass(frozen=True)
class FrameSpec:
    """How to read one stored kind: the select, its county column, its geometry column, and
    columns joined on from other tables once there is something to join (``extend``)."""

    build: Callable[[], AnySelect]
    county_column: Any
    geometry: str | None
    extend: Callable[[Session, pd.DataFrame], pd.DataFrame] | None = None


def _counties() -> AnySelect:
    return (
        select(
            County.code,
            County.name,
            County.province_code,
            Province.name.label("province"),
            County.city,
            County.boundary.label("geometry"),
        )
        .join(Province)
        .order_by(County.code)
    )


def _retailers() -> AnySelect:
    return select(
        Retailer.licence_no,
        Retailer.name,
        Retailer.address,
        Retailer.county_code,
        Retailer.tier,
        Retailer.business_type,
        Retailer.status,
        Retailer.key_retailer,
        Retailer.phone,
        Retailer.delivery_weekday,
        Retailer.location.label("geometry"),
    ).order_by(Retailer.licence_no)


def _schools() -> AnySelect:
    return select(
        School.name,
        School.kind,
        School.county_code,
        School.campus,
        School.location.label("geometry"),
    ).order_by(School.county_code, School.name)


def _checkpoints() -> AnySelect:
    return select(
        Checkpoint.name,
        Checkpoint.kind,
        Checkpoint.county_code,
        Checkpoint.location.label("geometry"),
    ).order_by(Checkpoint.county_code, Checkpoint.name)


def _depots() -> AnySelect:
    return select(
        Depot.code,
        Depot.name,
        Depot.county_code,
        Depot.opens,
        Depot.closes,
        Depot.location.label("geometry"),
    ).order_by(Depot.code)


def _vehicles() -> AnySelect:
    return (
        select(
            Vehicle.plate,
            Depot.code.label("depot_code"),
            Vehicle.county_code,
            Vehicle.capacity_cartons,
            Vehicle.shift_start,
            Vehicle.shift_end,
        )
        .join(Depot)
        .order_by(Vehicle.plate)
    )


def _orders() -> AnySelect:
    return (
        select(
            Retailer.licence_no,
            Order.order_date.label("date"),
            Order.cartons,
            Order.county_code,
        )
        .join(Retailer)
        .order_by(Order.order_date, Retailer.licence_no)
    )


def _groups() -> AnySelect:
    return (
        select(
            Retailer.licence_no,
            RetailerGroup.group_code,
            RetailerGroup.group_name,
            RetailerGroup.leader,
            RetailerGroup.county_code,
        )
        .join(Retailer)
        .order_by(RetailerGroup.group_code, Retailer.licence_no)
    )


def _prices() -> AnySelect:
    return (
        select(
            Retailer.licence_no,
            PriceObservation.brand,
            PriceObservation.pack,
            PriceObservation.price_yuan.label("price"),
            PriceObservation.observed_on.label("date"),
            PriceObservation.observer,
            PriceObservation.county_code,
        )
        .join(Retailer)
        .order_by(PriceObservation.observed_on, Retailer.licence_no, PriceObservation.brand)
    )


def _staff() -> AnySelect:
    return select(
        Staff.staff_no,
        Staff.name,
        Staff.role,
        Staff.county_code,
        Staff.phone,
        Staff.capacity,
    ).order_by(Staff.staff_no)


def _grid_staff(role: StaffRole) -> Any:
    return (
        select(Staff.name)
        .join(StaffGrid, StaffGrid.staff_id == Staff.id)
        .where(
            StaffGrid.county_code == GridRecord.county_code,
            StaffGrid.grid_id == GridRecord.grid_id,
            StaffGrid.role == role,
        )
        .scalar_subquery()
        .label(role.value)
    )


def _grids() -> AnySelect:
    return select(
        GridRecord.grid_id,
        GridRecord.county_code,
        GridRecord.workload,
        GridRecord.n_retailers,
        GridRecord.n_key_retailers,
        GridRecord.area_km2,
        GridRecord.polsby_popper,
        GridRecord.locked,
        *(_grid_staff(role) for role in StaffRole),
        GridRecord.design_seed,
        GridRecord.designed_at,
        GridRecord.designed_by,
        GridRecord.geometry.label("geometry"),
    ).order_by(GridRecord.county_code, GridRecord.grid_id)


def _insert_before_geometry(frame: pd.DataFrame, column: str, values: list[Any]) -> pd.DataFrame:
    out = frame.copy()
    position = list(out.columns).index("geometry") if "geometry" in out else len(out.columns)
    out.insert(position, column, pd.Series(values, index=out.index, dtype=object))
    return out


def _retailer_grids(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Each retailer's ``grid_id``, once any of the frame's counties has grids."""
    codes = sorted(set(frame["county_code"])) if len(frame) else []
    stmt = (
        select(Retailer.licence_no, RetailerGrid.grid_id)
        .join(RetailerGrid, RetailerGrid.retailer_id == Retailer.id)
        .where(RetailerGrid.county_code.in_(codes))
    )
    grids = {str(licence): grid for licence, grid in session.execute(stmt)}
    if not grids:
        return frame
    return _insert_before_geometry(
        frame, "grid_id", [grids.get(licence) for licence in frame["licence_no"]]
    )


def _staff_grids(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Each person's grids, once any are staffed: ``grid_id`` (the first) and ``grid_ids``."""
    codes = sorted(set(frame["county_code"])) if len(frame) else []
    stmt = (
        select(Staff.staff_no, StaffGrid.grid_id)
        .join(StaffGrid, StaffGrid.staff_id == Staff.id)
        .where(StaffGrid.county_code.in_(codes))
        .order_by(Staff.staff_no, StaffGrid.grid_id)
    )
    posts: dict[str, list[str]] = {}
    for number, grid in session.execute(stmt):
        posts.setdefault(number, []).append(grid)
    if not posts:
        return frame
    held = [posts.get(number, []) for number in frame["staff_no"]]
    out = _insert_before_geometry(frame, "grid_id", [g[0] if g else None for g in held])
    return _insert_before_geometry(out, "grid_ids", [";".join(g) for g in held])


FRAMES: dict[str, FrameSpec] = {
    "counties": FrameSpec(_counties, County.code, "geometry"),
    "retailers": FrameSpec(_retailers, Retailer.county_code, "geometry", _retailer_grids),
    "schools": FrameSpec(_schools, School.county_code, "geometry"),
    "checkpoints": FrameSpec(_checkpoints, Checkpoint.county_code, "geometry"),
    "depots": FrameSpec(_depots, Depot.county_code, "geometry"),
    "vehicles": FrameSpec(_vehicles, Vehicle.county_code, None),
    "orders": FrameSpec(_orders, Order.county_code, None),
    "staff": FrameSpec(_staff, Staff.county_code, None, _staff_grids),
    "grids": FrameSpec(_grids, GridRecord.county_code, "geometry"),
    "groups": FrameSpec(_groups, RetailerGroup.county_code, None),
    "prices": FrameSpec(_prices, PriceObservation.county_code, None),
}


_shared: ContextVar[dict[Hashable, pd.DataFrame] | None] = ContextVar(
    "gridmgmt_shared_frames", default=None
)


@contextmanager
def shared_frames() -> Iterator[None]:
    """Within the block, :func:`load_frame` reads each kind once per session, caller scope
    and counties, and hands out copies.

    For a read-only piece of work whose parts read the same rows (the quarterly report's
    sections); a write inside the block would not be seen by a later read of the same kind.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def frame_kinds() -> list[str]:
    """Names of the kinds :func:`load_frame` can read."""
    return list(FRAMES)


@requires(Action.READ_BASE_DATA)
def load_frame(
    session: Session,
    kind: str,
    actor: Actor,
    *,
    county_codes: list[str] | None = None,
) -> pd.DataFrame:
    """Read every row of ``kind`` the actor may see, as a frame.

    Parameters
    ----------
    session
        An open session.
    kind
        One of :func:`frame_kinds`.
    actor
        Whose county scope applies.
    county_codes
        Restrict further to these counties.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame in WGS-84 for kinds with a location or boundary; enumeration
        columns hold their plain string values.
    """
    spec = FRAMES.get(kind)
    if spec is None:
        msg = f"`kind` was {kind!r} but is expected to be in {frame_kinds()}"
        raise InvalidInputError(msg, [{"field": "kind", "message": msg}])
    memo = _shared.get()
    if memo is None:
        return _read_frame(session, spec, actor, county_codes)
    codes = None if county_codes is None else tuple(sorted(set(county_codes)))
    key = (id(session), kind, actor.username, actor.role, actor.counties, codes)
    if key not in memo:
        memo[key] = _read_frame(session, spec, actor, county_codes)
    return memo[key].copy()


def _read_frame(
    session: Session, spec: FrameSpec, actor: Actor, county_codes: list[str] | None
) -> pd.DataFrame:
    stmt = scoped(spec.build(), spec.county_column, actor)
    if county_codes is not None:
        stmt = stmt.where(spec.county_column.in_(county_codes))
    result = session.execute(stmt)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    if spec.extend is not None:
        frame = spec.extend(session, frame)
    for column in frame.columns:
        if frame[column].dtype == object and len(frame) and hasattr(frame[column].iloc[0], "value"):
            frame[column] = frame[column].map(lambda member: getattr(member, "value", member))
    if spec.geometry is None:
        return frame
    return gpd.GeoDataFrame(frame, geometry=spec.geometry, crs=WGS84)


def frame_records(frame: pd.DataFrame, *, lonlat: bool = True) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: geometry as ``lon``/``lat`` (points), NaN as None."""
    plain = pd.DataFrame(frame).copy()
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if geometry is not None:
        geoms = plain.pop(geometry)
        if lonlat:
            points = np.asarray(geoms.array if hasattr(geoms, "array") else geoms, dtype=object)
            is_point = shapely.get_type_id(points) == shapely.GeometryType.POINT
            plain["lon"] = np.where(is_point, shapely.get_x(points), np.nan).round(7)
            plain["lat"] = np.where(is_point, shapely.get_y(points), np.nan).round(7)
    for column in plain.columns:
        if plain[column].dtype.kind in "biufcmM":  # numbers and times hold no geometry
            continue
        if plain[column].map(lambda v: isinstance(v, shapely.Geometry)).astype(bool).any():
            plain = plain.drop(columns=column)
    text = plain.to_json(orient="records", date_format="iso", force_ascii=False)
    records: list[dict[str, Any]] = json.loads(text)
    return records
