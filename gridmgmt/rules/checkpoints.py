"""Checkpoints (查堵卡点): border crossings, their coverage, new sites and mobile rotations.

* :func:`border_crossings`: every place a road crosses a county or province border
  (:func:`~gridmgmt.rules.border_markets.shared_borders`), weighted by road class.
* :func:`crossing_coverage`: whether an existing checkpoint is within the coverage distance
  of each crossing.
* :func:`suggest_checkpoints`: ``k`` new sites intercepting the most border-crossing flow,
  Hodgson's flow-interception location model (FILM). Each flow follows a path; a site
  intercepts the flows whose paths it lies on, so the model is a maximal covering problem
  over the path-incidence matrix. Without origin-destination flows, each uncovered
  crossing is one flow along the road that crosses, up to ``approach_m`` either side of
  the border, weighted by road class; with them, each given path is a flow with its
  volume. A site at a junction where two border roads meet intercepts both. Solved by
  lazy greedy (within 1 - 1/e of the optimum, usually at it) and, for small problems,
  exactly with scipy's MILP (HiGHS), and on request with spopt's MCLP when spopt is
  installed; every solver's answer is reported and the best is chosen.
* :func:`rotation_schedule`: smugglers learn fixed posts, so mobile checkpoints rotate over
  candidate sites: each day a weighted random choice, never a site used the day before,
  the same for the same seed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import (
    ObjectArray,
    geo_series,
    metric_geoms,
    require_frame,
    require_kind,
    resolve_crs,
)
from gridmgmt.rules.settings import CheckpointSettings

__all__ = [
    "CheckpointPlan",
    "SolverResult",
    "border_crossings",
    "candidate_sites",
    "crossing_coverage",
    "crossing_paths",
    "incidence_matrix",
    "rotation_schedule",
    "suggest_checkpoints",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS: Final = ("greedy", "milp", "spopt")
DEFAULT_METHODS: Final = ("greedy", "milp")  # spopt takes seconds to import: ask for it
_EXACT_LIMIT: Final = 2_000_000  # paths x candidates above which exact solvers are skipped


def border_crossings(
    roads: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    settings: CheckpointSettings,
    crs: pyproj.CRS | str | None = None,
    highway: str = "highway",
) -> gpd.GeoDataFrame:
    """Every point where a road crosses a border.

    Parameters
    ----------
    roads
        Road lines with a ``highway`` class column (OSM style).
    borders
        Borders from :func:`~gridmgmt.rules.border_markets.shared_borders`.
    settings
        Road-class weights.
    crs
        Metric CRS; by default the local one of the borders.
    highway
        Column with the road class.

    Returns
    -------
    geopandas.GeoDataFrame
        ``crossing``, ``road`` (row position in ``roads``), ``highway``, ``weight``,
        ``kind``, ``county_a``, ``county_b`` and the point in WGS-84. A road running
        along a border for a stretch crosses it once, at the stretch's middle.
    """
    require_frame(roads, "roads", [highway])
    require_kind(roads, "roads", ["LineString", "MultiLineString"])
    require_frame(borders, "borders", ["kind", "county_a", "county_b"])
    metric = resolve_crs(crs, borders, roads)
    road_lines = metric_geoms(roads, metric)
    border_lines = metric_geoms(borders, metric)
    road_i, border_i = shapely.STRtree(border_lines).query(road_lines, predicate="intersects")
    cuts = shapely.intersection(road_lines[road_i], border_lines[border_i])
    parts, pair = shapely.get_parts(cuts, return_index=True)
    points = parts.copy()
    linear = shapely.get_type_id(parts) != shapely.GeometryType.POINT
    points[linear] = shapely.line_interpolate_point(parts[linear], 0.5, normalized=True)
    road, border = road_i[pair], border_i[pair]
    # One crossing per road, border and metre: a vertex on the border shows up twice.
    key = pd.DataFrame({"road": road, "border": border, **_rounded_xy(points)}).drop_duplicates()
    keep = key.index.to_numpy()
    road, border, points = road[keep], border[keep], points[keep]
    classes = roads[highway].to_numpy(dtype=object)[road]
    return gpd.GeoDataFrame(
        {
            "crossing": np.arange(len(keep)),
            "road": road,
            "highway": classes,
            "weight": [settings.road_weight(c) for c in classes],
            "kind": borders["kind"].to_numpy(dtype=object)[border],
            "county_a": borders["county_a"].to_numpy(dtype=object)[border],
            "county_b": borders["county_b"].to_numpy(dtype=object)[border],
        },
        geometry=geo_series(points, metric).array,
        crs=WGS84,
    )


def crossing_coverage(
    crossings: gpd.GeoDataFrame,
    checkpoints: gpd.GeoDataFrame,
    *,
    settings: CheckpointSettings,
    crs: pyproj.CRS | str | None = None,
    checkpoint_id: str = "name",
) -> gpd.GeoDataFrame:
    """Whether an existing checkpoint is within ``coverage_m`` of each crossing.

    Returns
    -------
    geopandas.GeoDataFrame
        The crossings with ``covered``, ``checkpoint`` (the nearest one within reach) and
        ``checkpoint_m`` (its distance; NaN when uncovered).
    """
    require_frame(crossings, "crossings")
    result = crossings.copy()
    result["covered"] = False
    result["checkpoint"] = None
    result["checkpoint_m"] = np.nan
    if len(checkpoints) == 0 or len(crossings) == 0:
        return result
    require_frame(checkpoints, "checkpoints", [checkpoint_id])
    metric = resolve_crs(crs, crossings)
    posts = metric_geoms(checkpoints, metric)
    points = metric_geoms(crossings, metric)
    cross_i, post_i = shapely.STRtree(posts).query_nearest(
        points, max_distance=settings.coverage_m, all_matches=False
    )
    rows = result.index[cross_i]
    result.loc[rows, "covered"] = True
    result.loc[rows, "checkpoint"] = checkpoints[checkpoint_id].to_numpy(dtype=object)[post_i]
    result.loc[rows, "checkpoint_m"] = shapely.distance(points[cross_i], posts[post_i])
    return result


def crossing_paths(
    crossings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    settings: CheckpointSettings,
    crs: pyproj.CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """The path of the flow over each crossing: its road, up to ``approach_m`` either side.

    Returns
    -------
    geopandas.GeoDataFrame
        ``crossing``, ``weight``, ``crossing_point`` and the path line, in WGS-84.
    """
    metric = resolve_crs(crs, crossings, roads)
    points = metric_geoms(crossings, metric)
    lines = metric_geoms(roads, metric)[crossings["road"].to_numpy()]
    clipped = shapely.intersection(lines, shapely.buffer(points, settings.approach_m))
    paths = np.array([_part_through(c, p) for c, p in zip(clipped, points, strict=True)])
    return gpd.GeoDataFrame(
        {
            "crossing": crossings["crossing"].to_numpy(),
            "weight": crossings["weight"].to_numpy(),
            "crossing_point": crossings.geometry.to_crs(WGS84).to_numpy(),
        },
        geometry=geo_series(paths, metric).array,
        crs=WGS84,
    )


def candidate_sites(
    crossings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    settings: CheckpointSettings,
    crs: pyproj.CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Candidate checkpoint sites: the crossings and the road ends and junctions near them.

    Road lines end at junctions in OSM data, so their end points within ``approach_m`` of
    a crossing are the junctions where a post can watch several border roads at once.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site`` (a number), ``source`` (``crossing`` or ``junction``) and the point.
    """
    metric = resolve_crs(crs, crossings, roads)
    crossing_points = metric_geoms(crossings, metric)
    lines = metric_geoms(roads, metric)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    near = shapely.STRtree(crossing_points).query(
        ends, predicate="dwithin", distance=settings.approach_m
    )[0]
    junctions = ends[np.unique(near)]
    points = np.concatenate([crossing_points, junctions])
    source = np.array(["crossing"] * len(crossing_points) + ["junction"] * len(junctions))
    unique = pd.DataFrame(_rounded_xy(points)).drop_duplicates().index.to_numpy()
    return gpd.GeoDataFrame(
        {"site": np.arange(len(unique)), "source": source[unique]},
        geometry=geo_series(points[unique], metric).array,
        crs=WGS84,
    )


def incidence_matrix(
    paths: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    tolerance_m: float,
    crs: pyproj.CRS | str | None = None,
) -> sparse.csr_array:
    """Path-incidence matrix: entry (i, j) is 1 when candidate j lies on path i."""
    metric = resolve_crs(crs, paths, candidates)
    path_lines = metric_geoms(paths, metric)
    sites = metric_geoms(candidates, metric)
    site_i, path_i = shapely.STRtree(path_lines).query(
        sites, predicate="dwithin", distance=tolerance_m
    )
    data = np.ones(len(site_i), dtype=np.int8)
    return sparse.csr_array((data, (path_i, site_i)), shape=(len(path_lines), len(sites)))


@dataclass(frozen=True)
class SolverResult:
    """One solver's answer to the site-selection problem."""

    method: str
    status: str  # "optimal", "heuristic", "skipped: ..." or "failed: ..."
    sites: tuple[int, ...] = ()
    intercepted: float = 0.0
    seconds: float = 0.0


@dataclass(frozen=True)
class CheckpointPlan:
    """Suggested new checkpoint sites and how every solver did."""

    sites: gpd.GeoDataFrame
    """The chosen candidates with ``intercepted`` (flow newly intercepted by each, in the
    order chosen) and ``paths`` (how many paths each lies on)."""
    intercepted: float
    """Flow the new sites intercept (weight of the paths they lie on)."""
    uncovered: float
    """Flow not yet intercepted by existing checkpoints (the most the sites could add)."""
    total: float
    """All border-crossing flow."""
    method: str
    results: list[SolverResult] = field(default_factory=list)


def suggest_checkpoints(
    paths: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    k: int,
    settings: CheckpointSettings,
    checkpoints: gpd.GeoDataFrame | None = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    weight: str = "weight",
    crs: pyproj.CRS | str | None = None,
    time_limit_s: float = 60.0,
) -> CheckpointPlan:
    """Choose ``k`` sites intercepting the most uncovered border-crossing flow.

    Parameters
    ----------
    paths
        Flow paths (lines) with a ``weight`` column: :func:`crossing_paths`, or
        origin-destination routes with their volumes.
    candidates
        Candidate sites (points), e.g. :func:`candidate_sites`.
    k
        Number of new sites.
    settings
        ``site_tolerance_m`` (a site on a path) and ``coverage_m``.
    checkpoints
        Existing checkpoints: a path with one on it (within ``site_tolerance_m``), or
        within ``coverage_m`` of its crossing point when the paths are
        :func:`crossing_paths`' and carry the crossing, is already intercepted.
    methods
        Solvers to run, from ``greedy``, ``milp`` (scipy's HiGHS) and ``spopt`` (spopt's
        MCLP with CBC, when installed: a peer to compare with, slow to import); exact
        ones only below two million path x candidate cells. By default greedy and milp.
    weight
        Column of ``paths`` with the flow.
    crs
        Metric CRS; by default the local one of the paths.
    time_limit_s
        Time limit per exact solver.

    Raises
    ------
    ValueError
        If ``k`` is not positive or a method is unknown.
    RuntimeError
        If no solver asked for gave an answer (exact ones skipped on a large problem).
    """
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or not methods:
        msg = f"`methods` were {list(methods)} but are expected to be in {list(METHODS)}"
        raise InvalidInputError(msg)
    if k < 1:
        msg = f"k must be at least 1; got {k}"
        raise InvalidInputError(msg)
    metric = resolve_crs(crs, paths, candidates)
    flow = paths[weight].to_numpy(dtype=float)
    covered = _already_covered(paths, checkpoints, settings, metric)
    matrix = incidence_matrix(
        paths, candidates, tolerance_m=settings.site_tolerance_m, crs=metric
    ).tocsc()
    open_flow = np.where(covered, 0.0, flow)
    results = [_run(method, matrix, open_flow, k, time_limit_s) for method in methods]
    solved = [r for r in results if r.status in ("optimal", "heuristic")]
    if not solved:
        report = "; ".join(f"{r.method}: {r.status}" for r in results)
        msg = f"no solver gave an answer ({report}); add 'greedy' to `methods`"
        raise RuntimeError(msg)
    best = max(solved, key=lambda r: (r.intercepted, r.status == "optimal"))
    return CheckpointPlan(
        sites=_site_table(candidates, best.sites, matrix, open_flow),
        intercepted=best.intercepted,
        uncovered=float(open_flow.sum()),
        total=float(flow.sum()),
        method=best.method,
        results=results,
    )


def rotation_schedule(
    sites: pd.DataFrame,
    *,
    days: int,
    per_day: int,
    seed: int,
    start: dt.date | None = None,
    site_id: str = "site",
    weight: str = "weight",
) -> pd.DataFrame:
    """A rotation of mobile checkpoints over candidate sites (流动卡点轮换表).

    Each day ``per_day`` sites are drawn at random with probability in proportion to
    their weight, never one used the day before; the same seed gives the same schedule.

    Parameters
    ----------
    sites
        Candidate sites with ``site_id`` and ``weight`` (zero weight: never drawn).
    days, per_day
        Length of the schedule and posts per day.
    seed
        Seed of numpy's PCG64 generator.
    start
        Date of the first day; with it the schedule carries dates.
    site_id, weight
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``day`` (from 1), ``date`` (when ``start`` is given), ``site_id`` and ``weight``.

    Raises
    ------
    ValueError
        If fewer than ``2 * per_day`` sites have weight (some day would have too few
        sites not used the day before).
    """
    weights = sites[weight].to_numpy(dtype=float)
    if (weights < 0).any() or not np.isfinite(weights).all():
        msg = "site weights must be finite and >= 0"
        raise InvalidInputError(msg)
    usable = int((weights > 0).sum())
    if days < 1 or per_day < 1:
        msg = f"days and per_day must be at least 1; got {days} and {per_day}"
        raise InvalidInputError(msg)
    if usable < 2 * per_day:
        msg = (
            f"{usable} sites have weight but {per_day} a day without repeating yesterday's "
            f"needs at least {2 * per_day}"
        )
        raise InvalidInputError(msg)
    rng = np.random.Generator(np.random.PCG64(seed))
    ids = sites[site_id].to_numpy(dtype=object)
    yesterday = np.zeros(len(ids), dtype=bool)
    rows = []
    for day in range(1, days + 1):
        picked = _weighted_sample(rng, np.where(yesterday, 0.0, weights), per_day)
        for i in picked:
            row: dict[str, Any] = {"day": day, site_id: ids[i], weight: weights[i]}
            if start is not None:
                row["date"] = start + dt.timedelta(days=day - 1)
            rows.append(row)
        yesterday[:] = False
        yesterday[picked] = True
    columns = ["day", *(["date"] if start is not None else []), site_id, weight]
    return pd.DataFrame(rows, columns=columns)


def _weighted_sample(rng: np.random.Generator, weights: FloatArray, size: int) -> IntArray:
    """``size`` indices drawn without replacement, in proportion to ``weights``, sorted.

    Efraimidis and Spirakis (2006): the ``size`` largest keys ``u ** (1 / w)`` for uniform
    ``u``; zero weights never come up. Only ``Generator.random`` is used, whose stream
    numpy keeps stable, so a schedule can be rebuilt from its seed after upgrades.
    """
    u = rng.random(len(weights))
    with np.errstate(divide="ignore"):
        keys = np.where(weights > 0, np.log(u) / weights, -np.inf)
    return np.sort(np.argsort(-keys, kind="stable")[:size])


def _rounded_xy(points: ObjectArray) -> dict[str, FloatArray]:
    xy = np.round(shapely.get_coordinates(points))
    return {"x": xy[:, 0], "y": xy[:, 1]}


def _part_through(clipped: shapely.Geometry, point: shapely.Point) -> shapely.Geometry:
    """The part of a clipped road that passes through the crossing point."""
    parts = shapely.get_parts(shapely.line_merge(clipped)) if not clipped.is_empty else []
    if len(parts) == 0:
        return shapely.LineString()
    nearest = int(np.argmin(shapely.distance(parts, point)))
    return parts[nearest]


def _already_covered(
    paths: gpd.GeoDataFrame,
    checkpoints: gpd.GeoDataFrame | None,
    settings: CheckpointSettings,
    crs: pyproj.CRS,
) -> npt.NDArray[np.bool_]:
    covered = np.zeros(len(paths), dtype=bool)
    if checkpoints is None or len(checkpoints) == 0 or len(paths) == 0:
        return covered
    posts = metric_geoms(checkpoints, crs)
    lines = metric_geoms(paths, crs)
    path_i = shapely.STRtree(posts).query(
        lines, predicate="dwithin", distance=settings.site_tolerance_m
    )[0]
    covered[path_i] = True
    if "crossing_point" in paths.columns:
        crossing = gpd.GeoSeries(list(paths["crossing_point"]), crs=WGS84)
        points = metric_geoms(crossing, crs)
        near = shapely.STRtree(posts).query(
            points, predicate="dwithin", distance=settings.coverage_m
        )[0]
        covered[near] = True
    return covered


def _run(
    method: str, matrix: sparse.csc_array, flow: FloatArray, k: int, time_limit_s: float
) -> SolverResult:
    began = time.perf_counter()
    if matrix.nnz == 0 or not (flow > 0).any():
        return SolverResult(method, "optimal")  # nothing left to intercept
    if method == "greedy":
        sites = _lazy_greedy(matrix, flow, k)
        status = "heuristic"
    elif matrix.shape[0] * matrix.shape[1] > _EXACT_LIMIT:
        return SolverResult(method, f"skipped: {matrix.shape} is too large for an exact solve")
    else:
        try:
            sites, status = (_milp if method == "milp" else _spopt)(matrix, flow, k, time_limit_s)
        except ImportError:
            return SolverResult(method, "skipped: spopt is not installed")
        except RuntimeError as error:
            return SolverResult(method, f"failed: {error}")
    seconds = time.perf_counter() - began
    return SolverResult(method, status, tuple(sites), _intercepted(matrix, flow, sites), seconds)


def _intercepted(matrix: sparse.csc_array, flow: FloatArray, sites: Sequence[int]) -> float:
    if not sites:
        return 0.0
    hit = np.asarray(matrix[:, list(sites)].sum(axis=1)).ravel() > 0
    return float(flow[hit].sum())


def _lazy_greedy(matrix: sparse.csc_array, flow: FloatArray, k: int) -> list[int]:
    """Greedy maximal covering with lazy gain updates (Minoux's accelerated greedy).

    Gains only shrink as paths get covered, so a candidate whose stale gain still tops
    the heap after recomputing is the true best; ties go to the lower index.
    """
    indptr, indices = matrix.indptr, matrix.indices
    covered = np.zeros(matrix.shape[0], dtype=bool)

    def gain(j: int) -> float:
        rows = indices[indptr[j] : indptr[j + 1]]
        return float(flow[rows[~covered[rows]]].sum())

    heap = [(-gain(j), j) for j in range(matrix.shape[1])]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < k:
        _, j = heapq.heappop(heap)
        fresh = gain(j)
        if fresh <= 0:
            break
        if not heap or (-fresh, j) <= heap[0]:
            chosen.append(j)
            covered[indices[indptr[j] : indptr[j + 1]]] = True
        else:
            heapq.heappush(heap, (-fresh, j))
    return chosen


def _milp(
    matrix: sparse.csc_array, flow: FloatArray, k: int, time_limit_s: float
) -> tuple[list[int], str]:
    """Exact maximal covering: max flow . y, y_i <= sum_j a_ij x_j, sum x <= k, x binary."""
    n_paths, n_sites = matrix.shape
    cost = np.concatenate([np.zeros(n_sites), -flow])
    link = sparse.hstack([-matrix, sparse.identity(n_paths)], format="csr")
    budget = sparse.hstack(
        [sparse.csr_array(np.ones((1, n_sites))), sparse.csr_array((1, n_paths))], format="csr"
    )
    constraints = [
        LinearConstraint(link, -np.inf, 0),
        LinearConstraint(budget, 0, k),
    ]
    integrality = np.concatenate([np.ones(n_sites), np.zeros(n_paths)])
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if result.x is None:
        msg = f"HiGHS found no solution: {result.message}"
        raise RuntimeError(msg)
    sites = [int(j) for j in np.flatnonzero(result.x[:n_sites] > 0.5)]
    return sites, "optimal" if result.status == 0 else "heuristic"


def _spopt(
    matrix: sparse.csc_array, flow: FloatArray, k: int, time_limit_s: float
) -> tuple[list[int], str]:
    """spopt's MCLP over the dense incidence matrix (cost 0 on a path, 1 off it)."""
    # spopt and PuLP warn about their own internals (PuLP 4 migration); not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pulp
        from spopt.locate import MCLP

        cost = 1.0 - matrix.toarray()
        model = MCLP.from_cost_matrix(cost, flow, service_radius=0.5, p_facilities=k)
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s), results=False)
        status = pulp.LpStatus[model.problem.status]
    if status != "Optimal":
        msg = f"CBC ended {status}"
        raise RuntimeError(msg)
    sites = [j for j, var in enumerate(model.fac_vars) if (var.varValue or 0) > 0.5]
    return sites, "optimal"


def _site_table(
    candidates: gpd.GeoDataFrame,
    sites: Sequence[int],
    matrix: sparse.csc_array,
    flow: FloatArray,
) -> gpd.GeoDataFrame:
    """The chosen sites in greedy order of what each adds."""
    order: list[int] = []
    added: list[float] = []
    covered = np.zeros(matrix.shape[0], dtype=bool)
    remaining = list(sites)
    while remaining:
        gains = []
        for j in remaining:
            rows = matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]
            gains.append(float(flow[rows[~covered[rows]]].sum()))
        best = int(np.argmax(gains))
        j = remaining.pop(best)
        order.append(j)
        added.append(gains[best])
        covered[matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]] = True
    table = candidates.iloc[order].copy()
    table["intercepted"] = added
    table["paths"] = [int(matrix.indptr[j + 1] - matrix.indptr[j]) for j in order]
    return table.reset_index(drop=True)
