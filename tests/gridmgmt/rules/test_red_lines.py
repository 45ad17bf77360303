from __future__ import annotations

import networkx as nx
import pytest
import shapely

from gridmgmt.domain import SchoolKind
from gridmgmt.rules.red_lines import red_line_violations, red_line_zones
from gridmgmt.rules.settings import DistanceMode, MeasureFrom, RedLineSettings, preset

from .conftest import LOCAL, ORIGIN, frame, points


def _rule(**kwargs: object) -> RedLineSettings:
    base: dict[str, object] = {
        "distance_m": {"kindergarten": 100.0, "primary": 200.0, "middle": 200.0},
        "measure_from": MeasureFrom.POINT,
        "mode": DistanceMode.STRAIGHT,
    }
    return RedLineSettings.model_validate(base | kwargs)


@pytest.fixture
def schools() -> object:
    # A kindergarten at the origin and a primary school 1 km east.
    return points([(0, 0), (1000, 0)], name=["K", "P"], kind=["幼儿园", "primary"])


def _as_dict(result: object, column: str = "distance_m") -> dict[tuple[str, str], float]:
    return {
        (row.licence_no, row.school): round(getattr(row, column), 3)
        for row in result.itertuples()  # type: ignore[attr-defined]
    }


def test_straight_from_points_uses_the_limit_of_each_kind(schools: object) -> None:
    # 3-4-5 triangles: r1 is 50 m from K; r2 is 150 m from K (outside its 100 m) and
    # 850 m from P; r3 is 150 m from P (inside its 200 m); r4 is 100 m from K exactly.
    retailers = points(
        [(30, 40), (90, 120), (1090, 120), (0, -100)], licence_no=["r1", "r2", "r3", "r4"]
    )
    result = red_line_violations(retailers, schools, rule=_rule(), crs=LOCAL)
    assert _as_dict(result) == {("r1", "K"): 50.0, ("r4", "K"): 100.0, ("r3", "P"): 150.0}
    assert list(result["distance_m"]) == sorted(result["distance_m"])
    assert set(result["measured_from"]) == {"point"}
    assert dict(zip(result["school"], result["limit_m"], strict=True)) == {"K": 100.0, "P": 200.0}
    assert result.crs.to_epsg() == 4326


def test_gates_replace_the_point_and_each_gate_counts(schools: object) -> None:
    # K has gates 300 m north and 300 m south of its point; P has none and falls back.
    gates = points([(0, 300), (0, -300)], school=["K", "K"])
    retailers = points([(0, 360), (0, -240), (0, 60), (1000, 190)], licence_no=list("abcd"))
    result = red_line_violations(
        retailers, schools, rule=_rule(measure_from=MeasureFrom.GATES), gates=gates, crs=LOCAL
    )
    assert _as_dict(result) == {("a", "K"): 60.0, ("b", "K"): 60.0, ("d", "P"): 190.0}
    assert dict(zip(result["licence_no"], result["measured_from"], strict=True)) == {
        "a": "gate",
        "b": "gate",
        "d": "point",
    }


def test_campus_is_measured_from_its_boundary_and_inside_is_zero() -> None:
    # A 200 m x 100 m campus; 50 m limit for middle schools.
    campus = shapely.box(0, 0, 200, 100)
    schools = frame([shapely.Point(100, 50)], name=["M"], kind=["middle"])
    schools["campus"] = frame([campus]).geometry.to_numpy()
    retailers = points([(100, 140), (250, 130), (100, 50), (100, 151)], licence_no=list("wxyz"))
    rule = _rule(distance_m={"middle": 50.0}, measure_from=MeasureFrom.CAMPUS)
    result = red_line_violations(retailers, schools, rule=rule, crs=LOCAL)
    # w: 40 m north of the top edge; x: (50, 30) from the corner = 58.3 m; y inside.
    assert _as_dict(result) == {("w", "M"): 40.0, ("y", "M"): 0.0}
    assert set(result["measured_from"]) == {"campus"}


def test_kinds_without_a_red_line_are_skipped(schools: object) -> None:
    retailers = points([(10, 0), (1010, 0)], licence_no=["near_k", "near_p"])
    rule = _rule(distance_m={"primary": 50.0})
    result = red_line_violations(retailers, schools, rule=rule, crs=LOCAL)
    assert list(result["licence_no"]) == ["near_p"]


def test_a_retailer_inside_two_red_lines_is_listed_for_both() -> None:
    schools = points([(0, 0), (300, 0)], name=["A", "B"], kind=["middle", "middle"])
    retailers = points([(150, 0)], licence_no=["mid"])
    result = red_line_violations(retailers, schools, rule=_rule(), crs=LOCAL)
    assert _as_dict(result) == {("mid", "A"): 150.0, ("mid", "B"): 150.0}


def _street_graph() -> nx.MultiDiGraph:
    """Two parallel east-west streets 100 m apart, joined only at x = 0 and x = 400."""
    graph = nx.MultiDiGraph()
    x0, y0 = ORIGIN
    for name, (x, y) in {
        "s0": (0, 0),
        "s4": (400, 0),
        "n0": (0, 100),
        "n4": (400, 100),
    }.items():
        graph.add_node(name, x=x0 + x, y=y0 + y)
    for u, v, length in [("s0", "s4", 400), ("n0", "n4", 400), ("s0", "n0", 100)]:
        graph.add_edge(u, v, length=length)
        graph.add_edge(v, u, length=length)
    graph.add_edge("n4", "s4", length=100)  # one-way north to south: walkers use it both ways
    return graph


def test_walk_goes_round_the_block_and_uses_edge_positions() -> None:
    # School gate on the south street at x = 300, 10 m off it. Retailers: "across" on the
    # north street opposite it: 110 m straight; 10 + 100 + 100 + 100 = 310 m walking east
    # (against the one-way link), 10 + 300 + 100 + 300 = 710 m west. "along" is 50 m east
    # on the south street, 5 m off it: 10 + 50 + 5 m without passing a node.
    schools = points([(300, -10)], name=["S"], kind=["primary"])
    retailers = points([(300, 100), (350, 5)], licence_no=["across", "along"])
    graph = _street_graph()
    rule = _rule(distance_m={"primary": 400.0}, mode=DistanceMode.WALK)
    result = red_line_violations(retailers, schools, rule=rule, graph=graph, crs=LOCAL)
    assert _as_dict(result) == {("across", "S"): 310.0, ("along", "S"): 65.0}
    assert set(result["mode"]) == {"walk"}
    tighter = _rule(distance_m={"primary": 300.0}, mode=DistanceMode.WALK)
    result = red_line_violations(retailers, schools, rule=tighter, graph=graph, crs=LOCAL)
    assert _as_dict(result) == {("along", "S"): 65.0}


def test_walk_mode_without_a_graph_is_refused(schools: object) -> None:
    with pytest.raises(ValueError, match="no road graph"):
        red_line_violations(
            points([(0, 0)], licence_no=["a"]), schools, rule=preset("default").red_line
        )


def test_gate_of_an_unknown_school_is_refused(schools: object) -> None:
    gates = points([(0, 0)], school=["nowhere"])
    with pytest.raises(ValueError, match="nowhere"):
        red_line_violations(
            points([(0, 0)], licence_no=["a"]),
            schools,
            rule=_rule(measure_from=MeasureFrom.GATES),
            gates=gates,
            crs=LOCAL,
        )


def test_zones_are_buffers_of_the_sources(schools: object) -> None:
    gates = points([(0, 300), (0, -300)], school=["K", "K"])
    zones = red_line_zones(
        schools, rule=_rule(measure_from=MeasureFrom.GATES), gates=gates, crs=LOCAL
    ).set_index("school")
    local = zones.to_crs(LOCAL)
    # Two disjoint 100 m discs for K, one 200 m disc for P (pi r^2 to within the 16-segment
    # approximation of a circle, 0.65%).
    assert local.loc["K", "geometry"].geom_type == "MultiPolygon"
    assert local.loc["K", "geometry"].area == pytest.approx(2 * 3.14159 * 100**2, rel=0.01)
    assert local.loc["P", "geometry"].area == pytest.approx(3.14159 * 200**2, rel=0.01)
    assert zones.loc["K", "measured_from"] == "gate"


def test_a_graph_in_degrees_is_refused(schools: object) -> None:
    graph = _street_graph()
    graph.graph["crs"] = "EPSG:4326"
    rule = _rule(mode=DistanceMode.WALK)
    with pytest.raises(ValueError, match="project it"):
        red_line_violations(
            points([(0, 0)], licence_no=["a"]), schools, rule=rule, graph=graph, crs=LOCAL
        )


@pytest.mark.parametrize("metres", [-1.0, float("nan"), float("inf"), 100_001.0, 1e308])
def test_a_red_line_distance_outside_0_to_100_km_is_refused(metres: float) -> None:
    """1e308 m reached the buffer and overflowed (found by schemathesis)."""
    with pytest.raises(ValueError, match="from 0 to 100000"):
        _rule(distance_m={"primary": metres})
    assert _rule(distance_m={"primary": 100_000.0}).limit(SchoolKind.PRIMARY) == 100_000.0
