"""Bundles that must be refused, with a clear error naming the file, storing nothing.

Altered in any byte, under another key, under a key id this server lacks, older than the one
stored, or of a county whose cases are on this server. Key rotation: a bundle under the
previous key is still accepted while the server lists it, and matched under it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridmgmt.errors import ConflictError, InvalidInputError
from gridmgmt.federation import BundleError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.federation import export_bundle, import_bundle, list_bundles, list_hits
from gridmgmt.store import db
from gridmgmt.store.models.federation import FederationBundle, FederationHash

from .conftest import Servers, settings_for
from .fed_world import KEY, OTHER_KEY, ROTATED_KEY, TIANZHEN, XINGHE


def _bundle(url: str, county: str, *, key: str = KEY, at: dt.datetime | None = None) -> bytes:
    with db.transaction(url) as session:
        return export_bundle(
            session, actor=SYSTEM, settings=settings_for(url, key), county_code=county, now=at
        ).data


def _import(url: str, data: bytes, *, key: str = KEY, name: str = "t.bundle.json") -> str:
    with db.transaction(url) as session:
        result = import_bundle(
            session, actor=SYSTEM, settings=settings_for(url, key), data=data, source=name
        )
    return result.outcome


def _stored(url: str) -> tuple[int, int]:
    with db.transaction(url) as session:
        bundles = session.scalar(select(func.count()).select_from(FederationBundle))
        hashes = session.scalar(select(func.count()).select_from(FederationHash))
    return int(bundles or 0), int(hashes or 0)


def _flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_every_single_byte_flip_is_refused_and_nothing_is_stored(servers: Servers) -> None:
    data = _bundle(servers.tianzhen, TIANZHEN)
    # Every position, in one transaction per import, would be slow: sample them evenly,
    # always including the first, the last (the newline) and the signature's digits.
    positions = sorted({0, len(data) - 1, len(data) - 5, *range(1, len(data), 7)})
    for position in positions:
        with pytest.raises(BundleError) as refused:
            _import(servers.xinghe, _flipped(data, position), name="tampered.json")
        assert "tampered.json" in refused.value.message
        assert refused.value.problems[0]["file"] == "tampered.json"
    assert _stored(servers.xinghe) == (0, 0)


def test_each_byte_flip_fails_verification_in_the_engine(servers: Servers) -> None:
    from gridmgmt.federation import parse_keyring, read_bundle

    data = _bundle(servers.tianzhen, TIANZHEN)
    keys = parse_keyring(KEY)
    for position in range(len(data)):
        with pytest.raises(BundleError):
            read_bundle(_flipped(data, position), keys, source="b.json")
    assert read_bundle(data, keys, source="b.json").county_code == TIANZHEN


def test_a_bundle_under_another_key_is_refused(servers: Servers) -> None:
    data = _bundle(servers.tianzhen, TIANZHEN, key=OTHER_KEY)  # same key id, other secret
    with pytest.raises(InvalidInputError, match=r"other\.json refused: its signature"):
        _import(servers.xinghe, data, name="other.json")
    assert _stored(servers.xinghe) == (0, 0)


def test_a_bundle_under_a_key_id_not_held_is_refused(servers: Servers) -> None:
    data = _bundle(servers.tianzhen, TIANZHEN, key="elsewhere:" + "e" * 32)
    with pytest.raises(InvalidInputError, match="'elsewhere', which this server does not hold"):
        _import(servers.xinghe, data)
    assert _stored(servers.xinghe) == (0, 0)


def test_a_truncated_or_foreign_file_is_refused(servers: Servers) -> None:
    data = _bundle(servers.tianzhen, TIANZHEN)
    for bad in (data[: len(data) // 2], b"", b"case_no,county_code\n", b"\xff\xfe"):
        with pytest.raises(InvalidInputError, match="not a bundle"):
            _import(servers.xinghe, bad)
    assert _stored(servers.xinghe) == (0, 0)


def test_a_tampered_newer_bundle_leaves_the_stored_one_untouched(servers: Servers) -> None:
    _import(servers.xinghe, _bundle(servers.tianzhen, TIANZHEN))
    stored = _stored(servers.xinghe)
    newer = _bundle(servers.tianzhen, TIANZHEN)
    with pytest.raises(BundleError):
        _import(servers.xinghe, _flipped(newer, len(newer) // 2))
    assert _stored(servers.xinghe) == stored


def test_an_older_bundle_than_stored_is_refused(servers: Servers) -> None:
    old = _bundle(servers.tianzhen, TIANZHEN, at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    new = _bundle(servers.tianzhen, TIANZHEN, at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert _import(servers.xinghe, new) == "stored"
    with pytest.raises(ConflictError, match="not after the stored one") as refused:
        _import(servers.xinghe, old, name="old.json")
    assert "old.json" in refused.value.message
    assert refused.value.current["created_at"].startswith("2026-02-01")
    with db.transaction(servers.xinghe) as session:
        bundles = list_bundles(session, actor=SYSTEM, settings=settings_for(servers.xinghe))
    assert [(b.county_code, b.created_at.month) for b in bundles] == [(TIANZHEN, 2)]


def test_a_bundle_of_a_county_stored_here_is_refused(servers: Servers) -> None:
    data = _bundle(servers.xinghe, XINGHE)
    with pytest.raises(InvalidInputError, match="cases of county 150924 are stored"):
        _import(servers.area, data)
    with pytest.raises(InvalidInputError, match="cases of county 150924 are stored"):
        _import(servers.xinghe, data)


def test_key_rotation_accepts_the_previous_key_and_exports_under_the_new(
    servers: Servers, tmp_path: Path
) -> None:
    # 天镇县 has not rotated yet; 兴和县 lists the new key first and keeps the old one.
    old_bundle = _bundle(servers.tianzhen, TIANZHEN, key=KEY)
    assert _import(servers.xinghe, old_bundle, key=ROTATED_KEY) == "stored"
    with db.transaction(servers.xinghe) as session:
        settings = settings_for(servers.xinghe, ROTATED_KEY)
        hits = list_hits(session, actor=SYSTEM, settings=settings)
        exported = export_bundle(session, actor=SYSTEM, settings=settings, county_code=XINGHE)
    assert len(hits) == 6
    assert exported.key_id == "area2027"
    # A server that dropped the old key keeps the bundle but marks it unusable, no hits.
    new_only = "area2027:" + "n" * 40
    with db.transaction(servers.xinghe) as session:
        settings = settings_for(servers.xinghe, new_only)
        assert list_hits(session, actor=SYSTEM, settings=settings) == []
        [bundle] = list_bundles(session, actor=SYSTEM, settings=settings)
    assert not bundle.usable


def test_no_key_set_is_a_clear_error(servers: Servers) -> None:
    with (
        db.transaction(servers.xinghe) as session,
        pytest.raises(InvalidInputError, match="GRIDMGMT_FEDERATION_KEY is not set"),
    ):
        export_bundle(
            session, actor=SYSTEM, settings=settings_for(servers.xinghe, None), county_code=XINGHE
        )
