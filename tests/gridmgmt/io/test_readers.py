"""Every file type reads into text cells with the row numbers users see."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from gridmgmt.io.problems import ImportValidationError
from gridmgmt.io.readers import read_source


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_rows_are_line_numbers_with_the_header_as_line_1(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", 'licence_no,name\nA,shop a\n\nB,"two\nlines"\nC,shop c\n')
    table = read_source(path)
    assert table.frame["licence_no"].tolist() == ["A", "B", "C"]
    assert table.rows.tolist() == [2, 4, 6]
    assert table.frame["name"].tolist() == ["shop a", "two\nlines", "shop c"]


def test_csv_blank_lines_do_not_shift_row_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", "a,b\r\n1,2\r\n\r\n,\r\n3,4\r\n")
    table = read_source(path)
    assert table.rows.tolist() == [2, 5]


def test_csv_cells_are_text_and_keep_leading_zeros(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", "phone,tier\n04741234567,07\n,\n")
    table = read_source(path)
    assert table.frame.iloc[0].tolist() == ["04741234567", "07"]
    assert len(table) == 1


def test_tab_and_semicolon_separated_files(tmp_path: Path) -> None:
    tab = read_source(_write(tmp_path / "t.tsv", "a\tb\n1\t2\n"))
    semi = read_source(_write(tmp_path / "s.csv", "a;b\n1;2\n"))
    assert tab.frame.iloc[0].tolist() == semi.frame.iloc[0].tolist() == ["1", "2"]


def test_gbk_csv_is_a_problem_naming_the_file_and_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path / "零售户.csv", "许可证号,名称\n1,张记\n", encoding="gbk")
    with pytest.raises(ImportValidationError) as info:
        read_source(path, label="零售户.csv")
    (problem,) = info.value.problems
    assert problem.file == "零售户.csv"
    assert problem.field == "encoding"
    assert "GBK" in problem.message


def test_gbk_csv_reads_with_its_encoding_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", "许可证号,名称\n1,张记\n", encoding="gbk")
    table = read_source(path, encoding="gbk")
    assert table.frame.columns.tolist() == ["许可证号", "名称"]
    assert table.frame.iloc[0].tolist() == ["1", "张记"]


def test_duplicate_header_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError, match="appears twice"):
        read_source(_write(tmp_path / "r.csv", "name,Name\n1,2\n"))


def test_malformed_csv_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError) as info:
        read_source(_write(tmp_path / "r.csv", "a,b\n1,2\n3,4,5\n"))
    assert info.value.problems[0].row == 3


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError, match="no such file"):
        read_source(tmp_path / "nothing.csv")
    with pytest.raises(ImportValidationError, match=r"unsupported file type '\.doc'"):
        read_source(_write(tmp_path / "r.doc", "x"))


def test_geojson_rows_are_feature_numbers_and_values_are_text(tmp_path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"tier": 10, "key": True, "cap": 2400.0, "name": "甲"},
            "geometry": {"type": "Point", "coordinates": [113.7, 41.0]},
        },
        {
            "type": "Feature",
            "properties": {"tier": 12, "key": False, "cap": None, "name": "乙"},
            "geometry": None,
        },
    ]
    path = tmp_path / "r.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    table = read_source(path)
    assert table.rows.tolist() == [1, 2]
    assert table.frame["tier"].tolist() == ["10", "12"]
    assert table.frame["key"].tolist() == ["true", "false"]
    assert table.frame["cap"].tolist() == ["2400", ""]
    assert table.frame["name"].tolist() == ["甲", "乙"]
    assert table.geometry is not None
    assert table.geometry[0].equals(Point(113.7, 41.0))
    assert table.geometry[1] is None


def test_geopackage_and_shapefile(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"licence_no": ["150924000001"], "档位": [7]}, geometry=[Point(113.7, 41.0)], crs=4326
    )
    gdf.to_file(tmp_path / "r.gpkg", layer="retailers", driver="GPKG")
    gdf.to_file(tmp_path / "r.shp", encoding="UTF-8")
    for name in ("r.gpkg", "r.shp"):
        table = read_source(tmp_path / name)
        assert table.frame.iloc[0].tolist() == ["150924000001", "7"]
        assert table.crs is not None
        assert table.crs.to_epsg() == 4326
        assert table.geometry is not None
        assert table.geometry[0].equals(Point(113.7, 41.0))


def test_shapefile_without_cpg_in_gbk_is_reported(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"名称": ["张记便利店"]}, geometry=[Point(113.7, 41.0)], crs=4326)
    pyogrio.write_dataframe(gdf, tmp_path / "r.shp", encoding="GBK")
    (tmp_path / "r.cpg").unlink(missing_ok=True)
    with pytest.raises(ImportValidationError) as info:
        read_source(tmp_path / "r.shp")
    assert info.value.problems[0].field == "encoding"
    assert "GBK" in info.value.problems[0].message
    table = read_source(tmp_path / "r.shp", encoding="gbk")
    assert table.frame.iloc[0].tolist() == ["张记便利店"]


def test_geopackage_with_several_layers_prefers_the_kind_or_asks(tmp_path: Path) -> None:
    path = tmp_path / "all.gpkg"
    for layer in ("counties", "retailers"):
        gpd.GeoDataFrame({"layer": [layer]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(
            path, layer=layer, driver="GPKG"
        )
    assert read_source(path, preferred_layer="retailers").frame["layer"].tolist() == ["retailers"]
    assert read_source(path, layer="counties").frame["layer"].tolist() == ["counties"]
    with pytest.raises(ImportValidationError, match="choose one with --layer"):
        read_source(path, preferred_layer="staff")


def test_excel_rows_are_sheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    pd.DataFrame(
        {"许可证号": ["150924000001", None, "150924000002"], "经度": [113.7, None, 113.8]}
    ).to_excel(path, index=False)
    table = read_source(path)
    assert table.rows.tolist() == [2, 4]
    assert table.frame["经度"].tolist() == ["113.7", "113.8"]


def test_empty_unnamed_columns_are_dropped_but_unnamed_values_are_a_problem(
    tmp_path: Path,
) -> None:
    table = read_source(_write(tmp_path / "r.csv", "a,b,,\r\n1,2,,\r\n"))
    assert table.frame.columns.tolist() == ["a", "b"]
    with pytest.raises(ImportValidationError, match="column 3 has values but no header"):
        read_source(_write(tmp_path / "s.csv", "a,b,\n1,2,3\n"))
