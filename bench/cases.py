"""Benchmark of the case-link engine: person matching quality, and scale.

Prints one JSON line per measurement:

1. ``person_matching``: pairwise precision and recall of person resolution on a labelled
   synthetic set with realistic noise (15-digit IDs, mistyped ID digits, IDs left out,
   homophone names, spaced and +86 phones). Peers in the same run: exact matching on the
   normalised ID number only, and exact matching on the raw text as typed.
2. ``scale``: 100,000 cases with about 1,000,000 mentions, resolved, linked, projected and cut
   into networks in a child process (so the generator's memory is not counted), with CPU and
   wall time per stage and the peak RSS (``resource.getrusage``). The planted networks are
   scored, and a naive peer without hub capping shows what the hubs would glue together.
3. ``incremental``: adding held-out cases one at a time to the built index.

Usage::

    uv run python bench/cases.py            # full run (about 1M mentions)
    uv run python bench/cases.py --quick    # 10,000 cases, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

from gridmgmt.cases.graph import LinkSettings, build_case_graph, entity_strength, project_cases
from gridmgmt.cases.identifiers import normalise_id_number
from gridmgmt.cases.model import EntityKind, Mention
from gridmgmt.cases.networks import CaseLinkIndex, NetworkSettings
from gridmgmt.cases.resolution import EntityResolver, ResolutionSettings, pair_precision_recall
from gridmgmt.cases.synthetic import SyntheticCaseSet, generate_case_set


def emit(case: str, **figures: Any) -> None:
    """Print one JSON line."""
    print(json.dumps({"bench": "cases", "case": case, **figures}, ensure_ascii=False), flush=True)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    """Cores available and load, so contended runs can be read for what they are."""
    return {
        "cores": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


class Stopwatch:
    """Wall and CPU seconds per named stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, name: str, function: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        self.wall[name] = round(time.perf_counter() - wall, 2)
        self.cpu[name] = round(time.process_time() - cpu, 2)
        return result


# --- 1. person matching ---------------------------------------------------------------------


def person_labels(data: SyntheticCaseSet) -> list[int]:
    return [i for i, truth in enumerate(data.person_truth) if truth is not None]


def exact_id_peer(mentions: Sequence[Mention], indices: Sequence[int]) -> list[Hashable]:
    """Peer: the same person only when the normalised, valid ID numbers are equal."""
    labels: list[Hashable] = []
    for index in indices:
        mention = mentions[index]
        raw = mention.id_number if mention.kind is EntityKind.PERSON else mention.value
        identifier = normalise_id_number(raw) if raw else None
        labels.append(identifier.value if identifier and identifier.valid else ("single", index))
    return labels


def raw_text_peer(mentions: Sequence[Mention], indices: Sequence[int]) -> list[Hashable]:
    """Peer: the same person when the ID number is typed identically (else the name is)."""
    labels: list[Hashable] = []
    for index in indices:
        mention = mentions[index]
        raw = mention.id_number if mention.kind is EntityKind.PERSON else mention.value
        labels.append(raw or ("single", index))
    return labels


def bench_person_matching(n_cases: int, seed: int) -> None:
    data = generate_case_set(
        n_cases=n_cases,
        n_networks=n_cases // 30,
        network_size=(3, 12),
        mentions_per_case=8,
        n_hubs=6,
        seed=seed,
    )
    counties = {case.case_no: case.county_code for case in data.cases}
    indices = person_labels(data)
    truth = [data.person_truth[i] for i in indices]
    clock = Stopwatch()
    settings = ResolutionSettings(counties=data.counties)
    resolver = clock.run("resolve", lambda: EntityResolver(settings=settings))
    clock.run("resolve", lambda: resolver.add(data.mentions, counties))
    ours = [resolver.entity_id(i) for i in indices]
    true_persons = Counter(truth)
    common = {
        "cases": len(data.cases),
        "person_mentions": len(indices),
        "true_pairs": sum(n * (n - 1) // 2 for n in true_persons.values()),
        "noise": dict(data.noise),
        "seed": seed,
    }
    for method, labels in (
        ("gridmgmt", ours),
        ("peer_exact_normalised_id", exact_id_peer(data.mentions, indices)),
        ("peer_exact_raw_text", raw_text_peer(data.mentions, indices)),
    ):
        precision, recall = pair_precision_recall(labels, truth)
        extra = {"seconds": clock.wall["resolve"]} if method == "gridmgmt" else {}
        emit(
            "person_matching",
            method=method,
            precision=round(precision, 4),
            recall=round(recall, 4),
            target_precision=0.98,
            target_recall=0.95,
            **common,
            **extra,
        )


# --- 2. scale -------------------------------------------------------------------------------


def scale_child(path: str, with_tracemalloc: bool) -> None:
    """Run in a fresh process: load the set, then time every stage."""
    load_wall = time.perf_counter()
    with open(path, "rb") as file:
        data: SyntheticCaseSet = pickle.load(file)
    rss_loaded = peak_rss_mb()
    load_seconds = round(time.perf_counter() - load_wall, 2)
    if with_tracemalloc:
        tracemalloc.start()
    n_hold = 100
    base_cases, extra_cases = data.cases[:-n_hold], data.cases[-n_hold:]
    extra_set = {case.case_no for case in extra_cases}
    base_mentions = [m for m in data.mentions if m.case_no not in extra_set]
    extra_mentions: dict[str, list[Mention]] = {}
    for mention in data.mentions:
        if mention.case_no in extra_set:
            extra_mentions.setdefault(mention.case_no, []).append(mention)
    counties = {case.case_no: case.county_code for case in data.cases}
    clock = Stopwatch()
    resolution_settings = ResolutionSettings(counties=data.counties)
    link_settings, network_settings = LinkSettings(), NetworkSettings()
    resolver = EntityResolver(settings=resolution_settings)
    clock.run("resolution", lambda: resolver.add(base_mentions, counties))
    graph = clock.run("link_graph", lambda: build_case_graph(base_cases, resolver))
    projection = clock.run("projection", lambda: project_cases(graph, settings=link_settings))
    index = clock.run(
        "networks",
        lambda: CaseLinkIndex.from_parts(
            base_cases,
            resolver,
            graph,
            projection,
            link_settings=link_settings,
            network_settings=network_settings,
        ),
    )
    groups = index.network_groups()
    described = clock.run("describe_networks", index.networks)
    traced_peak = None
    if with_tracemalloc:
        traced_peak = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    total_wall = round(sum(clock.wall.values()), 2)
    total_cpu = round(sum(clock.cpu.values()), 2)
    planted = data.planted_networks()
    found = set(groups)
    base_planted = [network for network in planted if not network & extra_set]
    recovered = sum(1 for network in base_planted if network in found)
    network_of = {case: i for i, group in enumerate(groups) for case in group}
    planted_cases = sorted(data.network_truth)
    precision, recall = pair_precision_recall(
        [network_of.get(c, c) for c in planted_cases if c not in extra_set],
        [data.network_truth[c] for c in planted_cases if c not in extra_set],
    )
    lone = sum(1 for c in projection.nodes if c not in network_of and c not in data.network_truth)
    emit(
        "scale",
        cases=len(base_cases),
        mentions=len(base_mentions),
        entities_linking=graph.number_of_nodes() - len(base_cases),
        graph_edges=graph.number_of_edges(),
        projection_edges=projection.number_of_edges(),
        networks=len(groups),
        network_cases_flagged=sum(1 for n in described if n.network_case),
        cross_province=sum(1 for n in described if n.cross_province),
        largest_network=max((len(g) for g in groups), default=0),
        planted_networks=len(base_planted),
        planted_recovered_exactly=recovered,
        planted_case_pair_precision=round(precision, 4),
        planted_case_pair_recall=round(recall, 4),
        unplanted_cases_left_alone=lone,
        hubs=dict(sorted(data.hubs.items(), key=lambda kv: -kv[1])[:5]),
        wall_seconds=clock.wall,
        cpu_seconds=clock.cpu,
        resolution_and_networks_wall_seconds=total_wall,
        resolution_and_networks_cpu_seconds=total_cpu,
        target_seconds=60,
        peak_rss_mb=peak_rss_mb(),
        rss_after_loading_input_mb=rss_loaded,
        input_load_seconds=load_seconds,
        tracemalloc_peak_mb=traced_peak,
        target_rss_mb=4096,
        **machine(),
    )
    peer_uncapped(graph, link_settings, network_settings, len(groups), max(map(len, groups)))
    timings = []
    for case in extra_cases:
        start = time.perf_counter()
        index.add_case(case, extra_mentions.get(case.case_no, []))
        timings.append(time.perf_counter() - start)
    timings.sort()
    emit(
        "incremental",
        added_cases=len(timings),
        median_ms=round(1000 * timings[len(timings) // 2], 2),
        max_ms=round(1000 * timings[-1], 2),
        networks_after=len(index.network_groups()),
        peak_rss_mb=peak_rss_mb(),
    )


def peer_uncapped(
    graph: Any,
    link_settings: LinkSettings,
    network_settings: NetworkSettings,
    ours: int,
    largest: int,
) -> None:
    """Peer: the same projection with no hub down-weighting or capping (hubs count in full).

    Strong parts are found with a union-find over case-entity edges instead of listing the
    millions of pairs a hub would make.
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    uncapped = LinkSettings(strengths=link_settings.strengths, hub_soft=10**9, hub_cap=10**9)

    for entity, data in graph.nodes(data=True):
        if data["node_type"] != "entity":
            continue
        if entity_strength(data, settings=uncapped) < network_settings.strong_threshold:
            continue
        cases = list(graph[entity])
        for other in cases[1:]:
            parent[find(other)] = find(cases[0])
    sizes = Counter(find(node) for node in list(parent) if node.startswith("case:"))
    multi = [size for size in sizes.values() if size >= 2]
    emit(
        "scale_peer_no_hub_capping",
        networks=len(multi),
        largest_network=max(multi, default=0),
        ours_networks=ours,
        ours_largest_network=largest,
    )


def bench_scale(n_cases: int, mentions_per_case: float, seed: int, with_tracemalloc: bool) -> None:
    wall = time.perf_counter()
    data = generate_case_set(
        n_cases=n_cases,
        n_networks=n_cases // 50,
        network_size=(3, 12),
        mentions_per_case=mentions_per_case,
        n_hubs=30,
        hub_cases=(150, 600),
        seed=seed,
    )
    generated = round(time.perf_counter() - wall, 1)
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as file:
        pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)
        path = file.name
    emit(
        "scale_input",
        cases=len(data.cases),
        mentions=len(data.mentions),
        generate_seconds=generated,
    )
    del data
    try:
        command = [sys.executable, __file__, "--child", path]
        if with_tracemalloc:
            command.append("--tracemalloc")
        subprocess.run(command, check=True)
    finally:
        Path(path).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cases instead of 100,000")
    parser.add_argument("--cases", type=int, default=None, help="cases in the scale run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale_child(args.child, args.tracemalloc)
        return
    n_cases = args.cases or (10_000 if args.quick else 100_000)
    bench_person_matching(5_000 if args.quick else 20_000, args.seed)
    bench_scale(n_cases, 10.2, args.seed, args.tracemalloc)


if __name__ == "__main__":
    main()
