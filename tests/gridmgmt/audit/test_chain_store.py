"""The hash chain on a real database: appends, verification, and tampering by direct SQL.

Each kind of tampering the issue names (a changed column, a deleted, inserted or reordered
entry) is done with plain SQL on the stored table, as someone with database access would,
and ``verify_log`` must name the first entry concerned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gridmgmt.audit_chain import GENESIS_HASH, AuditTamperedError, ChainEntry, ChainHead
from gridmgmt.errors import ConflictError
from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM
from gridmgmt.store import db

from ._log import fill, seqs, sql, stored, verify

N = 8


@pytest.fixture
def url(store_url: str) -> str:
    fill(store_url, N, per_transaction=3)
    return store_url


def _tampered(url: str, **kwargs: object) -> AuditTamperedError:
    with pytest.raises(AuditTamperedError) as caught:
        verify(url, **kwargs)
    return caught.value


def test_an_intact_log_verifies_and_its_head_is_the_last_entry(url: str) -> None:
    report = verify(url)
    assert report.entries == N
    assert seqs(url) == list(range(1, N + 1))
    with db.transaction(url) as session:
        head = audit.audit_head(session, SYSTEM)
        last = session.execute(
            text("SELECT seq, entry_hash, remote_addr FROM audit_log WHERE seq = :s"), {"s": N}
        ).one()
    assert head == report.head == ChainHead(N, last.entry_hash)
    assert last.remote_addr == "10.0.0.7"


def test_an_empty_log_verifies(store_url: str) -> None:
    report = verify(store_url)
    assert (report.entries, report.head) == (0, ChainHead(0, GENESIS_HASH))


def test_a_rolled_back_append_leaves_no_gap(url: str) -> None:
    session = db.session_factory(url)()
    audit.record(session, SYSTEM, "test.write")
    session.rollback()
    session.close()
    fill(url, 1)
    assert seqs(url) == list(range(1, N + 2))
    assert verify(url).entries == N + 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", "2020-01-01 00:00:00.000000"),
        ("username", "mallory"),
        ("action", "test.other"),
        ("kind", "other"),
        ("county_code", "140222"),
        ("detail", '{"n": 4}'),
        ("remote_addr", "10.9.9.9"),
        ("prev_hash", "f" * 64),
        ("entry_hash", "e" * 64),
    ],
)
def test_a_changed_column_names_the_entry(url: str, column: str, value: str) -> None:
    if column == "at" and url.startswith("postgresql"):
        value = "2020-01-01 00:00:00"
    sql(url, f"UPDATE audit_log SET {column} = :v WHERE seq = 4", v=value)
    error = _tampered(url)
    assert (error.seq, error.how) == (4, "changed")
    assert "entry seq 4" in error.message
    assert isinstance(error, ConflictError)
    assert error.exit_code == 5


def test_a_changed_and_rehashed_entry_is_named(url: str) -> None:
    """A forger who recomputes the entry's own hash still breaks the next entry's link."""
    forged = dataclasses.replace(stored(url, 3), username="mallory")
    sql(
        url,
        "UPDATE audit_log SET username = 'mallory', entry_hash = :h WHERE seq = 3",
        h=forged.computed_hash(),
    )
    error = _tampered(url)
    assert (error.seq, error.how) == (3, "changed")


def test_a_deleted_entry_is_named(url: str) -> None:
    sql(url, "DELETE FROM audit_log WHERE seq = 5")
    error = _tampered(url)
    assert (error.seq, error.how) == (5, "deleted")


def test_a_deleted_entry_with_the_rest_renumbered_is_named(url: str) -> None:
    sql(url, "DELETE FROM audit_log WHERE seq = 5")
    sql(url, "UPDATE audit_log SET seq = -seq WHERE seq > 5")
    sql(url, "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0")
    error = _tampered(url)
    assert (error.seq, error.how) == (5, "deleted")


def test_deleting_the_last_entries_is_caught_by_the_head(url: str) -> None:
    sql(url, "DELETE FROM audit_log WHERE seq >= 7")
    error = _tampered(url)
    assert (error.seq, error.how) == (7, "deleted")


def _insert(url: str, seq: int, prev_hash: str, entry_hash: str) -> None:
    sql(
        url,
        "INSERT INTO audit_log (at, username, action, kind, county_code, detail, seq, "
        "remote_addr, prev_hash, entry_hash) VALUES ('2026-01-01 00:00:00.000000', 'mallory', "
        "'test.write', 'thing', '150924', '{}', :seq, NULL, :prev, :hash)",
        seq=seq,
        prev=prev_hash,
        hash=entry_hash,
    )


def _shift_up_from(url: str, seq: int) -> None:
    sql(url, "UPDATE audit_log SET seq = -seq WHERE seq >= :s", s=seq)
    sql(url, "UPDATE audit_log SET seq = -seq + 1 WHERE seq < 0")


def test_an_inserted_entry_is_named(url: str) -> None:
    _shift_up_from(url, 4)
    _insert(url, 4, "0" * 64, "1" * 64)
    error = _tampered(url)
    assert (error.seq, error.how) == (4, "inserted")


def test_an_inserted_entry_with_a_forged_hash_is_named(url: str) -> None:
    """Even chained properly to entry 3, the inserted entry moves entry 4 along."""
    with db.transaction(url) as session:
        prev = session.execute(text("SELECT entry_hash FROM audit_log WHERE seq = 3")).scalar()
    _shift_up_from(url, 4)
    forged = ChainEntry(
        id=None,
        seq=4,
        at=dt.datetime(2026, 1, 1),
        username="mallory",
        action="test.write",
        kind="thing",
        county_code="150924",
        detail={},
        remote_addr=None,
        prev_hash=str(prev),
        entry_hash="",
    )
    _insert(url, 4, str(prev), forged.computed_hash())
    error = _tampered(url)
    assert (error.seq, error.how) == (4, "inserted")


def test_an_entry_appended_behind_the_head_is_named(url: str) -> None:
    with db.transaction(url) as session:
        prev = session.execute(text("SELECT entry_hash FROM audit_log WHERE seq = :s"), {"s": N})
        prev_hash = str(prev.scalar())
    forged = ChainEntry(
        id=None,
        seq=N + 1,
        at=dt.datetime(2026, 1, 1),
        username="mallory",
        action="test.write",
        kind="thing",
        county_code="150924",
        detail={},
        remote_addr=None,
        prev_hash=prev_hash,
        entry_hash="",
    )
    _insert(url, N + 1, prev_hash, forged.computed_hash())
    error = _tampered(url)
    assert (error.seq, error.how) == (N + 1, "inserted")


def test_two_swapped_entries_are_named(url: str) -> None:
    sql(url, "UPDATE audit_log SET seq = -1 WHERE seq = 5")
    sql(url, "UPDATE audit_log SET seq = 5 WHERE seq = 6")
    sql(url, "UPDATE audit_log SET seq = 6 WHERE seq = -1")
    error = _tampered(url)
    assert (error.seq, error.how) == (5, "reordered")


def test_an_exported_head_catches_a_rewritten_tail(url: str) -> None:
    """Rewriting the tail and the head verifies on its own, but not against the export."""
    with db.transaction(url) as session:
        exported = audit.audit_head(session, SYSTEM)
    sql(url, "DELETE FROM audit_log WHERE seq >= 6")
    sql(
        url,
        "UPDATE audit_head SET seq = 5, entry_hash = (SELECT entry_hash FROM audit_log "
        "WHERE seq = 5)",
    )
    assert verify(url).entries == 5
    error = _tampered(url, expect_head=exported)
    assert (error.seq, error.how) == (6, "deleted")
    fill(url, 3)  # the forger goes on appending: the exported hash is still not there
    error = _tampered(url, expect_head=exported)
    assert (error.seq, error.how) == (N, "changed")


def test_the_unique_seq_is_the_last_line_of_defence(url: str) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
        _insert(url, 3, "0" * 64, "0" * 64)
