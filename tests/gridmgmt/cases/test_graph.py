"""The link graph and the case projection on small hand-made case sets."""

from __future__ import annotations

import networkx as nx
import pytest

from gridmgmt.cases.graph import (
    LinkSettings,
    build_case_graph,
    case_node,
    combine_weights,
    hub_factor,
    hubs,
    link_chart,
    link_weight,
    pair_link,
    project_cases,
    update_projection,
)
from gridmgmt.cases.model import EntityKind, Mention
from gridmgmt.cases.resolution import EntityResolver, ResolutionSettings, resolve_entities
from gridmgmt.cases.synthetic import DEMO_COUNTIES

from .builders import address, case, id_number, linked, person, phone

ZHANG = id_number("15092419850312123")
CASES = [case("A"), case("B", "140222"), case("C", "130728"), case("D"), case("E")]
MENTIONS = [
    phone("A", "13947461234", role="司机"),
    phone("B", "+86 139 4746 1234", role="司机"),
    address("B", "天镇县玉泉镇幸福路12号"),
    address("C", "山西省大同市天镇县玉泉镇幸福路12号"),
    person("C", "张伟", ZHANG, role="供货人"),
    person("D", "张玮", ZHANG[:6] + ZHANG[8:17], role="供货人"),
    phone("D", "1394746123"),
    phone("E", "139 4746 123"),
    phone("E", "13800001111"),
]


def build(
    mentions: list[Mention] = MENTIONS, settings: LinkSettings | None = None
) -> tuple[EntityResolver, nx.Graph, nx.Graph]:
    cases = (
        CASES
        if mentions is MENTIONS
        else sorted({case(m.case_no) for m in mentions}, key=lambda c: c.case_no)
    )
    counties = {c.case_no: c.county_code for c in cases}
    resolver = resolve_entities(
        mentions, counties, settings=ResolutionSettings(counties=DEMO_COUNTIES)
    )
    graph = build_case_graph(cases, resolver)
    return resolver, graph, project_cases(graph, settings=settings or LinkSettings())


def test_link_graph_has_cases_and_linking_entities() -> None:
    resolver, graph, _projection = build()
    entities = {n for n, kind in graph.nodes(data="node_type") if kind == "entity"}
    assert entities == {
        "phone:+8613947461234",
        "address:140222:玉泉镇幸福路12号",
        f"person:{ZHANG}",
        "phone:!+861394746123",
    }
    assert all(graph.has_node(case_node(c.case_no)) for c in CASES)
    assert graph.nodes[case_node("C")]["roles"] == ("供货人",)
    person_node = graph.nodes[f"person:{ZHANG}"]
    assert person_node["label"] == f"张伟 ({ZHANG})" or person_node["label"] == f"张玮 ({ZHANG})"
    assert person_node["verified"] is True
    edge = graph.edges[case_node("D"), f"person:{ZHANG}"]
    assert edge["roles"] == ("供货人",)
    assert resolver.mentions[edge["mentions"][0]].name == "张玮"
    assert resolver.cases_of("phone:+8613800001111") == [
        "E"
    ]  # single-case entity: kept, not linked


def test_projection_weights_by_identifier_strength() -> None:
    _resolver, _graph, projection = build()
    assert projection["A"]["B"]["weight"] == pytest.approx(0.8)  # one phone
    assert projection["B"]["C"]["weight"] == pytest.approx(0.4)  # one address
    assert projection["C"]["D"]["weight"] == pytest.approx(1.0)  # one verified person
    assert projection["D"]["E"]["weight"] == pytest.approx(0.4)  # invalid phone: 0.8 x 0.5
    assert not projection.has_edge("A", "C")
    assert projection["A"]["B"]["evidence"] == (("phone:+8613947461234", pytest.approx(0.8)),)


def test_several_shared_entities_combine_as_independent_evidence() -> None:
    mentions = [
        phone("A", "13947461234"),
        phone("B", "13947461234"),
        address("A", "兴和县城关镇幸福路1号"),
        address("B", "兴和县城关镇幸福路1号"),
    ]
    _resolver, graph, projection = build(mentions)
    assert projection["A"]["B"]["weight"] == pytest.approx(1 - 0.2 * 0.6)
    assert pair_link(graph, "A", "B", settings=LinkSettings())[0] == pytest.approx(0.88)
    assert combine_weights([]) == 0.0
    assert combine_weights([1.0, 0.3]) == 1.0


def test_hub_down_weighting_and_cap() -> None:
    settings = LinkSettings(hub_soft=4, hub_cap=8)
    assert hub_factor(4, settings=settings) == 1.0
    assert hub_factor(6, settings=settings) == pytest.approx(4 / 6)
    assert hub_factor(9, settings=settings) == 0.0
    mentions = linked(
        EntityKind.PHONE, "0474-6201234", [f"H{i}" for i in range(9)], role="快递网点"
    )
    mentions += linked(EntityKind.PHONE, "13947461234", ["H0", "H1"])
    _resolver, graph, projection = build(mentions, settings)
    assert link_weight(graph, "phone:+864746201234", settings=settings) == 0.0
    assert hubs(graph, settings=settings) == [("phone:+864746201234", 9)]
    assert projection.number_of_edges() == 1  # only H0-H1, through their own phone
    assert projection["H0"]["H1"]["weight"] == pytest.approx(0.8)


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="hub_soft"):
        LinkSettings(hub_soft=10, hub_cap=5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LinkSettings(strengths={"phone": 1.5})


def test_update_projection_matches_a_fresh_projection() -> None:
    _resolver, graph, projection = build()
    settings = LinkSettings()
    graph.add_edge(case_node("E"), "phone:+8613947461234", roles=(), mentions=())
    changed = update_projection(graph, projection, [["A", "B", "E"]], settings=settings)
    assert changed == {"A", "B", "E"}
    fresh = project_cases(graph, settings=settings)
    assert {tuple(sorted(e)) for e in projection.edges} == {tuple(sorted(e)) for e in fresh.edges}
    for u, v, weight in fresh.edges(data="weight"):
        assert projection[u][v]["weight"] == pytest.approx(weight)


def test_link_chart_shows_every_entity_of_the_cases() -> None:
    resolver, graph, _projection = build()
    chart = link_chart(graph, resolver, ["D", "E"])
    entities = {n for n, kind in chart.nodes(data="node_type") if kind == "entity"}
    assert entities == {f"person:{ZHANG}", "phone:!+861394746123", "phone:+8613800001111"}
    assert chart.nodes["phone:+8613800001111"]["cases_touched"] == 1
    assert chart.nodes[f"person:{ZHANG}"]["cases_touched"] == 2
    assert chart.edges[case_node("D"), f"person:{ZHANG}"]["roles"] == ("供货人",)
    assert resolver.mentions_of_case("E") == [7, 8]
    with pytest.raises(KeyError, match="Z"):
        link_chart(graph, resolver, ["Z"])
