"""Every identifier rule: valid forms, invalid ones (kept, with the reason), noisy variants."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric, uscc

from gridmgmt.cases.identifiers import (
    clean_address,
    county_name,
    county_table,
    normalise,
    normalise_address,
    normalise_bank_account,
    normalise_company,
    normalise_id_number,
    normalise_licence_no,
    normalise_name,
    normalise_phone,
    normalise_plate,
    normalise_waybill,
    phone_region,
    province_code_from_text,
    s10_check_digit,
)
from gridmgmt.cases.model import EntityKind
from gridmgmt.cases.synthetic import DEMO_COUNTIES, MOBILE_BLOCKS


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


XINGHE_ID = with_check_digit("15092419900307123")  # 兴和县, born 1990-03-07, male


# --- resident ID numbers ---------------------------------------------------------------------


def test_valid_id_number_tells_region_birth_date_and_sex() -> None:
    result = normalise_id_number(XINGHE_ID)
    assert result.valid
    assert result.reason is None
    assert result.value == XINGHE_ID
    assert result.attributes["province_code"] == "15"
    assert result.attributes["province"] == "内蒙古自治区"
    assert result.attributes["county"] == "兴和县"
    assert result.attributes["birth_date"] == date(1990, 3, 7)
    assert result.attributes["sex"] == "M"
    assert not ric.is_valid(XINGHE_ID)  # stdnum's validate ties 150924 (since 2003) to birth year


@pytest.mark.parametrize(
    "noisy",
    [
        " ".join([XINGHE_ID[:6], XINGHE_ID[6:14], XINGHE_ID[14:]]),
        f"{XINGHE_ID[:6]}-{XINGHE_ID[6:14]}-{XINGHE_ID[14:]}",
        XINGHE_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        f"  {XINGHE_ID}\t",
    ],
)
def test_noisy_id_number_normalises_to_the_same_value(noisy: str) -> None:
    result = normalise_id_number(noisy)
    assert result.valid
    assert result.value == XINGHE_ID
    assert result.raw == noisy


def test_lower_case_x_check_digit_is_accepted() -> None:
    body = next(
        f"14072219850101{n:03d}"
        for n in range(1000)
        if ric.calc_check_digit(f"14072219850101{n:03d}0") == "X"
    )
    result = normalise_id_number(body + "x")
    assert result.valid
    assert result.value == body + "X"


def test_fifteen_digit_number_is_converted_to_eighteen() -> None:
    old = XINGHE_ID[:6] + XINGHE_ID[8:17]
    result = normalise_id_number(old)
    assert result.valid
    assert result.value == XINGHE_ID
    assert result.attributes["converted_from_15"] is True


def test_wrong_check_digit_is_kept_and_flagged() -> None:
    wrong = XINGHE_ID[:17] + ("0" if XINGHE_ID[17] != "0" else "1")
    result = normalise_id_number(wrong)
    assert not result.valid
    assert result.value == wrong
    assert "check digit" in (result.reason or "")
    assert result.attributes["birth_date"] == date(1990, 3, 7)


def test_typed_digit_slip_is_always_caught() -> None:
    for position in range(17):
        digit = "5" if XINGHE_ID[position] != "5" else "6"
        slipped = XINGHE_ID[:position] + digit + XINGHE_ID[position + 1 :]
        assert not normalise_id_number(slipped).valid


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("15092419900307", "has 14 characters"),
        (with_check_digit("15092419901307123"), "not a real birth date"),
        (with_check_digit("15092420990307123"), "impossible"),
        (with_check_digit("99092419900307123"), "not a province code"),
        ("1509241990030712A3", "only digits"),
    ],
)
def test_invalid_id_numbers_say_why(number: str, fragment: str) -> None:
    result = normalise_id_number(number, today=date(2024, 6, 1))
    assert not result.valid
    assert fragment in (result.reason or "")


def test_unknown_county_code_is_noted_not_rejected() -> None:
    number = with_check_digit("15099919900307123")
    result = normalise_id_number(number)
    assert result.valid
    assert "region_note" in result.attributes


@given(
    st.sampled_from(sorted(DEMO_COUNTIES)),
    st.dates(date(1930, 1, 1), date(2010, 12, 31)),
    st.integers(0, 999),
)
def test_generated_id_numbers_are_valid_and_round_trip(county: str, birth: date, seq: int) -> None:
    number = with_check_digit(f"{county}{birth:%Y%m%d}{seq:03d}")
    result = normalise_id_number(number)
    assert result.valid
    assert result.attributes["birth_date"] == birth
    if birth.year < 2000:
        assert normalise_id_number(number[:6] + number[8:17]).value == number


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "noisy",
    ["13947461234", "+86 139 4746 1234", "0086-139-4746-1234", "86 13947461234", "139-4746-1234",
     "（139）47461234", "１３９４７４６１２３４"],
)  # fmt: skip
def test_mobile_number_variants_normalise_to_e164(noisy: str) -> None:
    result = normalise_phone(noisy)
    assert result.valid
    assert result.value == "+8613947461234"
    assert result.attributes["type"] == "mobile"
    assert result.attributes["province_code"] == "15"
    assert result.attributes["home_region_zh"].startswith("内蒙古")
    assert "Inner Mongolia" in result.attributes["home_region_en"]


@pytest.mark.parametrize(
    ("landline", "value", "province"),
    [
        ("0474-8123456", "+864748123456", "15"),
        ("(0352) 5123456", "+863525123456", "14"),
        ("0313 5123456", "+863135123456", "13"),
        ("+86 313 5123456", "+863135123456", "13"),
    ],
)
def test_landlines_keep_their_area_and_region(landline: str, value: str, province: str) -> None:
    result = normalise_phone(landline)
    assert result.valid
    assert result.value == value
    assert result.attributes["type"] == "fixed_line"
    assert result.attributes["province_code"] == province


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("1394746123", "11 digits"), ("139474612345", "11 digits"), ("12345", "11 digits"),
     ("call me", "not a phone number"), ("0474-12", "landlines")],
)  # fmt: skip
def test_invalid_phones_are_kept_with_a_reason(raw: str, fragment: str) -> None:
    result = normalise_phone(raw)
    assert not result.valid
    assert fragment in (result.reason or "")
    assert result.raw == raw


def test_geocoding_can_be_left_out_and_asked_later() -> None:
    result = normalise_phone("+86 139 4746 1234", geocode=False)
    assert result.valid
    assert "province_code" not in result.attributes
    assert phone_region(result.value)["province_code"] == "15"


@pytest.mark.parametrize("province", sorted(MOBILE_BLOCKS))
def test_synthetic_mobile_blocks_geocode_to_their_province(province: str) -> None:
    for block in MOBILE_BLOCKS[province]:
        assert phone_region(f"+86{block}1234").get("province_code") == province


def test_foreign_numbers_are_valid_without_a_chinese_province() -> None:
    result = normalise_phone("+852 9123 4567")
    assert result.valid
    assert result.value == "+85291234567"
    assert "province_code" not in result.attributes


def test_province_from_description() -> None:
    assert province_code_from_text("河北省张家口市") == "13"
    assert province_code_from_text("内蒙古乌兰察布") == "15"
    assert province_code_from_text("中国") is None


# --- plates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "plate_type"),
    [
        ("蒙J12345", "蒙J12345", "standard"),
        ("蒙j·1234A", "蒙J1234A", "standard"),
        ("晋B D12345", "晋BD12345", "new_energy_small"),
        ("冀G12345D", "冀G12345D", "new_energy_large"),
        ("蒙J1234挂", "蒙J1234挂", "trailer"),
        ("晋-B-A1B23", "晋BA1B23", "standard"),
    ],
)
def test_valid_plates(raw: str, value: str, plate_type: str) -> None:
    result = normalise_plate(raw)
    assert result.valid
    assert result.value == value
    assert result.attributes["plate_type"] == plate_type
    assert result.attributes["new_energy"] is plate_type.startswith("new_energy")
    assert "corrected" not in result.attributes


def test_plate_tells_its_province() -> None:
    result = normalise_plate("冀G12345")
    assert result.attributes["province_code"] == "13"
    assert result.attributes["province"] == "河北省"
    assert result.attributes["authority"] == "冀G"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("蒙J1234O", "蒙J12340"), ("晋BI23O5", "晋B12305"), ("蒙jo1234", "蒙J01234")],
)
def test_o_and_i_slips_in_the_serial_are_corrected_and_flagged(raw: str, value: str) -> None:
    result = normalise_plate(raw)
    assert result.valid
    assert result.value == value
    assert result.attributes["corrected"] is True
    assert result.attributes["corrections"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("J12345", "province abbreviation"), ("蒙112345", "letter"), ("蒙J123", "serial"),
     ("蒙J1234567", "serial"), ("", "province abbreviation")],
)  # fmt: skip
def test_invalid_plates_say_why(raw: str, fragment: str) -> None:
    result = normalise_plate(raw)
    assert not result.valid
    assert fragment in (result.reason or "")


# --- waybills --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "carrier"),
    [("SF1234567890123", "SF"), ("sf 1234 5678 90123", "SF"), ("JDVA12345678901", "JD"),
     ("YT1234567890123", "YTO"), ("JT0001234567890", "JT"), ("DPK123456789012", "DBL")],
)  # fmt: skip
def test_prefixed_waybills_name_their_carrier(raw: str, carrier: str) -> None:
    result = normalise_waybill(raw)
    assert result.valid
    assert result.attributes["carrier"] == carrier
    assert result.attributes["carrier_confidence"] == "prefix"


def test_s10_waybill_check_digit() -> None:
    good = "EA12345678" + s10_check_digit("12345678") + "CN"
    assert normalise_waybill(good).valid
    assert normalise_waybill(good).attributes["carrier"] == "EMS"
    bad_digit = str((int(s10_check_digit("12345678")) + 1) % 10)
    bad = normalise_waybill("EA12345678" + bad_digit + "CN")
    assert not bad.valid
    assert "S10 check digit" in (bad.reason or "")


def test_bare_digit_waybills_get_candidates_not_a_verdict() -> None:
    ambiguous = normalise_waybill("1012345678901")
    assert ambiguous.valid
    assert ambiguous.attributes["carrier_confidence"] == "heuristic"
    assert set(ambiguous.attributes["carrier_candidates"]) >= {"YUNDA", "EMS"}
    assert "carrier" not in ambiguous.attributes
    single = normalise_waybill("7712345678901")
    assert single.attributes["carrier"] == "STO"


def test_unknown_waybill_form_is_kept_valid_without_carrier() -> None:
    result = normalise_waybill("ABCD1234567")
    assert result.valid
    assert result.attributes["carrier_confidence"] == "unknown"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("12AB", "8-20"), ("SF12345*678", "letters and digits"), ("SF12345678", "SF waybills")],
)
def test_invalid_waybills(raw: str, fragment: str) -> None:
    result = normalise_waybill(raw)
    assert not result.valid
    assert fragment in (result.reason or "")


# --- addresses -------------------------------------------------------------------------------

COUNTIES = county_table(DEMO_COUNTIES)


def test_county_table_from_division_codes() -> None:
    assert dict(DEMO_COUNTIES) == COUNTIES
    assert county_name("140222") == "天镇县"
    assert county_name("999999") is None


@pytest.mark.parametrize(
    "raw",
    [
        "内蒙古乌兰察布市兴和县城关镇幸福路12号",
        "内蒙古自治区乌兰察布市兴和县 城关镇 幸福路 12号",
        "内蒙兴和城关镇幸福路１２号",
        "乌盟兴和县城关镇幸福路十二号",
        "兴和县城关镇幸福路12#",
    ],
)
def test_address_variants_share_county_and_local_part(raw: str) -> None:
    result = normalise_address(raw, counties=COUNTIES)
    assert result.valid
    assert result.attributes["county_code"] == "150924"
    assert result.attributes["local"] == "城关镇幸福路12号"
    assert result.attributes["numbers"] == ["12"]


def test_address_cleaning() -> None:
    assert clean_address(" 怀安县　柴沟堡镇 3#楼 201 ") == "怀安县柴沟堡镇3号楼201"
    assert clean_address("天镇县南河堡乡三村二十一号") == "天镇县南河堡乡三村21号"
    assert clean_address("兴和县工业园") == "兴和县工业园区"


def test_address_without_a_known_county_keeps_its_local_part() -> None:
    result = normalise_address("河北省张家口市宣化区建设街5号", counties=COUNTIES)
    assert result.valid
    assert "county_code" not in result.attributes
    assert result.attributes["local"] == "宣化区建设街5号"


def test_ambiguous_county_name_lists_candidates() -> None:
    table = {"150102": "新城区", "610102": "新城区"}
    result = normalise_address("新城区海东路8号", counties=table)
    assert "county_code" not in result.attributes
    assert result.attributes["county_candidates"] == ["150102", "610102"]


def test_too_short_address_is_flagged() -> None:
    result = normalise_address("某地", counties=COUNTIES)
    assert not result.valid
    assert "too short" in (result.reason or "")


# --- bank accounts, companies, licences, names ---------------------------------------------


def test_bank_card_luhn() -> None:
    body = "622202123456789012"
    card = body + luhn.calc_check_digit(body)
    good = normalise_bank_account(" ".join([card[:4], card[4:8], card[8:12], card[12:]]))
    assert good.valid
    assert good.value == card
    assert good.attributes == {"account_type": "card", "luhn": "ok"}
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    bad = normalise_bank_account(wrong)
    assert not bad.valid
    assert "Luhn" in (bad.reason or "")


def test_corporate_account_has_no_luhn_check() -> None:
    result = normalise_bank_account("0502 0203 0902 0048 27")
    assert result.valid
    assert result.attributes["luhn"] == "n/a"


@pytest.mark.parametrize(("raw", "fragment"), [("6222-abc", "digits"), ("12345", "10-30")])
def test_invalid_bank_accounts(raw: str, fragment: str) -> None:
    result = normalise_bank_account(raw)
    assert not result.valid
    assert fragment in (result.reason or "")


def test_company_credit_code_is_checked() -> None:
    body = "91150924MA0N1234"
    code = body + "0" + uscc.calc_check_digit(body + "00")
    code = code[:17] + uscc.calc_check_digit(code[:17] + "0")
    result = normalise_company(f"兴和县鑫源商贸有限公司 {code}")
    assert result.valid
    assert result.value == code
    assert result.attributes["name"] == "兴和县鑫源商贸有限公司"
    assert result.attributes["region_code"] == "150924"
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    bad = normalise_company(wrong)
    assert not bad.valid
    assert "check digit" in (bad.reason or "")


def test_company_without_code_matches_on_its_core_name() -> None:
    one = normalise_company("兴和县鑫源商贸有限公司")
    other = normalise_company("兴和县 鑫源商贸 有限责任公司")
    assert one.valid
    assert one.attributes["core_name"] == other.attributes["core_name"] == "兴和县鑫源商贸"


def test_licence_number_names_its_county() -> None:
    result = normalise_licence_no("许可证号：150924100123")
    assert result.valid
    assert result.value == "150924100123"
    assert result.attributes["county"] == "兴和县"
    assert not normalise_licence_no("15O924100123").valid
    assert not normalise_licence_no("1509").valid


@pytest.mark.parametrize(
    ("raw", "value"),
    [("张 伟", "张伟"), ("阿不都.热合曼", "阿不都·热合曼"), (" 王小明 ", "王小明")],
)
def test_names_are_cleaned(raw: str, value: str) -> None:
    result = normalise_name(raw)
    assert result.valid
    assert result.value == value


def test_homophone_names_share_pinyin() -> None:
    assert (
        normalise_name("张伟").attributes["pinyin"] == normalise_name("张玮").attributes["pinyin"]
    )
    assert not normalise_name("1").valid


def test_dispatch_by_kind_and_unknown_kind() -> None:
    assert normalise(EntityKind.PLATE, "蒙J12345").value == "蒙J12345"
    assert (
        normalise("address", "兴和县城关镇幸福路12号", counties=COUNTIES).attributes["county_code"]
        == "150924"
    )
    with pytest.raises(ValueError, match="expected one of"):
        normalise("vehicle", "蒙J12345")
