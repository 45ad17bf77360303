"""The audit log's hash chain: canonical form, entry hashes and streaming verification.

Each audit entry carries ``seq`` (1, 2, 3, ... without gaps), ``prev_hash`` (the
``entry_hash`` of entry ``seq - 1``; :data:`GENESIS_HASH` for entry 1) and ``entry_hash``,
the SHA-256 of :func:`canonical_bytes`: every column that says what happened (``seq``, ``at``
in UTC ISO 8601 with microseconds, ``username``, ``action``, ``kind``, ``county_code``,
``detail`` as canonical JSON with sorted keys, ``remote_addr`` and ``prev_hash``). The
surrogate ``id`` is not hashed, but it must rise with ``seq`` (appends are serialised), and
the verifier checks that too.

What the chain guarantees
-------------------------
Anyone who can read the log can check, entry by entry and without any secret, that no
stored entry was changed (any column), deleted, inserted or reordered since it was written,
*unless the forger rewrote every entry from the first change to the end and the head*.
:func:`verify_chain` names the first entry where the chain breaks and what happened there.
Deleting entries at the end is caught by comparing with the head (the ``audit_head`` row,
kept in the same transaction as each append).

What it does not guarantee
--------------------------
- The hash is a public function, not a signature: someone with write access to the database
  can recompute the hashes of a rewritten tail and the head row, and the chain will verify.
  Only a head written down outside the database defeats that: ``gridmgmt audit head`` prints
  the latest ``SEQ:HASH``; a bureau sends it to the province (or writes it down) daily, and
  ``gridmgmt audit verify --expect-head SEQ:HASH`` then proves that the log up to that entry
  is the one that existed when the head was exported, and that it still extends from there.
- It proves the log was not altered after the fact, not that every action was logged: code
  that writes without calling ``record`` leaves no trace, and an entry is only as truthful
  as the service that wrote it.
- Nothing is secret: the chain hides nothing from whoever can read the table.

This module is pure (no database): the store streams rows to :func:`verify_chain`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from gridmgmt.errors import ConflictError, InvalidInputError

__all__ = [
    "GENESIS_HASH",
    "AuditTamperedError",
    "ChainEntry",
    "ChainHead",
    "ChainReport",
    "canonical_at",
    "canonical_bytes",
    "canonical_detail",
    "check_end",
    "entry_hash",
    "parse_head",
    "verify_chain",
]

GENESIS_HASH: Final = "0" * 64
"""The ``prev_hash`` of entry 1."""
FORMAT_TAG: Final = "gridmgmt-audit-v1"
"""Prefixed to every canonical form, so a format change can never verify as the old one."""


class AuditTamperedError(ConflictError):
    """The audit log's hash chain is broken: an entry was changed, deleted, inserted or moved.

    ``seq`` is the first entry where the chain breaks, ``how`` one of ``changed``,
    ``deleted``, ``inserted``, ``reordered``. CLI exit 5, HTTP 409.
    """

    def __init__(self, message: str, *, seq: int, how: str, entry_id: int | None = None) -> None:
        super().__init__(message, current={"seq": seq, "how": how, "id": entry_id})
        self.seq = seq
        self.how = how
        self.entry_id = entry_id


@dataclass(frozen=True)
class ChainEntry:
    """One stored audit entry, as the chain sees it."""

    id: int | None
    seq: int
    at: dt.datetime
    username: str | None
    action: str
    kind: str | None
    county_code: str | None
    detail: Mapping[str, Any]
    remote_addr: str | None
    prev_hash: str
    entry_hash: str

    def computed_hash(self, *, seq: int | None = None) -> str:
        """The hash of this entry's columns (with ``seq`` replaced, to spot renumbering)."""
        return entry_hash(self if seq is None else replace(self, seq=seq))


@dataclass(frozen=True)
class ChainHead:
    """The latest entry's ``seq`` and ``entry_hash`` (seq 0 and the genesis hash when empty)."""

    seq: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash}"


@dataclass(frozen=True)
class ChainReport:
    """An intact chain: how many entries, and its head."""

    entries: int
    head: ChainHead


def canonical_at(at: dt.datetime) -> str:
    """``at`` in UTC, ISO 8601 with microseconds and a ``Z`` (naive values are UTC)."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """``detail`` as canonical JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(entry: ChainEntry) -> bytes:
    """The canonical serialisation that :func:`entry_hash` hashes (a JSON array, UTF-8)."""
    fields = [
        FORMAT_TAG,
        entry.seq,
        canonical_at(entry.at),
        entry.username,
        entry.action,
        entry.kind,
        entry.county_code,
        canonical_detail(entry.detail),
        entry.remote_addr,
        entry.prev_hash,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: ChainEntry) -> str:
    """SHA-256 (hex) of the entry's canonical serialisation; its stored hash is ignored."""
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def parse_head(text: str) -> ChainHead:
    """Parse ``SEQ:HASH`` as printed by ``gridmgmt audit head``."""
    seq_text, _, hash_text = text.strip().partition(":")
    hash_text = hash_text.lower()
    if not seq_text.isdigit() or len(hash_text) != 64 or set(hash_text) - set("0123456789abcdef"):
        msg = f"expected head as SEQ:HASH (a number and 64 hex digits), got {text!r}"
        raise InvalidInputError(msg)
    return ChainHead(int(seq_text), hash_text)


def _tampered(how: str, entry: ChainEntry, why: str) -> AuditTamperedError:
    return AuditTamperedError(
        f"audit log tampered: entry seq {entry.seq} (id {entry.id}) was {how}: {why}",
        seq=entry.seq,
        how=how,
        entry_id=entry.id,
    )


def _bad_hash(prev: ChainEntry | None, entry: ChainEntry, after: ChainEntry | None) -> Exception:
    """Explain an entry whose columns no longer match its hash (the most likely story).

    Renumbering shows as an entry whose hash matches with a neighbouring ``seq``: moved down
    by one (an entry before it was deleted, or it swapped places with the next), or the next
    one moved up by one (this entry was inserted), or this one moved up (the one before it
    was inserted with a forged hash).
    """
    after_moved_up = after is not None and after.computed_hash(seq=after.seq - 1) == (
        after.entry_hash
    )
    if entry.computed_hash(seq=entry.seq + 1) == entry.entry_hash:
        if after_moved_up:
            why = f"it holds entry {entry.seq + 1}, which holds entry {entry.seq}"
            return _tampered("reordered", entry, why)
        return AuditTamperedError(
            f"audit log tampered: entry seq {entry.seq} was deleted: the entry now at seq "
            f"{entry.seq} (id {entry.id}) is entry {entry.seq + 1}, renumbered down",
            seq=entry.seq,
            how="deleted",
            entry_id=entry.id,
        )
    if prev is not None and entry.computed_hash(seq=entry.seq - 1) == entry.entry_hash:
        return _tampered("inserted", prev, f"entry {prev.seq} now sits at seq {entry.seq}")
    if after_moved_up:
        return _tampered("inserted", entry, f"entry {entry.seq} now sits at seq {entry.seq + 1}")
    return _tampered("changed", entry, "its columns no longer match its hash")


def _windows(
    entries: Iterable[ChainEntry],
) -> Iterator[tuple[ChainEntry, ChainEntry | None]]:
    """Each entry with the one after it (one-entry look-ahead, still streaming)."""
    iterator = iter(entries)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def verify_chain(
    entries: Iterable[ChainEntry],
    *,
    checkpoints: Iterable[ChainHead | None] = (),
) -> ChainReport:
    """Check a log streamed in ``seq`` order; raise at the first broken entry.

    Parameters
    ----------
    entries
        Every stored entry, ordered by ``seq`` (a generator: nothing is kept but the entry
        before and the entry after the one being checked).
    checkpoints
        Heads the log must pass through: the head row read *before* the stream (so deleting
        the last entries shows), a head exported earlier (``--expect-head``). The entry of
        each one's ``seq`` must carry its hash.

    Raises
    ------
    AuditTamperedError
        Naming the first entry that was changed, deleted, inserted or reordered.
    """
    marks = {head.seq: head.entry_hash for head in checkpoints if head is not None and head.seq}
    prev: ChainEntry | None = None
    count = 0
    for entry, after in _windows(entries):
        expected_seq = 1 if prev is None else prev.seq + 1
        if entry.seq > expected_seq:
            raise AuditTamperedError(
                f"audit log tampered: entry seq {expected_seq} was deleted "
                f"(the log jumps from seq {expected_seq - 1} to seq {entry.seq})",
                seq=expected_seq,
                how="deleted",
            )
        if entry.seq < expected_seq:
            raise _tampered("inserted", entry, f"a second entry with seq {entry.seq}")
        if entry.computed_hash() != entry.entry_hash:
            raise _bad_hash(prev, entry, after)
        if entry.prev_hash != (GENESIS_HASH if prev is None else prev.entry_hash):
            if prev is None:
                raise _tampered("inserted", entry, "entry 1 does not start from the genesis hash")
            why = f"entry {entry.seq} is chained to another hash: it was rewritten and re-hashed"
            raise _tampered("changed", prev, why)
        if prev is not None and prev.id is not None and entry.id is not None and entry.id < prev.id:
            raise _tampered("reordered", entry, f"its id is below the id of entry {prev.seq}")
        if marks.get(entry.seq, entry.entry_hash) != entry.entry_hash:
            raise _tampered("changed", entry, "its hash differs from the head recorded for it")
        prev = entry
        count += 1
    last = ChainHead(0, GENESIS_HASH) if prev is None else ChainHead(prev.seq, prev.entry_hash)
    beyond = [seq for seq in marks if seq > last.seq]
    if beyond:
        raise AuditTamperedError(
            f"audit log tampered: entry seq {last.seq + 1} was deleted "
            f"(the log ends at seq {last.seq}, a recorded head at seq {max(beyond)})",
            seq=last.seq + 1,
            how="deleted",
        )
    return ChainReport(entries=count, head=last)


def check_end(report: ChainReport, end: ChainHead) -> ChainReport:
    """Compare a verified log with the head row read *after* streaming it.

    Entries beyond the head were inserted behind the appenders' back; a log ending exactly
    at the head must end with its hash. (Entries appended while the stream ran may make the
    log end before the head: that is fine.)

    Raises
    ------
    AuditTamperedError
        If the log does not end as the head says.
    """
    last = report.head
    if last.seq > end.seq:
        raise AuditTamperedError(
            f"audit log tampered: entry seq {end.seq + 1} was inserted "
            f"(the head ends at seq {end.seq}, the log at seq {last.seq})",
            seq=end.seq + 1,
            how="inserted",
        )
    if last.seq == end.seq and last.entry_hash != end.entry_hash:
        raise AuditTamperedError(
            f"audit log tampered: entry seq {last.seq} was changed (the head row says {end})",
            seq=last.seq,
            how="changed",
        )
    return report
