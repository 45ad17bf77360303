"""Road paths of planned routes, for maps: the junctions each leg drives through."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from gridmgmt.routing.matrix import point_graph
from gridmgmt.routing.model import DayPlan, PlannedRoute
from gridmgmt.routing.network import FloatArray, transformer
from gridmgmt.routing.vrp import DayInputs


def route_paths(inputs: DayInputs, plan: DayPlan) -> dict[str, list[tuple[float, float]]]:
    """WGS-84 polyline of each route along the roads, depot to depot.

    Each leg follows the fastest road path between the snapped places (the same path the
    travel matrix measured), through the junctions it passes.

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
    graph, _ = point_graph(network, points)
    x = np.r_[network.x, points.x]
    y = np.r_[network.y, points.y]
    lon, lat = transformer(network.crs, "EPSG:4326").transform(x, y)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return {
        route.route_id: _route_path(route, inputs, graph, network.num_nodes, lon, lat)
        for route in plan.routes
    }


def _route_path(
    route: PlannedRoute,
    inputs: DayInputs,
    graph: csr_matrix,
    offset: int,
    lon: FloatArray,
    lat: FloatArray,
) -> list[tuple[float, float]]:
    depot = inputs.places[f"depot:{route.depot_id}"]
    places = [depot, *[s.place for s in route.stops], depot]
    nodes = [offset + p for p in places]
    sources = sorted(set(nodes[:-1]))
    _, pred = dijkstra(graph, directed=True, indices=sources, return_predecessors=True)
    row = {node: i for i, node in enumerate(sources)}
    path = [nodes[0]]
    for a, b in itertools.pairwise(nodes):
        leg = [b]
        while leg[-1] != a and leg[-1] >= 0:
            leg.append(int(pred[row[a], leg[-1]]))
        if leg[-1] < 0:
            path.append(b)  # unreachable: a straight jump keeps the line drawable
            continue
        path.extend(reversed(leg[:-1]))
    return [(float(lon[n]), float(lat[n])) for n in path]
