from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
import shapely

from gridmgmt.crs import from_wgs84
from gridmgmt.rules.licence_check import LicenceChecker, check_licence
from gridmgmt.rules.settings import SpacingSettings, preset

from .conftest import LOCAL, ORIGIN, frame, points

A, B, C = "420101", "420102", "430101"


@pytest.fixture
def counties() -> gpd.GeoDataFrame:
    return frame(
        [
            shapely.box(0, 0, 10_000, 10_000),
            shapely.box(10_000, 0, 20_000, 10_000),
            shapely.box(0, 10_000, 20_000, 20_000),
        ],
        code=[A, B, C],
        name=["甲县", "乙县", "丙县"],
        province_code=["42", "42", "43"],
    )


@pytest.fixture
def checker(counties: gpd.GeoDataFrame) -> LicenceChecker:
    # Wuhan rule: 50 m from the gates, straight line. Spacing: 100 m everywhere (village).
    settings = preset("wuhan").model_copy(update={"spacing": SpacingSettings(density=None)})
    schools = points([(5000, 5000)], name=["实验小学"], kind=["primary"])
    gates = points([(5000, 5040)], school=["实验小学"])
    retailers = points(
        [(6000, 6000), (6000, 6010)],
        licence_no=["420101000001", "420101000002"],
        status=["active", "closed"],
    )
    grids = frame(
        [shapely.box(0, 0, 5000, 10_000), shapely.box(5000, 0, 10_000, 10_000)],
        grid_id=["G1", "G2"],
    )
    return LicenceChecker(
        retailers, schools, counties, grids, settings=settings, gates=gates, crs=LOCAL
    )


def _lonlat(x: float, y: float) -> tuple[float, float]:
    point = points([(x, y)]).geometry.iloc[0]
    return point.x, point.y


def _codes(result: object) -> list[str]:
    return [r.code for r in result.reasons]  # type: ignore[attr-defined]


def test_inside_a_red_line_is_refused_with_the_school_and_distance(
    checker: LicenceChecker,
) -> None:
    result = checker.check(*_lonlat(5020, 5060))  # (20, 20) from the gate: 28.28 m
    assert not result.allowed
    (red,) = [r for r in result.reasons if r.code == "red_line"]
    assert red.blocking
    assert red.detail["school"] == "实验小学"
    assert red.detail["distance_m"] == pytest.approx(28.284, abs=1e-3)
    assert (red.detail["limit_m"], red.detail["measured_from"]) == (50.0, "gate")
    assert "小学" in red.message
    assert (result.county_code, result.grid_id) == (A, "G2")


def test_too_close_to_a_licensed_retailer_is_refused(checker: LicenceChecker) -> None:
    result = checker.check(*_lonlat(6030, 6040))  # 50 m from 000001; 000002 is closed
    assert not result.allowed
    spacing = [r for r in result.reasons if r.code == "spacing"]
    assert [r.detail["licence_no"] for r in spacing] == ["420101000001"]
    assert spacing[0].detail["distance_m"] == pytest.approx(50, abs=1e-3)
    assert spacing[0].detail["required_m"] == 100


def test_a_clear_point_is_allowed_with_its_county_and_grid(checker: LicenceChecker) -> None:
    result = checker.check(*_lonlat(3000, 3000))
    assert result.allowed
    assert _codes(result) == ["county", "grid", "area_type"]
    assert (result.county_code, result.grid_id, result.area_type) == (A, "G1", "village")
    assert "甲县" in result.reasons[0].message


def test_border_market_zone_is_reported_but_not_blocking(checker: LicenceChecker) -> None:
    result = checker.check(*_lonlat(9500, 3000))
    assert result.allowed
    (border,) = [r for r in result.reasons if r.code == "border_market"]
    assert border.detail["neighbour"] == B
    assert border.detail["distance_m"] == pytest.approx(500, abs=1e-3)
    near_province = checker.check(*_lonlat(5000, 8000))  # 2 km from C, another province
    assert {"border_market", "province_border_market"} <= set(_codes(near_province))


def test_outside_every_county_is_refused(checker: LicenceChecker) -> None:
    result = checker.check(*_lonlat(25_000, 5000))
    assert not result.allowed
    assert result.reasons[0].code == "outside_counties"
    assert result.county_code is None


def test_gcj02_input_is_converted_before_checking(checker: LicenceChecker) -> None:
    lon, lat = _lonlat(5020, 5060)
    glon, glat = (float(c) for c in from_wgs84(lon, lat, "gcj02"))
    result = checker.check(glon, glat, source_crs="gcj02")
    assert (result.lon, result.lat) == pytest.approx((lon, lat), abs=1e-8)
    assert not result.allowed


def test_walk_mode_measures_along_the_streets(counties: gpd.GeoDataFrame) -> None:
    # Default preset: 80 m shortest walk from the school point (no gates, no campus). One
    # street along y = 0 and a cul-de-sac north at x = 100: a shop at (100, 50) is 71 m
    # from the school at (50, 0) in a straight line but 50 + 50 = 100 m on foot.
    graph = nx.Graph()
    x0, y0 = ORIGIN
    graph.add_node("w", x=x0 - 500, y=y0)
    graph.add_node("e", x=x0 + 500, y=y0)
    graph.add_node("j", x=x0 + 100, y=y0)
    graph.add_node("n", x=x0 + 100, y=y0 + 200)
    graph.add_edge("w", "j", length=600)
    graph.add_edge("j", "e", length=400)
    graph.add_edge("j", "n", length=200)
    schools = points([(50, 0)], name=["幼儿园一"], kind=["kindergarten"])
    retailers = points([(3000, 3000)], licence_no=["far"])
    settings = preset("default")
    far = check_licence(
        _lonlat(100, 50),
        retailers=retailers,
        schools=schools,
        counties=counties,
        settings=settings,
        graph=graph,
        crs=LOCAL,
    )
    assert "red_line" not in _codes(far)
    near = check_licence(
        shapely.Point(*_lonlat(60, 20)),
        retailers=retailers,
        schools=schools,
        counties=counties,
        settings=settings,
        graph=graph,
        crs=LOCAL,
    )
    (red,) = [r for r in near.reasons if r.code == "red_line"]
    assert red.detail["distance_m"] == pytest.approx(30, abs=1e-3)  # 10 along, 20 off
    assert red.detail["mode"] == "walk"


@pytest.mark.parametrize(("lon", "lat"), [(-155.0, 0.0), (-150.0, -1e-93)])
def test_a_point_beyond_the_metric_projection_is_refused_as_outside(
    checker: LicenceChecker, lon: float, lat: float
) -> None:
    """A valid WGS-84 point that the local projection sends to infinity is simply outside.

    (EPSG:4547, CM 114E, has no finite coordinate for the equator near 155W; found by
    schemathesis as a 500.)
    """
    result = checker.check(lon, lat)
    assert not result.allowed
    assert [r.code for r in result.reasons] == ["outside_counties"]
    assert (result.county_code, result.area_type) == (None, None)
