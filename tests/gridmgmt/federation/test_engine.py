"""The pure part: keys, normalisation of strong identifiers, digests, bundles, matching."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgmt.cases.model import EntityKind, Mention
from gridmgmt.errors import InvalidInputError
from gridmgmt.federation import (
    BundleError,
    build_bundle,
    case_ref,
    digest_index,
    identifier_digest,
    match_area,
    match_bundle,
    parse_keyring,
    read_bundle,
    strong_identifiers,
    write_bundle,
)
from gridmgmt.federation.identifiers import StrongIdentifier

from .fed_world import ACCOUNT, ACCOUNT_SPACED, KEY, SHARED_ID, SHARED_ID_B

WHEN = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def test_keyring_lists_keys_current_first() -> None:
    keys = parse_keyring(" new:" + "n" * 20 + " , old:" + "o" * 20)
    assert keys.current.key_id == "new"
    assert keys.key_ids == ["new", "old"]
    assert keys.get("old") is not None
    assert keys.get("gone") is None
    assert parse_keyring("s" * 20).current.key_id == "default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "is not set"),
        ("  ", "is not set"),
        ("k1:short", "shorter than 16"),
        ("k1:" + "a" * 20 + ",k1:" + "b" * 20, "more than once"),
        ("bad id:" + "a" * 20, "key id"),
    ],
)
def test_malformed_keys_are_refused_without_showing_the_secret(
    text: str | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        parse_keyring(text)
    assert "a" * 20 not in refused.value.message


def test_derived_keys_differ_from_the_secret_and_from_each_other() -> None:
    key = parse_keyring(KEY).current
    assert len({key.secret, key.match_key, key.sign_key}) == 3
    assert "k" * 40 not in repr(key)


def _mentions(case_no: str, *pairs: tuple[EntityKind, str]) -> list[Mention]:
    return [Mention(case_no, kind, value) for kind, value in pairs]


def test_identifiers_written_differently_normalise_alike() -> None:
    left = strong_identifiers(
        [
            Mention(
                "A",
                EntityKind.PERSON,
                name="王建国",
                id_number=SHARED_ID,
                phone="+86 139-4746-1234",
            ),
            *_mentions(
                "A",
                (EntityKind.PLATE, "晋B 12345"),
                (EntityKind.WAYBILL, "sf 1234 5678 90123"),
                (EntityKind.BANK_ACCOUNT, ACCOUNT_SPACED),
            ),
        ]
    )
    right = strong_identifiers(
        _mentions(
            "A",
            (EntityKind.ID_NUMBER, SHARED_ID_B),
            (EntityKind.PHONE, "0086 13947461234"),
            (EntityKind.PLATE, "晋b12345"),
            (EntityKind.WAYBILL, "SF1234567890123"),
            (EntityKind.BANK_ACCOUNT, ACCOUNT),
        )
    )
    assert left == right
    assert {item.kind for item in left} == {
        EntityKind.ID_NUMBER,
        EntityKind.PHONE,
        EntityKind.PLATE,
        EntityKind.WAYBILL,
        EntityKind.BANK_ACCOUNT,
    }


def test_invalid_and_weak_identifiers_are_not_compared() -> None:
    found = strong_identifiers(
        [
            *_mentions(
                "A",
                (EntityKind.PHONE, "139474612"),
                (EntityKind.ADDRESS, "兴和县城关镇人民路12号"),
                (EntityKind.COMPANY, "兴和县鑫源商贸有限公司"),
                (EntityKind.ID_NUMBER, SHARED_ID[:-1] + "1"),
            ),
            Mention("A", EntityKind.PERSON, name="王建国"),
        ]
    )
    assert found == []


def test_each_kind_is_its_own_hashing_domain() -> None:
    key = parse_keyring(KEY).current.match_key
    assert identifier_digest(key, "phone", "123") != identifier_digest(key, "bank_account", "123")
    assert len(identifier_digest(key, "phone", "123")) == 16


def test_references_are_stable_per_case_and_kind_and_hide_the_case() -> None:
    secret = b"r" * 32
    ref = case_ref(secret, "140222", "FT-001", "phone")
    assert ref == case_ref(secret, "140222", "FT-001", "phone")
    assert ref != case_ref(secret, "140222", "FT-001", "plate")
    assert ref != case_ref(b"s" * 32, "140222", "FT-001", "phone")
    assert len(ref) == 32
    assert "FT" not in ref


def _bundle_bytes(identifiers: list[StrongIdentifier]) -> bytes:
    key = parse_keyring(KEY).current
    bundle = build_bundle(
        identifiers, county_code="140222", key=key, ref_secret=b"r" * 32, created_at=WHEN
    )
    return write_bundle(bundle, key)


def test_bundle_round_trip_keeps_every_entry() -> None:
    identifiers = strong_identifiers(
        _mentions("T1", (EntityKind.PHONE, "13947461234"), (EntityKind.PLATE, "晋B12345"))
    )
    data = _bundle_bytes(identifiers)
    bundle = read_bundle(data, parse_keyring(KEY), source="b.json")
    assert bundle.county_code == "140222"
    assert bundle.created_at == WHEN
    assert bundle.counts() == {"phone": 1, "plate": 1}
    assert data.endswith(b"}\n")
    assert data == _bundle_bytes(identifiers)  # deterministic


def test_white_space_added_to_a_valid_bundle_is_refused() -> None:
    data = _bundle_bytes(strong_identifiers(_mentions("T1", (EntityKind.PHONE, "13947461234"))))
    spaced = data.replace(b'{"bundle":', b'{ "bundle":')
    with pytest.raises(BundleError, match="byte for byte"):
        read_bundle(spaced, parse_keyring(KEY), source="b.json")


phones = st.integers(min_value=0, max_value=9999).map(lambda n: f"1394746{n:04d}")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["150924", "140222", "130728"]), phones), max_size=30))
def test_bundle_matching_equals_clear_matching(rows: list[tuple[str, str]]) -> None:
    identifiers = [
        (county, StrongIdentifier(f"{county}-{i}", EntityKind.PHONE, "+86" + phone))
        for i, (county, phone) in enumerate(rows)
    ]
    secret, key = b"r" * 32, parse_keyring(KEY).current

    def ref_of(county: str, case_no: str, kind: EntityKind) -> str:
        return case_ref(secret, county, case_no, kind.value)

    clear = set(match_area(identifiers, ref_of=ref_of))
    private = set()
    for other in ("150924", "140222", "130728"):
        theirs = [item for county, item in identifiers if county == other]
        bundle = build_bundle(
            theirs, county_code=other, key=key, ref_secret=secret, created_at=WHEN
        )
        ours = [(county, item) for county, item in identifiers if county != other]
        entries = [(e.kind.value, e.ref, e.digest) for e in bundle.entries]
        private |= set(match_bundle(digest_index(ours, key.match_key), entries, county_code=other))
    assert private == clear
