"""Importing files into the store: all or nothing, every problem named, idempotent upserts.

Every bad-input test also checks that the database is exactly as it was before.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping
from sqlalchemy import select

from gridmgmt.crs import to_wgs84
from gridmgmt.demo.region import DEMO_FILES
from gridmgmt.domain import UserRole, Weekday
from gridmgmt.io.schemas import get_schema
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.imports import ImportReport, ImportValidationError, Problem, import_file
from gridmgmt.store import db
from gridmgmt.store.models import (
    AuditEntry,
    Base,
    County,
    Depot,
    Order,
    Province,
    Retailer,
    School,
    Vehicle,
)

WEST = box(113.5, 40.8, 114.0, 41.2)  # 150924 兴和县
EAST = box(114.0, 40.8, 114.5, 41.2)  # 140222 天镇县
HEADER = "licence_no,name,address,county_code,lon,lat,tier,business_type,status,key_retailer,phone"
DEMO_DIR = Path(__file__).resolve().parents[3] / "data" / "demo"


def _counties_geojson(path: Path, west: Polygon = WEST) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "province": province, "city": city},
            "geometry": mapping(geom),
        }
        for code, name, province, city, geom in (
            ("150924", "兴和县", "内蒙古自治区", "乌兰察布市", west),
            ("140222", "天镇县", "山西省", "大同市", EAST),
        )
    ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def _retailer(n: int, **changes: Any) -> str:
    row = {
        "licence_no": f"150924{n:06d}",
        "name": f"兴和县城关镇{n}号便利店",
        "address": f"城关镇人民路{n}号",
        "county_code": "150924",
        "lon": f"{113.6 + n * 1e-4:.7f}",
        "lat": "41.0",
        "tier": "10",
        "business_type": "convenience",
        "status": "active",
        "key_retailer": "false",
        "phone": "",
    } | {key: str(value) for key, value in changes.items()}
    return ",".join(row.values())


def _csv(path: Path, lines: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for before/after comparisons."""
    with db.transaction(url) as session:
        return {
            table.name: sorted(
                (tuple(row) for row in session.execute(select(table)).all()), key=repr
            )
            for table in Base.metadata.sorted_tables
        }


def _import(
    url: str, kind: str, path: Path, *, actor: Actor = SYSTEM, **options: Any
) -> ImportReport:
    """Import in a unit of work of its own, as a face does."""
    with db.transaction(url) as session:
        return import_file(session, actor, kind, path, **options)


@pytest.fixture
def url(store_url: str, tmp_path: Path) -> str:
    """A store with the two counties (and their provinces) imported."""
    _import(store_url, "counties", _counties_geojson(tmp_path / "counties.geojson"))
    return store_url


def _problems(url: str, kind: str, path: Path, **options: Any) -> list[Problem]:
    """Import a bad file and return its problems, checking nothing was written."""
    before = _snapshot(url)
    with pytest.raises(ImportValidationError) as info:
        _import(url, kind, path, **options)
    assert _snapshot(url) == before
    assert info.value.problems
    return info.value.problems


def _where(problems: list[Problem]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.field) for p in problems]


# -- bad input: every case names file, row and field, and writes nothing -------------------


def test_missing_licence_number(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1), _retailer(2, licence_no="")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(3, "licence_no")]
    assert problems[0].file == str(path)
    assert "licence_no is required but empty" in problems[0].message


def test_duplicate_licence_number(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1), _retailer(2), _retailer(1, name="again")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(4, "licence_no")]
    assert "first on row 2" in problems[0].message


def test_unparseable_coordinates(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1, lon="113.6abc"), _retailer(2, lat="")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "lon"), (3, "lat")]
    assert "cannot read '113.6abc' as a number" in problems[0].message


def test_out_of_range_coordinates(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1, lat="91.5"), _retailer(2, lon="-200")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "lat"), (3, "lon")]
    assert all("out of range" in p.message for p in problems)


def test_swapped_coordinates(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1), _retailer(2, lon="41.0", lat="113.6")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(3, "lon")]
    assert "look swapped" in problems[0].message


def test_point_outside_its_county(url: str, tmp_path: Path) -> None:
    # 114.3 lies in the eastern county; 114.00001 is 0.8 m over the border: tolerated.
    path = _csv(tmp_path / "r.csv", [_retailer(1, lon="114.3"), _retailer(2, lon="114.00001")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "county_code")]
    assert "outside county 150924" in problems[0].message


def test_point_outside_its_county_after_conversion_from_gcj02(url: str, tmp_path: Path) -> None:
    # As typed, the point is 20 m inside the eastern county it claims; read as GCJ-02 its
    # WGS-84 position is about 500 m further west, in the western county.
    path = _csv(tmp_path / "r.csv", [_retailer(1, county_code="140222", lon="114.00025")])
    problems = _problems(url, "retailers", path, crs="gcj02")
    assert _where(problems) == [(2, "county_code")]


def test_unknown_county_code(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1, county_code="150999")])
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "county_code")]
    assert "unknown county code 150999; known: 140222, 150924" in problems[0].message


def test_invalid_county_geometry(store_url: str, tmp_path: Path) -> None:
    bowtie = Polygon([(113.5, 40.8), (114.0, 41.2), (114.0, 40.8), (113.5, 41.2)])
    path = _counties_geojson(tmp_path / "counties.geojson", west=bowtie)
    problems = _problems(store_url, "counties", path)
    assert _where(problems) == [(1, "geometry")]
    assert "Self-intersection" in problems[0].message


def test_unknown_crs(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", [_retailer(1)])
    problems = _problems(url, "retailers", path, crs="gcj03")
    assert _where(problems) == [(None, "crs")]
    assert "'gcj03' is not known" in problems[0].message
    assert "gcj02" in problems[0].message


def test_gbk_file_is_refused_unless_its_encoding_is_given(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "零售户.csv", [_retailer(1)], encoding="gbk")
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "encoding")]
    assert "零售户.csv" in problems[0].file
    assert "GBK" in problems[0].message
    report = _import(url, "retailers", path, encoding="gbk")
    assert report.inserted == 1
    with db.transaction(url) as session:
        assert session.scalars(select(Retailer.name)).one() == "兴和县城关镇1号便利店"


def test_bad_tiers(url: str, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "r.csv",
        [_retailer(1, tier="0"), _retailer(2, tier="31"), _retailer(3, tier="abc"), _retailer(4)],
    )
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "tier"), (3, "tier"), (4, "tier")]
    assert all("whole number from 1 to 30" in p.message for p in problems)


def test_bad_enum_values_list_the_allowed_ones(url: str, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "r.csv", [_retailer(1, business_type="kiosk"), _retailer(2, status="open")]
    )
    problems = _problems(url, "retailers", path)
    assert _where(problems) == [(2, "business_type"), (3, "status")]
    assert "expected one of: grocery (食杂店), convenience (便利店)" in problems[0].message
    assert "active (正常), suspended (歇业), closed (停业)" in problems[1].message


def test_missing_required_column_names_the_aliases(url: str, tmp_path: Path) -> None:
    header = HEADER.replace("tier,", "")
    line = _retailer(1).replace(",10,convenience", ",convenience")
    problems = _problems(url, "retailers", _csv(tmp_path / "r.csv", [line], header=header))
    assert _where(problems) == [(None, "tier")]
    assert "missing required column 'tier'" in problems[0].message
    assert "档位" in problems[0].message


def test_every_problem_is_listed_not_just_the_first(url: str, tmp_path: Path) -> None:
    lines = [_retailer(n, tier="99") for n in range(1, 51)]
    problems = _problems(url, "retailers", _csv(tmp_path / "r.csv", lines))
    assert [p.row for p in problems] == list(range(2, 52))


# -- placing points, converting coordinates ------------------------------------------------


def test_county_code_from_the_containing_polygon(url: str, tmp_path: Path) -> None:
    header = HEADER.replace("county_code,", "")
    lines = [
        _retailer(1).replace(",150924,", ",", 1),
        _retailer(2, licence_no="140222000002", lon="114.3").replace(",150924,", ",", 1),
    ]
    report = _import(url, "retailers", _csv(tmp_path / "r.csv", lines, header=header))
    assert report.inserted == 2
    with db.transaction(url) as session:
        counties = dict(session.execute(select(Retailer.licence_no, Retailer.county_code)).all())
    assert counties == {"150924000001": "150924", "140222000002": "140222"}


def test_point_in_no_county_without_a_code_is_an_error(url: str, tmp_path: Path) -> None:
    header = HEADER.replace("county_code,", "")
    line = _retailer(1, lon="112.0").replace(",150924,", ",", 1)
    problems = _problems(url, "retailers", _csv(tmp_path / "r.csv", [line], header=header))
    assert _where(problems) == [(2, "county_code")]
    assert "no stored county contains" in problems[0].message


def test_gcj02_input_is_stored_as_wgs84(url: str, tmp_path: Path) -> None:
    _import(url, "retailers", _csv(tmp_path / "r.csv", [_retailer(1)]), crs="gcj02")
    with db.transaction(url) as session:
        stored = session.scalars(select(Retailer.location)).one()
    lon, lat = to_wgs84(113.6001, 41.0, "gcj02")
    assert stored.x == pytest.approx(float(lon), abs=1e-12)
    assert stored.y == pytest.approx(float(lat), abs=1e-12)
    assert Point(113.6001, 41.0).distance(stored) > 0.003  # it really moved (~500 m)


def test_chinese_headers_and_labels(url: str, tmp_path: Path) -> None:
    header = "专卖许可证号,零售户名称,经营地址,经度,纬度,档位,业态,经营状态,重点零售户,联系电话"
    line = "150924000001,张记便利店,城关镇人民路12号,113.7,41.0,12,便利店,歇业,是,04741234567"
    path = _csv(tmp_path / "零售户.csv", [line], header=header, encoding="utf-8-sig")
    assert _import(url, "retailers", path).inserted == 1
    with db.transaction(url) as session:
        retailer = session.scalars(select(Retailer)).one()
    assert (retailer.county_code, retailer.tier, retailer.status.value) == (
        "150924",
        12,
        "suspended",
    )
    assert (retailer.business_type.value, retailer.key_retailer) == ("convenience", True)
    assert retailer.phone == "04741234567"


def test_fixed_delivery_weekday_in_chinese_numbers_or_english(url: str, tmp_path: Path) -> None:
    header = f"{HEADER},固定送货日"
    days = ["周三", "5", "Saturday", "星期日", ""]
    lines = [f"{_retailer(n)},{day}" for n, day in enumerate(days, start=1)]
    assert _import(url, "retailers", _csv(tmp_path / "r.csv", lines, header=header)).inserted == 5
    with db.transaction(url) as session:
        stored = session.scalars(select(Retailer).order_by(Retailer.licence_no)).all()
        weekdays = [r.delivery_weekday for r in stored]
    assert weekdays == [
        Weekday.WEDNESDAY, Weekday.FRIDAY, Weekday.SATURDAY, Weekday.SUNDAY, None,
    ]  # fmt: skip
    bad = _csv(tmp_path / "bad.csv", [f"{_retailer(9)},周八"], header=header)
    problems = _problems(url, "retailers", bad)
    assert _where(problems) == [(2, "delivery_weekday")]
    assert "monday (周一)" in problems[0].message


def test_geopackage_in_a_projected_crs(url: str, tmp_path: Path) -> None:
    points = gpd.GeoSeries([Point(113.7, 41.0)], crs=4326).to_crs(4547)
    frame = gpd.GeoDataFrame(
        {
            "许可证号": ["150924000001"],
            "名称": ["张记"],
            "档位": [3],
            "业态": ["食杂店"],
            "状态": ["正常"],
        },
        geometry=points,
    )
    frame.to_file(tmp_path / "r.gpkg", driver="GPKG")
    report = _import(url, "retailers", tmp_path / "r.gpkg", crs="cgcs2000")
    assert report.inserted == 1
    with db.transaction(url) as session:
        assert session.scalars(select(Retailer.location)).one().distance(Point(113.7, 41.0)) < 1e-7


# -- upserts -------------------------------------------------------------------------------


def test_reimport_is_unchanged_and_one_edit_is_one_update(url: str, tmp_path: Path) -> None:
    lines = [_retailer(n) for n in range(1, 11)]
    path = _csv(tmp_path / "r.csv", lines)
    first = _import(url, "retailers", path, crs="gcj02")
    assert (first.inserted, first.updated, first.unchanged) == (10, 0, 0)
    before = _snapshot(url)["retailers"]
    again = _import(url, "retailers", path, crs="gcj02")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10)
    assert _snapshot(url)["retailers"] == before
    lines[4] = _retailer(5, tier="11")
    lines.append(_retailer(11))
    edited = _import(url, "retailers", _csv(tmp_path / "r2.csv", lines), crs="gcj02")
    assert (edited.inserted, edited.updated, edited.unchanged) == (1, 1, 9)
    with db.transaction(url) as session:
        tiers = dict(session.execute(select(Retailer.licence_no, Retailer.tier)).all())
    assert tiers["150924000005"] == 11
    assert tiers["150924000004"] == 10


def test_columns_not_in_the_file_keep_their_stored_values(url: str, tmp_path: Path) -> None:
    _import(
        url,
        "retailers",
        _csv(tmp_path / "r.csv", [_retailer(1, key_retailer="true", phone="13800000000")]),
    )
    header = "licence_no,name,lon,lat,tier,business_type,status"
    line = "150924000001,改名便利店,113.6001,41.0,10,convenience,active"
    report = _import(url, "retailers", _csv(tmp_path / "r2.csv", [line], header=header))
    assert report.updated == 1
    with db.transaction(url) as session:
        retailer = session.scalars(select(Retailer)).one()
    assert (retailer.name, retailer.key_retailer, retailer.phone) == (
        "改名便利店",
        True,
        "13800000000",
    )
    assert retailer.address == "城关镇人民路1号"


def test_an_empty_cell_clears_an_optional_value(url: str, tmp_path: Path) -> None:
    _import(url, "retailers", _csv(tmp_path / "r.csv", [_retailer(1, phone="13800000000")]))
    report = _import(url, "retailers", _csv(tmp_path / "r2.csv", [_retailer(1, phone="")]))
    assert report.updated == 1
    with db.transaction(url) as session:
        assert session.scalars(select(Retailer.phone)).one() is None


def test_schema_defaults_are_the_models_defaults() -> None:
    for kind, model in (("depots", Depot), ("vehicles", Vehicle)):
        for spec in get_schema(kind).fields:
            if spec.default is not None:
                column = model.__table__.c[spec.name]
                assert column.default is not None
                assert column.default.arg == spec.default, (kind, spec.name)


def test_provinces_are_created_from_county_rows(url: str) -> None:
    with db.transaction(url) as session:
        provinces = dict(session.execute(select(Province.code, Province.name)).all())
        counties = dict(session.execute(select(County.code, County.province_code)).all())
        boundary = session.get(County, "150924").boundary  # type: ignore[union-attr]
    assert provinces == {"150000": "内蒙古自治区", "140000": "山西省"}
    assert counties == {"150924": "150000", "140222": "140000"}
    assert boundary.geom_type == "MultiPolygon"
    assert shapely.equals(boundary, MultiPolygon([WEST]))


def test_each_import_leaves_one_audit_line(url: str, tmp_path: Path) -> None:
    _import(url, "retailers", _csv(tmp_path / "r.csv", [_retailer(1), _retailer(2)]))
    with db.transaction(url) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.kind) for e in entries] == [
        ("import", "counties"),
        ("import", "retailers"),
    ]
    assert entries[1].county_code == "150924"
    assert entries[1].detail["inserted"] == 2
    assert entries[1].detail["file"] == "r.csv"


# -- county scope --------------------------------------------------------------------------


def test_an_officer_imports_only_their_counties(url: str, tmp_path: Path) -> None:
    officer = Actor("wang", UserRole.ADMIN, frozenset({"150924"}))
    path = _csv(
        tmp_path / "r.csv",
        [_retailer(1), _retailer(2, licence_no="140222000002", county_code="140222", lon="114.3")],
    )
    problems = _problems(url, "retailers", path, actor=officer)
    assert _where(problems) == [(3, "county_code")]
    assert "not one of your counties (150924)" in problems[0].message
    report = _import(url, "retailers", _csv(tmp_path / "mine.csv", [_retailer(1)]), actor=officer)
    assert report.inserted == 1


def test_an_officer_cannot_take_over_another_countys_row(url: str, tmp_path: Path) -> None:
    other = _retailer(7, county_code="140222", lon="114.3")
    _import(url, "retailers", _csv(tmp_path / "r.csv", [other]))
    officer = Actor("wang", UserRole.ADMIN, frozenset({"150924"}))
    moved = _csv(tmp_path / "moved.csv", [_retailer(7)])
    problems = _problems(url, "retailers", moved, actor=officer)
    assert _where(problems) == [(2, "licence_no")]
    assert "stored for county 140222" in problems[0].message


# -- kinds that refer to others ------------------------------------------------------------


def _depots_and_retailers(url: str, tmp_path: Path) -> None:
    _import(url, "retailers", _csv(tmp_path / "r.csv", [_retailer(1), _retailer(2)]))
    depots = _csv(
        tmp_path / "d.csv",
        ["D150924,兴和县卷烟物流配送中心,113.65,41.01,07:00,18:30"],
        header="code,name,lon,lat,opens,closes",
    )
    _import(url, "depots", depots)


def test_orders_refer_to_stored_retailers(url: str, tmp_path: Path) -> None:
    _depots_and_retailers(url, tmp_path)
    header = "licence_no,date,cartons"
    bad = _csv(
        tmp_path / "o.csv",
        ["150924000001,2026-11-16,5", "150924009999,2026-11-16,5"],
        header=header,
    )
    problems = _problems(url, "orders", bad)
    assert _where(problems) == [(3, "licence_no")]
    assert "import retailers first" in problems[0].message
    good = _csv(
        tmp_path / "o2.csv",
        ["150924000001,2026-11-16,5", "150924000001,2026-11-17,6", "150924000002,2026-11-16,7"],
        header=header,
    )
    assert _import(url, "orders", good).inserted == 3
    assert _import(url, "orders", good).unchanged == 3
    with db.transaction(url) as session:
        orders = session.execute(select(Order.county_code, Order.cartons).order_by(Order.id)).all()
    assert [tuple(o) for o in orders] == [("150924", 5), ("150924", 6), ("150924", 7)]


def test_vehicles_refer_to_stored_depots(url: str, tmp_path: Path) -> None:
    _depots_and_retailers(url, tmp_path)
    header = "车牌号,配送站编号,载量(条),出车时间,收车时间"
    bad = _csv(
        tmp_path / "v.csv",
        ["蒙J12345,D150924,800,08:00,17:00", "蒙J54321,D999999,800,,"],
        header=header,
    )
    problems = _problems(url, "vehicles", bad)
    assert _where(problems) == [(3, "depot_code")]
    assert "no depot with code 'D999999'" in problems[0].message
    good = _csv(
        tmp_path / "v2.csv",
        ["蒙J12345,D150924,800,08:00,17:00", "蒙J54321,D150924,600,,"],
        header=header,
    )
    assert _import(url, "vehicles", good).inserted == 2
    with db.transaction(url) as session:
        vehicles = session.scalars(select(Vehicle).order_by(Vehicle.plate)).all()
        stored = [
            (v.plate, v.county_code, v.capacity_cartons, v.depot.code, v.shift_start, v.shift_end)
            for v in vehicles
        ]
    assert stored == [
        ("蒙J12345", "150924", 800, "D150924", dt.time(8), dt.time(17)),
        ("蒙J54321", "150924", 600, "D150924", dt.time(8), dt.time(17)),  # the model's defaults
    ]


def test_school_campus_file_after_the_points_keeps_the_points(url: str, tmp_path: Path) -> None:
    points = _csv(
        tmp_path / "s.csv",
        ["兴和县第一小学,小学,113.7005,41.0005"],
        header="学校名称,类别,经度,纬度",
    )
    assert _import(url, "schools", points).inserted == 1
    campus = box(113.7, 41.0, 113.701, 41.001)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "兴和县第一小学",
                    "kind": "primary",
                    "county_code": "150924",
                },
                "geometry": mapping(campus),
            }
        ],
    }
    path = tmp_path / "campus.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    report = _import(url, "schools", path)
    assert (report.updated, report.unchanged) == (1, 0)
    assert _import(url, "schools", path).unchanged == 1
    with db.transaction(url) as session:
        school = session.scalars(select(School)).one()
    assert school.location.equals(Point(113.7005, 41.0005))
    assert shapely.equals(school.campus, MultiPolygon([campus]))


# -- demo data and speed -------------------------------------------------------------------


def test_demo_files_import_cleanly_and_idempotently(store_url: str) -> None:
    reports: dict[str, ImportReport] = {
        name: _import(store_url, kind, DEMO_DIR / name, crs=crs) for name, kind, crs in DEMO_FILES
    }
    assert all(r.ignored_columns == () for r in reports.values())
    assert reports["retailers.csv"].inserted > 5000
    again = _import(store_url, "retailers", DEMO_DIR / "retailers.csv", crs="gcj02")
    assert again.unchanged == reports["retailers.csv"].inserted


def test_six_thousand_retailers_import_in_one_go(url: str, tmp_path: Path) -> None:
    """Bulk import of a realistic county file (speed is measured by benchmarks, not here)."""
    rng = np.random.default_rng(7)
    lons = rng.uniform(113.55, 113.95, 6000)
    lats = rng.uniform(40.85, 41.15, 6000)
    lines = [
        _retailer(n, lon=f"{lon:.7f}", lat=f"{lat:.7f}", tier=int(rng.integers(1, 31)))
        for n, (lon, lat) in enumerate(zip(lons, lats, strict=True), start=1)
    ]
    path = _csv(tmp_path / "r.csv", lines)
    report = _import(url, "retailers", path, crs="gcj02")
    assert report.inserted == 6000


def test_progress_reaches_the_total(url: str, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    lines = [_retailer(n) for n in range(1, 12)]
    _import(
        url,
        "retailers",
        _csv(tmp_path / "r.csv", lines),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[0] == (0, 11)
    assert calls[-1] == (11, 11)


@pytest.mark.postgres
def test_postgresql_writes_by_copy_not_row_inserts(postgres_url: str, tmp_path: Path) -> None:
    """On PostgreSQL new and changed rows travel by COPY; the stored rows are the same."""
    from sqlalchemy import event

    _import(postgres_url, "counties", _counties_geojson(tmp_path / "counties.geojson"))
    statements: list[str] = []
    engine = db.get_engine(postgres_url)

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = _import(
            postgres_url, "retailers", _csv(tmp_path / "a.csv", [_retailer(1), _retailer(2)])
        )
        edited = [_retailer(1, name="新名字"), _retailer(2), _retailer(3, key_retailer="true")]
        second = _import(postgres_url, "retailers", _csv(tmp_path / "b.csv", edited))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (first.inserted, second.inserted, second.updated, second.unchanged) == (2, 1, 1, 1)
    assert not [
        s
        for s in statements
        if s.lstrip().upper().startswith(("INSERT INTO RETAILERS", "UPDATE RETAILERS"))
    ]
    with db.transaction(postgres_url) as session:
        stored = {r.licence_no: r for r in session.scalars(select(Retailer))}
        assert stored["150924000001"].name == "新名字"
        assert stored["150924000003"].key_retailer is True
        assert stored["150924000002"].updated_at is not None
        assert shapely.equals_exact(
            stored["150924000002"].location, Point(113.6002, 41.0), tolerance=1e-9
        )
