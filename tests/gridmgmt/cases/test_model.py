"""Case import forms: JSON and CSV, all-or-nothing, with every error located."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from gridmgmt.cases.model import (
    Case,
    CaseStatus,
    CaseType,
    CaseValidationError,
    ChainStage,
    EntityKind,
    Mention,
    cases_to_json,
    label_zh,
    parse_case_enum,
    parse_cases_csv,
    parse_cases_json,
    parse_date,
    read_cases_file,
    role_stage,
)

GOOD_JSON = [
    {
        "case_no": "XH-2023-001",
        "county_code": "150924",
        "opened_on": "2023-05-01",
        "type": "counterfeit",
        "lon": 113.83,
        "lat": 40.87,
        "seized_cartons": 120,
        "value_yuan": 26000,
        "summary": "城关镇查获假烟",
        "entities": [
            {"kind": "person", "name": "张伟", "id_number": "150924199003071239", "role": "供货人"},
            {"kind": "phone", "value": "+86 139 4746 1234", "role": "供货人"},
            {"kind": "plate", "value": "蒙J12345", "role": "车辆"},
        ],
    },
    {
        "case_no": "TZ-2023-007",
        "county_code": "140222",
        "opened_on": "2023年6月3日",
        "type": "物流寄递",
        "status": "结案",
        "entities": [{"kind": "waybill", "value": "SF1234567890123", "role": "寄递"}],
    },
]


def test_json_form_reads_cases_and_mentions() -> None:
    result = parse_cases_json(json.dumps(GOOD_JSON, ensure_ascii=False))
    assert [case.case_no for case in result.cases] == ["XH-2023-001", "TZ-2023-007"]
    first, second = result.cases
    assert first.type is CaseType.COUNTERFEIT
    assert first.status is CaseStatus.OPEN
    assert first.province_code == "15"
    assert (first.lon, first.lat, first.seized_cartons) == (113.83, 40.87, 120.0)
    assert second.opened_on == date(2023, 6, 3)
    assert second.type is CaseType.COURIER_SHIPMENT
    assert second.status is CaseStatus.CLOSED
    assert len(result.mentions) == 4
    person = result.mentions[0]
    assert person.kind is EntityKind.PERSON
    assert (person.name, person.id_number, person.role) == ("张伟", "150924199003071239", "供货人")
    assert person.value is None
    assert result.mentions[3] == Mention(
        "TZ-2023-007", EntityKind.WAYBILL, "SF1234567890123", role="寄递"
    )
    assert result.mentions_by_case()["XH-2023-001"][2].value == "蒙J12345"


def test_json_object_with_cases_list_is_accepted() -> None:
    assert len(parse_cases_json({"cases": GOOD_JSON}).cases) == 2


def test_json_errors_are_all_collected_with_row_and_field() -> None:
    bad = [
        {"case_no": "A", "county_code": "15092", "opened_on": "2023-02-30", "type": "fake"},
        {
            "case_no": "B",
            "county_code": "150924",
            "opened_on": "2023-01-01",
            "type": "smuggled",
            "lon": 200,
            "entities": [
                {"kind": "vehicle", "value": "蒙J12345"},
                {"kind": "person", "role": "司机"},
                {"kind": "phone"},
            ],
        },
        {"case_no": "B", "county_code": "150924", "opened_on": "2023-01-01", "type": "smuggled"},
    ]
    with pytest.raises(CaseValidationError) as caught:
        parse_cases_json(bad, source="upload.json")
    located = {(error.row, error.field) for error in caught.value.errors}
    assert located == {
        (1, "county_code"),
        (1, "opened_on"),
        (1, "type"),
        (2, "lon"),
        (2, "entities[0].kind"),
        (2, "entities[1].name"),
        (2, "entities[2].value"),
        (3, "case_no"),
    }
    assert all(error.source == "upload.json" for error in caught.value.errors)
    message = str(caught.value)
    assert "nothing imported" in message
    assert "upload.json, row 1, field 'type'" in message
    assert "counterfeit (制售假烟)" in message  # the allowed values are listed


def test_json_syntax_error_is_reported_not_raised_raw() -> None:
    with pytest.raises(CaseValidationError, match="1 problem"):
        parse_cases_json("[{")
    with pytest.raises(CaseValidationError, match="expected a list of cases"):
        parse_cases_json('{"case_no": "A"}')


CSV_TEXT = """case_no,county_code,opened_on,type,status,lon,lat,seized_cartons,value_yuan,summary,kind,value,name,id_number,phone,role
XH-1,150924,2023-05-01,counterfeit,open,113.83,40.87,120,26000,查获假烟,person,,张伟,150924199003071239,13947461234,供货人
XH-1,150924,2023-05-01,counterfeit,open,113.83,40.87,120,26000,查获假烟,plate,蒙J12345,,,,车辆
YG-2,140221,2023/6/2,unlicensed_sale,,,,,,,,,,,,
"""


def test_csv_form_one_row_per_mention() -> None:
    result = parse_cases_csv(CSV_TEXT)
    assert [case.case_no for case in result.cases] == ["XH-1", "YG-2"]
    assert result.cases[1].opened_on == date(2023, 6, 2)
    assert result.cases[1].lon is None
    assert len(result.mentions) == 2
    assert result.mentions[0].phone == "13947461234"
    assert result.mentions[1] == Mention("XH-1", EntityKind.PLATE, "蒙J12345", role="车辆")


def test_csv_with_chinese_headers_in_gbk() -> None:
    text = "案件编号,县区代码,立案日期,案件类型,实体类型,值,角色\nHA-1,130728,20230105,走私烟,电话,0313-5123456,联系人\n"
    result = parse_cases_csv(text.encode("gbk"))
    assert result.cases[0].type is CaseType.SMUGGLED
    assert result.mentions[0].kind is EntityKind.PHONE
    assert result.mentions[0].value == "0313-5123456"


def test_csv_errors_name_file_row_and_field() -> None:
    text = (
        "case_no,county_code,opened_on,type,kind,value,role\n"
        "A,150924,2023-01-01,counterfeit,phone,139,\n"
        "A,150924,2023-01-02,counterfeit,plate,蒙J1,\n"
        "B,150924,yesterday,counterfeit,plate,,\n"
    )
    with pytest.raises(CaseValidationError) as caught:
        parse_cases_csv(text, source="cases.csv")
    located = {(error.row, error.field) for error in caught.value.errors}
    assert located == {(3, "opened_on"), (4, "opened_on"), (4, "value")}
    assert "differs from row 2" in str(caught.value)


def test_csv_missing_columns_are_named() -> None:
    with pytest.raises(CaseValidationError, match="missing column"):
        parse_cases_csv("case_no,type\nA,counterfeit\n")


def test_invalid_identifiers_are_not_import_errors() -> None:
    text = "case_no,county_code,opened_on,type,kind,value\nA,150924,2023-01-01,counterfeit,id_number,123\n"
    assert parse_cases_csv(text).mentions[0].value == "123"


def test_json_round_trip_and_file_reading(tmp_path: Path) -> None:
    parsed = parse_cases_json(GOOD_JSON)
    again = parse_cases_json(cases_to_json(parsed.cases, parsed.mentions))
    assert again.cases == parsed.cases
    assert again.mentions == parsed.mentions
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(GOOD_JSON, ensure_ascii=False), encoding="utf-8")
    assert read_cases_file(path).cases == parsed.cases
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text(CSV_TEXT, encoding="utf-8")
    assert len(read_cases_file(csv_path).mentions) == 2
    with pytest.raises(ValueError, match=r"expected one of \['.json', '.csv'\]"):
        read_cases_file(tmp_path / "cases.xlsx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2023-05-01", date(2023, 5, 1)), ("2023/5/1", date(2023, 5, 1)), ("20230501", date(2023, 5, 1)),
     ("2023.05.01", date(2023, 5, 1)), ("2023年5月1日", date(2023, 5, 1))],
)  # fmt: skip
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_vocabularies_parse_values_labels_and_synonyms() -> None:
    assert parse_case_enum(CaseType, "真烟外流") is CaseType.GENUINE_OUTFLOW
    assert parse_case_enum(CaseType, "Unlicensed-Sale") is CaseType.UNLICENSED_SALE
    assert parse_case_enum(EntityKind, "手机号") is EntityKind.PHONE
    assert label_zh(CaseType.SMUGGLED) == "走私烟"
    with pytest.raises(ValueError, match="expected one of"):
        parse_case_enum(CaseStatus, "lost")


def test_roles_map_to_chain_stages() -> None:
    assert role_stage("供货人") is ChainStage.SOURCE
    assert role_stage("Driver") is ChainStage.TRANSPORT
    assert role_stage("收件人") is ChainStage.SALE
    assert role_stage("旁观者") is None


def test_case_is_a_value() -> None:
    case = Case("A", "150924", date(2023, 1, 1), CaseType.COUNTERFEIT)
    assert case == Case("A", "150924", date(2023, 1, 1), CaseType.COUNTERFEIT)
