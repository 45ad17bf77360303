"""Networks of linked cases, and what investigators ask of them.

A network is a connected part of the case projection over *strong* links (weight at least
``strong_threshold``). A part that is large and loosely tied is split into communities with
Louvain (networkx), each community then split again while its pieces are loosely tied to each
other (conductance): plain Louvain merges small tight networks that hang off each other by a
link (modularity's resolution limit), and the second pass undoes that without cutting real
communities (tested on rings of cliques, planted networks and LFR benchmark graphs). A split is
kept only when its modularity shows real structure, and a lone case is never left as a
community of its own.

On networks: the network-case flag (网络案件) by configurable rules, the cross-province flag
with phone home regions and ID-number regions as further signals, merge suggestions (并案),
the shortest chain between two cases, a timeline, and the most central people and phones.
:class:`CaseLinkIndex` keeps all of it up to date as cases are added, recomputing only the
networks a new case touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import networkx as nx

from gridmgmt.cases.graph import (
    CASE_PREFIX,
    Evidence,
    LinkSettings,
    build_case_graph,
    case_attributes,
    case_node,
    cases_of,
    evidence_for,
    is_case_node,
    link_chart,
    link_entities,
    link_weight,
    project_cases,
    update_projection,
)
from gridmgmt.cases.identifiers import phone_region, province_name
from gridmgmt.cases.model import CASE_TYPE_STAGES, Case, CaseType, ChainStage, Mention, role_stage
from gridmgmt.cases.resolution import EntityResolver, ResolutionSettings


@dataclass(frozen=True, slots=True)
class NetworkCaseRules:
    """When a network counts as a network case (网络案件): any rule that is set and met.

    Parameters
    ----------
    min_cases
        At least this many linked cases.
    min_counties
        Cases in at least this many counties.
    min_stages
        At least this many stages of the chain (source, transport, sale), read from the roles
        of mentions and the types of cases.
    min_value_yuan
        Total case value at least this much.
    """

    min_cases: int | None = 3
    min_counties: int | None = 2
    min_stages: int | None = 2
    min_value_yuan: float | None = None


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """How networks are cut from the case projection.

    Parameters
    ----------
    strong_threshold
        Link weight from which two cases are in the same network.
    split_min_cases
        Parts with fewer cases are never split.
    split_max_density
        Parts denser than this (share of possible strong links present) are never split.
    resolution
        Louvain resolution; above 1 favours smaller communities. 1 with the conductance
        refinement did best on planted networks and LFR graphs; 1.5-2 alone still merged
        rings of small cliques and began to cut LFR communities.
    max_conductance
        A community is split further while each piece sends at most this share of its link
        weight outside itself.
    min_modularity
        A split is kept only if its modularity reaches this.
    seed
        Seed of Louvain's random order, so results repeat.
    rules
        Rules of the network-case flag.
    """

    strong_threshold: float = 0.7
    split_min_cases: int = 12
    split_max_density: float = 0.3
    resolution: float = 1.0
    max_conductance: float = 0.25
    min_modularity: float = 0.3
    seed: int = 20240601
    rules: NetworkCaseRules = field(default_factory=NetworkCaseRules)

    def __post_init__(self) -> None:
        if not 0 < self.strong_threshold <= 1:
            msg = f"strong_threshold must lie in (0, 1], got {self.strong_threshold}"
            raise ValueError(msg)
        if self.resolution <= 0:
            msg = f"resolution must be positive, got {self.resolution}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Network:
    """A network of linked cases and what it shows.

    ``other_counties`` is the number of further counties the network extends into beyond
    the cases listed (cases the viewer may not see, 延伸至其他县): a count only, no detail,
    the hook for a lead request. Zero when every case of the network is listed.
    """

    network_id: str
    cases: tuple[str, ...]
    counties: tuple[str, ...]
    provinces: tuple[str, ...]
    cross_province: bool
    signal_provinces: tuple[str, ...]
    cross_province_signals: tuple[str, ...]
    stages: tuple[str, ...]
    network_case: bool
    network_case_reasons: tuple[str, ...]
    first_opened: date
    last_opened: date
    seized_cartons: float
    value_yuan: float
    other_counties: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "network_id": self.network_id,
            "cases": list(self.cases),
            "counties": list(self.counties),
            "provinces": list(self.provinces),
            "cross_province": self.cross_province,
            "signal_provinces": list(self.signal_provinces),
            "cross_province_signals": list(self.cross_province_signals),
            "stages": list(self.stages),
            "network_case": self.network_case,
            "network_case_reasons": list(self.network_case_reasons),
            "first_opened": self.first_opened.isoformat(),
            "last_opened": self.last_opened.isoformat(),
            "seized_cartons": self.seized_cartons,
            "value_yuan": self.value_yuan,
            "other_counties": self.other_counties,
        }


@dataclass(frozen=True, slots=True)
class MergeSuggestion:
    """Cases suggested for merging (并案), with the evidence, strongest first."""

    cases: tuple[str, ...]
    score: float
    level: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One step of a chain: two cases and the entity they share."""

    from_case: str
    to_case: str
    entity_id: str
    kind: str
    label: str
    weight: float


@dataclass(frozen=True, slots=True)
class Chain:
    """The strongest chain of shared entities from one case to another."""

    cases: tuple[str, ...]
    links: tuple[ChainLink, ...]
    cost: float


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A case in a network's timeline, with what ties it to the cases before it."""

    case_no: str
    opened_on: date
    county_code: str
    type: str
    seized_cartons: float | None
    value_yuan: float | None
    linked_to_earlier: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Centrality:
    """How central an entity is in a network."""

    entity_id: str
    kind: str
    label: str
    cases: int
    betweenness: float


# --- networks --------------------------------------------------------------------------------


def network_id(cases: Iterable[str]) -> str:
    """A network's id: ``N-`` and its smallest case number (stable while the network lasts)."""
    return f"N-{min(cases)}"


def strong_components(
    projection: nx.Graph, nodes: Iterable[str], *, threshold: float
) -> list[set[str]]:
    """Connected parts among ``nodes`` over links of at least ``threshold``."""
    remaining = set(nodes)
    components = []
    while remaining:
        start = remaining.pop()
        component, stack = {start}, [start]
        while stack:
            node = stack.pop()
            for neighbour, data in projection[node].items():
                if neighbour in remaining and data["weight"] >= threshold:
                    remaining.discard(neighbour)
                    component.add(neighbour)
                    stack.append(neighbour)
        components.append(component)
    return components


def _strong_subgraph(projection: nx.Graph, nodes: Iterable[str], *, threshold: float) -> nx.Graph:
    """The strong links among ``nodes``, built in sorted order so Louvain repeats exactly."""
    ordered = sorted(nodes)
    members = set(ordered)
    subgraph = nx.Graph()
    subgraph.add_nodes_from(ordered)
    edges = []
    for node in ordered:
        for neighbour, data in projection[node].items():
            if neighbour in members and node < neighbour and data["weight"] >= threshold:
                edges.append((node, neighbour, data["weight"]))
    subgraph.add_weighted_edges_from(sorted(edges))
    return subgraph


def split_component(graph: nx.Graph, *, settings: NetworkSettings) -> list[frozenset[str]]:
    """Split one connected part into communities if it is large and loosely tied.

    Louvain (networkx) proposes communities; each is then offered to Louvain again, on its
    own, and split further while every piece is loosely tied to the rest of it (conductance,
    the share of a piece's link weight leaving it, at most ``max_conductance``). The second
    step undoes modularity's resolution limit, under which Louvain merges small tight
    networks hanging off each other by a link or two; the conductance test keeps it from
    cutting a real community in pieces. A lone case joins the community it is most tied to,
    and the split stands only if its modularity reaches ``min_modularity``.

    Parameters
    ----------
    graph
        The part's strong links (weighted by ``weight``).
    settings
        Size, density, resolution, conductance and modularity limits.

    Returns
    -------
    list
        The communities, or the whole part when it should stay one network.
    """
    whole = [frozenset(graph.nodes)]
    if graph.number_of_nodes() < settings.split_min_cases:
        return whole
    if nx.density(graph) > settings.split_max_density:
        return whole
    communities = _louvain(graph, settings)
    pending, final = list(communities), []
    while pending:
        community = pending.pop()
        if len(community) < 4:
            final.append(community)
            continue
        subgraph = _sorted_subgraph(graph, community)
        pieces = _louvain(subgraph, settings)
        if len(pieces) > 1 and max(_conductances(subgraph, pieces)) <= settings.max_conductance:
            pending.extend(pieces)
        else:
            final.append(community)
    final = _absorb_lone_nodes(graph, final)
    if len(final) < 2:
        return whole
    if nx.community.modularity(graph, final, weight="weight") < settings.min_modularity:
        return whole
    return sorted((frozenset(c) for c in final), key=min)


def _louvain(graph: nx.Graph, settings: NetworkSettings) -> list[set[str]]:
    communities = nx.community.louvain_communities(
        graph, weight="weight", resolution=settings.resolution, seed=settings.seed
    )
    return sorted((set(c) for c in communities), key=min)


def _sorted_subgraph(graph: nx.Graph, nodes: Iterable[str]) -> nx.Graph:
    """A copy of the subgraph built in sorted order, so Louvain's result repeats exactly."""
    ordered = sorted(nodes)
    members = set(ordered)
    subgraph = nx.Graph()
    subgraph.add_nodes_from(ordered)
    subgraph.add_weighted_edges_from(
        sorted(
            (u, v, w) if u < v else (v, u, w)
            for u, v, w in graph.edges(ordered, data="weight")
            if u in members and v in members
        )
    )
    return subgraph


def _conductances(graph: nx.Graph, parts: Sequence[set[str]]) -> list[float]:
    """For each part: weight of its links leaving it over the weight of all its links."""
    home = {node: index for index, part in enumerate(parts) for node in part}
    volume = [0.0] * len(parts)
    cut = [0.0] * len(parts)
    for u, v, weight in graph.edges(data="weight"):
        a, b = home[u], home[v]
        volume[a] += weight
        volume[b] += weight
        if a != b:
            cut[a] += weight
            cut[b] += weight
    return [c / v if v else 1.0 for c, v in zip(cut, volume, strict=True)]


def _absorb_lone_nodes(graph: nx.Graph, communities: list[set[str]]) -> list[set[str]]:
    """Give a community of one to the community it is most strongly tied to."""
    home = {node: index for index, community in enumerate(communities) for node in community}
    for index, community in enumerate(communities):
        if len(community) != 1:
            continue
        node = next(iter(community))
        ties: dict[int, float] = defaultdict(float)
        for neighbour, data in graph[node].items():
            if home[neighbour] != index:
                ties[home[neighbour]] += data["weight"]
        if ties:
            target = max(sorted(ties), key=lambda t: ties[t])
            communities[target].add(node)
            community.clear()
            home[node] = target
    return [community for community in communities if community]


def find_networks(
    projection: nx.Graph,
    *,
    settings: NetworkSettings | None = None,
    nodes: Iterable[str] | None = None,
) -> list[frozenset[str]]:
    """Cut the case projection into networks (lone cases are left out).

    Parameters
    ----------
    projection
        The case projection (:func:`gridmgmt.cases.graph.project_cases`).
    settings
        Thresholds and community detection.
    nodes
        Only these cases (all their strong neighbours must be among them); default all.
    """
    settings = settings or NetworkSettings()
    groups = []
    candidates = projection.nodes if nodes is None else nodes
    for component in strong_components(projection, candidates, threshold=settings.strong_threshold):
        if len(component) < 2:
            continue
        subgraph = _strong_subgraph(projection, component, threshold=settings.strong_threshold)
        groups.extend(split_component(subgraph, settings=settings))
    return sorted(groups, key=min)


def chain_stages(graph: nx.Graph, case_nos: Iterable[str]) -> set[ChainStage]:
    """Stages of the chain the cases show, by the roles of their mentions and their types."""
    stages: set[ChainStage] = set()
    for case_no in case_nos:
        data = graph.nodes[case_node(case_no)]
        stage = CASE_TYPE_STAGES.get(CaseType(data["type"]))
        if stage:
            stages.add(stage)
        for role in data["roles"]:
            found = role_stage(role)
            if found:
                stages.add(found)
    return stages


def describe_network(
    graph: nx.Graph,
    case_nos: Iterable[str],
    *,
    settings: NetworkSettings | None = None,
    link_settings: LinkSettings | None = None,
) -> Network:
    """Describe a network: counties, provinces, flags and totals.

    The cross-province flag is set when the cases lie in more than one province. Provinces
    seen only through the home region of a phone or the region of an ID number are listed as
    ``signal_provinces`` with a sentence each in ``cross_province_signals``.
    """
    settings = settings or NetworkSettings()
    link_settings = link_settings or LinkSettings()
    cases = sorted(case_nos)
    data = [graph.nodes[case_node(case_no)] for case_no in cases]
    counties = sorted({d["county_code"] for d in data})
    provinces = sorted({county[:2] for county in counties})
    signals, signal_provinces = _region_signals(graph, cases, set(provinces), link_settings)
    stages = sorted(stage.value for stage in chain_stages(graph, cases))
    value = sum(d["value_yuan"] or 0.0 for d in data)
    reasons = _network_case_reasons(len(cases), len(counties), len(stages), value, settings.rules)
    return Network(
        network_id=network_id(cases),
        cases=tuple(cases),
        counties=tuple(counties),
        provinces=tuple(provinces),
        cross_province=len(provinces) > 1,
        signal_provinces=tuple(signal_provinces),
        cross_province_signals=tuple(signals),
        stages=tuple(stages),
        network_case=bool(reasons),
        network_case_reasons=tuple(reasons),
        first_opened=min(d["opened_on"] for d in data),
        last_opened=max(d["opened_on"] for d in data),
        seized_cartons=sum(d["seized_cartons"] or 0.0 for d in data),
        value_yuan=value,
    )


def _network_case_reasons(
    cases: int, counties: int, stages: int, value: float, rules: NetworkCaseRules
) -> list[str]:
    reasons = []
    if rules.min_cases is not None and cases >= rules.min_cases:
        reasons.append(f"{cases} linked cases (rule: at least {rules.min_cases})")
    if rules.min_counties is not None and counties >= rules.min_counties:
        reasons.append(f"{counties} counties (rule: at least {rules.min_counties})")
    if rules.min_stages is not None and stages >= rules.min_stages:
        reasons.append(f"{stages} stages of the chain (rule: at least {rules.min_stages})")
    if rules.min_value_yuan is not None and value >= rules.min_value_yuan:
        reasons.append(f"value {value:,.0f} yuan (rule: at least {rules.min_value_yuan:,.0f})")
    return reasons


def _region_signals(
    graph: nx.Graph, cases: Sequence[str], case_provinces: set[str], settings: LinkSettings
) -> tuple[list[str], list[str]]:
    """Phones and persons linking the network's cases, from provinces other than its cases'."""
    signals: list[str] = []
    provinces: set[str] = set()
    touched: dict[str, int] = defaultdict(int)
    for case_no in cases:
        for entity in graph[case_node(case_no)]:
            touched[entity] += 1
    for entity, count in touched.items():
        attributes = graph.nodes[entity]
        if count < 2 or attributes["kind"] not in ("phone", "person") or not attributes["valid"]:
            continue
        province = attributes.get("province_code")
        if attributes["kind"] == "phone":
            province = phone_region(attributes["label"]).get("province_code")
        if not province:
            continue
        if province in case_provinces or graph.degree(entity) > settings.hub_cap:
            continue
        provinces.add(province)
        what = "phone home region" if attributes["kind"] == "phone" else "ID number region"
        signals.append(f"{attributes['label']}: {what} {province_name(province) or province}")
    return sorted(signals), sorted(provinces)


# --- merge suggestions, chains, timelines, centrality ---------------------------------------


def _evidence(
    graph: nx.Graph, entities: Iterable[str], settings: LinkSettings
) -> tuple[Evidence, ...]:
    items = [evidence_for(graph, entity, settings=settings) for entity in entities]
    return tuple(sorted(items, key=lambda e: (-e.weight, e.entity_id)))


def suggest_merges(
    graph: nx.Graph,
    projection: nx.Graph,
    *,
    networks: Sequence[frozenset[str]] = (),
    min_score: float = 0.7,
    limit: int | None = 100,
    exclude: Iterable[Iterable[str]] = (),
    link_settings: LinkSettings | None = None,
) -> list[MergeSuggestion]:
    """Rank cases to merge (并案): pairs by link weight, and networks as groups.

    Parameters
    ----------
    graph, projection
        The link graph and its case projection.
    networks
        Networks to suggest as groups; a group's score is its weakest case's strongest link.
    min_score
        Pairs linked less strongly are not suggested.
    limit
        At most this many suggestions (None: all).
    exclude
        Groups of cases already merged: pairs inside one are not suggested again.
    link_settings
        Strengths used for the evidence.
    """
    settings = link_settings or LinkSettings()
    merged_group = {case: index for index, group in enumerate(exclude) for case in group}
    suggestions = []
    for left, right, data in projection.edges(data=True):
        if data["weight"] < min_score:
            continue
        group = merged_group.get(left)
        if group is not None and group == merged_group.get(right):
            continue
        entities = [entity for entity, _weight in data["evidence"]]
        suggestions.append(
            MergeSuggestion(
                tuple(sorted((left, right))),
                round(data["weight"], 4),
                "pair",
                _evidence(graph, entities, settings),
            )
        )
    for network in networks:
        if len(network) < 3:
            continue
        suggestions.append(_group_suggestion(graph, projection, network, settings))
    suggestions.sort(key=lambda s: (-s.score, -len(s.evidence), -len(s.cases), s.cases))
    return suggestions[:limit] if limit is not None else suggestions


def _group_suggestion(
    graph: nx.Graph, projection: nx.Graph, network: frozenset[str], settings: LinkSettings
) -> MergeSuggestion:
    weakest = min(
        max(
            (data["weight"] for other, data in projection[case].items() if other in network),
            default=0.0,
        )
        for case in network
    )
    shared: dict[str, int] = defaultdict(int)
    for case in network:
        for entity in graph[case_node(case)]:
            shared[entity] += 1
    entities = [
        entity
        for entity, count in shared.items()
        if count >= 2 and link_weight(graph, entity, settings=settings) > 0
    ]
    return MergeSuggestion(
        tuple(sorted(network)), round(weakest, 4), "network", _evidence(graph, entities, settings)
    )


def shortest_chain(
    graph: nx.Graph, source: str, target: str, *, link_settings: LinkSettings | None = None
) -> Chain | None:
    """The strongest chain of shared entities between two cases, or None if there is none.

    A step through an entity costs ``1 / weight``, so a chain through one shared ID number beats
    one through a weak address; hubs past ``hub_cap`` are not walked through.

    Raises
    ------
    KeyError
        If either case is unknown.
    """
    settings = link_settings or LinkSettings()
    for case_no in (source, target):
        if case_node(case_no) not in graph:
            msg = f"case {case_no!r} is not in the link graph"
            raise KeyError(msg)
    weights: dict[str, float] = {}

    def cost(u: str, v: str, _data: Mapping[str, Any]) -> float | None:
        entity = v if is_case_node(u) else u
        if entity not in weights:
            weights[entity] = link_weight(graph, entity, settings=settings)
        weight = weights[entity]
        return 0.5 / weight if weight > 0 else None

    try:
        path = nx.shortest_path(graph, case_node(source), case_node(target), weight=cost)
    except nx.NetworkXNoPath:
        return None
    links = []
    for index in range(0, len(path) - 2, 2):
        entity = path[index + 1]
        attributes = graph.nodes[entity]
        links.append(
            ChainLink(
                path[index][len(CASE_PREFIX) :],
                path[index + 2][len(CASE_PREFIX) :],
                entity,
                attributes["kind"],
                attributes["label"],
                weights[entity],
            )
        )
    cases = tuple(node[len(CASE_PREFIX) :] for node in path[::2])
    return Chain(cases, tuple(links), round(sum(1 / link.weight for link in links), 4))


def timeline(
    graph: nx.Graph, case_nos: Iterable[str], *, link_settings: LinkSettings | None = None
) -> list[TimelineEntry]:
    """A network's cases by date, each with the entities it shares with earlier cases."""
    settings = link_settings or LinkSettings()
    ordered = sorted(case_nos, key=lambda c: (graph.nodes[case_node(c)]["opened_on"], c))
    seen: set[str] = set()
    entries = []
    for case_no in ordered:
        data = graph.nodes[case_node(case_no)]
        entities = [
            e for e in graph[case_node(case_no)] if link_weight(graph, e, settings=settings) > 0
        ]
        earlier = sorted(graph.nodes[e]["label"] for e in entities if e in seen)
        seen.update(entities)
        entries.append(
            TimelineEntry(
                case_no,
                data["opened_on"],
                data["county_code"],
                data["type"],
                data["seized_cartons"],
                data["value_yuan"],
                tuple(earlier),
            )
        )
    return entries


def central_entities(
    graph: nx.Graph,
    case_nos: Iterable[str],
    *,
    kinds: Sequence[str] = ("person", "phone"),
    top: int = 10,
    link_settings: LinkSettings | None = None,
) -> list[Centrality]:
    """The most central people and phones of a network (betweenness in its link graph).

    Entities that link at least two of the network's cases are ranked by betweenness
    centrality in the network's part of the link graph, then by cases touched. Hubs are left
    out: a depot phone is not a ringleader.
    """
    settings = link_settings or LinkSettings()
    nodes = {case_node(c) for c in case_nos}
    linking = set()
    for node in nodes:
        for entity in graph[node]:
            if (
                link_weight(graph, entity, settings=settings) > 0
                and len(nodes & set(graph[entity])) >= 2
            ):
                linking.add(entity)
    subgraph = graph.subgraph(nodes | linking)
    sample = None if subgraph.number_of_nodes() <= 1500 else 500
    betweenness = nx.betweenness_centrality(subgraph, k=sample, seed=0)
    ranked = [
        Centrality(
            entity,
            graph.nodes[entity]["kind"],
            graph.nodes[entity]["label"],
            len(nodes & set(graph[entity])),
            round(betweenness[entity], 6),
        )
        for entity in linking
        if graph.nodes[entity]["kind"] in kinds
    ]
    ranked.sort(key=lambda c: (-c.betweenness, -c.cases, c.entity_id))
    return ranked[:top]


# --- the incremental index -----------------------------------------------------------------


class CaseLinkIndex:
    """Cases, their resolved entities, the link graph, the projection and the networks.

    Build it once with :meth:`build`; :meth:`add_case` then resolves a new case's mentions,
    adds it to the graph, recomputes only the projection links of the entities it touches and
    only the networks those links reach. The result equals a rebuild from scratch.

    Parameters
    ----------
    resolution_settings, link_settings, network_settings
        Settings of each stage.
    """

    def __init__(
        self,
        *,
        resolution_settings: ResolutionSettings | None = None,
        link_settings: LinkSettings | None = None,
        network_settings: NetworkSettings | None = None,
    ) -> None:
        self.link_settings = link_settings or LinkSettings()
        self.network_settings = network_settings or NetworkSettings()
        self.resolver = EntityResolver(settings=resolution_settings)
        self.cases: dict[str, Case] = {}
        self.graph = nx.Graph()
        self.projection = nx.Graph()
        self._component_of: dict[str, int] = {}
        self._components: dict[int, set[str]] = {}
        self._next_component = 0
        self._network_of: dict[str, str] = {}
        self._networks: dict[str, frozenset[str]] = {}

    @classmethod
    def build(
        cls,
        cases: Sequence[Case],
        mentions: Sequence[Mention],
        *,
        resolution_settings: ResolutionSettings | None = None,
        link_settings: LinkSettings | None = None,
        network_settings: NetworkSettings | None = None,
    ) -> CaseLinkIndex:
        """Build the index from all cases at once.

        Raises
        ------
        ValueError
            If a case number repeats or a mention names an unknown case.
        """
        known = {case.case_no for case in cases}
        unknown = sorted({m.case_no for m in mentions} - known)
        if unknown:
            msg = f"mentions name unknown cases: {', '.join(unknown[:10])}"
            raise ValueError(msg)
        link_settings = link_settings or LinkSettings()
        resolver = EntityResolver(settings=resolution_settings)
        resolver.add(mentions, {case.case_no: case.county_code for case in cases})
        graph = build_case_graph(cases, resolver)
        projection = project_cases(graph, settings=link_settings)
        return cls.from_parts(
            cases,
            resolver,
            graph,
            projection,
            link_settings=link_settings,
            network_settings=network_settings,
        )

    @classmethod
    def from_parts(
        cls,
        cases: Sequence[Case],
        resolver: EntityResolver,
        graph: nx.Graph,
        projection: nx.Graph,
        *,
        link_settings: LinkSettings | None = None,
        network_settings: NetworkSettings | None = None,
    ) -> CaseLinkIndex:
        """Assemble the index from stages already run (and cut the networks).

        ``graph`` and ``projection`` must come from :func:`build_case_graph` and
        :func:`project_cases` over the same resolver with the same ``link_settings``.

        Raises
        ------
        ValueError
            If a case number repeats.
        """
        index = cls(
            resolution_settings=resolver.settings,
            link_settings=link_settings,
            network_settings=network_settings,
        )
        index.resolver, index.graph, index.projection = resolver, graph, projection
        index._add_cases(cases)
        index._recompute_networks(projection.nodes)
        return index

    def _add_cases(self, cases: Iterable[Case]) -> None:
        for case in cases:
            if case.case_no in self.cases:
                msg = f"case {case.case_no!r} is already in the index"
                raise ValueError(msg)
            self.cases[case.case_no] = case

    def add_case(self, case: Case, mentions: Sequence[Mention]) -> set[str]:
        """Add one case and its mentions; return the ids of the networks it changed.

        Only the entities the case touches are relinked, only the projection links among their
        cases recomputed, and only the networks those links reach cut again.

        Raises
        ------
        ValueError
            If the case number is already present or a mention names another case.
        """
        others = sorted({m.case_no for m in mentions} - {case.case_no})
        if others:
            msg = f"mentions of case {case.case_no!r} name other cases: {', '.join(others)}"
            raise ValueError(msg)
        self._add_cases([case])
        attributes = case_attributes(case, (m.role for m in mentions if m.role))
        self.graph.add_node(case_node(case.case_no), **attributes)
        self.projection.add_node(case.case_no, **attributes)
        change = self.resolver.add(mentions, {case.case_no: case.county_code})
        touched = {self.resolver.entity_id(index) for index in change.mentions}
        touched |= set(change.merged.values())
        before = self._cases_before(touched | set(change.merged))
        for old in change.merged:
            if old in self.graph:
                self.graph.remove_node(old)
        link_entities(self.graph, self.resolver, touched)
        groups = self._groups_to_relink(touched, change.merged, before)
        changed = update_projection(
            self.graph, self.projection, groups, settings=self.link_settings
        )
        changed.add(case.case_no)
        return self._recompute_networks(changed)

    def _cases_before(self, entities: Iterable[str]) -> dict[str, list[str] | None]:
        """Cases of each entity in the graph before the change (None for hubs past the cap)."""
        before: dict[str, list[str] | None] = {}
        for entity in entities:
            if entity in self.graph:
                cases = cases_of(self.graph, entity)
                before[entity] = cases if len(cases) <= self.link_settings.hub_cap else None
        return before

    def _groups_to_relink(
        self, touched: set[str], merged: Mapping[str, str], before: Mapping[str, list[str] | None]
    ) -> list[list[str]]:
        """Groups of cases whose pairwise links may have changed."""
        absorbed: dict[str, list[str]] = defaultdict(list)
        for old, new in merged.items():
            absorbed[new].append(old)
        groups = []
        for entity in touched:
            previous = [before.get(e) for e in (entity, *absorbed.get(entity, []))]
            if entity in self.graph:
                after = cases_of(self.graph, entity)
                if len(after) <= self.link_settings.hub_cap:
                    groups.append(after)
                    continue
            groups.extend(cases for cases in previous if cases is not None)
        return groups

    def _recompute_networks(self, changed: Iterable[str]) -> set[str]:
        """Recompute the components holding ``changed`` cases and the networks cut from them."""
        affected: set[str] = set()
        for case_no in changed:
            component = self._component_of.get(case_no)
            if component is None:
                affected.add(case_no)
            elif component in self._components:
                affected |= self._components.pop(component)
        old_networks = {self._network_of[c] for c in affected if c in self._network_of}
        for network in old_networks:
            for case_no in self._networks.pop(network, ()):
                self._network_of.pop(case_no, None)
        threshold = self.network_settings.strong_threshold
        new_networks = set()
        for part in strong_components(self.projection, affected, threshold=threshold):
            part_id = self._next_component
            self._next_component += 1
            self._components[part_id] = part
            for case_no in part:
                self._component_of[case_no] = part_id
            if len(part) < 2:
                continue
            subgraph = _strong_subgraph(self.projection, part, threshold=threshold)
            for group in split_component(subgraph, settings=self.network_settings):
                if len(group) < 2:
                    continue
                identifier = network_id(group)
                self._networks[identifier] = group
                new_networks.add(identifier)
                for case_no in group:
                    self._network_of[case_no] = identifier
        return old_networks | new_networks

    # --- questions ---------------------------------------------------------------------------

    def network_groups(self) -> list[frozenset[str]]:
        """Every network's cases, smallest case number first."""
        return sorted(self._networks.values(), key=min)

    def network_of(self, case_no: str) -> Network | None:
        """The network a case belongs to, or None for a case on its own."""
        identifier = self._network_of.get(case_no)
        return self.network(identifier) if identifier else None

    def network(self, identifier: str) -> Network:
        """Describe one network by id.

        Raises
        ------
        KeyError
            If there is no network with this id.
        """
        if identifier not in self._networks:
            msg = f"no network {identifier!r}"
            raise KeyError(msg)
        return describe_network(
            self.graph,
            self._networks[identifier],
            settings=self.network_settings,
            link_settings=self.link_settings,
        )

    def networks(self) -> list[Network]:
        """Describe every network, the largest first."""
        described = [self.network(identifier) for identifier in self._networks]
        return sorted(described, key=lambda n: (-len(n.cases), n.network_id))

    def link_chart(self, case_nos: Iterable[str]) -> nx.Graph:
        """Full link chart of cases, single-case entities included (see :func:`link_chart`)."""
        return link_chart(self.graph, self.resolver, case_nos)

    def suggest_merges(
        self,
        *,
        min_score: float = 0.7,
        limit: int | None = 100,
        exclude: Iterable[Iterable[str]] = (),
    ) -> list[MergeSuggestion]:
        """Merge suggestions over the whole index (see :func:`suggest_merges`)."""
        return suggest_merges(
            self.graph,
            self.projection,
            networks=self.network_groups(),
            min_score=min_score,
            limit=limit,
            exclude=exclude,
            link_settings=self.link_settings,
        )

    def shortest_chain(self, source: str, target: str) -> Chain | None:
        """The strongest chain between two cases (see :func:`shortest_chain`)."""
        return shortest_chain(self.graph, source, target, link_settings=self.link_settings)

    def timeline(self, identifier: str) -> list[TimelineEntry]:
        """Timeline of a network by id."""
        return timeline(
            self.graph, self.network(identifier).cases, link_settings=self.link_settings
        )

    def central_entities(self, identifier: str, *, top: int = 10) -> list[Centrality]:
        """Most central people and phones of a network by id."""
        return central_entities(
            self.graph, self.network(identifier).cases, top=top, link_settings=self.link_settings
        )
