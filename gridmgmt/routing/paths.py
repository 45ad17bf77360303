"""Road paths of planned routes, for maps: the junctions each leg drives through.

A leg's path is the one the travel matrix measured (:mod:`gridmgmt.routing.matrix`), found
on the same contraction hierarchy: one PHAST sweep per source place gives its exact distance
to every junction (leaving the place by either end of its segment), and the path is walked
back from the junction the target is reached from, taking at each junction an incoming road
whose weight closes the distance exactly. Places on one segment in driving order go
straight to each other, as in the matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gridmgmt.crs import WGS84, transformer
from gridmgmt.routing._arrays import INF, FloatArray, IntArray
from gridmgmt.routing.hierarchy import Hierarchy, many_to_many
from gridmgmt.routing.matrix import (
    _along_segment,
    _attachments,
    _canonical,
    _packed_int_weights,
    network_hierarchy,
)
from gridmgmt.routing.model import DayPlan
from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.snap import SnappedPoints
from gridmgmt.routing.vrp import DayInputs

__all__ = ["leg_paths", "route_paths"]

_SOURCES_PER_SWEEP = 32  # rows of junction distances held at once (each: every junction)


@dataclass(frozen=True)
class _Places:
    """Snapped places on a network with what a path search needs about them."""

    network: RoadNetwork
    hierarchy: Hierarchy
    edge: IntArray
    fraction: FloatArray
    scale: int
    leave: IntArray
    leave_cost: IntArray
    reach: IntArray
    reach_cost: IntArray
    weight: IntArray
    into_start: IntArray
    into_edge: IntArray

    @classmethod
    def of(cls, network: RoadNetwork, points: SnappedPoints) -> _Places:
        hierarchy, scale = network_hierarchy(network)
        edge, fraction = _canonical(network, points)
        leave, leave_cost, reach, reach_cost = _attachments(network, edge, fraction, scale)
        weight, _ = _packed_int_weights(network.time_s, network.length_m)
        order = np.argsort(network.edge_to, kind="stable")
        into_start = np.zeros(network.num_nodes + 1, np.int64)
        np.cumsum(np.bincount(network.edge_to, minlength=network.num_nodes), out=into_start[1:])
        return cls(
            network,
            hierarchy,
            edge,
            fraction,
            scale,
            leave,
            leave_cost,
            reach,
            reach_cost,
            weight,
            into_start,
            order.astype(np.int64),
        )

    def direct(self, a: int, b: int) -> int:
        """Packed cost of driving straight from place ``a`` to ``b`` on their segment."""
        if self.edge[a] != self.edge[b]:
            return INF
        packed = np.full((2, 2), INF, np.int64)
        _along_segment(self.network, self.edge[[a, b]], self.fraction[[a, b]], self.scale, packed)
        return int(packed[0, 1])

    def walk_back(self, distance: IntArray, a: int, node: int) -> list[int]:
        """Junctions from where place ``a`` joins the network to ``node``, on a shortest path
        (``distance``: from ``a`` to every junction)."""
        path, seen = [node], {node}
        starts = set(zip(self.leave[a].tolist(), self.leave_cost[a].tolist(), strict=True))
        while (node, int(distance[node])) not in starts:
            for e in self.into_edge[self.into_start[node] : self.into_start[node + 1]]:
                u = int(self.network.edge_from[e])
                if u not in seen and distance[u] + self.weight[e] == distance[node]:
                    break
            else:  # pragma: no cover - the distances are exact, so a road always closes them
                msg = f"no road closes the distance to junction {node}"
                raise AssertionError(msg)
            node = u
            path.append(node)
            seen.add(node)
        return path[::-1]


def leg_paths(
    network: RoadNetwork, points: SnappedPoints, legs: Sequence[tuple[int, int]]
) -> list[list[int]]:
    """The junctions each leg between snapped places drives through, in order.

    Parameters
    ----------
    network
        Road network the points were snapped to.
    points
        Snapped places.
    legs
        ``(from, to)`` place indices.

    Returns
    -------
    list of list of int
        Per leg, the junctions (network node indices) between its places: empty when the
        places are on one segment in driving order, or when the target cannot be reached.
    """
    if not legs:
        return []
    places = _Places.of(network, points)
    paths: list[list[int]] = [[] for _ in legs]
    by_source: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(legs):
        if a != b:
            by_source.setdefault(a, []).append(k)
    sources = sorted(by_source)
    junctions = np.arange(network.num_nodes)
    for first in range(0, len(sources), _SOURCES_PER_SWEEP):
        chunk = sources[first : first + _SOURCES_PER_SWEEP]
        distances = many_to_many(
            places.hierarchy, places.leave[chunk], junctions, places.leave_cost[chunk]
        )
        for row, a in enumerate(chunk):
            for k in by_source[a]:
                paths[k] = _leg(places, distances[row], a, legs[k][1])
    return paths


def _leg(places: _Places, distance: IntArray, a: int, b: int) -> list[int]:
    via = distance[places.reach[b]] + places.reach_cost[b]
    best = int(np.argmin(via))
    if via[best] >= INF or places.direct(a, b) <= via[best]:
        return []  # on one segment (or unreachable: a straight jump keeps it drawable)
    return places.walk_back(distance, a, int(places.reach[b, best]))


def route_paths(inputs: DayInputs, plan: DayPlan) -> dict[str, list[tuple[float, float]]]:
    """WGS-84 polyline of each route along the roads, depot to depot.

    Each leg follows the fastest road path between the snapped places, the same path the
    travel matrix measured, through the junctions it passes.

    Parameters
    ----------
    inputs
        The prepared day the plan was made from.
    plan
        The plan.

    Returns
    -------
    dict
        Route id to a list of ``(lon, lat)`` points.
    """
    network, points = inputs.open_network, inputs.snapped
    places = {
        route.route_id: [
            inputs.places[f"depot:{route.depot_id}"],
            *[s.place for s in route.stops],
            inputs.places[f"depot:{route.depot_id}"],
        ]
        for route in plan.routes
    }
    legs = sorted({leg for stops in places.values() for leg in itertools.pairwise(stops)})
    junctions = dict(zip(legs, leg_paths(network, points, legs), strict=True))
    offset = network.num_nodes
    lon, lat = transformer(network.crs, WGS84).transform(
        np.r_[network.x, points.x], np.r_[network.y, points.y]
    )
    paths = {}
    for route_id, stops in places.items():
        nodes = [offset + stops[0]]
        for a, b in itertools.pairwise(stops):
            if a != b:
                nodes += [*junctions[(a, b)], offset + b]
        paths[route_id] = [(float(lon[n]), float(lat[n])) for n in nodes]
    return paths
