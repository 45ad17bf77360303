"""Snap retailers and depots to the nearest road (吸附到最近道路).

A point is placed on the nearest road segment, not just the nearest junction, and the
straight-line distance from the point to the road (the snap distance) is kept: the matrix
adds it to every trip that starts or ends there.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from gridmgmt.crs import WGS84, transformer
from gridmgmt.errors import InvalidInputError
from gridmgmt.routing._arrays import FloatArray, IntArray
from gridmgmt.routing.network import RoadNetwork

_TREES: weakref.WeakKeyDictionary[RoadNetwork, tuple[shapely.STRtree, IntArray]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class SnappedPoints:
    """Points placed on a road network.

    Attributes
    ----------
    edge
        Directed edge each point lies on (on two-way roads, either direction).
    fraction
        Position along that edge, 0 at its start node and 1 at its end node.
    snap_distance_m
        Straight-line distance from the point to the road, metres.
    x, y
        Position on the road, in the network's CRS.
    """

    edge: IntArray
    fraction: FloatArray
    snap_distance_m: FloatArray
    x: FloatArray
    y: FloatArray

    def __len__(self) -> int:
        return len(self.edge)


def to_network_crs(
    network: RoadNetwork, lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Project WGS-84 longitude/latitude into the network's metric CRS."""
    x, y = transformer(WGS84, network.crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))


def snap_points(network: RoadNetwork, lon: npt.ArrayLike, lat: npt.ArrayLike) -> SnappedPoints:
    """Snap WGS-84 points to the nearest road of a network.

    Parameters
    ----------
    network
        Road network with at least one edge.
    lon, lat
        WGS-84 coordinates.

    Returns
    -------
    SnappedPoints
        Edge, position along it and snap distance of each point.
    """
    x, y = to_network_crs(network, lon, lat)
    return snap_xy(network, x, y)


def snap_xy(network: RoadNetwork, x: npt.ArrayLike, y: npt.ArrayLike) -> SnappedPoints:
    """Snap points given in the network's metric CRS to the nearest road.

    Parameters
    ----------
    network
        Road network with at least one edge.
    x, y
        Coordinates in ``network.crs``.

    Returns
    -------
    SnappedPoints
        Edge, position along it and snap distance of each point.
    """
    if network.num_edges == 0:
        msg = "cannot snap to a network without roads"
        raise InvalidInputError(msg)
    points = shapely.points(np.asarray(x, float), np.asarray(y, float))
    tree, edge_of = _segment_tree(network)
    (point_idx, tree_idx), dist = tree.query_nearest(
        points, return_distance=True, all_matches=False
    )
    order = np.argsort(point_idx, kind="stable")
    tree_idx, dist = tree_idx[order], dist[order]
    edges = edge_of[tree_idx]
    lines = network.edge_geometries()[edges]
    fraction = shapely.line_locate_point(lines, points, normalized=True)
    on_road = shapely.line_interpolate_point(lines, fraction, normalized=True)
    return SnappedPoints(
        edge=edges.astype(np.int64),
        fraction=np.clip(np.asarray(fraction, float), 0.0, 1.0),
        snap_distance_m=np.asarray(dist, float),
        x=shapely.get_x(on_road),
        y=shapely.get_y(on_road),
    )


def _segment_tree(network: RoadNetwork) -> tuple[shapely.STRtree, IntArray]:
    """An R-tree over road segments, one entry per segment (not per direction)."""
    cached = _TREES.get(network)
    if cached is None:
        edges = np.arange(network.num_edges)
        representative = (network.twin < 0) | (edges < network.twin)
        edge_of = edges[representative]
        tree = shapely.STRtree(network.edge_geometries()[edge_of])
        cached = _TREES[network] = (tree, edge_of)
    return cached
