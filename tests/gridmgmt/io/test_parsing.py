"""Cell parsers: values where the text is good, a message where it is not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgmt.domain import BusinessType, RetailerStatus
from gridmgmt.io.parsing import parse_column
from gridmgmt.io.schemas import DEPOTS, ORDERS, RETAILERS, STAFF


def _text(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def test_tier_accepts_1_to_30_and_rejects_the_rest() -> None:
    parsed = parse_column(
        RETAILERS.field("tier"), _text("1", "30", "10.0", "１２", "0", "31", "abc", "2.5", "")
    )
    assert parsed.values.tolist()[:4] == [1, 30, 10, 12]
    assert parsed.values.tolist()[4:] == [None] * 5
    errors = parsed.errors.tolist()
    assert errors[:4] == [None] * 4
    assert errors[4] == "must be a whole number from 1 to 30, got '0'"
    assert "'31'" in errors[5]
    assert "'abc'" in errors[6]
    assert "'2.5'" in errors[7]
    assert errors[8] is None  # empty is the caller's business


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=30))
def test_every_tier_in_range_round_trips(tier: int) -> None:
    parsed = parse_column(RETAILERS.field("tier"), _text(str(tier), f" {tier}.0 "))
    assert parsed.values.tolist() == [tier, tier]


@settings(deadline=None)
@given(st.integers().filter(lambda n: not 1 <= n <= 30))
def test_every_tier_out_of_range_is_an_error(tier: int) -> None:
    parsed = parse_column(RETAILERS.field("tier"), _text(str(tier)))
    assert parsed.values.tolist() == [None]
    assert "from 1 to 30" in parsed.errors.iloc[0]


def test_enum_reads_values_chinese_labels_and_synonyms() -> None:
    parsed = parse_column(RETAILERS.field("status"), _text("active", "歇业", "注销", "Active"))
    assert parsed.values.tolist() == [
        RetailerStatus.ACTIVE,
        RetailerStatus.SUSPENDED,
        RetailerStatus.CLOSED,
        RetailerStatus.ACTIVE,
    ]


def test_bad_enum_lists_allowed_values() -> None:
    parsed = parse_column(RETAILERS.field("business_type"), _text("便利店", "kiosk"))
    assert parsed.values.iloc[0] is BusinessType.CONVENIENCE
    message = parsed.errors.iloc[1]
    assert "'kiosk'" in message
    for member in BusinessType:
        assert member.value in message
    assert "便利店" in message


def test_boolean_reads_chinese_and_english() -> None:
    parsed = parse_column(RETAILERS.field("key_retailer"), _text("是", "否", "TRUE", "0", "maybe"))
    assert parsed.values.tolist()[:4] == [True, False, True, False]
    assert "not yes or no" in parsed.errors.iloc[4]


def test_dates_in_the_usual_spellings() -> None:
    parsed = parse_column(
        ORDERS.field("date"),
        _text("2026-11-16", "2026/11/17", "20261118", "2026年11月19日", "16.11.2026"),
    )
    assert parsed.values.tolist()[:4] == [dt.date(2026, 11, d) for d in (16, 17, 18, 19)]
    assert "not a date" in parsed.errors.iloc[4]


def test_times() -> None:
    parsed = parse_column(DEPOTS.field("opens"), _text("07:00", "7:30", "18:30:15", "25:00"))
    assert parsed.values.tolist()[:3] == [dt.time(7), dt.time(7, 30), dt.time(18, 30, 15)]
    assert "not a time" in parsed.errors.iloc[3]


def test_text_longer_than_the_column_is_an_error() -> None:
    parsed = parse_column(RETAILERS.field("licence_no"), _text("1" * 32, "1" * 33))
    assert parsed.errors.iloc[0] is None
    assert "33 characters" in parsed.errors.iloc[1]


def test_number_bounds() -> None:
    parsed = parse_column(STAFF.field("capacity"), _text("2400", "-1", "x"))
    assert parsed.values.iloc[0] == 2400.0
    assert parsed.errors.iloc[1] is not None
    assert parsed.errors.iloc[2] is not None


def test_county_code_must_be_six_digits() -> None:
    parsed = parse_column(RETAILERS.field("county_code"), _text("150924", "15092", "１５０９２４"))
    assert parsed.values.tolist() == ["150924", None, "150924"]
    assert "6-digit" in parsed.errors.iloc[1]
