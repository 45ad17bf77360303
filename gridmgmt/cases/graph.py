"""The case-link graph: cases and resolved entities as nodes, mentions as edges.

Two views:

- the *link graph* (bipartite): a node per case (``case:<case_no>``) and per resolved entity
  that two or more cases mention (``phone:+86139...``, ``person:1509...``), an edge per
  case-entity pair with its roles and mentions; :func:`link_chart` adds the entities of a
  single case for display;
- the *case projection*: a node per case (its case number) and an edge between two cases that
  share entities, weighted by how strong the shared entities are.

A shared ID number says more than a shared address, and an identifier shared by very many cases
(a courier depot's phone, a market's address) says little about any two of them: each entity's
link weight is its kind's strength, halved when the identifier is invalid, scaled down past
``hub_soft`` cases and dropped past ``hub_cap`` cases, so one hub cannot glue hundreds of
unrelated cases into one network. The weights of several shared entities combine as
independent evidence: ``1 - prod(1 - w)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType
from typing import Any

import networkx as nx

from gridmgmt.cases.model import Case
from gridmgmt.cases.resolution import EntityResolver, paused_gc

CASE_PREFIX = "case:"

DEFAULT_STRENGTHS: Mapping[str, float] = MappingProxyType(
    {
        "person": 1.0,  # verified by a valid ID number
        "person_unverified": 0.6,  # matched on name with phone or ID slips, or seen once
        "waybill": 0.95,
        "bank_account": 0.9,
        "licence_no": 0.85,
        "phone": 0.8,
        "plate": 0.8,
        "company": 0.8,  # by unified social credit code
        "company_name": 0.5,
        "address": 0.4,
    }
)


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """How strongly each shared entity links two cases.

    Parameters
    ----------
    strengths
        Strength (0-1) of a shared entity by kind; ``person_unverified`` is a person without
        a valid ID number, ``company_name`` a company known only by name.
    invalid_factor
        Multiplies the strength of an identifier that failed validation.
    hub_soft
        An entity touching more cases than this links each pair less: ``hub_soft / n``.
    hub_cap
        An entity touching more cases than this links none of them (it is a hub).
    """

    strengths: Mapping[str, float] = field(default_factory=lambda: DEFAULT_STRENGTHS)
    invalid_factor: float = 0.5
    hub_soft: int = 20
    hub_cap: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.hub_soft <= self.hub_cap:
            got = f"hub_soft={self.hub_soft}, hub_cap={self.hub_cap}"
            msg = f"need 0 < hub_soft <= hub_cap, got {got}"
            raise ValueError(msg)
        bad = {kind: value for kind, value in self.strengths.items() if not 0 <= value <= 1}
        if bad:
            msg = f"strengths must lie in [0, 1]; got {bad}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One entity two or more cases share, and how much it links them."""

    entity_id: str
    kind: str
    label: str
    strength: float
    hub_factor: float
    cases_touched: int
    weight: float


def case_node(case_no: str) -> str:
    """Link-graph node of a case."""
    return CASE_PREFIX + case_no


def is_case_node(node: str) -> bool:
    """Whether a link-graph node is a case (else an entity)."""
    return node.startswith(CASE_PREFIX)


def case_attributes(case: Case, roles: Iterable[str] = ()) -> dict[str, Any]:
    """Node attributes of a case; ``roles`` are the distinct roles its mentions name."""
    return {
        "node_type": "case",
        "case_no": case.case_no,
        "county_code": case.county_code,
        "opened_on": case.opened_on,
        "type": case.type.value,
        "status": case.status.value,
        "lon": case.lon,
        "lat": case.lat,
        "seized_cartons": case.seized_cartons,
        "value_yuan": case.value_yuan,
        "roles": tuple(sorted(set(roles))),
    }


def build_case_graph(cases: Iterable[Case], resolver: EntityResolver) -> nx.Graph:
    """Build the link graph from cases and the resolved mentions.

    Every case is a node; an entity is a node when two or more cases mention it, since an
    entity of one case links nothing (the resolver still holds it, see
    :meth:`~gridmgmt.cases.resolution.EntityResolver.cases_of`). At a million mentions this
    keeps the graph to the part that matters for links.

    Raises
    ------
    KeyError
        If a mention names a case that is not among ``cases``.
    """
    roles: dict[str, set[str]] = {}
    for mention in resolver.mentions:
        if mention.role:
            roles.setdefault(mention.case_no, set()).add(mention.role)
    graph = nx.Graph()
    with paused_gc():
        graph.add_nodes_from(
            (case_node(case.case_no), case_attributes(case, roles.get(case.case_no, ())))
            for case in cases
        )
        link_entities(graph, resolver, resolver.linking_entities())
    return graph


def link_entities(graph: nx.Graph, resolver: EntityResolver, entities: Iterable[str]) -> set[str]:
    """Put entities into the graph as the resolver now sees them; return those linking cases.

    An entity mentioned by two or more cases gets a node (kind, label, validity) and an edge
    to each case with the ``roles`` and ``mentions`` (indices) of that case; one mentioned by a
    single case is left out (or taken out).

    Raises
    ------
    KeyError
        If a mention names a case that is not in the graph.
    """
    linked = set()
    for entity in entities:
        by_case: dict[str, tuple[list[str], list[int]]] = {}
        for index in resolver.members(entity):
            mention = resolver.mentions[index]
            roles, indices = by_case.setdefault(mention.case_no, ([], []))
            if mention.role and mention.role not in roles:
                roles.append(mention.role)
            indices.append(index)
        if len(by_case) < 2:
            if entity in graph:
                graph.remove_node(entity)
            continue
        attributes = {"node_type": "entity", **resolver.summary(entity)}
        if entity in graph:
            graph.nodes[entity].update(attributes)
        else:
            graph.add_node(entity, **attributes)
        for case_no, (roles, indices) in by_case.items():
            node = case_node(case_no)
            if node not in graph:
                msg = f"case {case_no!r} is mentioned but not in the graph"
                raise KeyError(msg)
            graph.add_edge(node, entity, roles=tuple(roles), mentions=tuple(indices))
        linked.add(entity)
    return linked


def link_chart(graph: nx.Graph, resolver: EntityResolver, case_nos: Iterable[str]) -> nx.Graph:
    """The full link chart of some cases: every entity they mention, linking or not.

    The link graph leaves out entities that only one case mentions; a chart of a network for
    investigators (or an export for other link-analysis tools) wants them too, with their
    kind, label and validity, and each edge's roles and mention indices.

    Raises
    ------
    KeyError
        If a case is not in the graph.
    """
    chart = nx.Graph()
    for case_no in sorted(set(case_nos)):
        node = case_node(case_no)
        if node not in graph:
            msg = f"case {case_no!r} is not in the link graph"
            raise KeyError(msg)
        chart.add_node(node, **graph.nodes[node])
        for index in resolver.mentions_of_case(case_no):
            entity = resolver.entity_id(index)
            if entity not in chart:
                attributes = graph.nodes[entity] if entity in graph else None
                summary = attributes or {"node_type": "entity", **resolver.summary(entity)}
                chart.add_node(entity, **summary, cases_touched=len(resolver.cases_of(entity)))
            role = resolver.mentions[index].role
            data = chart.get_edge_data(node, entity)
            if data is None:
                chart.add_edge(node, entity, roles=(role,) if role else (), mentions=(index,))
            else:
                if role and role not in data["roles"]:
                    data["roles"] = (*data["roles"], role)
                data["mentions"] = (*data["mentions"], index)
    return chart


def entity_strength(attributes: Mapping[str, Any], *, settings: LinkSettings) -> float:
    """Strength of an entity by its kind and validity, before hub scaling."""
    kind = attributes["kind"]
    if kind == "person" and not attributes.get("verified"):
        kind = "person_unverified"
    elif kind == "company" and not attributes.get("verified"):
        kind = "company_name"
    strength = settings.strengths.get(kind, 0.5)
    if not attributes.get("valid", True):
        strength *= settings.invalid_factor
    return float(strength)


def hub_factor(cases_touched: int, *, settings: LinkSettings) -> float:
    """1 up to ``hub_soft`` cases, then ``hub_soft / n``, and 0 past ``hub_cap``."""
    if cases_touched > settings.hub_cap:
        return 0.0
    if cases_touched > settings.hub_soft:
        return settings.hub_soft / cases_touched
    return 1.0


def link_weight(graph: nx.Graph, entity: str, *, settings: LinkSettings) -> float:
    """How much an entity links any two of the cases it touches."""
    attributes = graph.nodes[entity]
    factor = hub_factor(graph.degree(entity), settings=settings)
    return entity_strength(attributes, settings=settings) * factor if factor else 0.0


def evidence_for(graph: nx.Graph, entity: str, *, settings: LinkSettings) -> Evidence:
    """The evidence an entity gives, with its strength, hub factor and weight."""
    attributes = graph.nodes[entity]
    touched = graph.degree(entity)
    strength = entity_strength(attributes, settings=settings)
    factor = hub_factor(touched, settings=settings)
    return Evidence(
        entity,
        attributes["kind"],
        attributes["label"],
        strength,
        factor,
        touched,
        strength * factor,
    )


def combine_weights(weights: Iterable[float]) -> float:
    """Combine link weights as independent evidence: ``1 - prod(1 - w)``."""
    remaining = 1.0
    for weight in sorted(weights):
        remaining *= 1.0 - weight
    return 1.0 - remaining


def hubs(graph: nx.Graph, *, settings: LinkSettings) -> list[tuple[str, int]]:
    """Entities touching more than ``hub_cap`` cases, most cases first."""
    found = [
        (node, graph.degree(node))
        for node, kind in graph.nodes(data="node_type")
        if kind == "entity" and graph.degree(node) > settings.hub_cap
    ]
    return sorted(found, key=lambda item: (-item[1], item[0]))


def pair_link(
    graph: nx.Graph, left: str, right: str, *, settings: LinkSettings
) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Weight and evidence ``((entity, weight), ...)`` linking two cases (case numbers)."""
    shared = set(graph[case_node(left)]) & set(graph[case_node(right)])
    evidence = []
    for entity in sorted(shared):
        weight = link_weight(graph, entity, settings=settings)
        if weight > 0:
            evidence.append((entity, weight))
    return combine_weights(weight for _entity, weight in evidence), tuple(evidence)


def project_cases(graph: nx.Graph, *, settings: LinkSettings) -> nx.Graph:
    """Project the link graph onto cases: an edge per pair sharing entities, with its weight.

    Edge attributes: ``weight`` (combined, 0-1) and ``evidence`` (``(entity, weight)`` pairs,
    sorted by entity). Hubs past ``hub_cap`` are skipped, so the work stays near-linear.
    """
    with paused_gc():
        return _project(graph, settings)


def _project(graph: nx.Graph, settings: LinkSettings) -> nx.Graph:
    projection = nx.Graph()
    projection.add_nodes_from(
        (data["case_no"], data)
        for _node, data in graph.nodes(data=True)
        if data["node_type"] == "case"
    )
    pairs: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for entity in sorted(node for node, kind in graph.nodes(data="node_type") if kind == "entity"):
        touched = graph.degree(entity)
        if touched < 2 or touched > settings.hub_cap:
            continue
        weight = link_weight(graph, entity, settings=settings)
        if weight <= 0:
            continue
        cases = sorted(node[len(CASE_PREFIX) :] for node in graph[entity])
        for pair in combinations(cases, 2):
            pairs.setdefault(pair, []).append((entity, weight))
    projection.add_edges_from(
        (
            left,
            right,
            {"weight": combine_weights(w for _e, w in evidence), "evidence": tuple(evidence)},
        )
        for (left, right), evidence in pairs.items()
    )
    return projection


def update_projection(
    graph: nx.Graph,
    projection: nx.Graph,
    case_groups: Iterable[Iterable[str]],
    *,
    settings: LinkSettings,
) -> set[str]:
    """Recompute the projection edges among each group of cases; return the cases changed.

    A group is the cases of an entity whose links changed (it gained a case, was merged, or
    crossed ``hub_cap``); the caller knows which, so the rest of the projection is untouched.
    """
    changed: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for group in case_groups:
        pairs.update(combinations(sorted(set(group)), 2))
    for left, right in sorted(pairs):
        weight, evidence = pair_link(graph, left, right, settings=settings)
        had = projection.get_edge_data(left, right)
        if not evidence:
            if had is not None:
                projection.remove_edge(left, right)
                changed.update((left, right))
            continue
        if had is None or had["evidence"] != evidence:
            projection.add_edge(left, right, weight=weight, evidence=evidence)
            changed.update((left, right))
    return changed


def cases_of(graph: nx.Graph, entity: str) -> list[str]:
    """Case numbers an entity touches."""
    return sorted(node[len(CASE_PREFIX) :] for node in graph[entity])
