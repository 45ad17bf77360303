"""Validation in memory: every problem of a file at once, coordinates placed in counties."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gridmgmt.crs import CoordinateSystem, to_wgs84
from gridmgmt.io.readers import SourceTable, read_source
from gridmgmt.io.schemas import COUNTIES, ORDERS, RETAILERS, SCHOOLS
from gridmgmt.io.validate import LOCATION, Reference, validate_table

WEST = MultiPolygon([box(113.5, 40.8, 114.0, 41.2)])  # 150924
EAST = MultiPolygon([box(114.0, 40.8, 114.5, 41.2)])  # 140222
REFERENCE = Reference(gpd.GeoSeries([WEST, EAST], index=["150924", "140222"], crs=4326))
HEADER = "licence_no,name,county_code,lon,lat,tier,business_type,status"


def _table(text: str, tmp_path: Path) -> SourceTable:
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    return read_source(path, label="r.csv")


def _retailers(lines: list[str], tmp_path: Path, *, header: str = HEADER, **kwargs: object):
    table = _table("\n".join([header, *lines]) + "\n", tmp_path)
    options = {"crs": CoordinateSystem.WGS84, "reference": REFERENCE} | kwargs
    return validate_table(table, RETAILERS, **options)  # type: ignore[arg-type]


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path) -> None:
    _, problems = _retailers(
        [
            ",no licence,150924,113.7,41.0,10,grocery,active",
            "A2,bad tier,150924,113.7,41.0,31,grocery,active",
            "A3,bad type,150924,113.7,41.0,10,kiosk,active",
            "A4,bad lon,150924,abc,41.0,10,grocery,dormant",
        ],
        tmp_path,
    )
    found = {(p.row, p.field) for p in problems}
    assert found == {
        (2, "licence_no"),
        (3, "tier"),
        (4, "business_type"),
        (5, "lon"),
        (5, "status"),
    }
    assert all(p.file == "r.csv" for p in problems)


def test_a_valid_file_has_no_problems_and_typed_values(tmp_path: Path) -> None:
    rows, problems = _retailers(["A1,shop,150924,113.7,41.0,10,便利店,正常"], tmp_path)
    assert problems == []
    row = rows.frame.iloc[0]
    assert row["tier"] == 10
    assert row["business_type"] == "convenience"
    assert row["status"] == "active"
    assert row[LOCATION].equals(Point(113.7, 41.0))
    assert rows.present >= {"licence_no", "tier", LOCATION, "county_code"}


def test_swapped_and_out_of_range_coordinates(tmp_path: Path) -> None:
    _, problems = _retailers(
        [
            "A1,swapped,150924,41.0,113.7,10,grocery,active",
            "A2,lat,150924,113.7,95,10,grocery,active",
            "A3,lon,150924,-190,41.0,10,grocery,active",
        ],
        tmp_path,
    )
    messages = {(p.row, p.field): p.message for p in problems}
    assert "look swapped" in messages[(2, "lon")]
    assert "out of range" in messages[(3, "lat")]
    assert "out of range" in messages[(4, "lon")]
    assert len(problems) == 3


def test_points_a_few_metres_outside_their_county_are_tolerated(tmp_path: Path) -> None:
    # 1e-5 degrees of longitude at 41N is about 0.84 m; 2e-4 is about 17 m.
    _rows, problems = _retailers(
        [
            "A1,just over,150924,114.00001,41.0,10,grocery,active",
            "A2,too far,150924,114.0002,41.0,10,grocery,active",
        ],
        tmp_path,
    )
    assert [(p.row, p.field) for p in problems] == [(3, "county_code")]
    assert "outside county 150924" in problems[0].message


def test_county_comes_from_the_containing_polygon(tmp_path: Path) -> None:
    rows, problems = _retailers(
        [
            "A1,west,113.7,41.0,10,grocery,active",
            "A2,east,114.3,41.0,10,grocery,active",
            "A3,on the border,114.0,41.0,10,grocery,active",
            "A4,a hair outside,114.50001,41.0,10,grocery,active",
            "A5,nowhere,116.0,41.0,10,grocery,active",
        ],
        tmp_path,
        header="licence_no,name,lon,lat,tier,business_type,status",
    )
    assert rows.frame["county_code"].tolist()[:4] == ["150924", "140222", "140222", "140222"]
    assert [(p.row, p.field) for p in problems] == [(6, "county_code")]
    assert "no stored county contains" in problems[0].message


def test_unknown_county_and_scope(tmp_path: Path) -> None:
    scoped = Reference(REFERENCE.counties, scope=frozenset({"150924"}))
    _, problems = _retailers(
        [
            "A1,unknown,150999,113.7,41.0,10,grocery,active",
            "A2,other county,140222,114.3,41.0,10,grocery,active",
        ],
        tmp_path,
        reference=scoped,
    )
    messages = [(p.row, p.message) for p in problems]
    assert messages[0][0] == 2
    assert "unknown county code 150999" in messages[0][1]
    assert messages[1][0] == 3
    assert "not one of your counties (150924)" in messages[1][1]


def test_duplicates_name_the_first_row(tmp_path: Path) -> None:
    _, problems = _retailers(["A1,a,150924,113.7,41.0,10,grocery,active"] * 3, tmp_path)
    assert [p.row for p in problems] == [3, 4]
    assert all("duplicate licence_no='A1' (first on row 2)" in p.message for p in problems)


def test_gcj02_is_converted_to_wgs84(tmp_path: Path) -> None:
    rows, problems = _retailers(
        ["A1,a,150924,113.7,41.0,10,grocery,active"], tmp_path, crs=CoordinateSystem.GCJ02
    )
    assert problems == []
    lon, lat = to_wgs84(113.7, 41.0, "gcj02")
    point = rows.frame[LOCATION].iloc[0]
    assert (point.x, point.y) == (float(lon), float(lat))


def test_single_location_column(tmp_path: Path) -> None:
    rows, problems = _retailers(
        ['A1,a,"113.7,41.0",10,grocery,active', "A2,b,oops,10,grocery,active"],
        tmp_path,
        header="licence_no,name,坐标,tier,business_type,status",
    )
    assert rows.frame[LOCATION].iloc[0].equals(Point(113.7, 41.0))
    assert [(p.row, p.field) for p in problems] == [(3, "location")]


def test_missing_columns_name_the_aliases(tmp_path: Path) -> None:
    _, problems = _retailers(["A1,a"], tmp_path, header="licence_no,name")
    missing = {p.field: p.message for p in problems if p.row is None}
    assert set(missing) == {"lon", "lat", "tier", "business_type", "status"}
    assert "档位" in missing["tier"]
    assert "missing required column 'tier'" in missing["tier"]


def test_point_features_and_wrong_geometry_types() -> None:
    frame = pd.DataFrame(
        {
            "licence_no": ["A1", "A2", "A3"],
            "name": ["a", "b", "c"],
            "tier": ["1"] * 3,
            "business_type": ["grocery"] * 3,
            "status": ["active"] * 3,
        }
    )
    geometry = np.array(
        [shapely.MultiPoint([(113.7, 41.0)]), box(113.6, 40.9, 113.7, 41.0), None], dtype=object
    )
    table = SourceTable("r.geojson", frame, np.arange(1, 4), geometry=geometry)
    rows, problems = validate_table(
        table, RETAILERS, crs=CoordinateSystem.WGS84, reference=REFERENCE
    )
    assert rows.frame[LOCATION].iloc[0].equals(Point(113.7, 41.0))
    assert [(p.row, p.field) for p in problems] == [(2, "geometry"), (3, "geometry")]
    assert "expected a Point feature, got Polygon" in problems[0].message


def test_projected_features_are_unprojected(tmp_path: Path) -> None:
    point = gpd.GeoSeries([Point(113.7, 41.0)], crs=4326).to_crs(4547)  # CGCS2000 GK 114E
    frame = pd.DataFrame(
        {
            "licence_no": ["A1"],
            "name": ["a"],
            "tier": ["1"],
            "business_type": ["grocery"],
            "status": ["active"],
        }
    )
    table = SourceTable(
        "r.shp", frame, np.array([1]), geometry=np.asarray(point.array), crs=point.crs
    )
    rows, problems = validate_table(
        table, RETAILERS, crs=CoordinateSystem.CGCS2000, reference=REFERENCE
    )
    assert problems == []
    assert rows.frame[LOCATION].iloc[0].distance(Point(113.7, 41.0)) < 1e-8
    _, problems = validate_table(table, RETAILERS, crs=CoordinateSystem.GCJ02, reference=REFERENCE)
    assert [p.field for p in problems] == ["crs"]


def test_invalid_and_non_polygon_county_geometries() -> None:
    bowtie = Polygon([(113.5, 40.8), (114.0, 41.2), (114.0, 40.8), (113.5, 41.2)])
    frame = pd.DataFrame(
        {
            "code": ["150924", "140222", "130728"],
            "name": ["a", "b", "c"],
            "province": ["p", "q", "r"],
        }
    )
    geometry = np.array([bowtie, EAST, Point(114, 41)], dtype=object)
    table = SourceTable("c.geojson", frame, np.arange(1, 4), geometry=geometry)
    rows, problems = validate_table(
        table, COUNTIES, crs=CoordinateSystem.WGS84, reference=REFERENCE
    )
    assert [(p.row, p.field) for p in problems] == [(1, "geometry"), (3, "geometry")]
    assert "invalid geometry: Self-intersection" in problems[0].message
    assert rows.frame["province_code"].tolist() == ["150000", "140000", "130000"]
    assert rows.frame["geometry"].iloc[1].equals(EAST)


def test_conflicting_province_names() -> None:
    frame = pd.DataFrame(
        {"code": ["150924", "150981"], "name": ["a", "b"], "province": ["内蒙古自治区", "内蒙古"]}
    )
    geometry = np.array([WEST, EAST], dtype=object)
    table = SourceTable("c.geojson", frame, np.arange(1, 3), geometry=geometry)
    _, problems = validate_table(table, COUNTIES, crs=CoordinateSystem.WGS84, reference=REFERENCE)
    assert [(p.row, p.field) for p in problems] == [(2, "province")]


def test_campus_polygons_give_a_location_inside() -> None:
    campus = box(113.70, 41.00, 113.701, 41.001)
    frame = pd.DataFrame({"name": ["一小"], "kind": ["小学"]})
    table = SourceTable(
        "s.geojson", frame, np.array([1]), geometry=np.array([campus], dtype=object)
    )
    rows, problems = validate_table(table, SCHOOLS, crs=CoordinateSystem.WGS84, reference=REFERENCE)
    assert problems == []
    assert campus.contains(rows.frame[LOCATION].iloc[0])
    assert rows.frame["county_code"].iloc[0] == "150924"
    assert rows.frame["campus"].iloc[0].geom_type == "MultiPolygon"
    assert LOCATION not in rows.present
    assert "campus" in rows.present


def test_orders_take_the_retailers_county() -> None:
    reference = Reference(REFERENCE.counties, retailers=pd.Series({"A1": "150924", "B1": "140222"}))
    frame = pd.DataFrame(
        {
            "licence_no": ["A1", "B1", "C1"],
            "date": ["2026-11-16"] * 3,
            "cartons": ["5", "6", "7"],
            "county_code": ["", "150924", ""],
        }
    )
    table = SourceTable("o.csv", frame, np.arange(2, 5))
    rows, problems = validate_table(table, ORDERS, crs=CoordinateSystem.WGS84, reference=reference)
    assert rows.frame["county_code"].iloc[0] == "150924"
    assert [(p.row, p.field) for p in problems] == [(3, "county_code"), (4, "licence_no")]
    assert "differs from the retailer's county 140222" in problems[0].message
    assert "no retailer with licence_no 'C1'" in problems[1].message


@pytest.mark.parametrize("crs", list(CoordinateSystem))
def test_every_crs_gives_points_near_the_input(crs: CoordinateSystem, tmp_path: Path) -> None:
    rows, problems = _retailers(["A1,a,150924,113.7,41.0,10,grocery,active"], tmp_path, crs=crs)
    assert problems == []
    assert rows.frame[LOCATION].iloc[0].distance(Point(113.7, 41.0)) < 0.02


def test_a_row_with_another_problem_still_reports_its_missing_location() -> None:
    frame = pd.DataFrame(
        {"name": ["一小", "二小"], "kind": ["小学", "大学"], "lon": ["", ""], "lat": ["", ""]}
    )
    table = SourceTable("s.csv", frame, np.array([2, 3]))
    _, problems = validate_table(table, SCHOOLS, crs=CoordinateSystem.WGS84, reference=REFERENCE)
    assert [(p.row, p.field) for p in problems] == [
        (2, "lon"),
        (2, "lat"),
        (3, "kind"),
        (3, "lon"),
        (3, "lat"),
    ]


def test_missing_lon_lat_columns_are_reported_once_not_per_row(tmp_path: Path) -> None:
    _, problems = _retailers(
        ["A1,a,10,grocery,active"] * 3, tmp_path, header="licence_no,name,tier,business_type,status"
    )
    assert [(p.row, p.field) for p in problems if p.field in ("lon", "lat")] == [
        (None, "lon"),
        (None, "lat"),
    ]
