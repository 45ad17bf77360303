"""Responsibility sheet: counts per grid, key retailers, staff, CSV and Excel export."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmgmt.grids.sheet import responsibility_sheet, write_sheet


@pytest.fixture
def sheet() -> pd.DataFrame:
    grids = gpd.GeoDataFrame(
        {"grid_id": ["G2", "G1"], "workload": [50.0, 80.0]},
        geometry=[
            shapely.box(112.01, 40.0, 112.02, 40.01),
            shapely.box(112.0, 40.0, 112.01, 40.01),
        ],
        crs=4326,
    )
    retailers = pd.DataFrame(
        {
            "licence_no": ["R1", "R2", "R3", "R4", "R5"],
            "grid_id": ["G1", "G1", "G1", "G2", None],
            "tier": [1, 15, 30, 12, 3],
            "status": ["active", "suspended", "正常", "closed", "active"],
            "key_retailer": [True, False, True, False, True],
        }
    )
    assignments = pd.DataFrame(
        {"grid_id": ["G1", "G1", "G1", "G2"],
         "role": ["monopoly_officer", "account_manager", "deliverer", "monopoly_officer"],
         "staff_id": ["s1", "s2", "s3", "s1"]}
    )  # fmt: skip
    staff = pd.DataFrame(
        {"staff_id": ["s1", "s2", "s3"], "name": ["王伟", "李娜", "张强"],
         "phone": ["13800000001", "13800000002", "13800000003"]}
    )  # fmt: skip
    return responsibility_sheet(grids, retailers, assignments, staff)


def test_counts_per_grid(sheet: pd.DataFrame) -> None:
    g1 = sheet.iloc[0]
    assert sheet["grid_id"].tolist() == ["G1", "G2"]
    assert (g1["retailers"], g1["retailers_active"], g1["retailers_suspended"]) == (3, 2, 1)
    assert (g1["tier_1_10"], g1["tier_11_20"], g1["tier_21_30"]) == (1, 1, 1)
    assert g1["key_retailers"] == 2
    assert g1["key_retailer_licences"] == "R1; R3"
    assert g1["area_km2"] == pytest.approx(0.95, rel=0.05)
    assert sheet.iloc[1]["retailers_closed"] == 1
    assert sheet.iloc[1]["key_retailer_licences"] == ""


def test_staff_names_and_phones(sheet: pd.DataFrame) -> None:
    g1, g2 = sheet.iloc[0], sheet.iloc[1]
    assert (g1["monopoly_officer"], g1["monopoly_officer_phone"]) == ("王伟", "13800000001")
    assert g1["deliverer"] == "张强"
    assert g2["account_manager"] == ""


def test_csv_and_excel_with_chinese_headers(sheet: pd.DataFrame, tmp_path: Path) -> None:
    csv = write_sheet(sheet, tmp_path / "grids.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert "网格编号" in back.columns
    assert "专管员" in back.columns
    xlsx = write_sheet(sheet, tmp_path / "grids.xlsx", headers="en")
    assert pd.read_excel(xlsx)["grid_id"].tolist() == ["G1", "G2"]
    with pytest.raises(ValueError, match="suffix"):
        write_sheet(sheet, tmp_path / "grids.txt")


def test_a_staff_name_made_of_a_formula_stays_text(sheet: pd.DataFrame, tmp_path: Path) -> None:
    import openpyxl

    evil = sheet.assign(monopoly_officer=['=HYPERLINK("http://evil.example","x")', "@A1"])
    back = pd.read_csv(write_sheet(evil, tmp_path / "g.csv"), encoding="utf-8-sig", dtype=str)
    assert back["专管员"].tolist() == ['\'=HYPERLINK("http://evil.example","x")', "'@A1"]
    book = openpyxl.load_workbook(write_sheet(evil, tmp_path / "g.xlsx"))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert '=HYPERLINK("http://evil.example","x")' in [c.value for c in cells]
