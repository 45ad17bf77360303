"""Rule checks through the services, on both backends: red lines, spacing, licence checks,
border markets, outflow, checkpoint coverage and per-county settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridmgmt.domain import BusinessType, CheckpointKind, RetailerStatus, SchoolKind, UserRole
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
from gridmgmt.services.rules import checks as checks_module
from gridmgmt.services.rules._common import NO_ROADS_NOTE
from gridmgmt.services.rules.settings import read_settings_file
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Checkpoint, County, Retailer, School

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
    point,
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
        audits = session.scalars(select(AuditEntry)).all()
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
    assert audits == []  # a read of one's own counties writes nothing


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


def test_shared_frames_read_once_and_hand_out_copies(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmgmt.services import frames

    calls: list[object] = []
    read = frames._read_frame

    def counted(session: Session, spec: Any, actor: Actor, codes: Any) -> Any:
        calls.append(spec)
        return read(session, spec, actor, codes)

    monkeypatch.setattr(frames, "_read_frame", counted)
    with db.transaction(url) as session:
        with frames.shared_frames():
            one = frames.load_frame(session, "retailers", SYSTEM, county_codes=[A, B])
            one["name"] = "changed"
            two = frames.load_frame(session, "retailers", SYSTEM, county_codes=[B, A])
            frames.load_frame(session, "retailers", SYSTEM, county_codes=[A])
        assert len(calls) == 2  # [A, B] once, [A] once
        assert "changed" not in set(two["name"])
        assert len(two) == len(one) > 0
        frames.load_frame(session, "retailers", SYSTEM, county_codes=[A, B])
        frames.load_frame(session, "retailers", SYSTEM, county_codes=[A, B])
        assert len(calls) == 4  # outside the block every call reads


def test_the_quarterly_report_counts_the_same_outflow_suspects(url: str) -> None:
    """The report counts suspects without the price evidence; the suspects are the same."""
    from gridmgmt.services.cooperation.report import quarterly_report

    first, last = dt.date(2026, 10, 1), dt.date(2026, 12, 31)  # ORDER_DAY's quarter
    with db.transaction(url) as session:
        full = outflow_report(session, SYSTEM, start=first, end=last)
        bare = outflow_report(session, SYSTEM, start=first, end=last, evidence=False)
        report = quarterly_report(session, SYSTEM, "2026Q4", counties=[A, B])
        earlier = quarterly_report(session, SYSTEM, "2026Q3", counties=[A, B])
    assert "price_gaps" in full.suspects.columns
    assert "price_gaps" not in bare.suspects.columns
    pd.testing.assert_frame_equal(full.suspects.drop(columns="price_gaps"), bare.suspects)
    outflow = next(s for s in report.sections if s.key == "outflow")
    # Counties in code order (B 140222, then A 150924); by hand: OUTFLOW is A's.
    assert [row[1:] for row in outflow.rows] == [[0], [1]]
    assert [row[0].split()[-1] for row in outflow.rows] == [B, A]
    before = next(s for s in earlier.sections if s.key == "outflow")
    assert [row[1:] for row in before.rows] == [[0], [0]]


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


def _shop(licence: str, x: float, y: float) -> Retailer:
    return Retailer(
        licence_no=licence,
        name="新店",
        address="新街1号",
        county_code=A,
        tier=5,
        business_type=BusinessType.GROCERY,
        status=RetailerStatus.ACTIVE,
        key_retailer=False,
        location=point(x, y),
    )


def test_licence_checker_is_reused_until_its_data_changes(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    real = checks_module.LicenceChecker

    def counting(*args: Any, **options: Any) -> Any:
        built.append(1)
        return real(*args, **options)

    monkeypatch.setattr(checks_module, "LicenceChecker", counting)
    with db.transaction(url) as session:
        assert _check(session, -5_000, 15_000).allowed
        assert _check(session, -5_000, 15_050).allowed
    assert len(built) == 1  # the second check reused the first one's indexes
    # A new retailer 30 m away, as an import adds one: the next answer sees it.
    with db.transaction(url) as session:
        session.add(_shop("150924999999", -5_000, 15_030))
    with db.transaction(url) as session:
        near_shop = _check(session, -5_000, 15_000)
    assert [r.code for r in near_shop.reasons if r.blocking] == ["spacing"]
    # A school moved next to the point by a bulk UPDATE (the importer's way of changing rows).
    with db.transaction(url) as session:
        session.execute(
            update(School)
            .where(School.name == "城关第一小学")
            .values(location=point(-5_000, 14_960))
        )
    with db.transaction(url) as session:
        near_school = _check(session, -5_000, 15_000)
    assert {r.code for r in near_school.reasons if r.blocking} == {"spacing", "red_line"}
    # New rule settings (spacing 10 m in villages) apply at once.
    with db.transaction(url) as session:
        set_rule_settings(session, SYSTEM, A, overrides={"spacing": {"minimum_m": {"village": 10}}})
    with db.transaction(url) as session:
        relaxed = _check(session, -5_000, 15_000)
    assert [r.code for r in relaxed.reasons if r.blocking] == ["red_line"]
    assert len(built) == 4


C = "150925"
# One road over the A|B border at y = 10 km (CP_A is 100 m from it), one over the A|C
# border at x = -10 km, and a residential road joining them into one network.
_NODES = {1: (-2_000, 10_000), 2: (2_000, 10_000), 3: (-10_000, 18_000), 4: (-10_000, 22_000)}
_WAYS = [(201, [1, 2], "primary"), (202, [3, 4], "primary"), (203, [1, 3], "residential")]


def _two_border_roads(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for node, (x, y) in _NODES.items():
        lon, lat = lonlat(x, y)
        lines.append(f'<node id="{node}" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    for way, nodes, highway in _WAYS:
        lines.append(f'<way id="{way}">' + "".join(f'<nd ref="{n}"/>' for n in nodes))
        lines.append(f'<tag k="highway" v="{highway}"/></way>')
    path.write_text("\n".join([*lines, "</osm>"]) + "\n", encoding="utf-8")
    return path


def test_checkpoint_coverage_rules_each_border_by_its_own_countys_settings(
    url: str, tmp_path: Path
) -> None:
    """A|B is ruled by B (the first code), A|C by A: B's 50 m coverage leaves CP_A (100 m
    off the A|B crossing) short, while A's 500 m covers a post 300 m off the A|C one."""
    corners = [(-20_000, 20_000), (0, 20_000), (0, 40_000), (-20_000, 40_000)]
    with db.transaction(url) as session:
        session.add(
            County(
                code=C,
                name="北县",
                province_code="150000",
                boundary=MultiPolygon([Polygon([lonlat(x, y) for x, y in corners])]),
            )
        )
        session.add(
            Checkpoint(
                name="北卡",
                kind=CheckpointKind.NATIONAL_ROAD,
                county_code=A,
                location=point(-10_300, 19_950),
            )
        )
    with db.transaction(url) as session:
        set_rule_settings(session, SYSTEM, B, overrides={"checkpoints": {"coverage_m": 50}})
        found = checkpoint_coverage(
            session, SYSTEM, roads=_two_border_roads(tmp_path / "r.osm"), k=1, rotation_days=0
        )
    crossings = found.crossings.set_index(["county_a", "county_b"])["covered"].to_dict()
    pairs = {tuple(sorted(pair)): bool(covered) for pair, covered in crossings.items()}
    assert pairs == {(B, A): False, (A, C): True}
    assert found.total == 10.0  # both primary crossings, one from each group of counties
