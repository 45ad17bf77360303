"""Routing benchmarks: distance matrices and VRPLIB instances, each against a named peer.

Usage::

    uv run --group bench python bench/routing.py matrix [--nodes 100000] [--points 2000]
    uv run --group bench python bench/routing.py vrplib [--data DIR] [--time-limit 60]
        [--instances X-n101 C1_10_1 ...] [--seed 1] [--workers 2] [--rounds 4]

``matrix``: a 2,000 x 2,000 travel-time matrix on a perturbed grid road network of about
100,000 nodes, this project (scipy.sparse.csgraph Dijkstra, time and distance packed in one
weight, sources split over worker processes) against networkx's Dijkstra on the same network;
also the same size between random points snapped onto the roads. networkx runs from a
subset of the sources and its time is extrapolated linearly (``networkx_extrapolated:
true``); both answers are compared on that subset.

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

    from gridmgmt.routing.matrix import node_matrix, point_matrix
    from gridmgmt.routing.snap import snap_xy
    from gridmgmt.routing.synthetic import perturbed_grid_network

    rng = np.random.default_rng(args.seed)
    side = round(math.sqrt(args.nodes))
    t0 = time.perf_counter()
    network = perturbed_grid_network(side, side, seed=args.seed)
    build_s = time.perf_counter() - t0
    nodes = rng.choice(network.num_nodes, size=args.points, replace=False)

    t0 = time.perf_counter()
    matrix = node_matrix(network, nodes, nodes, workers=args.workers)
    ours_s = time.perf_counter() - t0

    # Retailers are not junctions: the same size from random points snapped onto roads.
    x = rng.uniform(network.x.min(), network.x.max(), args.points)
    y = rng.uniform(network.y.min(), network.y.max(), args.points)
    t0 = time.perf_counter()
    snapped = snap_xy(network, x, y)
    points = point_matrix(network, snapped, workers=args.workers)
    points_s = time.perf_counter() - t0
    assert np.isfinite(points.time_s).all()

    graph = network.to_networkx()
    subset = nodes[: args.nx_sources]
    t0 = time.perf_counter()
    rows = [nx.single_source_dijkstra_path_length(graph, int(s), weight="time_s") for s in subset]
    nx_s = (time.perf_counter() - t0) * len(nodes) / len(subset)
    worst = max(
        float(np.max(np.abs(np.array([row[int(t)] for t in nodes]) - matrix.time_s[i])))
        for i, row in enumerate(rows)
    )
    emit(
        {
            "case": "matrix",
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "nodes": network.num_nodes,
            "edges": network.num_edges,
            "sources": len(nodes),
            "targets": len(nodes),
            "build_network_s": round(build_s, 2),
            "gridmgmt_s": round(ours_s, 2),
            "gridmgmt_snapped_points_s": round(points_s, 2),
            "gridmgmt_workers": args.workers,
            "networkx_s": round(nx_s, 1),
            "networkx_extrapolated": True,
            "networkx_sources_timed": len(subset),
            "speedup": round(nx_s / ours_s, 1),
            "max_abs_diff_time_s": round(worst, 4),
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

    args = parser.parse_args(argv)
    if args.part == "vrplib":
        run_vrplib(args)
    else:
        run_matrix(args)


if __name__ == "__main__":
    main()
