"""Headers users have, in Chinese or English, map onto canonical field names."""

from __future__ import annotations

from gridmgmt.io.headers import LOCATION_COLUMN, map_headers, normalise_header
from gridmgmt.io.schemas import RETAILERS, SCHEMAS, VEHICLES


def test_normalise_folds_width_case_spaces_and_bom() -> None:
    assert normalise_header("\ufeff Licence No ") == "licence_no"
    assert normalise_header("经度（GCJ02）") == "经度(gcj02)"
    assert normalise_header("Key-Retailer") == "key_retailer"


def test_chinese_headers_map_to_retailer_fields() -> None:
    headers = [
        "专卖许可证号",
        "零售户名称",
        "经营地址",
        "行政区划代码",
        "经度",
        "纬度",
        "档位",
        "业态",
        "经营状态",
        "重点零售户",
        "联系电话",
    ]
    mapping = map_headers(headers, RETAILERS)
    assert mapping.columns == {
        "licence_no": "专卖许可证号",
        "name": "零售户名称",
        "address": "经营地址",
        "county_code": "行政区划代码",
        "lon": "经度",
        "lat": "纬度",
        "tier": "档位",
        "business_type": "业态",
        "status": "经营状态",
        "key_retailer": "重点零售户",
        "phone": "联系电话",
    }
    assert mapping.ignored == []
    assert mapping.conflicts == {}


def test_unit_in_brackets_is_ignored_when_matching() -> None:
    mapping = map_headers(["车牌号", "配送站编号", "载量（条）"], VEHICLES)
    assert mapping.columns["capacity_cartons"] == "载量（条）"


def test_unknown_headers_are_listed_and_two_names_for_one_field_conflict() -> None:
    mapping = map_headers(["名称", "店名", "备注", "坐标"], RETAILERS)
    assert mapping.ignored == ["备注"]
    assert mapping.conflicts == {"name": ["名称", "店名"]}
    assert mapping.columns[LOCATION_COLUMN] == "坐标"


def test_no_alias_is_shared_by_two_fields_of_one_kind() -> None:
    for schema in SCHEMAS.values():
        seen: dict[str, str] = {}
        for spec in schema.fields:
            for name in (spec.name, *spec.aliases):
                key = normalise_header(name)
                assert seen.setdefault(key, spec.name) == spec.name, (schema.kind, name)


def test_shapefile_truncated_names_are_recognised() -> None:
    mapping = map_headers(["licence_no", "business_t", "key_retail"], RETAILERS)
    assert mapping.columns == {
        "licence_no": "licence_no",
        "business_type": "business_t",
        "key_retailer": "key_retail",
    }
