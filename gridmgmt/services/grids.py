"""Grid services (网格化管理): one function per user action on a county's grids.

Each reads the actor's rows (scoped by county), runs a :mod:`gridmgmt.grids` engine and, for
actions that change something, saves and audits in the caller's transaction:

- :func:`design_county_grids` cuts a county into grids and puts every retailer in one; a
  stored design is only replaced when asked, and locked grids are kept as they are;
- :func:`assign_retailers` puts new and moved retailers into the grid that contains them;
- :func:`rebalance_county_grids` brings workloads back within tolerance, moving few retailers;
- :func:`staff_county_grids` posts the three roles (三员) to every grid, keeping people where
  they are when it can;
- :func:`grid_report` and :func:`write_grid_sheet` give the per-grid responsibility sheet;
- :func:`list_grids` and :func:`locate` answer "which grids", "which grid is this point in".

Grid ids are unique within a county; a county's other users never see its grids (another
county answers as if it did not exist).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from gridmgmt.crs import WGS84, to_wgs84
from gridmgmt.domain import RetailerStatus, StaffRole
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.grids import (
    GridDesign,
    GridIndex,
    Rebalance,
    StaffingResult,
    WorkloadTable,
    assign_staff,
    check_grid_count,
    design_grids,
    grid_table,
    rebalance_grids,
    responsibility_sheet,
    retailer_workload,
    write_sheet,
)
from gridmgmt.grids.partition import DEFAULT_TOLERANCE
from gridmgmt.metrics import solver_timer
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import frame_records, load_frame
from gridmgmt.services.records import county_codes
from gridmgmt.services.results import Result
from gridmgmt.store.models import County, Retailer, Staff
from gridmgmt.store.models.grids import GridRecord, RetailerGrid, StaffGrid

__all__ = [
    "AssignmentReport",
    "AssignmentSummary",
    "DesignSummary",
    "GridLocation",
    "GridReport",
    "RebalanceSummary",
    "ReportSummary",
    "StaffingSummary",
    "assign_retailers",
    "check_design",
    "check_rebalance",
    "design_county_grids",
    "grid_report",
    "grids_geojson",
    "list_grids",
    "locate",
    "rebalance_county_grids",
    "staff_county_grids",
    "write_grid_sheet",
]


@dataclass(frozen=True)
class AssignmentReport:
    """Retailers put into grids by :func:`assign_retailers`.

    Attributes
    ----------
    counties
        Counties whose retailers were assigned (those with stored grids).
    assigned
        Retailers that had no grid and now have one.
    moved
        Retailers whose grid changed (they moved, or the grids did).
    unchanged
        Retailers already in the grid that contains them.
    outside
        Retailers in no grid (outside their county's grids); they keep none.
    changes
        ``licence_no``, ``county_code``, ``from_grid``, ``to_grid`` of every change.
    """

    counties: list[str]
    assigned: int
    moved: int
    unchanged: int
    outside: int
    changes: pd.DataFrame


@dataclass(frozen=True)
class GridReport:
    """The grid supervision figures of one county.

    Attributes
    ----------
    county_code
        The county.
    grids
        One row per grid: id, workload, deviation from the mean, retailers, area,
        Polsby-Popper, locked, staff names per role (no geometry).
    sheet
        The responsibility sheet (网格责任清单), one row per grid.
    unstaffed
        ``grid_id`` and ``role`` of every post no one holds.
    figures
        Mean workload, largest deviation, mean Polsby-Popper, counts.
    """

    county_code: str
    grids: pd.DataFrame
    sheet: pd.DataFrame
    unstaffed: pd.DataFrame
    figures: dict[str, Any]


class GridLocation(Result):
    """The grid a location lies in, and who answers for it (staff name per role)."""

    county_code: str
    grid_id: str
    lon: float
    lat: float
    staff: dict[str, str | None]


# --- what the faces answer ----------------------------------------------------------------
# One summary per action, built from the engine's result: the API returns it and the CLI
# prints it for ``--json``, so both say the same thing. Tables become lists of records.

Records = list[dict[str, Any]]


class DesignSummary(Result):
    """A stored design: the engine's report and one record per grid (no outlines)."""

    report: dict[str, Any]
    grids: Records

    @classmethod
    def of(cls, design: GridDesign) -> DesignSummary:
        return cls(report=asdict(design.report), grids=frame_records(design.grids, lonlat=False))


class AssignmentSummary(Result):
    """The counts of :class:`AssignmentReport` and its changes, one record each."""

    counties: list[str]
    assigned: int
    moved: int
    unchanged: int
    outside: int
    changes: Records

    @classmethod
    def of(cls, report: AssignmentReport) -> AssignmentSummary:
        return cls(
            counties=report.counties,
            assigned=report.assigned,
            moved=report.moved,
            unchanged=report.unchanged,
            outside=report.outside,
            changes=frame_records(report.changes, lonlat=False),
        )


class RebalanceSummary(Result):
    """A rebalance: the engine's report and the retailers that moved."""

    report: dict[str, Any]
    moved: Records

    @classmethod
    def of(cls, result: Rebalance) -> RebalanceSummary:
        return cls(report=asdict(result.report), moved=frame_records(result.moved, lonlat=False))


class StaffingSummary(Result):
    """Posts held, posts no one can take, each person's load, and who is overloaded."""

    assignments: Records
    unstaffed: Records
    staff_load: Records
    overloaded: list[str]

    @classmethod
    def of(cls, result: StaffingResult) -> StaffingSummary:
        return cls(
            assignments=frame_records(result.assignments, lonlat=False),
            unstaffed=frame_records(result.unstaffed, lonlat=False),
            staff_load=frame_records(result.staff_load, lonlat=False),
            overloaded=[str(s) for s in result.overloaded],
        )


class ReportSummary(Result):
    """A county's grid figures, grids, responsibility sheet and unstaffed posts."""

    figures: dict[str, Any]
    grids: Records
    sheet: Records
    unstaffed: Records

    @classmethod
    def of(cls, report: GridReport) -> ReportSummary:
        return cls(
            figures=report.figures,
            grids=frame_records(report.grids, lonlat=False),
            sheet=frame_records(report.sheet, lonlat=False),
            unstaffed=frame_records(report.unstaffed, lonlat=False),
        )


# --- scope -------------------------------------------------------------------------------


def _county(session: Session, actor: Actor, county: str) -> County:
    """The county if it exists and the actor may see it; else not found (the same answer)."""
    row = session.get(County, county) if actor.can_see(county) else None
    if row is None:
        raise NotFoundError("county", county)
    return row


@requires(Action.READ_GRIDS)
def require_county(session: Session, actor: Actor, county: str) -> None:
    """Check that the county exists and is the actor's.

    Raises
    ------
    NotFoundError
        If it does not exist or is another's (the same answer).
    """
    _county(session, actor, county)


def _no_grids(county: str) -> NotFoundError:
    msg = f"county {county} has no grids; design them first (gridmgmt grids design)"
    return NotFoundError("grids of county", county, message=msg)


def _stored_grids(session: Session, county: str) -> list[GridRecord]:
    stmt = select(GridRecord).where(GridRecord.county_code == county).order_by(GridRecord.grid_id)
    return list(session.scalars(stmt))


def _grid_frame(rows: Sequence[GridRecord]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_id": [r.grid_id for r in rows], "locked": [r.locked for r in rows]},
        geometry=[r.geometry for r in rows],
        crs=WGS84,
    )


def _retailers(session: Session, actor: Actor, county: str) -> gpd.GeoDataFrame:
    frame = load_frame(session, "retailers", actor, county_codes=[county])
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=WGS84)


def _multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """The polygonal part of a geometry as a MultiPolygon (the column's type on PostGIS)."""
    parts = [
        p for p in shapely.get_parts(geom) if shapely.get_type_id(p) == shapely.GeometryType.POLYGON
    ]
    return MultiPolygon(parts)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _apply_figures(row: GridRecord, figures: Any, *, geometry: bool = True) -> None:
    if geometry:
        row.geometry = _multipolygon(figures.geometry)
    row.workload = float(figures.workload)
    row.n_retailers = int(figures.n_retailers)
    row.n_key_retailers = int(figures.n_key_retailers)
    row.area_km2 = float(figures.area_km2)
    row.polsby_popper = _finite(figures.polsby_popper)


def _retailer_ids(session: Session, county: str) -> dict[str, int]:
    stmt = select(Retailer.licence_no, Retailer.id).where(Retailer.county_code == county)
    return {str(licence): int(rid) for licence, rid in session.execute(stmt)}


def _save_assignment(session: Session, county: str, assignment: pd.DataFrame) -> int:
    """Replace the county's retailer grids with ``assignment`` (licence_no, grid_id)."""
    session.execute(delete(RetailerGrid).where(RetailerGrid.county_code == county))
    ids = _retailer_ids(session, county)
    rows = [
        {"retailer_id": ids[str(licence)], "county_code": county, "grid_id": str(grid)}
        for licence, grid in zip(assignment["licence_no"], assignment["grid_id"], strict=True)
        if grid is not None and not pd.isna(grid) and str(licence) in ids
    ]
    if rows:
        session.execute(insert(RetailerGrid), rows)
    return len(rows)


def _geometry_input(fixed_lines: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries | None) -> Any:
    if isinstance(fixed_lines, gpd.GeoDataFrame | gpd.GeoSeries) and fixed_lines.crs is not None:
        return fixed_lines.to_crs(WGS84)
    return fixed_lines


# --- design -------------------------------------------------------------------------------


@requires(Action.CHANGE_GRIDS)
def design_county_grids(
    session: Session,
    actor: Actor,
    county: str,
    *,
    n_grids: int | None = None,
    target_workload: float | None = None,
    seed: int = 0,
    fixed_lines: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    lock: Iterable[str] = (),
    replace: bool = False,
    workload_table: WorkloadTable | None = None,
    max_grids: int | None = None,
) -> GridDesign:
    """Design the grids of a county and put every retailer in one (网格划分).

    Parameters
    ----------
    session
        An open session; the design is saved and audited in its transaction.
    actor
        Who designs (an officer or administrator of the county).
    county
        The county code.
    n_grids, target_workload
        Exactly one: the number of grids (locked ones included), or the workload per grid.
    seed
        Seed of the design; the same data and seed give the same grids.
    fixed_lines
        Lines grids must not cross (township boundaries, rivers, major roads).
    lock
        Ids of stored grids to keep as they are; grids stored as locked are kept too.
    replace
        Replace a stored design; without it a county with grids is refused.
    workload_table
        Visit minutes by tier and business type.
    max_grids
        Most grids a design may have (the ``max_grids`` setting); None: only the number
        of retailers to visit bounds it.

    Returns
    -------
    GridDesign
        The engine's design (grids, assignment, report).

    Raises
    ------
    NotFoundError
        If the county does not exist or is not the actor's.
    ConflictError
        If the county has grids and ``replace`` is false.
    InvalidInputError
        If a locked id is not a stored grid, or the engine refuses the options.
    AccessDeniedError
        If the actor's role may not change grids.
    """
    boundary = _county(session, actor, county).boundary
    stored = _stored_grids(session, county)
    kept = _grids_to_keep(county, stored, {str(g) for g in lock}, replace=replace)
    with solver_timer("grid_design"):
        design = design_grids(
            boundary,
            _retailers(session, actor, county),
            n_grids=n_grids,
            target_workload=target_workload,
            seed=seed,
            fixed_lines=_geometry_input(fixed_lines),
            locked_grids=_grid_frame(kept) if kept else None,
            workload_table=workload_table,
            max_grids=max_grids,
        )
    _save_design(session, actor, county, design, stored=stored, kept=kept, seed=seed)
    assigned = _save_assignment(session, county, design.assignment)
    report = design.report
    audit.record(
        session,
        actor,
        "grids.design",
        kind="grids",
        county_code=county,
        detail={
            "n_grids": report.n_grids,
            "n_locked": report.n_locked,
            "requested": {"n_grids": n_grids, "target_workload": target_workload},
            "seed": seed,
            "fixed_lines": fixed_lines is not None,
            "replaced": len(stored),
            "retailers_assigned": assigned,
            "max_deviation": round(report.max_deviation, 6),
            "tolerance": report.tolerance,
            "within_tolerance": report.within_tolerance,
            "mean_polsby_popper": round(report.mean_polsby_popper, 4),
            "exact_tiling": report.exact_tiling,
            "notes": list(report.notes),
        },
    )
    return design


@requires(Action.CHANGE_GRIDS)
def check_design(
    session: Session,
    actor: Actor,
    county: str,
    *,
    n_grids: int | None = None,
    target_workload: float | None = None,
    lock: Iterable[str] = (),
    replace: bool = False,
    max_grids: int | None = None,
) -> None:
    """Refuse at once a design :func:`design_county_grids` would refuse, before it is queued.

    Checks the county (404), a stored design without ``replace`` (409), locked ids, exactly
    one of ``n_grids`` and ``target_workload``, and ``n_grids`` against ``max_grids`` and the
    county's retailers to visit (422). Reads only; the design itself checks again.
    """
    _county(session, actor, county)
    stored = _stored_grids(session, county)
    kept = _grids_to_keep(county, stored, {str(g) for g in lock}, replace=replace)
    if (n_grids is None) == (target_workload is None):
        msg = "give exactly one of n_grids and target_workload"
        raise InvalidInputError(msg, [{"field": "n_grids", "message": msg}])
    if n_grids is not None:
        to_visit = select(func.count(Retailer.id)).where(
            Retailer.county_code == county, Retailer.status != RetailerStatus.CLOSED
        )
        n_to_visit = int(session.scalar(to_visit) or 0)
        check_grid_count(
            n_grids - len(kept), n_to_visit=n_to_visit, max_grids=max_grids, n_locked=len(kept)
        )


def _grids_to_keep(
    county: str, stored: list[GridRecord], lock_ids: set[str], *, replace: bool
) -> list[GridRecord]:
    """The stored grids a new design keeps (locked ones); refuses what cannot be done."""
    unknown = sorted(lock_ids - {r.grid_id for r in stored})
    if unknown:
        msg = f"grids {unknown} to lock are not stored grids of county {county}"
        raise InvalidInputError(msg, [{"field": "lock", "message": msg}])
    if stored and not replace:
        msg = (
            f"county {county} already has {len(stored)} grids; design again with "
            "replace (--replace), which keeps locked grids"
        )
        raise ConflictError(msg)
    return [r for r in stored if r.locked or r.grid_id in lock_ids]


def _save_design(
    session: Session,
    actor: Actor,
    county: str,
    design: GridDesign,
    *,
    stored: list[GridRecord],
    kept: list[GridRecord],
    seed: int,
) -> None:
    """Replace the stored grids by the design's; kept grids keep their outlines exactly."""
    kept_ids = {r.grid_id for r in kept}
    session.execute(delete(RetailerGrid).where(RetailerGrid.county_code == county))
    dropped = [r.grid_id for r in stored if r.grid_id not in kept_ids]
    if dropped:
        session.execute(
            delete(StaffGrid).where(StaffGrid.county_code == county, StaffGrid.grid_id.in_(dropped))
        )
        session.execute(
            delete(GridRecord).where(
                GridRecord.county_code == county, GridRecord.grid_id.in_(dropped)
            )
        )
    by_id = {r.grid_id: r for r in kept}
    for figures in design.grids.itertuples(index=False):
        grid_id = str(figures.grid_id)
        row = by_id.get(grid_id)
        if row is None:
            row = GridRecord(
                county_code=county,
                grid_id=grid_id,
                locked=False,
                design_seed=seed,
                designed_by=actor.username,
            )
            session.add(row)
        else:
            row.locked = True
        # A locked grid keeps its stored outline exactly; only its figures are refreshed.
        _apply_figures(row, figures, geometry=grid_id not in kept_ids)
    session.flush()


# --- assignment ---------------------------------------------------------------------------


def _stored_assignment(session: Session, county: str) -> dict[str, str]:
    stmt = (
        select(Retailer.licence_no, RetailerGrid.grid_id)
        .join(RetailerGrid, RetailerGrid.retailer_id == Retailer.id)
        .where(Retailer.county_code == county)
    )
    return {str(licence): str(grid) for licence, grid in session.execute(stmt)}


def _counties_with_grids(session: Session, actor: Actor, county: str | None) -> list[str]:
    if county is not None:
        _county(session, actor, county)
        codes = [county]
    else:
        codes = county_codes(session, actor)
    stmt = select(GridRecord.county_code).where(GridRecord.county_code.in_(codes)).distinct()
    return sorted(session.scalars(stmt))


@requires(Action.CHANGE_GRIDS)
def assign_retailers(
    session: Session, actor: Actor, *, county: str | None = None
) -> AssignmentReport:
    """Put every retailer into the grid that contains it (new, moved or re-drawn).

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties; only counties with stored grids are assigned.
    county
        Only this county.

    Raises
    ------
    NotFoundError
        If ``county`` is given and is not the actor's.
    """
    changes: list[pd.DataFrame] = []
    assigned = moved = unchanged = outside = 0
    codes = _counties_with_grids(session, actor, county)
    for code in codes:
        grids = _grid_frame(_stored_grids(session, code))
        retailers = _retailers(session, actor, code)
        now = GridIndex(grids).assign(retailers.geometry)
        before = _stored_assignment(session, code)
        old = np.array([before.get(str(x)) for x in retailers["licence_no"]], dtype=object)
        has_now = pd.notna(pd.Series(now, dtype=object)).to_numpy()
        has_old = pd.notna(pd.Series(old, dtype=object)).to_numpy()
        same = has_now & has_old & (old == now)
        assigned += int((has_now & ~has_old).sum())
        moved += int((has_now & has_old & ~same).sum())
        unchanged += int(same.sum())
        outside += int((~has_now).sum())
        changed = ~same & (has_now | has_old)
        changes.append(
            pd.DataFrame(
                {
                    "licence_no": retailers["licence_no"].to_numpy()[changed],
                    "county_code": code,
                    "from_grid": old[changed],
                    "to_grid": now[changed],
                }
            )
        )
        if changed.any():
            assignment = pd.DataFrame({"licence_no": retailers["licence_no"], "grid_id": now})
            _save_assignment(session, code, assignment)
            _refresh_counts(session, actor, code)
    table = (
        pd.concat(changes, ignore_index=True)
        if changes
        else pd.DataFrame(columns=["licence_no", "county_code", "from_grid", "to_grid"])
    )
    audit.record(
        session,
        actor,
        "grids.assign",
        kind="grids",
        county_code=county,
        detail={
            "counties": codes,
            "assigned": assigned,
            "moved": moved,
            "unchanged": unchanged,
            "outside": outside,
        },
    )
    return AssignmentReport(codes, assigned, moved, unchanged, outside, table)


def _refresh_counts(session: Session, actor: Actor, county: str) -> None:
    """Recompute each stored grid's workload and retailer counts from the stored assignment."""
    rows = _stored_grids(session, county)
    retailers = _retailers(session, actor, county)
    weights = retailer_workload(retailers).to_numpy(float)
    assigned = retailers["grid_id"].to_numpy(dtype=object)
    table = grid_table(_grid_frame(rows), retailers, assigned, weights)
    by_id = {r.grid_id: r for r in rows}
    for figures in table.itertuples(index=False):
        _apply_figures(by_id[str(figures.grid_id)], figures)


# --- rebalancing --------------------------------------------------------------------------


@requires(Action.CHANGE_GRIDS)
def check_rebalance(session: Session, actor: Actor, county: str) -> None:
    """Refuse at once a rebalance of a county that is not the actor's or has no grids (404)."""
    _county(session, actor, county)
    if not _stored_grids(session, county):
        raise _no_grids(county)


@requires(Action.CHANGE_GRIDS)
def rebalance_county_grids(
    session: Session,
    actor: Actor,
    county: str,
    *,
    lock: Iterable[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    workload_table: WorkloadTable | None = None,
) -> Rebalance:
    """Bring a county's grids back within the workload tolerance, moving few retailers.

    Retailers without a stored grid count as new (they go first); grid ids do not change;
    locked grids (stored as locked, or named in ``lock``) are left exactly as they are.

    Raises
    ------
    NotFoundError
        If the county is not the actor's, or has no grids.
    """
    boundary = _county(session, actor, county).boundary
    rows = _stored_grids(session, county)
    if not rows:
        raise _no_grids(county)
    locked = {r.grid_id for r in rows if r.locked} | {str(g) for g in lock}
    retailers = _retailers(session, actor, county)
    with solver_timer("grid_rebalance"):
        result = rebalance_grids(
            boundary,
            _grid_frame(rows),
            retailers,
            locked=sorted(locked),
            tolerance=tolerance,
            workload_table=workload_table,
            existing_column="grid_id",
        )
    by_id = {r.grid_id: r for r in rows}
    for figures in result.grids.itertuples(index=False):
        _apply_figures(by_id[str(figures.grid_id)], figures)
    _save_assignment(session, county, result.assignment)
    report = result.report
    audit.record(
        session,
        actor,
        "grids.rebalance",
        kind="grids",
        county_code=county,
        detail={
            "locked": sorted(locked),
            "max_deviation_before": round(report.max_deviation_before, 6),
            "max_deviation_after": round(report.max_deviation_after, 6),
            "within_tolerance": report.within_tolerance,
            "n_moved": report.n_moved,
            "moved": result.moved.astype(str).to_dict(orient="records"),
        },
    )
    return result


# --- staffing -----------------------------------------------------------------------------


def _staff_frame(session: Session, county: str) -> pd.DataFrame:
    stmt = select(Staff).where(Staff.county_code == county).order_by(Staff.staff_no)
    people = list(session.scalars(stmt))
    return pd.DataFrame(
        {
            "staff_id": [p.staff_no for p in people],
            "name": [p.name for p in people],
            "phone": [p.phone or "" for p in people],
            "role": [p.role.value for p in people],
            # No capacity on file means no limit set.
            "capacity": [math.inf if p.capacity is None else float(p.capacity) for p in people],
            "pk": [p.id for p in people],
        }
    )


def _posts(session: Session, county: str) -> pd.DataFrame:
    stmt = (
        select(StaffGrid.grid_id, StaffGrid.role, Staff.staff_no)
        .join(Staff, Staff.id == StaffGrid.staff_id)
        .where(StaffGrid.county_code == county)
        .order_by(StaffGrid.grid_id, StaffGrid.role)
    )
    rows = [(g, r.value, s) for g, r, s in session.execute(stmt)]
    return pd.DataFrame(rows, columns=["grid_id", "role", "staff_id"])


@requires(Action.CHANGE_GRIDS)
def staff_county_grids(
    session: Session, actor: Actor, county: str, *, allow_overload: bool = False
) -> StaffingResult:
    """Post one monopoly officer, account manager and deliverer to every grid (三员).

    People stay in their current grids where capacities allow; posts no one can take are
    reported in ``unstaffed``; staff whose load exceeds their capacity in ``staff_load``.
    Staff ids in the result are staff numbers.

    Raises
    ------
    NotFoundError
        If the county is not the actor's, or has no grids.
    """
    _county(session, actor, county)
    rows = _stored_grids(session, county)
    if not rows:
        raise _no_grids(county)
    grids = pd.DataFrame(
        {"grid_id": [r.grid_id for r in rows], "workload": [r.workload for r in rows]}
    )
    staff = _staff_frame(session, county)
    current = _posts(session, county)
    result = assign_staff(
        grids, staff.drop(columns="pk"), current=current, allow_overload=allow_overload
    )
    pks = dict(zip(staff["staff_id"], staff["pk"], strict=True))
    session.execute(delete(StaffGrid).where(StaffGrid.county_code == county))
    session.flush()
    posts = [
        {
            "county_code": county,
            "grid_id": str(a.grid_id),
            "role": StaffRole(a.role),
            "staff_id": int(pks[a.staff_id]),
            "assigned_by": actor.username,
        }
        for a in result.assignments.itertuples(index=False)
    ]
    session.add_all(StaffGrid(**post) for post in posts)
    audit.record(
        session,
        actor,
        "grids.staff",
        kind="grids",
        county_code=county,
        detail={
            "posts": len(posts),
            "kept": int(result.assignments["kept"].sum()),
            "unstaffed": result.unstaffed.astype(str).to_dict(orient="records"),
            "overloaded": [str(s) for s in result.overloaded],
            "allow_overload": allow_overload,
        },
    )
    return result


# --- reading ------------------------------------------------------------------------------


@requires(Action.READ_GRIDS)
def list_grids(session: Session, actor: Actor, county: str) -> gpd.GeoDataFrame:
    """The stored grids of one of the actor's counties, with staff names per role.

    Raises
    ------
    NotFoundError
        If the county does not exist or is not the actor's.
    """
    _county(session, actor, county)
    frame = load_frame(session, "grids", actor, county_codes=[county])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def grids_geojson(grids: gpd.GeoDataFrame) -> dict[str, Any]:
    """Grids (from :func:`list_grids`) as a GeoJSON FeatureCollection, times in ISO 8601."""
    plain = grids.copy()
    for column in plain.columns:
        if str(plain[column].dtype).startswith("datetime64"):
            plain[column] = plain[column].map(lambda t: t.isoformat())
    collection: dict[str, Any] = json.loads(plain.to_json(drop_id=True, na="null"))
    return collection


@requires(Action.READ_GRIDS)
def grid_report(session: Session, actor: Actor, county: str) -> GridReport:
    """Figures and responsibility sheet (网格责任清单) of one county's grids.

    Raises
    ------
    NotFoundError
        If the county is not the actor's, or has no grids.
    """
    grids = list_grids(session, actor, county)
    if not len(grids):
        raise _no_grids(county)
    retailers = _retailers(session, actor, county)
    posts = _posts(session, county)
    staff = _staff_frame(session, county)
    sheet = responsibility_sheet(grids, retailers, posts, staff)
    free = ~grids["locked"].astype(bool)
    mean = float(grids.loc[free, "workload"].mean()) if free.any() else float("nan")
    table = pd.DataFrame(grids.drop(columns="geometry"))
    table.insert(2, "deviation", table["workload"] / mean - 1 if mean > 0 else np.nan)
    held = set(zip(posts["grid_id"], posts["role"], strict=True))
    unstaffed = pd.DataFrame(
        [(g, r.value) for g in grids["grid_id"] for r in StaffRole if (g, r.value) not in held],
        columns=["grid_id", "role"],
    )
    figures = {
        "county_code": county,
        "n_grids": len(grids),
        "n_locked": int((~free).sum()),
        "mean_workload": mean,
        "max_deviation": float(table.loc[free, "deviation"].abs().max()),
        "mean_polsby_popper": float(grids["polsby_popper"].mean()),
        "retailers_in_grids": int(retailers["grid_id"].notna().sum()),
        "retailers_outside": int(retailers["grid_id"].isna().sum()),
        "unstaffed_posts": len(unstaffed),
    }
    return GridReport(county, table, sheet, unstaffed, figures)


def write_grid_sheet(report: GridReport, path: str | Path, *, headers: str = "zh") -> Path:
    """Save a report's responsibility sheet as ``.csv`` or ``.xlsx`` (by suffix)."""
    return write_sheet(report.sheet, path, headers=headers)


@requires(Action.READ_GRIDS)
def locate(
    session: Session, actor: Actor, lon: float, lat: float, *, crs: str = "wgs84"
) -> GridLocation | None:
    """Which of the actor's grids contains a location (a point on a shared edge: first id).

    Parameters
    ----------
    lon, lat
        The location in ``crs`` (``wgs84``, ``gcj02``, ``bd09`` or ``cgcs2000``).

    Returns
    -------
    GridLocation or None
        None when the point is in none of the actor's grids.
    """
    x, y = to_wgs84([lon], [lat], crs)
    wlon, wlat = float(x[0]), float(y[0])
    point = shapely.Point(wlon, wlat)
    stmt = select(GridRecord.county_code, GridRecord.grid_id, GridRecord.geometry).where(
        GridRecord.county_code.in_(county_codes(session, actor))
    )
    rows = [r for r in session.execute(stmt) if r.geometry.intersects(point)]
    if not rows:
        return None
    county, grid_id, _ = min(rows, key=lambda r: (str(r.county_code), str(r.grid_id)))
    names = (
        select(StaffGrid.role, Staff.name)
        .join(Staff, Staff.id == StaffGrid.staff_id)
        .where(StaffGrid.county_code == county, StaffGrid.grid_id == grid_id)
    )
    held = {role.value: name for role, name in session.execute(names)}
    staff = {role.value: held.get(role.value) for role in StaffRole}
    return GridLocation(
        county_code=str(county), grid_id=str(grid_id), lon=wlon, lat=wlat, staff=staff
    )
