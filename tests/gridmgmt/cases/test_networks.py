"""Networks, flags, merge suggestions, chains, hubs, communities and incremental updates."""

from __future__ import annotations

import json
from collections.abc import Sequence

import networkx as nx
import pytest
from networkx.generators.community import LFR_benchmark_graph

from gridmgmt.cases.graph import LinkSettings
from gridmgmt.cases.model import Case, CaseType, EntityKind, Mention
from gridmgmt.cases.networks import (
    CaseLinkIndex,
    NetworkCaseRules,
    NetworkSettings,
    split_component,
)
from gridmgmt.cases.resolution import ResolutionSettings, pair_precision_recall
from gridmgmt.cases.synthetic import DEMO_COUNTIES, generate_case_set

from .builders import (
    address,
    by_case,
    case,
    clique_network,
    id_number,
    linked,
    partition_of,
    person,
    phone,
)

ZHANG = id_number("15092419850312123")
FUJIAN = id_number("35058319800101321")
RESOLUTION = ResolutionSettings(counties=DEMO_COUNTIES)


def index_of(
    cases: Sequence[Case],
    mentions: Sequence[Mention],
    *,
    link_settings: LinkSettings | None = None,
    network_settings: NetworkSettings | None = None,
) -> CaseLinkIndex:
    return CaseLinkIndex.build(
        cases,
        mentions,
        resolution_settings=RESOLUTION,
        link_settings=link_settings,
        network_settings=network_settings,
    )


SMALL_CASES = [
    case("A", "150924", day=3),
    case("B", "140222", day=1, kind=CaseType.COURIER_SHIPMENT),
    case("C", "130728", day=5),
    case("D", "150924", day=9, kind=CaseType.UNLICENSED_SALE),
    case("E", "150924", day=2),
]
SMALL_MENTIONS = [
    phone("A", "13947461234", role="司机"),
    phone("B", "+86 139 4746 1234", role="司机"),
    address("B", "天镇县玉泉镇幸福路12号"),
    address("C", "天镇县玉泉镇幸福路12号"),
    person("C", "张伟", ZHANG, role="供货人"),
    person("D", "张玮", ZHANG[:6] + ZHANG[8:17], role="收件人"),
    phone("D", "1394746123"),
    phone("E", "139 4746 123"),
]


def test_networks_follow_strong_links_only() -> None:
    index = index_of(SMALL_CASES, SMALL_MENTIONS)
    assert partition_of(index.network_groups()) == {frozenset("AB"), frozenset("CD")}
    assert index.network_of("E") is None  # tied to D by an invalid phone only (weak)
    assert index.network_of("A") == index.network_of("B")


def test_network_flags_counties_provinces_and_stages() -> None:
    index = index_of(SMALL_CASES, SMALL_MENTIONS)
    first = index.network_of("A")
    assert first is not None
    assert first.cases == ("A", "B")
    assert first.counties == ("140222", "150924")
    assert first.provinces == ("14", "15")
    assert first.cross_province is True
    assert first.stages == ("source", "transport")  # counterfeit type, 司机 role, courier type
    assert first.network_case is True
    assert any("counties" in reason for reason in first.network_case_reasons)
    assert (first.first_opened.day, first.last_opened.day) == (1, 3)
    second = index.network_of("C")
    assert second is not None
    assert second.stages == ("sale", "source")
    as_json = json.loads(json.dumps(second.as_dict()))
    assert as_json["cases"] == ["C", "D"]
    assert as_json["cross_province"] is True
    assert as_json["network_case"] is True


def test_network_case_rules_are_settings() -> None:
    strict = NetworkSettings(
        rules=NetworkCaseRules(min_cases=3, min_counties=None, min_stages=None)
    )
    index = index_of(SMALL_CASES, SMALL_MENTIONS, network_settings=strict)
    assert not any(network.network_case for network in index.networks())
    by_value = NetworkSettings(rules=NetworkCaseRules(None, None, None, min_value_yuan=1500))
    flagged = index_of(SMALL_CASES, SMALL_MENTIONS, network_settings=by_value).networks()
    assert all(network.network_case for network in flagged)
    assert "value" in flagged[0].network_case_reasons[0]


def test_phone_home_region_and_id_region_are_cross_province_signals() -> None:
    cases = [case("T1", "140222"), case("T2", "140221")]
    mentions = [
        *linked(EntityKind.PHONE, "13947461234", ["T1", "T2"]),  # an Ulanqab (Inner Mongolia) phone
        person("T1", "陈明", FUJIAN, role="供货人"),
        person("T2", "陈明", FUJIAN, role="供货人"),
    ]
    network = index_of(cases, mentions).network_of("T1")
    assert network is not None
    assert network.cross_province is False  # both cases are in Shanxi
    assert network.signal_provinces == ("15", "35")
    assert any("phone home region 内蒙古自治区" in s for s in network.cross_province_signals)
    assert any("ID number region 福建省" in s for s in network.cross_province_signals)


# --- hubs ------------------------------------------------------------------------------------


def hub_scenario() -> tuple[list[Case], list[Mention]]:
    """Two small networks in different provinces and a depot phone in 150 cases."""
    first_cases, first_mentions = clique_network("N", 4, "150924", "13947461234")
    second_cases, second_mentions = clique_network("M", 3, "130728", "15030311234")
    loose = [case(f"X{i:03d}", "140222", day=i % 300 + 1) for i in range(143)]
    cases = first_cases + second_cases + loose
    depot = linked(EntityKind.PHONE, "0474-6201234", [c.case_no for c in cases], role="快递网点")
    return cases, first_mentions + second_mentions + depot


def test_a_hub_does_not_glue_unrelated_networks() -> None:
    cases, mentions = hub_scenario()
    index = index_of(cases, mentions)
    assert partition_of(index.network_groups()) == {
        frozenset({"N0", "N1", "N2", "N3"}),
        frozenset({"M0", "M1", "M2"}),
    }
    assert index.graph.degree("phone:+864746201234") == 150


def test_without_capping_the_same_hub_makes_one_network() -> None:
    cases, mentions = hub_scenario()
    uncapped = LinkSettings(hub_soft=10**6, hub_cap=10**6)
    groups = index_of(cases, mentions, link_settings=uncapped).network_groups()
    assert len(groups) == 1
    assert len(groups[0]) == 150


# --- community detection ---------------------------------------------------------------------


def weighted(graph: nx.Graph) -> nx.Graph:
    graph = nx.relabel_nodes(graph, {n: f"{n:04d}" for n in graph.nodes})
    nx.set_edge_attributes(graph, 1.0, "weight")
    return graph


@pytest.mark.parametrize(("cliques", "size"), [(30, 4), (24, 5), (50, 3)])
def test_ring_of_small_cliques_is_not_swallowed(cliques: int, size: int) -> None:
    graph = weighted(nx.ring_of_cliques(cliques, size))
    default = nx.community.louvain_communities(graph, weight="weight", seed=1)
    assert len(default) < cliques  # plain Louvain merges neighbouring cliques
    found = split_component(graph, settings=NetworkSettings())
    expected = {frozenset(f"{i * size + j:04d}" for j in range(size)) for i in range(cliques)}
    assert set(found) == expected


@pytest.mark.parametrize("seed", [0, 2, 3, 4, 6, 8])
def test_lfr_benchmark_communities_are_recovered(seed: int) -> None:
    lfr = LFR_benchmark_graph(
        250, 3, 1.5, 0.1, average_degree=5, min_community=10, max_community=40, seed=seed
    )
    truth = {f"{n:04d}": min(lfr.nodes[n]["community"]) for n in lfr.nodes}
    graph = weighted(nx.Graph(lfr.edges))
    found = split_component(graph, settings=NetworkSettings(split_min_cases=2))
    label = {node: index for index, community in enumerate(found) for node in community}
    nodes = sorted(graph.nodes)
    precision, recall = pair_precision_recall([label[n] for n in nodes], [truth[n] for n in nodes])
    assert precision >= 0.95
    assert recall >= 0.9
    assert len(found) >= len(set(truth.values()))  # no true community swallowed whole


def glued_planted_networks(seed: int) -> tuple[list[Case], list[Mention], dict[str, str]]:
    """A synthetic set whose planted networks are chained in a ring by one shared phone each."""
    data = generate_case_set(n_cases=200, n_networks=12, network_size=(4, 10), n_hubs=0, seed=seed)
    planted = data.planted_networks()
    bridges = []
    for index, network in enumerate(planted):
        neighbour = planted[(index + 1) % len(planted)]
        bridges += linked(
            EntityKind.PHONE, f"1390{index:03d}0000", [min(network), max(neighbour)], role="联系人"
        )
    return data.cases, data.mentions + bridges, data.network_truth


def test_planted_networks_glued_by_bridges_are_cut_apart() -> None:
    scores = []
    for seed in range(4):
        cases, mentions, truth = glued_planted_networks(seed)
        never_split = NetworkSettings(split_min_cases=10**6)
        glued = index_of(cases, mentions, network_settings=never_split).network_groups()
        assert max(map(len, glued)) > 50  # the bridges make one big strong part
        found = {
            c: i
            for i, group in enumerate(index_of(cases, mentions).network_groups())
            for c in group
        }
        planted = sorted(truth)
        scores.append(
            pair_precision_recall([found.get(c, c) for c in planted], [truth[c] for c in planted])
        )
    precisions, recalls = zip(*scores, strict=True)
    assert sum(precisions) / len(scores) >= 0.95
    assert sum(recalls) / len(scores) >= 0.95
    assert min(precisions) >= 0.85
    assert min(recalls) >= 0.85


def test_small_dense_parts_are_never_split() -> None:
    graph = weighted(nx.barbell_graph(4, 0))
    assert split_component(graph, settings=NetworkSettings()) == [frozenset(graph.nodes)]


# --- merge suggestions, chains, timelines, centrality ---------------------------------------


def test_merge_suggestions_are_ranked_with_evidence() -> None:
    index = index_of(SMALL_CASES, SMALL_MENTIONS)
    suggestions = index.suggest_merges(min_score=0.5)
    assert [s.cases for s in suggestions] == [("C", "D"), ("A", "B")]
    top = suggestions[0]
    assert top.level == "pair"
    assert top.score == pytest.approx(1.0)
    assert top.evidence[0].kind == "person"
    assert top.evidence[0].cases_touched == 2
    assert [s.cases for s in index.suggest_merges(min_score=0.5, exclude=[{"C", "D"}])] == [
        ("A", "B")
    ]
    assert index.suggest_merges(min_score=0.3, limit=None)[-1].cases in {("B", "C"), ("D", "E")}


def test_merge_suggestions_for_a_network_as_a_group() -> None:
    cases, mentions = clique_network("N", 4, "150924", "13947461234")
    suggestions = index_of(cases, mentions).suggest_merges()
    groups = [s for s in suggestions if s.level == "network"]
    assert len(groups) == 1
    assert groups[0].cases == ("N0", "N1", "N2", "N3")
    assert groups[0].evidence[0].entity_id == "phone:+8613947461234"


def chain_cases() -> tuple[list[Case], list[Mention]]:
    cases = [
        case("X1", day=1),
        case("X2", "140222", day=2),
        case("X3", "130728", day=3),
        case("X4", day=4),
    ]
    mentions = [
        phone("X1", "13947461234"),
        phone("X2", "13947461234"),
        person("X2", "张伟", ZHANG),
        person("X3", "张伟", ZHANG),
        address("X1", "兴和县城关镇幸福路12号"),
        address("X3", "兴和县城关镇幸福路12号"),
    ]
    return cases, mentions


def test_shortest_chain_prefers_strong_links_and_names_them() -> None:
    index = index_of(*chain_cases())
    chain = index.shortest_chain("X1", "X3")
    assert chain is not None
    assert chain.cases == ("X1", "X2", "X3")  # 1/0.8 + 1/1.0 beats the direct address (1/0.4)
    assert [link.kind for link in chain.links] == ["phone", "person"]
    assert chain.links[1].label == f"张伟 ({ZHANG})"
    assert chain.cost == pytest.approx(2.25)
    assert index.shortest_chain("X1", "X4") is None
    with pytest.raises(KeyError, match="X9"):
        index.shortest_chain("X1", "X9")


def test_chains_do_not_run_through_hubs() -> None:
    cases, mentions = hub_scenario()
    index = index_of(cases, mentions)
    assert index.shortest_chain("N0", "M0") is None


def test_timeline_and_central_entities() -> None:
    cases, mentions = chain_cases()
    cases.append(case("X5", day=10))
    mentions += [
        person("X5", "张伟", ZHANG),
        phone("X5", "15030311234"),
        phone("X3", "15030311234"),
    ]
    index = index_of(cases, mentions)
    network = index.network_of("X1")
    assert network is not None
    timeline = index.timeline(network.network_id)
    assert [entry.case_no for entry in timeline] == ["X1", "X2", "X3", "X5"]
    assert timeline[0].linked_to_earlier == ()
    assert timeline[1].linked_to_earlier == ("+8613947461234",)
    assert f"张伟 ({ZHANG})" in timeline[2].linked_to_earlier
    central = index.central_entities(network.network_id)
    assert central[0].entity_id == f"person:{ZHANG}"
    assert central[0].cases == 3
    assert {c.kind for c in central} == {"person", "phone"}
    with pytest.raises(KeyError):
        index.timeline("N-none")


# --- incremental -------------------------------------------------------------------------------


def test_incremental_update_equals_full_rebuild() -> None:
    data = generate_case_set(
        n_cases=260, n_networks=12, network_size=(3, 8), n_hubs=2, hub_cases=(8, 14), seed=11
    )
    links = LinkSettings(hub_soft=4, hub_cap=10)  # hubs cross the cap while cases arrive
    grouped = by_case(data.mentions)
    ordered = [m for c in data.cases for m in grouped.get(c.case_no, [])]
    full = CaseLinkIndex.build(
        data.cases, ordered, resolution_settings=RESOLUTION, link_settings=links
    )
    first = data.cases[:150]
    index = CaseLinkIndex.build(
        first,
        [m for c in first for m in grouped.get(c.case_no, [])],
        resolution_settings=RESOLUTION,
        link_settings=links,
    )
    touched: set[str] = set()
    for new_case in data.cases[150:]:
        touched |= index.add_case(new_case, grouped.get(new_case.case_no, []))
    assert touched
    assert partition_of(index.network_groups()) == partition_of(full.network_groups())
    assert set(index.graph.nodes) == set(full.graph.nodes)
    assert set(map(frozenset, index.projection.edges)) == set(map(frozenset, full.projection.edges))
    for u, v, weight in full.projection.edges(data="weight"):
        assert index.projection[u][v]["weight"] == pytest.approx(weight)
    assert index.resolver.entity_ids() == full.resolver.entity_ids()
    assert [n.as_dict() for n in index.networks()] == [n.as_dict() for n in full.networks()]


def test_adding_a_case_reports_the_networks_it_changed() -> None:
    cases, mentions = clique_network("N", 3, "150924", "13947461234")
    index = index_of(cases, mentions)
    changed = index.add_case(case("N9", "140222"), [phone("N9", "+86 13947461234")])
    assert changed == {"N-N0"}
    assert index.network("N-N0").cases == ("N0", "N1", "N2", "N9")
    assert index.add_case(case("Z1"), [phone("Z1", "13800001111")]) == set()
    with pytest.raises(ValueError, match="already"):
        index.add_case(case("Z1"), [])
    with pytest.raises(ValueError, match="other cases"):
        index.add_case(case("Z2"), [phone("Z3", "13800001111")])
