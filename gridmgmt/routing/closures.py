"""Closures (封控区, 施工路段): areas whose roads cannot be used for a period.

On a day a closure is active, roads touching its polygon are taken out of the network.
Retailers inside are either skipped with a reason or served at a handoff point on the
closure's edge (约时约地: an agreed time and place, through the "green channel"), as the
dispatcher chooses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.crs import WGS84, transformer
from gridmgmt.errors import InvalidInputError
from gridmgmt.routing._arrays import FloatArray, IntArray
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.snap import SnappedPoints, snap_xy, to_network_crs


class ClosurePolicy(StrEnum):
    """What happens to a retailer inside an active closure."""

    SKIP = "skip"
    HANDOFF = "handoff"


@dataclass(frozen=True)
class Closure:
    """A closed area for a period.

    Attributes
    ----------
    closure_id
        Stable identifier.
    geometry
        Polygon or MultiPolygon in WGS-84 longitude/latitude.
    start, end
        The closure holds from ``start`` up to (not including) ``end``. A date means the
        start of that day; so ``start=date(2022, 4, 1), end=date(2022, 4, 3)`` closes two
        whole days.
    reason
        Why (lockdown, road works, ...), shown to the dispatcher.
    """

    closure_id: str
    geometry: BaseGeometry
    start: datetime | date
    end: datetime | date
    reason: str = ""

    def __post_init__(self) -> None:
        if self.geometry.geom_type not in {"Polygon", "MultiPolygon"}:
            kind = self.geometry.geom_type
            msg = f"closure {self.closure_id}: geometry is a {kind}, expected a (Multi)Polygon"
            raise InvalidInputError(msg)
        if _as_datetime(self.end) <= _as_datetime(self.start):
            msg = f"closure {self.closure_id}: end {self.end} is not after start {self.start}"
            raise InvalidInputError(msg)

    def active_on(self, day: date) -> bool:
        """Whether the closure holds at any time during ``day``."""
        day_start = _as_datetime(day)
        return _as_datetime(self.start) < day_start + timedelta(
            days=1
        ) and day_start < _as_datetime(self.end)


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time.min)


def active_closures(closures: Iterable[Closure], day: date) -> list[Closure]:
    """The closures that hold at some time on ``day``, sorted by id."""
    return sorted((c for c in closures if c.active_on(day)), key=lambda c: c.closure_id)


def closures_key(closures: Sequence[Closure]) -> str:
    """A stable hash of closures (ids, geometries, periods) for cache keys."""
    digest = hashlib.sha256()
    for c in sorted(closures, key=lambda c: c.closure_id):
        digest.update(c.closure_id.encode())
        digest.update(shapely.to_wkb(c.geometry))
        digest.update(f"{c.start}|{c.end}".encode())
    return digest.hexdigest()[:32]


def metric_geometry(network: RoadNetwork, closure: Closure) -> BaseGeometry:
    """A closure's polygon in the network's metric CRS."""
    project = transformer(WGS84, network.crs).transform
    return shapely.transform(closure.geometry, lambda x, y: project(x, y), interleaved=False)


def closed_edges(network: RoadNetwork, closures: Sequence[Closure]) -> npt.NDArray[np.bool_]:
    """Mask of edges whose road touches any of the closures' polygons.

    Parameters
    ----------
    network
        Road network.
    closures
        Closures to apply (already filtered to the day).

    Returns
    -------
    numpy.ndarray of bool
        ``True`` for edges that cannot be used.
    """
    closed = np.zeros(network.num_edges, bool)
    if not closures:
        return closed
    polygons = [metric_geometry(network, c) for c in closures]
    tree = shapely.STRtree(network.edge_geometries())
    hits = tree.query(polygons, predicate="intersects")
    closed[hits[1]] = True
    return closed


def apply_closures(network: RoadNetwork, closures: Iterable[Closure], *, day: date) -> RoadNetwork:
    """The network as it can be driven on ``day``: roads in active closures removed.

    Parameters
    ----------
    network
        Road network.
    closures
        All known closures; only those active on ``day`` apply.
    day
        Delivery day.

    Returns
    -------
    RoadNetwork
        The same nodes, fewer edges (the original if nothing is closed).
    """
    active = active_closures(closures, day)
    if not active:
        return network
    return network.subnetwork(keep_edges=~closed_edges(network, active))


def closure_of_points(
    network: RoadNetwork,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    closures: Sequence[Closure],
) -> IntArray:
    """Index into ``closures`` of the closure containing each point, -1 if none.

    Parameters
    ----------
    network
        Road network (for its metric CRS).
    lon, lat
        WGS-84 coordinates.
    closures
        Active closures.

    Returns
    -------
    numpy.ndarray of int
        One entry per point; the first containing closure wins.
    """
    x, y = to_network_crs(network, lon, lat)
    inside = np.full(len(x), -1, np.int64)
    points = shapely.points(x, y)
    for k, closure in enumerate(closures):
        polygon = metric_geometry(network, closure)
        hit = shapely.covers(polygon, points) & (inside < 0)
        inside[hit] = k
    return inside


@dataclass(frozen=True)
class Handoff:
    """Where goods for a retailer inside a closure are handed over (约时约地).

    Attributes
    ----------
    x, y
        Handoff position on the open road, in the network's CRS.
    lon, lat
        The same in WGS-84.
    walk_m
        Straight-line distance from the retailer to the handoff point.
    snapped
        The handoff point on the open network (snap distance zero: the vehicle stops there).
    """

    x: FloatArray
    y: FloatArray
    lon: FloatArray
    lat: FloatArray
    walk_m: FloatArray
    snapped: SnappedPoints


def handoff_points(
    open_network: RoadNetwork,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    closures: Sequence[Closure],
    inside: npt.ArrayLike,
) -> Handoff:
    """Handoff points on the edge of closures for retailers inside them.

    The point on the closure's boundary nearest the retailer is taken to the nearest open
    road: that is where the vehicle stops.

    Parameters
    ----------
    open_network
        The network with the closures applied.
    lon, lat
        WGS-84 coordinates of retailers inside closures.
    closures
        Active closures.
    inside
        Index into ``closures`` for each retailer (from :func:`closure_of_points`).

    Returns
    -------
    Handoff
        One handoff point per retailer.
    """
    x, y = to_network_crs(open_network, lon, lat)
    inside = np.asarray(inside, np.int64)
    bx, by = np.empty(len(x)), np.empty(len(x))
    for k in np.unique(inside):
        rows = np.flatnonzero(inside == k)
        boundary = metric_geometry(open_network, closures[int(k)]).boundary
        nearest = shapely.shortest_line(shapely.points(x[rows], y[rows]), boundary)
        end = shapely.get_point(nearest, 1)
        bx[rows], by[rows] = shapely.get_x(end), shapely.get_y(end)
    # The vehicle stops on the road; the walk from there is the retailer's, not the driver's.
    snapped = replace(snap_xy(open_network, bx, by), snap_distance_m=np.zeros(len(x)))
    back = transformer(open_network.crs, WGS84)
    hlon, hlat = back.transform(snapped.x, snapped.y)
    return Handoff(
        x=snapped.x,
        y=snapped.y,
        lon=np.atleast_1d(np.asarray(hlon, float)),
        lat=np.atleast_1d(np.asarray(hlat, float)),
        walk_m=np.hypot(snapped.x - x, snapped.y - y),
        snapped=snapped,
    )
