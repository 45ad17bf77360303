"""Rule checks through the services, on both backends: red lines, spacing, licence checks,
border markets, outflow, checkpoint coverage and per-county settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.domain import SchoolKind, UserRole
from gridmgmt.errors import AccessDeniedError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.rules import (
    LicenceAnswer,
    border_markets_report,
    check_licence,
    checkpoint_coverage,
    get_rule_settings,
    outflow_report,
    red_lines,
    set_rule_settings,
    spacing,
)
from gridmgmt.services.rules._common import NO_ROADS_NOTE
from gridmgmt.services.rules.settings import read_settings_file
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry

from .rules_world import (
    A_BORDER,
    A_KEY,
    A_NEAR,
    A_RED,
    B_BORDER,
    B_RED,
    OUTFLOW,
    A,
    B,
    lonlat,
    seed_world,
    write_roads,
)

ALICE = Actor("alice", UserRole.OFFICER, frozenset({A}))
ADMIN_A = Actor("root_a", UserRole.ADMIN, frozenset({A}))


@pytest.fixture
def url(store_url: str) -> str:
    seed_world(store_url)
    return store_url


@pytest.fixture
def roads(tmp_path: Path) -> Path:
    return write_roads(tmp_path / "roads.osm")


def test_red_lines_straight_line_when_no_roads_are_given(url: str) -> None:
    with db.transaction(url) as session:
        found = red_lines(session, SYSTEM)
    rows = {r.licence_no: r for r in found.violations.itertuples()}
    # The default preset walks; without roads it measures straight lines and says so.
    assert found.notes == [NO_ROADS_NOTE]
    assert set(rows) == {A_RED, B_RED}  # A_CLOSED is inside too, but closed
    assert rows[A_RED].school == "城关第一小学"
    assert rows[A_RED].distance_m == pytest.approx(40.0, abs=0.01)
    assert rows[B_RED].distance_m == pytest.approx(30.0, abs=0.01)
    assert rows[A_RED].limit_m == 80.0
    assert len(found.zones) == 2


def test_red_lines_metres_and_county_scope(url: str) -> None:
    with db.transaction(url) as session:
        wide = red_lines(session, ALICE, metres=120)
        with pytest.raises(NotFoundError):
            red_lines(session, ALICE, county=B)
    distances = dict(zip(wide.violations["licence_no"], wide.violations["distance_m"], strict=True))
    assert distances.keys() == {A_RED, A_NEAR}
    assert distances[A_NEAR] == pytest.approx(110.0, abs=0.01)


def test_red_lines_walk_along_the_road_network(url: str, roads: Path) -> None:
    with db.transaction(url) as session:
        found = red_lines(session, SYSTEM, roads=roads)
        stored = red_lines(session, SYSTEM)  # no stored road file yet: straight again
    # Both A_RED and S1 reach the street at y = 10100: 100 m + 60 m, beyond 80 m.
    assert found.notes == []
    assert len(found.violations) == 0
    assert len(stored.violations) == 2


def test_stored_road_file_is_used_when_none_is_given(url: str, roads: Path) -> None:
    with db.transaction(url) as session:
        set_rule_settings(session, SYSTEM, A, preset_name="default", roads_file=roads)
        found = red_lines(session, SYSTEM, county=A)
    assert found.notes == []
    assert len(found.violations) == 0


def test_spacing_breach_with_distance_and_minimum(url: str) -> None:
    with db.transaction(url) as session:
        found = spacing(session, SYSTEM)
    assert len(found.breaches) == 1
    row = found.breaches.iloc[0]
    assert {row["licence_no_a"], row["licence_no_b"]} == {A_RED, A_NEAR}
    assert row["distance_m"] == pytest.approx(70.0, abs=0.01)
    assert row["required_m"] == 100.0  # village: few retailers around
    assert row["geometry"].geom_type == "LineString"


def _check(session: Session, x: float, y: float) -> LicenceAnswer:
    lon, lat = lonlat(x, y)
    return check_licence(session, ALICE, lon=lon, lat=lat)


def test_licence_check_gives_every_reason(url: str) -> None:
    with db.transaction(url) as session:
        near_school = _check(session, -10_000, 10_050)
        free = _check(session, -5_000, 15_000)
        border = _check(session, -300, 12_000)
        audits = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "rules.check_licence")
        ).all()
    blocking = {r.code for r in near_school.reasons if r.blocking}
    assert not near_school.allowed
    assert blocking == {"red_line", "spacing"}
    red = next(r for r in near_school.reasons if r.code == "red_line")
    assert red.detail["distance_m"] == pytest.approx(10.0, abs=0.01)
    close = next(r for r in near_school.reasons if r.code == "spacing")
    assert close.detail["licence_no"] == A_RED
    assert free.allowed
    assert free.county_code == A
    assert free.area_type == "village"
    assert border.allowed
    assert {r.code for r in border.reasons} >= {"border_market", "province_border_market"}
    assert len(audits) == 3


def test_licence_check_outside_the_actors_counties_is_refused(url: str) -> None:
    lon, lat = lonlat(5_000, 15_000)  # in county B
    with db.transaction(url) as session:
        answer = check_licence(session, ALICE, lon=lon, lat=lat)
        as_b = check_licence(session, SYSTEM, lon=lon, lat=lat)
    assert not answer.allowed
    assert [r.code for r in answer.reasons if r.blocking] == ["outside_counties"]
    assert answer.county_code is None
    assert as_b.allowed
    assert as_b.county_code == B


def test_licence_check_converts_gcj02(url: str) -> None:
    from gridmgmt.crs import from_wgs84

    lon, lat = (float(v) for v in from_wgs84(*lonlat(-10_000, 10_050), "gcj02"))
    with db.transaction(url) as session:
        answer = check_licence(session, ALICE, lon=lon, lat=lat, crs="gcj02")
        with pytest.raises(ValueError, match="gcj02"):
            check_licence(session, ALICE, lon=lon, lat=lat, crs="mars")
    assert answer.lon == pytest.approx(lonlat(-10_000, 10_050)[0], abs=1e-5)
    assert not answer.allowed


def test_border_markets_near_the_province_border(url: str) -> None:
    with db.transaction(url) as session:
        both = border_markets_report(session, SYSTEM)
        mine = border_markets_report(session, ALICE)
    assert set(both.retailers["licence_no"]) == {A_BORDER, B_BORDER}
    assert list(mine.retailers["licence_no"]) == [A_BORDER]
    row = mine.retailers.iloc[0]
    assert row["county_border_m"] == pytest.approx(500.0, abs=0.5)
    assert row["neighbour"] == B
    assert bool(row["near_province_border"])
    assert mine.neighbours.to_dict("records") == [
        {"county_code": A, "neighbour": B, "kind": "province", "county_band": 1, "province_band": 1}
    ]
    assert set(mine.bands["kind"]) == {"county", "province"}


def test_outflow_suspect_is_found_among_comparable_retailers(url: str) -> None:
    with db.transaction(url) as session:
        found = outflow_report(session, SYSTEM)
        none_for_b = outflow_report(session, SYSTEM, county=B)
    assert list(found.suspects["licence_no"]) == [OUTFLOW]
    assert found.suspects.iloc[0]["ratio"] == pytest.approx(8.0, rel=0.01)
    assert "80 cartons" in found.suspects.iloc[0]["reasons"]
    assert len(none_for_b.suspects) == 0
    assert none_for_b.notes == ["no orders in scope"]


def test_checkpoint_coverage_and_suggested_site(url: str, roads: Path) -> None:
    with db.transaction(url) as session:
        found = checkpoint_coverage(session, ALICE, roads=roads, k=1, rotation_days=0)
        without = checkpoint_coverage(session, ALICE)
    crossings = found.crossings.sort_values("highway")
    assert list(crossings["highway"]) == ["primary", "unclassified"]
    assert list(crossings["covered"]) == [True, False]
    assert crossings.iloc[0]["checkpoint_m"] == pytest.approx(100.0, abs=0.5)
    assert found.total == 6.0  # primary 5 + unclassified 1
    assert found.uncovered == 1.0
    assert found.intercepted == 1.0
    (site,) = found.sites.geometry
    assert site.y == pytest.approx(lonlat(0, 15_000)[1], abs=0.001)
    assert without.crossings.empty
    assert "no road network" in without.notes[0]
    assert without.checkpoints.iloc[0]["border_m"] == pytest.approx(100.0, abs=0.5)


def test_settings_presets_files_and_who_may_set_them(url: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[red_line.distance_m]\nprimary = 120\n[spacing]\ndefault_area_type = "village"\n'
    )
    with db.transaction(url) as session:
        assert get_rule_settings(session, ALICE, A).preset == "default"
        assert not get_rule_settings(session, ALICE, A).stored
        with pytest.raises(AccessDeniedError):
            set_rule_settings(session, ALICE, A, preset_name="wuhan")
        with pytest.raises(NotFoundError):
            set_rule_settings(session, ADMIN_A, B, preset_name="wuhan")
        with pytest.raises(ValueError, match="suqian"):
            set_rule_settings(session, ADMIN_A, A, preset_name="beijing")
        rules = set_rule_settings(
            session, ADMIN_A, A, preset_name="wuhan", overrides=read_settings_file(path)
        )
        wide = red_lines(session, ALICE)
    assert rules.preset == "wuhan+custom"
    assert rules.settings.red_line.mode.value == "straight"
    assert set(wide.violations["licence_no"]) == {A_RED, A_NEAR}
    with db.transaction(url) as session:
        stored = get_rule_settings(session, ALICE, A)
        actions = session.scalars(select(AuditEntry.action)).all()
    assert stored.stored
    assert stored.settings.red_line.limit(SchoolKind.PRIMARY) == 120.0
    assert stored.settings.red_line.limit(SchoolKind.KINDERGARTEN) == 50.0
    assert "rules.settings" in actions


def test_settings_file_must_be_json_or_toml(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("red_line: {}\n")
    with pytest.raises(ValueError, match=r"\.toml"):
        read_settings_file(path)


def test_grids_when_stored_name_the_grid_of_a_licence_check_and_a_ticket(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a ``grids`` kind in the store (the grids module), answers carry the grid."""
    from shapely.geometry import Polygon

    from gridmgmt.services.rules import _common, create_ticket

    real = _common.load_frame
    west = Polygon(
        [
            lonlat(x, y)
            for x, y in [(-20_000, 0), (-10_000, 0), (-10_000, 20_000), (-20_000, 20_000)]
        ]
    )
    east = Polygon(
        [lonlat(x, y) for x, y in [(-10_000, 0), (0, 0), (0, 20_000), (-10_000, 20_000)]]
    )

    def load(session, kind, actor, **options):  # type: ignore[no-untyped-def]
        if kind != "grids":
            return real(session, kind, actor, **options)
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"grid_id": ["A-W", "A-E"], "county_code": [A, A]},
            geometry=[west, east],
            crs="EPSG:4326",
        )

    monkeypatch.setattr(_common, "frame_kinds", lambda: ["grids"])
    monkeypatch.setattr(_common, "load_frame", load)
    lon, lat = lonlat(-5_000, 15_000)
    with db.transaction(url) as session:
        answer = check_licence(session, ALICE, lon=lon, lat=lat)
        ticket = create_ticket(
            session, ALICE, county=A, kind="market_info", summary="价格异常", lon=lon, lat=lat
        )
        by_retailer = create_ticket(
            session, ALICE, county=A, kind="violation", summary="重点户", licence_no=A_KEY
        )
    assert answer.grid_id == "A-E"
    assert any(r.code == "grid" and "A-E" in r.message for r in answer.reasons)
    assert ticket.grid_id == "A-E"
    assert by_retailer.grid_id == "A-W"  # the retailer's own place
