"""Normalise and validate the identifiers cases mention.

Every function takes the raw text as users typed it and returns a
:class:`NormalisedIdentifier`: the canonical ``value`` to match on, whether it is ``valid``, the
``reason`` when it is not, and ``attributes`` read from it (birth date, home region, carrier
...). Nothing is dropped: an invalid identifier keeps its cleaned text as ``value`` and says why
it failed, so an investigator can still see and search it.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType
from stdnum import luhn, numdb
from stdnum.cn import ric, uscc

from gridmgmt.cases.model import EntityKind


@dataclass(frozen=True, slots=True)
class NormalisedIdentifier:
    """An identifier after cleaning and validation.

    Parameters
    ----------
    kind
        What the identifier is.
    raw
        The text as given.
    value
        Canonical form to match on (for an invalid identifier: the cleaned text).
    valid
        Whether the identifier passed every check.
    reason
        Why it is invalid (None when valid).
    attributes
        What the identifier tells (birth date, province, carrier ...) and any corrections made.
    """

    kind: EntityKind
    raw: str
    value: str
    valid: bool
    reason: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


# --- shared text helpers -------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-_.·•・/\\()（）]+")


def to_half_width(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width (NFKC), stripped."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", to_half_width(text)).upper()


# --- administrative divisions (from python-stdnum's table of GB/T 2260 codes) -------------

_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)


@lru_cache(maxsize=1)
def province_names() -> dict[str, str]:
    """2-digit province code -> province name (内蒙古自治区), from python-stdnum's table."""
    database = numdb.get("cn/loc")
    names = {}
    for code in range(10, 100):
        for _prefix, properties in database.info(f"{code:02d}"):
            if "province" in properties:
                names[f"{code:02d}"] = properties["province"]
    return names


def province_short_name(name: str) -> str:
    """内蒙古自治区 -> 内蒙古, 河北省 -> 河北, 北京市 -> 北京."""
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def province_name(code: str) -> str | None:
    """Name of the province of a 2- or 6-digit code, or None if unknown."""
    return province_names().get(code[:2])


@lru_cache(maxsize=8192)
def county_name(code: str) -> str | None:
    """Current name of a 6-digit division code (150924 -> 兴和县), or None if unknown.

    Codes retired since are answered with their last name.
    """
    periods = _county_periods(code)
    if not periods:
        return None
    current = [name for _start, end, name in periods if end is None]
    return current[-1] if current else periods[-1][2]


@lru_cache(maxsize=8192)
def _county_periods(code: str) -> tuple[tuple[int | None, int | None, str], ...]:
    """(first year, last year, name) of each period a division code was in use."""
    if len(code) != 6 or not code.isdigit():
        return ()
    periods = []
    for prefix, properties in numdb.get("cn/loc").info(code):
        if len(prefix) != 4 or "county" not in properties:
            continue
        for entry in properties["county"].split(","):
            found = re.match(r"^\[(\d*)-(\d*)\](.*)$", entry)
            if found:
                start, end, name = found.groups()
                periods.append((int(start) if start else None, int(end) if end else None, name))
            else:
                periods.append((None, None, entry))
    return tuple(periods)


def province_code_from_text(text: str) -> str | None:
    """Province code named at the start of a place description (内蒙古乌兰察布市 -> 15)."""
    for code, name in province_names().items():
        short = province_short_name(name)
        if text.startswith(short):
            return code
    return None


def county_table(codes: Iterable[str]) -> dict[str, str]:
    """County code -> current name, for the ``counties`` table of :func:`normalise_address`."""
    table = {}
    for code in codes:
        name = county_name(code)
        if name is not None:
            table[code] = name
    return table


# --- resident ID numbers (居民身份证号码, GB 11643) ---------------------------------------


def _id_number_attributes(number: str) -> dict[str, Any]:
    """What an 18-character ID number tells, read part by part (for valid and invalid)."""
    attributes: dict[str, Any] = {}
    region = number[:6]
    if region.isdigit():
        attributes["region_code"] = region
        province = province_name(region)
        if province:
            attributes["province_code"] = region[:2]
            attributes["province"] = province
        county = county_name(region)
        if county:
            attributes["county"] = county
    digits = number[6:14]
    if digits.isdigit():
        with suppress(ValueError):
            attributes["birth_date"] = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    if len(number) >= 17 and number[16].isdigit():
        attributes["sex"] = "M" if int(number[16]) % 2 else "F"
    return attributes


def normalise_id_number(raw: str, *, today: date | None = None) -> NormalisedIdentifier:
    """Normalise a resident ID number (身份证号): 18 characters with a GB 11643 check digit.

    15-digit numbers (issued before 1999) are converted to 18 by inserting the century 19 and
    computing the check digit; the attributes say so. Lower-case x, full-width digits, spaces and
    dashes are accepted. The check digit and the region table are python-stdnum's (``cn.ric``),
    but not its ``validate``: that requires the county code to have existed in the birth year,
    which rejects real numbers issued after a renumbering (兴和县 has been 150924 only since
    2003, yet holds people born in 1960). A province code must be known; a county code unknown
    to the table is noted in ``region_note`` but does not make the number invalid.

    Parameters
    ----------
    raw
        The number as written.
    today
        Birth dates after this day are impossible (default: today).
    """
    kind = EntityKind.ID_NUMBER
    number = _compact(raw).replace("×", "X")
    attributes: dict[str, Any] = {}
    if len(number) == 15 and number.isdigit():
        number = number[:6] + "19" + number[6:] + "0"
        number = number[:17] + ric.calc_check_digit(number)
        attributes["converted_from_15"] = True
    if len(number) != 18:
        reason = f"has {len(number)} characters; ID numbers have 18 (or 15 before 1999)"
        return NormalisedIdentifier(kind, raw, number, False, reason, attributes)
    attributes |= _id_number_attributes(number)
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        reason = "only digits are allowed, and X as the last character"
        return NormalisedIdentifier(kind, raw, number, False, reason, attributes)
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        reason = f"check digit is {number[17]} but the other 17 digits give {expected}"
        return NormalisedIdentifier(kind, raw, number, False, reason, attributes)
    problem = _id_number_problem(number, attributes, today or date.today())
    if problem:
        return NormalisedIdentifier(kind, raw, number, False, problem, attributes)
    if "county" not in attributes:
        attributes["region_note"] = f"county code {number[:6]} is not in the division table"
    return NormalisedIdentifier(kind, raw, number, True, None, attributes)


def _id_number_problem(number: str, attributes: Mapping[str, Any], today: date) -> str | None:
    if "birth_date" not in attributes:
        return f"digits 7-14 ({number[6:14]}) are not a real birth date"
    birth = attributes["birth_date"]
    if birth > today or birth.year < 1880:
        return f"birth date {birth.isoformat()} is impossible"
    if "province_code" not in attributes:
        return f"region prefix {number[:2]} is not a province code"
    return None


# --- phone numbers ------------------------------------------------------------------------

_PHONE_TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.UAN: "uan",
}
_NOT_DIAL = re.compile(r"[^\d+]")
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1\d{10})$")


@lru_cache(maxsize=1)
def _cn_mobile_pattern() -> re.Pattern[str]:
    """phonenumbers' own pattern of valid Chinese mobile numbers, compiled once."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    if not pattern:
        msg = "phonenumbers has no pattern for Chinese mobile numbers"
        raise RuntimeError(msg)
    return re.compile(f"(?:{pattern})")


@lru_cache(maxsize=65536)
def _region_of(country_code: int, national: str) -> tuple[str, str, str | None, str]:
    # phonenumbers' geocoder and carrier tables (19 MB of Python) load on the first look-up.
    from phonenumbers import carrier, geocoder

    number = PhoneNumber(country_code=country_code, national_number=int(national))
    zh = geocoder.description_for_number(number, "zh")
    en = geocoder.description_for_number(number, "en")
    province = province_code_from_text(zh) if country_code == 86 else None
    return zh, en, province, carrier.name_for_number(number, "zh")


def phone_region(value: str) -> dict[str, str]:
    """Home region of a normalised number (+8613947461234): zh, en, province code, carrier.

    Chinese mobile numbers are placed by their first 7 digits (号段), so look-ups are cached on
    that prefix: a million numbers cost a few thousand geocoder calls. Empty for numbers the
    geocoder does not know.
    """
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return {}
    national = str(number.national_number)
    if number.country_code == 86 and len(national) == 11 and national.startswith("1"):
        national = national[:7] + "0000"
    zh, en, province, operator = _region_of(number.country_code, national)
    found = {"home_region_zh": zh, "home_region_en": en} if zh else {}
    if province:
        found["province_code"] = province
    if operator:
        found["carrier"] = operator
    return found


def normalise_phone(raw: str, *, region: str = "CN", geocode: bool = True) -> NormalisedIdentifier:
    """Normalise a mobile or landline number (电话号码) to E.164 (+8613947461234).

    Accepts +86, 0086, spaces, dashes and brackets (``(0474) 812-3456``). The attributes give the
    number type and, with ``geocode``, the home region in Chinese and English (phonenumbers'
    geocoder), the province code of that region (a cross-region signal) and the mobile carrier.

    Parameters
    ----------
    raw
        The number as written.
    region
        Region assumed for numbers without a country code.
    geocode
        Add the home region (see :func:`phone_region`); off, normalising is several times faster.
    """
    kind = EntityKind.PHONE
    text = to_half_width(raw)
    digits = _NOT_DIAL.sub("", text)
    mobile = _MOBILE.match(digits)
    if mobile and _cn_mobile_pattern().fullmatch(mobile.group(1)):
        value = "+86" + mobile.group(1)
        attributes: dict[str, Any] = {"type": "mobile"}
        if geocode:
            attributes |= phone_region(value)
        return NormalisedIdentifier(kind, raw, value, True, None, attributes)
    try:
        if mobile:
            number = PhoneNumber(country_code=86, national_number=int(mobile.group(1)))
        else:
            number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        return NormalisedIdentifier(kind, raw, digits, False, f"not a phone number: {error}")
    national = str(number.national_number)
    value = f"+{number.country_code}{national}"
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.UNKNOWN or not phonenumbers.is_valid_number(number):
        reason = _phone_problem(number.country_code or 0, national)
        return NormalisedIdentifier(kind, raw, value, False, reason, {})
    attributes = {"type": _PHONE_TYPES.get(number_type, "other")}
    if geocode:
        attributes |= phone_region(value)
    return NormalisedIdentifier(kind, raw, value, True, None, attributes)


def _phone_problem(country_code: int, national: str) -> str:
    if country_code == 86 and national.startswith("1"):
        return f"mobile numbers have 11 digits starting 13-19; got {len(national)} digits"
    if country_code == 86:
        return "not a valid Chinese number: landlines are an area code (0xx/0xxx) and 7-8 digits"
    return f"not a valid number for country code +{country_code}"


# --- vehicle plates (车牌号) ---------------------------------------------------------------

PLATE_PROVINCES: dict[str, str] = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22",
    "黑": "23", "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36",
    "鲁": "37", "豫": "41", "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46",
    "渝": "50", "川": "51", "贵": "52", "云": "53", "藏": "54", "陕": "61", "甘": "62",
    "青": "63", "宁": "64", "新": "65",
}  # fmt: skip
_PLATE_SUFFIXES = {
    "挂": "trailer",
    "学": "learner",
    "警": "police",
    "港": "hong_kong",
    "澳": "macao",
    "领": "consulate",
    "试": "test",
    "超": "oversize",
}
_SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never used in serials
_NEW_ENERGY_SMALL = re.compile(r"^[DFABCEGHJK][A-HJ-NP-Z0-9]\d{4}$")
_NEW_ENERGY_LARGE = re.compile(r"^\d{5}[DF]$")
_STANDARD_SERIAL = re.compile(r"^[A-HJ-NP-Z0-9]{5}$")
_SHORT_SERIAL = re.compile(r"^[A-HJ-NP-Z0-9]{4}$")


def normalise_plate(raw: str) -> NormalisedIdentifier:
    """Normalise a vehicle plate (车牌号): province abbreviation, letter, then the serial.

    The serial has 5 characters, or 6 for new-energy vehicles (D/F first for small cars, last
    for large ones), or 4 and a suffix (挂 trailer, 学 learner ...). Letters I and O are never
    used in serials, so O and I there are read as 0 and 1; the attributes list each correction.
    """
    kind = EntityKind.PLATE
    text = re.sub(r"[\s\-_.·•・]+", "", to_half_width(raw)).upper()
    if not text or text[0] not in PLATE_PROVINCES:
        reason = "must start with a province abbreviation such as 蒙, 晋 or 冀"
        return NormalisedIdentifier(kind, raw, text, False, reason)
    province, letter, serial = text[0], text[1:2], text[2:]
    attributes: dict[str, Any] = {
        "province_abbr": province,
        "province_code": PLATE_PROVINCES[province],
        "province": province_name(PLATE_PROVINCES[province]),
    }
    if not ("A" <= letter <= "Z"):
        reason = "the second character must be the letter of the issuing city"
        return NormalisedIdentifier(kind, raw, text, False, reason, attributes)
    attributes["authority"] = province + letter
    serial, corrections = _correct_serial(serial)
    value = province + letter + serial
    if corrections:
        attributes["corrected"] = True
        attributes["corrections"] = corrections
    plate_type = _plate_type(serial)
    if plate_type is None:
        reason = (
            f"serial {serial!r} has {len(serial)} characters; expected 5 letters/digits, 6 for "
            "new-energy (D/F first or last), or 4 and a suffix such as 挂"
        )
        return NormalisedIdentifier(kind, raw, value, False, reason, attributes)
    attributes["plate_type"] = plate_type
    attributes["new_energy"] = plate_type.startswith("new_energy")
    return NormalisedIdentifier(kind, raw, value, True, None, attributes)


def _correct_serial(serial: str) -> tuple[str, list[str]]:
    corrections = []
    chars = list(serial)
    for position, char in enumerate(chars):
        if char in "OI":
            replacement = "0" if char == "O" else "1"
            corrections.append(f"{char}->{replacement} at serial position {position + 1}")
            chars[position] = replacement
    return "".join(chars), corrections


def _plate_type(serial: str) -> str | None:
    if _STANDARD_SERIAL.match(serial):
        return "standard"
    if _NEW_ENERGY_SMALL.match(serial):
        return "new_energy_small"
    if _NEW_ENERGY_LARGE.match(serial):
        return "new_energy_large"
    if len(serial) == 5 and serial[-1] in _PLATE_SUFFIXES and _SHORT_SERIAL.match(serial[:4]):
        return _PLATE_SUFFIXES[serial[-1]]
    return None


# --- courier waybills (快递单号) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CarrierRule:
    """A waybill pattern of one carrier; ``exact`` when the prefix is the carrier's own."""

    code: str
    name_zh: str
    pattern: re.Pattern[str]
    exact: bool


# Prefixed forms are the carriers' own; bare digit forms are heuristics from observed numbers
# and overlap, so a bare number gets every carrier it fits as a candidate, not a verdict.
CARRIER_RULES: tuple[CarrierRule, ...] = (
    CarrierRule("SF", "顺丰速运", re.compile(r"^SF\d{12,13}$"), True),
    CarrierRule("JD", "京东物流", re.compile(r"^JD[A-Z]{0,2}\d{10,15}$"), True),
    CarrierRule("YTO", "圆通速递", re.compile(r"^YT\d{13,15}$"), True),
    CarrierRule("JT", "极兔速递", re.compile(r"^JT\d{13}$"), True),
    CarrierRule("DBL", "德邦快递", re.compile(r"^DPK\d{12,13}$"), True),
    CarrierRule("EMS", "中国邮政EMS", re.compile(r"^[A-Z]{2}\d{9}CN$"), True),
    CarrierRule("ZTO", "中通快递", re.compile(r"^7[0-9]\d{10}$|^7\d{13,14}$"), False),
    CarrierRule("STO", "申通快递", re.compile(r"^(77|88|66|55)\d{11}$|^[2-9]68\d{9}$"), False),
    CarrierRule("YUNDA", "韵达快递", re.compile(r"^(31|4[3-6]|1[029])\d{11}$|^(31|43|46)\d{13}$"),
                False),
    CarrierRule("EMS", "中国邮政EMS", re.compile(r"^(1[0-9]|98|50|51)\d{11}$"), False),
    CarrierRule("SF", "顺丰速运", re.compile(r"^\d{12}$"), False),
)  # fmt: skip
# Carriers' own prefixes and the form that goes with them: a number with the prefix and
# the wrong length is a slip, not an unknown carrier.
CARRIER_PREFIXES: dict[str, tuple[str, str]] = {
    "SF": ("SF", "SF and 12-13 digits"),
    "YT": ("YTO", "YT and 13-15 digits"),
    "JT": ("JT", "JT and 13 digits"),
    "DPK": ("DBL", "DPK and 12-13 digits"),
}
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial8: str) -> str:
    """UPU S10 check digit of the 8-digit serial (international EMS and registered mail)."""
    total = sum(int(digit) * weight for digit, weight in zip(serial8, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def normalise_waybill(raw: str) -> NormalisedIdentifier:
    """Normalise a courier waybill number (快递单号) and name its carrier where known.

    Prefixed numbers (SF, JD, YT, JT, DPK, the S10 form ``EA123456789CN``) name their carrier
    for certain (``carrier_confidence`` "prefix"). Bare digit numbers are matched against each
    carrier's usual lengths and leading digits, which overlap: the attributes then list every
    ``carrier_candidates`` and the confidence is "heuristic". S10 numbers are checked with
    their check digit; other carriers publish none.
    """
    kind = EntityKind.WAYBILL
    value = _compact(raw)
    if not value.isalnum() or not value.isascii():
        return NormalisedIdentifier(kind, raw, value, False, "only letters and digits are allowed")
    if not 8 <= len(value) <= 20:
        reason = f"has {len(value)} characters; waybill numbers have 8-20"
        return NormalisedIdentifier(kind, raw, value, False, reason)
    candidates = [rule for rule in CARRIER_RULES if rule.pattern.match(value)]
    attributes: dict[str, Any] = {}
    exact = [rule for rule in candidates if rule.exact]
    if exact:
        attributes |= {"carrier": exact[0].code, "carrier_zh": exact[0].name_zh}
        attributes["carrier_confidence"] = "prefix"
        if exact[0].code == "EMS" and value[10] != s10_check_digit(value[2:10]):
            reason = f"S10 check digit is {value[10]} but should be {s10_check_digit(value[2:10])}"
            return NormalisedIdentifier(kind, raw, value, False, reason, attributes)
    elif candidates:
        codes = list(dict.fromkeys(rule.code for rule in candidates))
        attributes["carrier_candidates"] = codes
        attributes["carrier_confidence"] = "heuristic"
        if len(codes) == 1:
            attributes |= {"carrier": codes[0], "carrier_zh": candidates[0].name_zh}
    else:
        for prefix, (code, form) in CARRIER_PREFIXES.items():
            if value.startswith(prefix) and value[len(prefix) :].isdigit():
                reason = f"{code} waybills are {form}; got {len(value)} characters"
                return NormalisedIdentifier(kind, raw, value, False, reason, {"carrier": code})
        letters = re.match(r"^[A-Z]+", value)
        attributes["carrier_confidence"] = "unknown"
        if letters:
            attributes["prefix"] = letters.group(0)
    return NormalisedIdentifier(kind, raw, value, True, None, attributes)


# --- addresses (地址) ----------------------------------------------------------------------

# Short forms people write, expanded so that both spellings compare equal.
ADDRESS_ABBREVIATIONS: dict[str, str] = {
    "内蒙古自治区": "内蒙古自治区",
    "内蒙古": "内蒙古自治区",
    "内蒙": "内蒙古自治区",
    "乌盟": "乌兰察布市",
    "张家口市": "张家口市",
    "张市": "张家口市",
    "开发区": "经济开发区",
    "经济经济开发区": "经济开发区",
    "工业园": "工业园区",
    "工业园区区": "工业园区",
    "村委会": "村",
    "居委会": "社区",
}
_ABBREVIATION_PATTERN = re.compile(
    "|".join(sorted(map(re.escape, ADDRESS_ABBREVIATIONS), key=len, reverse=True))
)
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER_BEFORE_UNIT = re.compile(
    r"([零〇一二两三四五六七八九十百]+)(?=[号栋幢楼单元室层组排巷弄])"
)
_HASH_NUMBER = re.compile(r"(\d+)#")
_NUMBERS = re.compile(r"\d+")


def _chinese_number(text: str) -> int:
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _CN_DIGITS[char]
    return total + current


def clean_address(raw: str) -> str:
    """Half-width, no whitespace, Chinese house numbers as digits, short forms expanded."""
    text = re.sub(r"\s+", "", to_half_width(raw))
    text = re.sub(r"[－—–~～]", "-", text)
    text = _HASH_NUMBER.sub(r"\1号", text)
    text = _CN_NUMBER_BEFORE_UNIT.sub(lambda m: str(_chinese_number(m.group(1))), text)
    return _ABBREVIATION_PATTERN.sub(lambda m: ADDRESS_ABBREVIATIONS[m.group(0)], text)


@dataclass(frozen=True, slots=True)
class _CountyMatcher:
    names: tuple[tuple[str, tuple[str, ...]], ...]  # (name, codes), longest first


_COUNTY_SUFFIXES = ("自治县", "自治旗", "县", "市", "区", "旗")


@lru_cache(maxsize=32)
def _county_matcher(table: tuple[tuple[str, str], ...]) -> _CountyMatcher:
    by_name: dict[str, set[str]] = {}
    for code, name in table:
        by_name.setdefault(name, set()).add(code)
        for suffix in _COUNTY_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                by_name.setdefault(name[: -len(suffix)], set()).add(code)
                break
    ordered = sorted(by_name.items(), key=lambda item: (-len(item[0]), item[0]))
    return _CountyMatcher(tuple((name, tuple(sorted(codes))) for name, codes in ordered))


@lru_cache(maxsize=1)
def _leading_province() -> re.Pattern[str]:
    names = set(province_names().values())
    names |= {province_short_name(name) for name in names}
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(f"^(?:{alternatives})")


_LEADING_PREFECTURE = re.compile(r"^[^\d市盟州]{2,6}?(市|盟|地区|自治州)(?!场)")


def _strip_leading_divisions(text: str) -> str:
    """Drop a leading province and prefecture (内蒙古自治区乌兰察布市...) from an address."""
    text = _leading_province().sub("", text, count=1)
    found = _LEADING_PREFECTURE.match(text)
    return text[found.end() :] if found else text


def normalise_address(
    raw: str, *, counties: Mapping[str, str] | None = None
) -> NormalisedIdentifier:
    """Clean an address (地址) and tie it to a county where a county name appears in it.

    Parameters
    ----------
    raw
        The address as written.
    counties
        County code -> name (兴和县) of the counties to recognise, e.g. from
        :func:`county_table`. Names match with or without their suffix (兴和). When a name fits
        several codes and nothing else decides, ``county_candidates`` lists them all.

    Notes
    -----
    ``attributes["local"]`` is the part after the county (or after any leading province and
    prefecture), which is what fuzzy matching compares; ``numbers`` are its house numbers.
    """
    kind = EntityKind.ADDRESS
    value = clean_address(raw)
    if len(value) < 4:
        reason = f"too short to place ({len(value)} characters)"
        return NormalisedIdentifier(kind, raw, value, False, reason, {"local": value})
    attributes: dict[str, Any] = {}
    local = _strip_leading_divisions(value)
    if counties:
        matcher = _county_matcher(tuple(sorted(counties.items())))
        for name, codes in matcher.names:
            position = value.find(name)
            if position < 0:
                continue
            if len(codes) == 1:
                attributes |= {"county_code": codes[0], "county": counties[codes[0]]}
            else:
                attributes["county_candidates"] = list(codes)
            local = value[position + len(name) :] or local
            break
    attributes["local"] = local
    attributes["numbers"] = _NUMBERS.findall(local)
    return NormalisedIdentifier(kind, raw, value, True, None, attributes)


# --- bank accounts (银行账户) --------------------------------------------------------------

_CARD_PREFIXES = ("62", "4", "5")


def normalise_bank_account(raw: str) -> NormalisedIdentifier:
    """Normalise a bank account or card number (银行卡号/账号).

    Card numbers (16-19 digits, UnionPay 62, Visa 4, Mastercard 5) carry a Luhn check digit,
    which is verified. Corporate accounts (对公账户) follow each bank's own format without a
    public check digit; they are accepted on length (10-30 digits) with ``luhn`` "n/a".
    """
    kind = EntityKind.BANK_ACCOUNT
    value = _compact(raw)
    if not value.isdigit():
        return NormalisedIdentifier(kind, raw, value, False, "only digits are allowed")
    if not 10 <= len(value) <= 30:
        reason = f"has {len(value)} digits; accounts have 10-30 and cards 16-19"
        return NormalisedIdentifier(kind, raw, value, False, reason)
    is_card = 16 <= len(value) <= 19 and value.startswith(_CARD_PREFIXES)
    attributes: dict[str, Any] = {"account_type": "card" if is_card else "account"}
    if not is_card:
        attributes["luhn"] = "n/a"
        return NormalisedIdentifier(kind, raw, value, True, None, attributes)
    if not luhn.is_valid(value):
        attributes["luhn"] = "failed"
        expected = luhn.calc_check_digit(value[:-1])
        reason = f"card number fails the Luhn check (last digit should be {expected})"
        return NormalisedIdentifier(kind, raw, value, False, reason, attributes)
    attributes["luhn"] = "ok"
    return NormalisedIdentifier(kind, raw, value, True, None, attributes)


# --- companies (企业) ----------------------------------------------------------------------

_USCC = re.compile(r"(?<![0-9A-Z])[0-9A-Y][0-9A-Y]\d{6}[0-9A-Z]{10}(?![0-9A-Z])")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
    "商行",
    "经营部",
    "合作社",
)


def company_core_name(name: str) -> str:
    """Name without legal form or bracketed region.

    兴和县(内蒙古)鑫源商贸有限公司 -> 兴和县鑫源商贸.
    """
    core = re.sub(r"\([^)]*\)", "", name)
    for form in _LEGAL_FORMS:
        if core.endswith(form) and len(core) > len(form) + 1:
            return core[: -len(form)]
    return core


def normalise_company(raw: str) -> NormalisedIdentifier:
    """Normalise a company: its unified social credit code (统一社会信用代码) if given, else name.

    The code's check digit is verified (GB 32100, python-stdnum's ``cn.uscc`` algorithm; the
    format check also admits the letter department codes such as N and Y that stdnum rejects).
    Without a code, the value is the cleaned name and ``core_name`` drops the legal form.
    """
    kind = EntityKind.COMPANY
    text = re.sub(r"\s+", "", to_half_width(raw))
    found = _USCC.search(text.upper())
    if found:
        code = found.group(0)
        name = (text[: found.start()] + text[found.end() :]).strip(",;:：，；()") or None
        attributes: dict[str, Any] = {"uscc": code, "region_code": code[2:8]}
        if province_name(code[2:8]):
            attributes["province_code"] = code[2:4]
        if name:
            attributes |= {"name": name, "core_name": company_core_name(name)}
        if any(char not in _USCC_ALPHABET for char in code):
            reason = "a credit code uses digits and the letters ABCDEFGHJKLMNPQRTUWXY only"
            return NormalisedIdentifier(kind, raw, code, False, reason, attributes)
        expected = uscc.calc_check_digit(code)
        if code[-1] != expected:
            reason = f"credit code check digit is {code[-1]} but should be {expected}"
            return NormalisedIdentifier(kind, raw, code, False, reason, attributes)
        return NormalisedIdentifier(kind, raw, code, True, None, attributes)
    if len(text) < 2:
        return NormalisedIdentifier(kind, raw, text, False, "neither a credit code nor a name")
    attributes = {"name": text, "core_name": company_core_name(text)}
    return NormalisedIdentifier(kind, raw, text, True, None, attributes)


# --- retail licence numbers (烟草专卖零售许可证号) -----------------------------------------


_LICENCE_PREFIX = re.compile(r"^(烟草专卖零售许可证|许可证号?|NO)[:：]?")


def normalise_licence_no(raw: str) -> NormalisedIdentifier:
    """Normalise a tobacco retail licence number: digits, usually the county code then a serial.

    The attributes give the county the leading six digits name when they are a known division.
    """
    kind = EntityKind.LICENCE_NO
    text = _compact(raw)
    if not text.isdigit():
        text = _LICENCE_PREFIX.sub("", text)
    if not text.isdigit():
        return NormalisedIdentifier(kind, raw, text, False, "licence numbers are digits only")
    if not 8 <= len(text) <= 20:
        reason = f"has {len(text)} digits; licence numbers have 8-20 (usually 12)"
        return NormalisedIdentifier(kind, raw, text, False, reason)
    attributes: dict[str, Any] = {}
    county = county_name(text[:6])
    if county:
        attributes |= {"county_code": text[:6], "county": county, "province_code": text[:2]}
    return NormalisedIdentifier(kind, raw, text, True, None, attributes)


# --- person names (姓名) -------------------------------------------------------------------

_CJK_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002ffff]+(·[\u3400-\u9fff]+)*$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z' ]*[A-Za-z]$")


@lru_cache(maxsize=65536)
def char_readings(char: str) -> frozenset[str]:
    """Every toneless pinyin reading of a character (重 -> zhong, chong)."""
    if not "\u3400" <= char <= "\U0002ffff":
        return frozenset({char.lower()})
    if "pypinyin" not in sys.modules:
        # Names are read one character at a time, so pypinyin's phrase dictionary (half a
        # second to load) is never consulted: skip it with pypinyin's own switch, unless
        # the process chose otherwise. Readings of all 41,923 characters are the same.
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    from pypinyin import Style, pinyin

    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="default")
    return frozenset(readings[0]) if readings and readings[0] else frozenset({char})


@lru_cache(maxsize=262144)
def name_pinyin(name: str) -> str:
    """A name's pinyin key: the first reading of each Chinese character, space separated.

    Names in Latin letters are returned lower-cased.
    """
    if not any("\u3400" <= char <= "\U0002ffff" for char in name):
        return name.lower()
    return " ".join(min(char_readings(char)) for char in name if char != "·")


def normalise_name(raw: str) -> NormalisedIdentifier:
    """Normalise a person's name (姓名): no spaces inside Chinese names, one kind of middle dot.

    ``attributes["pinyin"]`` is the toneless pinyin key used to compare names by sound.
    """
    text = to_half_width(raw)
    text = re.sub(r"[.•・･‧∙]", "·", text)
    chinese = re.sub(r"\s+", "", text)
    value = chinese if _CJK_NAME.match(chinese) else re.sub(r"\s+", " ", text).upper()
    valid = bool(_CJK_NAME.match(value) or _LATIN_NAME.match(value)) and len(value) >= 2
    reason = None if valid else "a name is 2 or more Chinese characters or Latin letters"
    return NormalisedIdentifier(
        EntityKind.PERSON, raw, value, valid, reason, {"pinyin": name_pinyin(value)}
    )


NORMALISERS: dict[EntityKind, Callable[[str], NormalisedIdentifier]] = {
    EntityKind.ID_NUMBER: normalise_id_number,
    EntityKind.PHONE: normalise_phone,
    EntityKind.PLATE: normalise_plate,
    EntityKind.WAYBILL: normalise_waybill,
    EntityKind.BANK_ACCOUNT: normalise_bank_account,
    EntityKind.COMPANY: normalise_company,
    EntityKind.LICENCE_NO: normalise_licence_no,
    EntityKind.PERSON: normalise_name,
}


def normalise(
    kind: EntityKind | str, raw: str, *, counties: Mapping[str, str] | None = None
) -> NormalisedIdentifier:
    """Normalise ``raw`` as an identifier of ``kind`` (a person's kind normalises the name).

    Raises
    ------
    ValueError
        If ``kind`` is not an :class:`EntityKind`; the message lists the allowed kinds.
    """
    try:
        kind = EntityKind(kind)
    except ValueError:
        allowed = ", ".join(member.value for member in EntityKind)
        msg = f"kind {kind!r} is not known; expected one of: {allowed}"
        raise ValueError(msg) from None
    if kind is EntityKind.ADDRESS:
        return normalise_address(raw, counties=counties)
    return NORMALISERS[kind](raw)
