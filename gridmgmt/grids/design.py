"""Design the grids (网格划分) of a county from its boundary and its retailers.

``design_grids`` weighs the retailers (:mod:`~gridmgmt.grids.workload`), cuts the county
into base units (:mod:`~gridmgmt.grids.units`), cuts the units into grids
(:mod:`~gridmgmt.grids.partition`) and measures the result
(:mod:`~gridmgmt.grids.metrics`).

Guarantees: the grids tile the county exactly (their union is the county, without gaps or
overlaps); each grid is one contiguous polygon (or, for a grid that takes in an exclave too
small for a grid of its own, contiguous through the link to that exclave, reported in
``exclaves_joined``); every retailer inside the county is in exactly one grid; no grid
crosses a fixed line unless a zone between fixed lines is too light for a grid of its own
(reported in ``fixed_lines_crossed``); the same inputs and seed give the same grids.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmgmt.crs import WGS84, metric_crs
from gridmgmt.errors import InvalidInputError
from gridmgmt.grids._inputs import (
    GeometryInput,
    check_grids,
    check_retailers,
    county_geometry,
)
from gridmgmt.grids._layout import Layout
from gridmgmt.grids.assign import GridIndex, points_in_polygons
from gridmgmt.grids.metrics import (
    check_tiling,
    max_deviation,
    polsby_popper,
    polsby_popper_of_geometry,
)
from gridmgmt.grids.partition import (
    DEFAULT_COMPACT_EFFORT,
    DEFAULT_SPARSE_TOLERANCE,
    DEFAULT_TOLERANCE,
    Partition,
    partition_units,
)
from gridmgmt.grids.units import (
    DEFAULT_BASE_RESOLUTION,
    DEFAULT_MAX_RESOLUTION,
    DEFAULT_MAX_SHARE,
    Units,
    build_units,
)
from gridmgmt.grids.workload import WorkloadTable, active_mask, retailer_workload

__all__ = ["DesignReport", "GridDesign", "check_grid_count", "design_grids", "grid_table"]


@dataclass(frozen=True)
class DesignReport:
    """Figures of a grid design.

    Attributes
    ----------
    n_grids, n_locked
        Grids in total, and how many of them were locked.
    n_units
        Base units the county was cut into.
    target_workload
        Mean workload of the designed grids (visit minutes).
    max_deviation
        Largest relative deviation of a designed grid's workload from that mean.
    tolerance
        Deviation the design was held to: the requested one, or the sparse one.
    within_tolerance
        Whether every designed grid is within ``tolerance``.
    sparse_fallback
        True when the requested tolerance was out of reach (too few, too lumpy retailers)
        and the sparse tolerance was used instead.
    mean_polsby_popper
        Mean Polsby-Popper compactness of all grids.
    county_polsby_popper
        Polsby-Popper of the county itself, which bounds what grids can reach.
    relative_compactness
        ``mean_polsby_popper / county_polsby_popper``.
    contiguous
        Whether every grid is connected (through exclave links where reported).
    single_polygons
        Number of grids that are one polygon.
    exact_tiling
        Whether the grids tile the county without gaps or overlaps.
    balanced_on
        ``"workload"``, or ``"area"`` when no retailer carries workload.
    fixed_lines_crossed, exclaves_joined
        Zones joined across a fixed line; exclaves joined to a neighbouring grid.
    retailers_outside
        Retailers outside the county (they get no grid).
    seconds
        Wall time of the design.
    notes
        Plain-language remarks on anything unusual.
    """

    n_grids: int
    n_locked: int
    n_units: int
    target_workload: float
    max_deviation: float
    tolerance: float
    within_tolerance: bool
    sparse_fallback: bool
    mean_polsby_popper: float
    county_polsby_popper: float
    relative_compactness: float
    contiguous: bool
    single_polygons: int
    exact_tiling: bool
    balanced_on: str
    fixed_lines_crossed: int
    exclaves_joined: int
    retailers_outside: int
    seconds: float
    notes: tuple[str, ...]


@dataclass(frozen=True)
class GridDesign:
    """A designed set of grids.

    Attributes
    ----------
    grids
        One row per grid: ``grid_id``, ``workload``, ``n_retailers`` (active),
        ``n_retailers_all``, ``n_key_retailers``, ``area_km2``, ``polsby_popper``,
        ``deviation`` (relative to the designed grids' mean), ``locked``, geometry
        (EPSG:4326).
    assignment
        ``licence_no`` and ``grid_id`` of every retailer, indexed like the input; grid id
        None outside the county.
    report
        The figures.
    units
        The base units, for rebalancing and inspection.
    unit_grid
        Grid id of each unit.
    """

    grids: gpd.GeoDataFrame
    assignment: pd.DataFrame
    report: DesignReport
    units: Units
    unit_grid: np.ndarray


def design_grids(
    county_boundary: GeometryInput,
    retailers: gpd.GeoDataFrame,
    *,
    n_grids: int | None = None,
    target_workload: float | None = None,
    seed: int = 0,
    fixed_lines: GeometryInput | None = None,
    locked_grids: gpd.GeoDataFrame | None = None,
    workload_table: WorkloadTable | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    sparse_tolerance: float = DEFAULT_SPARSE_TOLERANCE,
    max_share: float = DEFAULT_MAX_SHARE,
    base_resolution: int = DEFAULT_BASE_RESOLUTION,
    max_resolution: int = DEFAULT_MAX_RESOLUTION,
    compact_effort: float = DEFAULT_COMPACT_EFFORT,
    id_prefix: str = "G",
    max_grids: int | None = None,
) -> GridDesign:
    """Design the grids of a county.

    Parameters
    ----------
    county_boundary
        The county, EPSG:4326 (a geometry, GeoSeries or GeoDataFrame; parts are unioned).
    retailers
        Retailers with ``licence_no``, ``tier``, ``business_type``, ``status``, optional
        ``key_retailer`` and point geometry, EPSG:4326.
    n_grids
        Number of grids in total, locked grids included.
    target_workload
        Workload per grid instead of a number: the number of designed grids is the free
        workload divided by it, rounded (at least one).
    seed
        Seed of every random choice; the same seed gives the same grids.
    fixed_lines
        Lines grids must not cross (township boundaries, rivers, major roads), as lines or
        polygons, EPSG:4326.
    locked_grids
        Existing grids to keep as they are (``grid_id`` and polygon), EPSG:4326; they are
        clipped to the county and the rest of the county is designed around them.
    workload_table
        Visit minutes by tier and business type.
    tolerance
        Largest relative deviation of a grid's workload from the mean (5%).
    sparse_tolerance
        Deviation accepted, and reported, where retailers are too sparse for ``tolerance``.
    max_share
        Largest share of a grid's target workload one base unit may carry.
    base_resolution, max_resolution
        H3 resolutions of the coarsest and finest base units.
    compact_effort
        Compactness search effort (proposals per unit).
    id_prefix
        Prefix of new grid ids (``G01``, ``G02``, ... numbered from the north-west).
    max_grids
        Most grids in total (locked included) a design may have; None: no bound but the
        number of active retailers.

    Returns
    -------
    GridDesign
        Grids, retailer assignment and report.

    Raises
    ------
    ValueError
        If neither or both of ``n_grids`` and ``target_workload`` are given, they are not
        positive, there are not more grids than locked grids, more grids to design than
        active retailers outside locked grids (or than ``max_grids``), or inputs are invalid.
    """
    started = time.perf_counter()
    check_retailers(retailers)
    county = county_geometry(county_boundary)
    crs = metric_crs(county)
    weights = retailer_workload(retailers, table=workload_table).to_numpy(float)
    points = np.asarray(retailers.geometry.array)
    locked = _clip_locked(locked_grids, county)
    free = _free_points(points, county, locked) & (weights > 0)
    free_weight = float(weights[free].sum())
    n_free = _designed_count(n_grids, target_workload, free_weight, len(locked))
    check_grid_count(n_free, n_to_visit=int(free.sum()), max_grids=max_grids, n_locked=len(locked))
    target = free_weight / n_free
    units = build_units(
        county,
        points,
        weights,
        target_workload=target,
        max_share=max_share,
        base_resolution=base_resolution,
        max_resolution=max_resolution,
        fixed_lines=fixed_lines,
        partition=locked if len(locked) else None,
        locked=frozenset(locked["grid_id"]) if len(locked) else frozenset(),
        crs=crs,
    )
    part = partition_units(
        units,
        n_free,
        seed=seed,
        tolerance=tolerance,
        sparse_tolerance=sparse_tolerance,
        compact_effort=compact_effort,
    )
    ids = _grid_ids(units, part, id_prefix)
    grids = _dissolve_grids(units, part, ids, n_free)
    assigned = GridIndex(grids).assign(points)
    assignment = pd.DataFrame(
        {"licence_no": retailers["licence_no"].to_numpy(), "grid_id": assigned},
        index=retailers.index,
    )
    grids = grid_table(grids, retailers, assigned, weights)
    report = _report(grids, units, part, county, assigned, started)
    unit_grid = np.array(ids, dtype=object)[part.labels]
    return GridDesign(grids, assignment, report, units, unit_grid)


def _dissolve_grids(
    units: Units, part: Partition, ids: list[object], n_free: int
) -> gpd.GeoDataFrame:
    """One polygon per grid, sorted by id; the designed grids come before the locked ones."""
    pieces = units.dissolve(part.labels)
    grids = gpd.GeoDataFrame(
        {"grid_id": ids, "locked": [g >= n_free for g in range(len(ids))]},
        geometry=[pieces[g] for g in range(len(ids))],
        crs=WGS84,
    )
    grids = grids.sort_values("grid_id", key=lambda s: s.astype(str), kind="stable")
    return grids.reset_index(drop=True)


def grid_table(
    grids: gpd.GeoDataFrame,
    retailers: gpd.GeoDataFrame,
    assigned: np.ndarray,
    weights: np.ndarray,
) -> gpd.GeoDataFrame:
    """Add workload, retailer counts, area, compactness and deviation columns to grids.

    Parameters
    ----------
    grids
        ``grid_id``, ``locked`` and geometry.
    retailers
        The retailers.
    assigned
        Grid id of each retailer (None outside).
    weights
        Workload of each retailer.
    """
    out = grids.copy()
    frame = pd.DataFrame(
        {
            "grid_id": assigned,
            "workload": weights,
            "active": active_mask(retailers),
            "key": retailers["key_retailer"].fillna(False).astype(bool).to_numpy()
            if "key_retailer" in retailers.columns
            else False,
        }
    )
    frame = frame[frame["grid_id"].notna()]
    sums = frame.groupby("grid_id").agg(
        workload=("workload", "sum"),
        n_retailers=("active", "sum"),
        n_retailers_all=("active", "size"),
        n_key_retailers=("key", "sum"),
    )
    out = out.join(sums, on="grid_id")
    for column in ("workload", "n_retailers", "n_retailers_all", "n_key_retailers"):
        out[column] = out[column].fillna(0)
    for column in ("n_retailers", "n_retailers_all", "n_key_retailers"):
        out[column] = out[column].astype(int)
    crs = metric_crs(out)
    out["area_km2"] = out.to_crs(crs).area.to_numpy() / 1e6
    out["polsby_popper"] = polsby_popper(out.geometry, crs=crs)
    free = ~out["locked"].to_numpy(bool)
    mean = float(out.loc[free, "workload"].mean()) if free.any() else float("nan")
    out["deviation"] = out["workload"] / mean - 1 if mean > 0 else np.nan
    columns = [
        "grid_id", "workload", "deviation", "n_retailers", "n_retailers_all",
        "n_key_retailers", "area_km2", "polsby_popper", "locked", "geometry",
    ]  # fmt: skip
    return out[columns]


def _clip_locked(locked: gpd.GeoDataFrame | None, county: shapely.Geometry) -> gpd.GeoDataFrame:
    if locked is None or len(locked) == 0:
        return gpd.GeoDataFrame({"grid_id": []}, geometry=[], crs=WGS84)
    check_grids(locked, "locked_grids")
    clipped = locked[["grid_id"]].copy()
    clipped = gpd.GeoDataFrame(
        clipped,
        geometry=shapely.intersection(np.asarray(locked.geometry.array), county),
        crs=WGS84,
    )
    keep = shapely.area(np.asarray(clipped.geometry.array)) > 0
    return clipped[keep].reset_index(drop=True)


def _free_points(
    points: np.ndarray, county: shapely.Geometry, locked: gpd.GeoDataFrame
) -> np.ndarray:
    """Which retailers lie in the county and outside every locked grid (the designed part)."""
    inside = points_in_polygons(points, np.array([county], dtype=object)) >= 0
    if len(locked):
        inside &= points_in_polygons(points, np.asarray(locked.geometry.array)) < 0
    return np.asarray(inside, dtype=bool)


def check_grid_count(
    n_free: int, *, n_to_visit: int, max_grids: int | None, n_locked: int = 0
) -> None:
    """Refuse a design with more grids than retailers to share or than ``max_grids``.

    Checked before any heavy work (and by services before a design is queued): a grid needs
    at least one retailer to visit of its own (unless there are none, and area is balanced),
    and an absurd count must not run for minutes before failing.

    Parameters
    ----------
    n_free
        Grids to design (locked grids not counted).
    n_to_visit
        Retailers with a workload (not closed) in the part of the county to design.
    max_grids
        Most grids in total; None: no such bound.
    n_locked
        Locked grids kept as they are.

    Raises
    ------
    InvalidInputError
        On the ``n_grids`` field, saying what is allowed.
    """
    msg = ""
    if n_free < 1:
        msg = f"n_grids ({n_free + n_locked}) must exceed the number of locked grids ({n_locked})"
    elif max_grids is not None and n_free + n_locked > max_grids:
        msg = f"{n_free + n_locked} grids asked; at most {max_grids} are designed at once"
    elif 0 < n_to_visit < n_free:  # none at all: the design balances area instead
        msg = (
            f"{n_free} grids to design but only {n_to_visit} retailers to visit (not closed) "
            "to share between them (outside locked grids); ask for fewer grids"
        )
    if msg:
        raise InvalidInputError(msg, [{"field": "n_grids", "message": msg}])


def _designed_count(
    n_grids: int | None, target_workload: float | None, free_weight: float, n_locked: int
) -> int:
    if (n_grids is None) == (target_workload is None):
        msg = "give exactly one of n_grids and target_workload"
        raise InvalidInputError(msg)
    if n_grids is not None:
        if n_grids <= n_locked:
            msg = f"n_grids ({n_grids}) must exceed the number of locked grids ({n_locked})"
            raise InvalidInputError(msg)
        return n_grids - n_locked
    assert target_workload is not None
    if not target_workload > 0:
        msg = f"target_workload must be positive; got {target_workload}"
        raise InvalidInputError(msg)
    return max(1, round(free_weight / target_workload))


def _grid_ids(units: Units, part: Partition, prefix: str) -> list[object]:
    """Ids of designed grids, numbered from the north-west, then the locked grids' ids."""
    area = units.area_m2
    xy = units.centroid_xy
    n_free = part.n_free
    labels = part.labels
    total = np.bincount(labels, weights=area, minlength=n_free)[:n_free]
    cx = np.bincount(labels, weights=area * xy[:, 0], minlength=n_free)[:n_free] / total
    cy = np.bincount(labels, weights=area * xy[:, 1], minlength=n_free)[:n_free] / total
    # Rows of about one grid's height, north to south, each read west to east.
    row_height = np.sqrt(area[labels < n_free].sum() / n_free)
    row = np.floor((cy.max() - cy) / row_height)
    order = np.lexsort((cx, row))
    taken = {str(g) for g in part.locked_ids}
    width = max(2, len(str(n_free + len(taken))))
    names: list[object] = [""] * n_free
    number = 1
    for g in order:
        while f"{prefix}{number:0{width}d}" in taken:
            number += 1
        names[g] = f"{prefix}{number:0{width}d}"
        number += 1
    return names + list(part.locked_ids)


def _report(
    grids: gpd.GeoDataFrame,
    units: Units,
    part: Partition,
    county: shapely.Geometry,
    assigned: np.ndarray,
    started: float,
) -> DesignReport:
    free = ~grids["locked"].to_numpy(bool)
    if part.balanced_on == "area":
        deviation = max_deviation(grids.loc[free, "area_km2"])
    else:
        deviation = max_deviation(grids.loc[free, "workload"])
    county_pp = polsby_popper_of_geometry(county, crs=units.crs)
    mean_pp = float(np.nanmean(grids["polsby_popper"]))
    tiling = check_tiling(grids.geometry, county, crs=units.crs)
    single = int(sum(len(shapely.get_parts(g)) == 1 for g in np.asarray(grids.geometry.array)))
    notes = list(dict.fromkeys(part.notes))
    if part.sparse_fallback:
        notes.append(
            "the requested balance was out of reach (retailers too sparse or lumpy, or "
            f"split unevenly by fixed lines); grids were held within {part.tolerance:.0%}"
        )
    if part.balanced_on == "area":
        notes.append("no retailer carries workload: grids are balanced by area")
    return DesignReport(
        n_grids=len(grids),
        n_locked=int((~free).sum()),
        n_units=units.n,
        target_workload=float(grids.loc[free, "workload"].mean()),
        max_deviation=float(deviation),
        tolerance=part.tolerance,
        within_tolerance=bool(deviation <= part.tolerance + 1e-9),
        sparse_fallback=part.sparse_fallback,
        mean_polsby_popper=mean_pp,
        county_polsby_popper=county_pp,
        relative_compactness=mean_pp / county_pp if county_pp > 0 else float("nan"),
        contiguous=_contiguous(units, part),
        single_polygons=single,
        exact_tiling=tiling.ok,
        balanced_on=part.balanced_on,
        fixed_lines_crossed=part.fixed_lines_crossed,
        exclaves_joined=part.exclaves_joined,
        retailers_outside=int(pd.isna(pd.Series(assigned, dtype=object)).sum()),
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


def _contiguous(units: Units, part: Partition) -> bool:
    assert part.move_edges is not None
    assert part.connect_edges is not None
    n_total = part.n_free + len(part.locked_ids)
    layout = Layout(
        units,
        part.labels,
        n_total,
        move_edges=part.move_edges,
        connect_edges=part.connect_edges,
        movable=np.ones(units.n, dtype=bool),
        frozen=np.zeros(n_total, dtype=bool),
    )
    return all(len(layout.grid_components(g)) == 1 for g in range(part.n_free))
