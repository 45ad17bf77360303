"""Routing benchmarks: distance matrices and VRPLIB instances, each against a named peer.

Usage::

    uv run --group bench python bench/routing.py matrix [--nodes 100000] [--points 2000]
    uv run --group bench python bench/routing.py paths [--nodes 100000] [--stops 200]
    uv run --group bench python bench/routing.py vrplib [--data DIR] [--time-limit 60]
        [--instances X-n101 C1_10_1 ...] [--seed 1] [--workers 2] [--rounds 4]

``matrix``: a 2,000 x 2,000 travel-time matrix on a perturbed grid road network of about
100,000 nodes. This project (a contraction hierarchy of the network, then RPHAST sweeps over
threads; time and distance packed in one weight) reports preprocessing and query seconds
separately, against the method it replaced (one scipy.sparse.csgraph Dijkstra per source,
sources split over worker processes; the answers must be equal) and networkx's Dijkstra on
the same network. networkx runs from a subset of the sources and its time is extrapolated
linearly (``networkx_extrapolated: true``); both answers are compared on that subset.
``matrix-points``: the same size between random points snapped onto the roads, on the
hierarchy already built, against scipy's Dijkstra on the network split at the points.

``paths``: the road paths of one tour through ``--stops`` random places on a perturbed grid
of ``--nodes`` nodes (what a route map draws), on the hierarchy already built for the
day's matrix, against the method it replaced (one scipy Dijkstra per source on the network
split at the places); reports how many legs have the same junctions.

``vrplib``: every ``.vrp`` under ``--data`` (default ``/work/shared/bench-data/vrp``) with a
``.sol`` beside it, solved by this project (PyVRP, ``--workers`` parallel searches that
restart from the best so far ``--rounds`` times) and by
OR-Tools' routing solver (GUIDED_LOCAL_SEARCH, one core) with the same time limit. Each
prints the gap to the best-known cost on the ``.sol`` file's ``Cost`` line. Costs are in the
instance's convention and recomputed from the returned routes; feasibility is checked by
PyVRP's evaluator for both solvers.

Every case prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from gridmgmt.routing.benchmark import gap_percent, solve_vrplib
from gridmgmt.routing.search import available_cores
from gridmgmt.routing.vrplib_io import (
    VrplibInstance,
    read_best_known_cost,
    read_vrplib,
    routes_cost,
    routes_to_solution,
)

DEFAULT_DATA = Path("/work/shared/bench-data/vrp")


def emit(record: dict[str, Any]) -> None:
    """Print one JSON line on stdout, at once."""
    print(json.dumps(record), flush=True)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- OR-Tools peer
def solve_with_ortools(instance: VrplibInstance, *, time_limit: float) -> dict[str, Any]:
    """Solve the same integer data with OR-Tools routing and guided local search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    data = instance.data
    dist = data.distance_matrix(0)
    dur = data.duration_matrix(0)
    n = data.num_locations
    clients = data.clients()
    demand = [0] + [int(c.delivery[0]) if c.delivery else 0 for c in clients]
    service = [0] + [int(c.service_duration) for c in clients]
    vtype = data.vehicle_type(0)
    capacity = int(vtype.capacity[0]) if vtype.capacity else sum(demand)
    num_vehicles = _ortools_fleet_size(instance, demand, capacity)

    manager = pywrapcp.RoutingIndexManager(n, num_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist_list = dist.tolist()

    def distance_cb(i: int, j: int) -> int:
        return dist_list[manager.IndexToNode(i)][manager.IndexToNode(j)]

    transit = routing.RegisterTransitCallback(distance_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)

    def demand_cb(i: int) -> int:
        return demand[manager.IndexToNode(i)]

    demand_idx = routing.RegisterUnaryTransitCallback(demand_cb)
    routing.AddDimensionWithVehicleCapacity(demand_idx, 0, [capacity] * num_vehicles, True, "load")
    if data.has_time_windows():
        dur_list = dur.tolist()

        def time_cb(i: int, j: int) -> int:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            return service[a] + dur_list[a][b]

        depot = data.depot(0)
        horizon = int(depot.tw_late)
        time_idx = routing.RegisterTransitCallback(time_cb)
        routing.AddDimension(time_idx, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for c, client in enumerate(clients, start=1):
            index = manager.NodeToIndex(c)
            time_dim.CumulVar(index).SetRange(int(client.tw_early), int(client.tw_late))
        for v in range(num_vehicles):
            time_dim.CumulVar(routing.Start(v)).SetRange(int(depot.tw_early), horizon)
            time_dim.CumulVar(routing.End(v)).SetRange(int(depot.tw_early), horizon)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    start = time.monotonic()
    assignment = routing.SolveWithParameters(params)
    elapsed = time.monotonic() - start
    if assignment is None:
        return {"cost": None, "feasible": False, "time_s": round(elapsed, 2), "vehicles": None}
    routes = []
    for v in range(num_vehicles):
        index = routing.Start(v)
        visits = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node != 0:
                visits.append(node)
            index = assignment.Value(routing.NextVar(index))
        if visits:
            routes.append(visits)
    return {
        "cost": routes_cost(instance, routes),
        "feasible": bool(routes_to_solution(instance, routes).is_feasible()),
        "time_s": round(elapsed, 2),
        "vehicles": num_vehicles,
        "num_routes": len(routes),
    }


def _ortools_fleet_size(instance: VrplibInstance, demand: list[int], capacity: int) -> int:
    # The X instances give no fleet size (unlimited); OR-Tools needs one. The lower bound
    # ceil(demand / capacity) plus 15% slack covers every best-known solution here; the
    # Gehring-Homberger instances give theirs (VEHICLES).
    data = instance.data
    given = data.num_vehicles
    lower = math.ceil(sum(demand) / capacity)
    slack = max(lower + 3, math.ceil(lower * 1.15))
    return min(given, slack) if instance.kind == "CVRP" else given


# --------------------------------------------------------------------------- VRPLIB benchmark
def list_instances(data_dir: Path, patterns: list[str] | None) -> list[Path]:
    """Instances with a ``.sol`` beside them, smallest first, filtered by name patterns."""
    paths = [p for p in data_dir.rglob("*.vrp") if p.with_suffix(".sol").exists()]
    if patterns:
        paths = [p for p in paths if any(fnmatch.fnmatch(p.stem, f"*{pat}*") for pat in patterns)]
    return sorted(paths, key=lambda p: (p.parent.name, read_vrplib(p).data.num_clients, p.stem))


def run_vrplib(args: argparse.Namespace) -> None:
    summary: dict[str, dict[str, list[float]]] = {}
    for path in list_instances(Path(args.data), args.instances):
        instance = read_vrplib(path)
        bks = read_best_known_cost(path.with_suffix(".sol"))
        log(f"{instance.name}: gridmgmt ...")
        ours = solve_vrplib(
            path,
            time_limit=args.time_limit,
            seed=args.seed,
            workers=args.workers,
            rounds=args.rounds,
        )
        log(f"{instance.name}: {ours.cost} ({gap_percent(ours.cost, bks):.3f}%); OR-Tools ...")
        peer = (
            solve_with_ortools(instance, time_limit=args.time_limit) if not args.no_ortools else {}
        )
        ours_rec = {
            "cost": ours.cost,
            "gap_pct": round(gap_percent(ours.cost, bks), 3),
            "feasible": ours.feasible,
            "num_routes": ours.num_routes,
            "time_s": ours.time_s,
            "workers": ours.workers,
            "rounds": ours.rounds,
            "iterations": ours.iterations,
        }
        if peer.get("cost") is not None:
            peer["gap_pct"] = round(gap_percent(peer["cost"], bks), 3)
        ahead = peer.get("cost") is None or (
            ours.feasible and (not peer["feasible"] or ours.cost < peer["cost"])
        )
        record = {
            "case": "vrplib",
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "instance": instance.name,
            "kind": instance.kind,
            "customers": instance.data.num_clients,
            "best_known": bks,
            "time_limit_s": args.time_limit,
            "gridmgmt": ours_rec,
            "ortools": peer or None,
            "ahead_of_ortools": ahead if peer else None,
        }
        emit(record)
        by_kind = summary.setdefault(instance.kind, {"gridmgmt": [], "ortools": [], "ahead": []})
        by_kind["gridmgmt"].append(ours_rec["gap_pct"])
        if peer.get("gap_pct") is not None:
            by_kind["ortools"].append(peer["gap_pct"])
        if peer:
            by_kind["ahead"].append(float(ahead))
    for kind, figures in summary.items():
        emit(
            {
                "case": "vrplib-summary",
                "kind": kind,
                "instances": len(figures["gridmgmt"]),
                "time_limit_s": args.time_limit,
                "gridmgmt_mean_gap_pct": _mean(figures["gridmgmt"]),
                "ortools_mean_gap_pct": _mean(figures["ortools"]),
                "ortools_solved": len(figures["ortools"]),
                "ahead_on_all": bool(figures["ahead"]) and all(figures["ahead"]),
            }
        )


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 3) if values else None


# --------------------------------------------------------------------------- matrix benchmark
def run_matrix(args: argparse.Namespace) -> None:
    import networkx as nx

    from gridmgmt.routing import matrix as travel
    from gridmgmt.routing.synthetic import perturbed_grid_network

    rng = np.random.default_rng(args.seed)
    side = round(math.sqrt(args.nodes))
    t0 = time.perf_counter()
    network = perturbed_grid_network(side, side, seed=args.seed)
    build_s = time.perf_counter() - t0
    nodes = rng.choice(network.num_nodes, size=args.points, replace=False)
    # Load (or, on a first run, compile) the kernels outside the timings.
    travel.node_matrix(perturbed_grid_network(150, 150, seed=args.seed + 1), [0, 1], [0, 1])

    travel._HIERARCHIES.clear()
    t0 = time.perf_counter()
    hierarchy, _ = travel.network_hierarchy(network, workers=args.workers)
    prep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    matrix = travel.node_matrix(network, nodes, nodes, workers=args.workers)
    query_s = time.perf_counter() - t0
    log(f"matrix: hierarchy {prep_s:.2f} s, query {query_s:.2f} s; scipy Dijkstra ...")

    t0 = time.perf_counter()
    reference = scipy_node_matrix(network, nodes, nodes, workers=args.workers)
    scipy_s = time.perf_counter() - t0
    scipy_diff = max(
        float(np.max(np.abs(reference[0] - matrix.time_s))),
        float(np.max(np.abs(reference[1] - matrix.distance_m))),
    )
    log(f"matrix: scipy {scipy_s:.2f} s; networkx ...")

    graph = network.to_networkx()
    subset = nodes[: args.nx_sources]
    t0 = time.perf_counter()
    rows = [nx.single_source_dijkstra_path_length(graph, int(s), weight="time_s") for s in subset]
    nx_s = (time.perf_counter() - t0) * len(nodes) / len(subset)
    nx_diff = max(
        float(np.max(np.abs(np.array([row[int(t)] for t in nodes]) - matrix.time_s[i])))
        for i, row in enumerate(rows)
    )
    total_s = prep_s + query_s
    emit(
        {
            "case": "matrix",
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "nodes": network.num_nodes,
            "edges": network.num_edges,
            "sources": len(nodes),
            "targets": len(nodes),
            "build_network_s": round(build_s, 2),
            "workers": args.workers,
            "gridmgmt_preprocessing_s": round(prep_s, 2),
            "gridmgmt_query_s": round(query_s, 2),
            "gridmgmt_total_s": round(total_s, 2),
            "hierarchy_shortcuts": hierarchy.shortcuts,
            "hierarchy_arcs": hierarchy.num_arcs,
            "scipy_dijkstra_s": round(scipy_s, 2),
            "max_abs_diff_vs_scipy": scipy_diff,
            "networkx_s": round(nx_s, 1),
            "networkx_extrapolated": True,
            "networkx_sources_timed": len(subset),
            "max_abs_diff_time_vs_networkx_s": round(nx_diff, 4),
            "speedup_vs_scipy_total": round(scipy_s / total_s, 1),
            "speedup_vs_scipy_query": round(scipy_s / query_s, 1),
            "speedup_vs_networkx_total": round(nx_s / total_s, 1),
        }
    )

    run_point_matrix(args, network, rng)


def run_point_matrix(args: argparse.Namespace, network: Any, rng: np.random.Generator) -> None:
    """Retailers are not junctions: the same size from random points snapped onto roads."""
    from gridmgmt.routing import matrix as travel
    from gridmgmt.routing.snap import snap_xy

    x = rng.uniform(network.x.min(), network.x.max(), args.points)
    y = rng.uniform(network.y.min(), network.y.max(), args.points)
    snapped = snap_xy(network, x, y)
    t0 = time.perf_counter()
    points = travel.point_matrix(network, snapped, workers=args.workers)  # hierarchy cached
    points_s = time.perf_counter() - t0
    assert np.isfinite(points.time_s).all()
    log(f"matrix-points: {points_s:.2f} s; scipy Dijkstra on the split graph ...")
    t0 = time.perf_counter()
    split = scipy_point_matrix(network, snapped, workers=args.workers)
    split_s = time.perf_counter() - t0
    time_diff = np.abs(split[0] - points.time_s)
    length_diff = np.abs(split[1] - points.distance_m)
    emit(
        {
            "case": "matrix-points",
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "nodes": network.num_nodes,
            "points": args.points,
            "workers": args.workers,
            "gridmgmt_query_s": round(points_s, 2),
            "hierarchy_reused": True,
            "scipy_split_graph_s": round(split_s, 2),
            "speedup_vs_scipy": round(split_s / points_s, 1),
            "max_abs_diff_time_s": round(float(time_diff.max()), 3),
            "share_time_equal": round(float((time_diff < 1e-9).mean()), 4),
            "share_distance_within_1m": round(float((length_diff <= 1.0).mean()), 4),
        }
    )


# The reference: one scipy Dijkstra per source over the packed weights, sources split over
# processes (how gridmgmt computed matrices before the contraction hierarchy).
_REFERENCE: dict[str, Any] = {}


def scipy_node_matrix(
    network: Any, sources: np.ndarray, targets: np.ndarray, *, workers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Times and lengths between nodes by scipy's Dijkstra (the pre-hierarchy method)."""
    from gridmgmt.routing.matrix import _csr, _packed_weights

    weights, scale = _packed_weights(network.time_s, network.length_m)
    graph = _csr(network.edge_from, network.edge_to, weights, network.num_nodes)
    return _reference_unpack(_reference_solve(graph, sources, targets, workers), scale)


def scipy_point_matrix(
    network: Any, points: Any, *, workers: int, access_speed_kmh: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Times and lengths between snapped points on the graph split at the points."""
    from gridmgmt.routing.matrix import point_graph

    graph, scale = point_graph(network, points)
    ids = network.num_nodes + np.arange(len(points))
    time_s, length_m = _reference_unpack(_reference_solve(graph, ids, ids, workers), scale)
    extra_m = points.snap_distance_m[:, None] + points.snap_distance_m[None, :]
    np.fill_diagonal(extra_m, 0.0)
    return time_s + extra_m / (access_speed_kmh / 3.6), length_m + extra_m


def _reference_solve(graph: Any, sources: np.ndarray, targets: np.ndarray, workers: int) -> Any:
    from concurrent.futures import ProcessPoolExecutor

    from gridmgmt.routing.search import process_context

    chunks = [sources[i : i + 32] for i in range(0, len(sources), 32)]
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=process_context(),
        initializer=_reference_init,
        initargs=(graph, targets),
    ) as pool:
        return np.vstack(list(pool.map(_reference_rows, chunks)))


def _reference_init(graph: Any, targets: np.ndarray) -> None:
    _REFERENCE["graph"], _REFERENCE["targets"] = graph, targets


def _reference_rows(sources: np.ndarray) -> Any:
    from scipy.sparse.csgraph import dijkstra

    return dijkstra(_REFERENCE["graph"], directed=True, indices=sources)[:, _REFERENCE["targets"]]


def _reference_unpack(packed: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    from gridmgmt.routing.matrix import HORIZON_H

    reachable = np.isfinite(packed)
    time_cs = np.where(reachable, np.floor(np.where(reachable, packed, 0) / scale), np.inf)
    length_dm = np.where(reachable, packed - np.where(reachable, time_cs, 0) * scale, np.inf)
    beyond = time_cs > HORIZON_H * 360_000
    time_cs[beyond] = np.inf
    length_dm[beyond] = np.inf
    return time_cs / 100.0, length_dm / 10.0


def run_paths(args: argparse.Namespace) -> None:
    import itertools

    from scipy.sparse.csgraph import dijkstra

    from gridmgmt.routing import matrix as travel
    from gridmgmt.routing.paths import leg_paths
    from gridmgmt.routing.snap import snap_xy
    from gridmgmt.routing.synthetic import perturbed_grid_network

    rng = np.random.default_rng(args.seed)
    side = round(math.sqrt(args.nodes))
    network = perturbed_grid_network(side, side, seed=args.seed)
    points = snap_xy(
        network,
        rng.uniform(network.x.min(), network.x.max(), args.stops),
        rng.uniform(network.y.min(), network.y.max(), args.stops),
    )
    legs = list(itertools.pairwise([*range(args.stops), 0]))
    travel.network_hierarchy(network)  # the day's matrix built it already
    leg_paths(network, points, legs[:1])  # load (or compile) the kernels
    t0 = time.perf_counter()
    got = leg_paths(network, points, legs)
    hierarchy_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph, _ = travel.point_graph(network, points)
    offset = network.num_nodes
    _, pred = dijkstra(
        graph, directed=True, indices=offset + np.arange(args.stops), return_predecessors=True
    )
    expected = []
    for a, b in legs:
        node, path = offset + b, []
        while node != offset + a and node >= 0:
            node = int(pred[a, node])
            path.append(node)
        expected.append([n for n in reversed(path[:-1]) if n < offset])
    scipy_s = time.perf_counter() - t0
    same = sum(g == e for g, e in zip(got, expected, strict=True))
    emit(
        {
            "case": "paths",
            "nodes": network.num_nodes,
            "legs": len(legs),
            "hierarchy_s": round(hierarchy_s, 3),
            "scipy_dijkstra_s": round(scipy_s, 3),
            "same_junctions": same,
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)

    vrp = sub.add_parser("vrplib", help="VRPLIB instances against OR-Tools")
    vrp.add_argument("--data", default=str(DEFAULT_DATA), help="folder searched for *.vrp")
    vrp.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    vrp.add_argument("--instances", nargs="*", help="name patterns, e.g. X-n101 C1_10")
    vrp.add_argument("--seed", type=int, default=1)
    vrp.add_argument("--workers", type=int, default=available_cores())
    vrp.add_argument("--rounds", type=int, default=4, help="restart rounds from the best")
    vrp.add_argument("--no-ortools", action="store_true", help="skip the peer")

    mat = sub.add_parser("matrix", help="many-to-many matrix against networkx")
    mat.add_argument("--nodes", type=int, default=100_000)
    mat.add_argument("--points", type=int, default=2_000)
    mat.add_argument("--nx-sources", type=int, default=20)
    mat.add_argument("--seed", type=int, default=1)
    mat.add_argument("--workers", type=int, default=available_cores())

    paths = sub.add_parser("paths", help="road paths of a tour against scipy's Dijkstra")
    paths.add_argument("--nodes", type=int, default=100_000)
    paths.add_argument("--stops", type=int, default=200)
    paths.add_argument("--seed", type=int, default=1)

    args = parser.parse_args(argv)
    runs = {"vrplib": run_vrplib, "matrix": run_matrix, "paths": run_paths}
    runs[args.part](args)


if __name__ == "__main__":
    main()
