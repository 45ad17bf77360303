"""The driver's manifest read as a driver would: every stop has a shop name and a phone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from gridmgmt.routing.driver_manifest import (
    RetailerContact,
    driver_stop_table,
    write_manifest_csv,
    write_manifest_excel,
)
from gridmgmt.routing.model import (
    DayPlan,
    PlannedRoute,
    PlannedStop,
    UnservedOrder,
    UnservedReason,
)
from gridmgmt.routing.route_sketch import route_svg
from gridmgmt.services.routes.manifests import manifest_html

DAY = dt.date(2026, 11, 16)
CONTACTS = {
    "150924000001": RetailerContact(
        "兴和县城关镇<b>金记</b>烟酒店", "兴和县城关镇人民路1号", "13947410001"
    ),
    "150924000002": RetailerContact("兴和县张皋镇福利超市", "兴和县张皋镇大街12号", "0474-7210002"),
    "150924000003": RetailerContact("兴和县店子镇便民店", "兴和县店子镇西街3号", "13947410003"),
}


def _stop(k: int, licence: str, *, handoff: bool = False, late: bool = False) -> PlannedStop:
    start = 9 * 3600 + k * 1800
    return PlannedStop(
        order_id=f"{licence}@{DAY}",
        retailer_id=licence,
        sequence=k,
        place=k,
        lon=113.912345678912 + k / 100,
        lat=40.896478912345 + k / 100,
        cartons=10 * k,
        arrival_s=start,
        start_s=start,
        departure_s=start + 300,
        travel_m=2000.0,
        travel_s=300.0,
        tw_start_s=8 * 3600 if late else None,
        tw_end_s=9 * 3600 if late else None,
        handoff=handoff,
    )


@pytest.fixture
def plan() -> DayPlan:
    licences = list(CONTACTS)
    route = PlannedRoute(
        route_id="蒙JV2307#1",
        vehicle_type_id="蒙JV2307",
        depot_id="D150924",
        capacity_cartons=1200,
        start_s=8 * 3600,
        end_s=12 * 3600,
        stops=(
            _stop(1, licences[0]),
            _stop(2, licences[1], handoff=True, late=True),
        ),
        return_m=3000.0,
        return_s=400.0,
    )
    unserved = UnservedOrder(f"{licences[2]}@{DAY}", UnservedReason.FLEET_FULL, "")
    return DayPlan(day=DAY, routes=(route,), unserved=(unserved,))


def test_every_stop_has_name_address_phone_and_chinese_headers(plan: DayPlan) -> None:
    table = driver_stop_table(plan, CONTACTS)
    assert list(table.columns[:10]) == [
        "线路", "车辆", "顺序", "预计到达", "时间窗", "零售户", "地址", "联系电话", "条数", "备注",
    ]  # fmt: skip
    assert table["零售户"].tolist() == [CONTACTS[k].name for k in list(CONTACTS)[:2]]
    assert table["联系电话"].tolist() == ["13947410001", "0474-7210002"]
    assert table["地址"].str.len().min() > 0
    assert table["顺序"].tolist() == [1, 2]
    assert table["预计到达"].tolist() == ["09:30", "10:00"]
    assert "约时约地" in table["备注"].iloc[1]
    assert "时间窗" in table["备注"].iloc[1]


def test_english_headers_by_parameter(plan: DayPlan) -> None:
    table = driver_stop_table(plan, CONTACTS, lang="en")
    assert {"Retailer", "Address", "Phone", "Cartons", "Arrival"} <= set(table.columns)
    assert "Handoff" in table["Note"].iloc[1]


def test_coordinates_are_rounded_to_six_decimals(plan: DayPlan, tmp_path: Path) -> None:
    path = write_manifest_csv(plan, tmp_path / "m.csv", contacts=CONTACTS)
    text = path.read_text(encoding="utf-8-sig")
    assert "113.922346" in text
    assert "113.9223456" not in text
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert all(len(v.split(".")[1]) <= 6 for v in back["经度"].tolist() + back["纬度"].tolist())
    assert back["零售户"].iloc[0] == CONTACTS["150924000001"].name


def test_excel_has_a_sheet_per_route_with_a4_print_setup(plan: DayPlan, tmp_path: Path) -> None:
    path = write_manifest_excel(
        plan, tmp_path / "m.xlsx", contacts=CONTACTS, depot="兴和县配送中心"
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "蒙JV2307#1", "未配送"]
    sheet = book["蒙JV2307#1"]
    assert "蒙JV2307" in sheet["A2"].value
    assert "兴和县配送中心" in sheet["E2"].value
    headers = [c.value for c in sheet[5]]
    assert headers[:8] == [
        "顺序",
        "预计到达",
        "时间窗",
        "零售户",
        "地址",
        "联系电话",
        "条数",
        "备注",
    ]
    assert sheet["D6"].value == CONTACTS["150924000001"].name
    assert sheet["F6"].value == "13947410001"
    assert sheet.page_setup.orientation == "portrait"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["E"].width >= 30
    assert sheet.print_title_rows == "$5:$5"


def test_printable_page_fits_a4_and_escapes_names(plan: DayPlan) -> None:
    html = manifest_html(plan, title="兴和县配送中心", contacts=CONTACTS, depot_at=(113.91, 40.89))
    assert "size: A4 portrait" in html
    assert "table-layout: fixed" in html
    assert "<b>金记</b>" not in html
    assert "&lt;b&gt;金记&lt;/b&gt;" in html
    for word in ("车辆", "司机", "配送站", "蒙JV2307", "13947410001", "兴和县张皋镇大街12号"):
        assert word in html
    assert html.count("<svg") == 1
    assert "兴和县店子镇便民店" in html  # unserved, by name
    # The eight columns add up to the 190 mm body of an A4 page with 10 mm margins.
    assert sum(int(w) for w in _col_widths(html)) <= 190


def _col_widths(html: str) -> list[str]:
    import re

    return re.findall(r'<col style="width:(\d+)mm">', html.split("</colgroup>")[0])


def test_route_sketch_numbers_every_stop() -> None:
    svg = route_svg((113.9, 40.9), [(113.91, 40.91), (113.95, 40.92)], title="<x>")
    assert svg.count("<circle") == 2
    assert ">2</text>" in svg
    assert "&lt;x&gt;" in svg


FORMULA = '=HYPERLINK("http://evil.example","点此")'


def test_csv_and_excel_show_formula_names_as_text(plan: DayPlan, tmp_path: Path) -> None:
    licence = "150924000001"
    contacts = {**CONTACTS, licence: RetailerContact(FORMULA, "@SUM(1)", "+86 139-4746-1234")}
    csv = write_manifest_csv(plan, tmp_path / "m.csv", contacts=contacts)
    back = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    assert back["零售户"].iloc[0] == "'" + FORMULA
    assert back["地址"].iloc[0] == "'@SUM(1)"
    assert back["联系电话"].iloc[0] == "+86 139-4746-1234"  # a phone is no formula
    book = openpyxl.load_workbook(
        write_manifest_excel(plan, tmp_path / "m.xlsx", contacts=contacts, depot=FORMULA)
    )
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert book["蒙JV2307#1"]["D6"].value == FORMULA
    assert book["汇总"]["B1"].value == FORMULA


def test_each_route_sheet_has_a_sketch_of_the_round(plan: DayPlan, tmp_path: Path) -> None:
    path = write_manifest_excel(plan, tmp_path / "m.xlsx", contacts=CONTACTS)
    sheet = openpyxl.load_workbook(path)["蒙JV2307#1"]
    (chart,) = sheet._charts
    (series,) = chart.series
    # The stops' own longitude and latitude cells (rows 6-7), in order.
    assert (sheet["J5"].value, sheet["K5"].value) == ("经度", "纬度")
    assert series.xVal.numRef.f.endswith("$J$6:$J$7")
    assert series.yVal.numRef.f.endswith("$K$6:$K$7")
    assert chart.x_axis.scaling.min < 113.922346 < chart.x_axis.scaling.max
    assert chart.y_axis.scaling.min < 40.906479 < chart.y_axis.scaling.max
    assert chart.anchor._from.row >= 7  # under the stops, not over them
