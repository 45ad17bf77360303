"""The canonical form: every column counts, equal values hash equally however they are written."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from gridmgmt.audit_chain import (
    GENESIS_HASH,
    ChainEntry,
    ChainHead,
    canonical_at,
    canonical_detail,
    parse_head,
)
from gridmgmt.errors import InvalidInputError

ENTRY = ChainEntry(
    id=7,
    seq=3,
    at=dt.datetime(2026, 12, 4, 8, 0, 1, 5),
    username="alice",
    action="cases.share",
    kind="case",
    county_code="150924",
    detail={"b": [1, 2], "a": "兴和"},
    remote_addr="10.0.0.7",
    prev_hash=GENESIS_HASH,
    entry_hash="",
)


def test_time_is_utc_with_microseconds() -> None:
    assert canonical_at(ENTRY.at) == "2026-12-04T08:00:01.000005Z"
    beijing = dt.datetime(2026, 12, 4, 16, 0, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert canonical_at(beijing) == canonical_at(ENTRY.at)


def test_detail_keys_are_sorted_and_text_kept() -> None:
    assert canonical_detail({"b": 1, "a": {"d": 2, "c": "县"}}) == '{"a":{"c":"县","d":2},"b":1}'
    assert canonical_detail(None) == "{}"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("seq", 4),
        ("at", dt.datetime(2026, 12, 4, 8, 0, 1, 6)),
        ("username", "bob"),
        ("action", "cases.change"),
        ("kind", None),
        ("county_code", "140222"),
        ("detail", {"b": [2, 1], "a": "兴和"}),
        ("remote_addr", None),
        ("prev_hash", "1" * 64),
    ],
)
def test_every_column_changes_the_hash(column: str, value: object) -> None:
    changed = dataclasses.replace(ENTRY, **{column: value})
    assert changed.computed_hash() != ENTRY.computed_hash()


def test_the_surrogate_id_and_the_stored_hash_are_not_hashed() -> None:
    same = dataclasses.replace(ENTRY, id=8, entry_hash="x", detail={"a": "兴和", "b": [1, 2]})
    assert same.computed_hash() == ENTRY.computed_hash()


def test_heads_parse_from_what_audit_head_prints() -> None:
    head = ChainHead(12, "ab" * 32)
    assert parse_head(str(head)) == head
    assert parse_head(f" 12:{'AB' * 32}\n") == head
    for bad in ("12", "x:" + "a" * 64, "12:" + "g" * 64, "12:abc"):
        with pytest.raises(InvalidInputError):
            parse_head(bad)
