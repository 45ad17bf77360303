"""Exports carry every attribute in WGS-84, and import back unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box, mapping
from sqlalchemy import select

from gridmgmt.domain import UserRole
from gridmgmt.errors import InvalidInputError
from gridmgmt.io.schemas import import_kinds
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.exports import EXPORT_FORMATS, export_kind
from gridmgmt.services.frames import frame_kinds
from gridmgmt.services.imports import ImportReport, import_file
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Base

WEST = box(113.5, 40.8, 114.0, 41.2)
EAST = box(114.0, 40.8, 114.5, 41.2)


TABLES = {"groups": "retailer_groups", "prices": "price_observations"}
"""Kinds stored in a table of another name."""


def _import(url: str, kind: str, path: Path, **options: Any) -> ImportReport:
    with db.transaction(url) as session:
        return import_file(session, SYSTEM, kind, path, **options)


def _export(url: str, kind: str, *, actor: Actor = SYSTEM, **options: Any) -> Path:
    with db.transaction(url) as session:
        return export_kind(session, actor, kind, **options)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _seed(url: str, folder: Path) -> None:
    """Two counties and a few rows of every kind, some attributes left empty."""
    counties = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": name, "province": province, "city": city},
                "geometry": mapping(geom),
            }
            for code, name, province, city, geom in (
                ("150924", "兴和县", "内蒙古自治区", "乌兰察布市", WEST),
                ("140222", "天镇县", "山西省", None, EAST),
            )
        ],
    }
    campus = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "兴和县第一小学", "kind": "primary"},
                "geometry": mapping(box(113.7, 41.0, 113.701, 41.001)),
            }
        ],
    }
    files = [
        (
            "counties",
            _write(folder / "c.geojson", json.dumps(counties, ensure_ascii=False)),
            "wgs84",
        ),
        (
            "retailers",
            _write(
                folder / "r.csv",
                "licence_no,name,address,lon,lat,tier,business_type,status,key_retailer,phone\n"
                "150924000001,张记便利店,城关镇人民路12号,113.71234567,41.01234567,12,便利店,正常,是,13800000000\n"
                "150924000002,李记烟酒,,113.81,41.1,3,烟酒商店,歇业,,\n"
                "140222000001,王记超市,天镇县新平路1号,114.31,41.05,30,超市,停业,否,0352-1234567\n",
            ),
            "gcj02",
        ),
        (
            "schools",
            _write(folder / "s.csv", "name,kind,lon,lat\n天镇县第二中学,中学,114.2,41.1\n"),
            "wgs84",
        ),
        (
            "schools",
            _write(folder / "campus.geojson", json.dumps(campus, ensure_ascii=False)),
            "wgs84",
        ),
        (
            "checkpoints",
            _write(folder / "k.csv", "name,kind,lon,lat\n110国道晋蒙界卡点,国道,113.99,41.0\n"),
            "wgs84",
        ),
        (
            "depots",
            _write(
                folder / "d.csv",
                "code,name,lon,lat,opens,closes\nD150924,兴和县配送中心,113.6,41.0,07:00,18:30\n"
                "D140222,天镇县配送中心,114.3,41.0,06:45,19:00\n",
            ),
            "wgs84",
        ),
        (
            "vehicles",
            _write(
                folder / "v.csv",
                "plate,depot_code,capacity_cartons,shift_start,shift_end\n"
                "蒙J12345,D150924,800,08:00,17:30\n晋B54321,D140222,1200,,\n",
            ),
            "wgs84",
        ),
        (
            "orders",
            _write(
                folder / "o.csv",
                "licence_no,date,cartons\n150924000001,2026-11-16,5\n150924000001,2026-11-17,6\n"
                "140222000001,2026-11-16,20\n",
            ),
            "wgs84",
        ),
        (
            "staff",
            _write(
                folder / "p.csv",
                "staff_no,name,role,county_code,phone,capacity\n150924-M01,张伟,专管员,150924,13900000000,2400\n"
                "140222-D01,李娜,deliverer,140222,,\n",
            ),
            "wgs84",
        ),
        (
            "groups",
            _write(
                folder / "g.csv",
                "licence_no,group_code,group_name,leader\n150924000001,XH-01,城关自律小组,是\n"
                "150924000002,XH-01,城关自律小组,\n",
            ),
            "wgs84",
        ),
        (
            "prices",
            _write(
                folder / "pr.csv",
                "licence_no,brand,pack,price,date,observer\n"
                "150924000001,中华,硬盒,45,2026-11-16,张伟\n"
                "150924000001,中华,硬盒,45.5,2026-11-17,张伟\n"
                "140222000001,玉溪,软盒,23.5,2026-11-16,李娜\n",
            ),
            "wgs84",
        ),
    ]
    for kind, path, crs in files:
        _import(url, kind, path, crs=crs)


def _data(url: str) -> dict[str, list[tuple[object, ...]]]:
    with db.transaction(url) as session:
        return {
            table.name: sorted((tuple(r) for r in session.execute(select(table)).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name not in {AuditEntry.__tablename__, "audit_head"}
        }


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_kind_exports_and_imports_back_unchanged(
    fmt: str, store_url: str, tmp_path: Path
) -> None:
    """Every importable kind round-trips; derived kinds (grids) are export-only."""
    _seed(store_url, tmp_path)
    before = _data(store_url)
    assert set(import_kinds()) <= set(frame_kinds())
    for kind in import_kinds():
        out = _export(store_url, kind, fmt=fmt, out=tmp_path / "out" / f"{kind}.{fmt}")
        report = _import(store_url, kind, out)
        assert (report.inserted, report.updated) == (0, 0), kind
        assert report.unchanged == len(before[TABLES.get(kind, kind)]), kind
    assert _data(store_url) == before


def test_csv_has_lon_lat_for_points_and_wkt_for_polygons(store_url: str, tmp_path: Path) -> None:
    _seed(store_url, tmp_path)
    retailers = _export(store_url, "retailers", fmt="csv", out=tmp_path / "r.csv")
    counties = _export(store_url, "counties", fmt="csv", out=tmp_path / "c.csv")
    assert retailers.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for Chinese
    frame = pd.read_csv(retailers, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns) == [
        "licence_no", "name", "address", "county_code", "tier", "business_type", "status",
        "key_retailer", "phone", "delivery_weekday", "lon", "lat",
    ]  # fmt: skip
    first = frame.set_index("licence_no").loc["150924000001"]
    assert (first["name"], first["status"], first["key_retailer"]) == (
        "张记便利店",
        "active",
        "True",
    )
    # Stored (and exported) in WGS-84: the GCJ-02 input moved by about 500 m.
    assert abs(float(first["lon"]) - 113.71234567) > 0.003
    wkt = pd.read_csv(counties, dtype=str, encoding="utf-8-sig")["geometry"].iloc[0]
    assert wkt.startswith("MULTIPOLYGON")


def test_geojson_and_geopackage_are_wgs84_features(store_url: str, tmp_path: Path) -> None:
    _seed(store_url, tmp_path)
    for fmt in ("geojson", "gpkg"):
        out = _export(store_url, "schools", fmt=fmt, out=tmp_path / f"s.{fmt}")
        frame = pyogrio.read_dataframe(out)
        assert frame.crs.to_epsg() == 4326
        assert set(frame.geometry.geom_type) == {"Point"}
        campus = dict(zip(frame["name"], frame["campus"], strict=True))
        assert campus["兴和县第一小学"].startswith("MULTIPOLYGON")
        assert pd.isna(campus["天镇县第二中学"])


def test_non_spatial_kinds_export_as_tables(store_url: str, tmp_path: Path) -> None:
    _seed(store_url, tmp_path)
    out = _export(store_url, "vehicles", fmt="gpkg", out=tmp_path / "v.gpkg")
    frame = pyogrio.read_dataframe(out)
    assert "geometry" not in frame.columns
    assert sorted(frame["plate"]) == ["晋B54321", "蒙J12345"]
    assert sorted(frame["shift_start"]) == ["08:00", "08:00"]


def test_an_officer_exports_only_their_county(store_url: str, tmp_path: Path) -> None:
    _seed(store_url, tmp_path)
    officer = Actor("wang", UserRole.OFFICER, frozenset({"140222"}))
    out = _export(store_url, "retailers", fmt="csv", out=tmp_path / "r.csv", actor=officer)
    frame = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert frame["licence_no"].tolist() == ["140222000001"]
    with db.transaction(store_url) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert (entry.username, entry.kind, entry.detail["rows"]) == ("wang", "retailers", 1)


def test_unknown_kind_and_format_list_the_allowed_values(sqlite_url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"\['geojson', 'csv', 'gpkg'\]"):
        _export(sqlite_url, "retailers", fmt="xlsx", out=tmp_path / "r.xlsx")
    with pytest.raises(InvalidInputError, match="'counties', 'retailers'"):
        _export(sqlite_url, "shops", fmt="csv", out=tmp_path / "r.csv")


def test_an_empty_kind_exports_and_imports(sqlite_url: str, tmp_path: Path) -> None:
    for fmt in EXPORT_FORMATS:
        out = _export(sqlite_url, "retailers", fmt=fmt, out=tmp_path / f"r.{fmt}")
        report = _import(sqlite_url, "retailers", out)
        assert report.rows == 0
