"""Migration 0012 numbers and chains the entries written before it, in the order written."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from gridmgmt.store import db

from ._log import fill, seqs, verify


def test_existing_entries_are_chained_in_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = db.alembic_config(url)
    command.upgrade(config, "0001")
    with db.get_engine(url).begin() as connection:
        for n, at in enumerate(["2026-01-02 00:00:00", "2026-01-01 00:00:00.5", None]):
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, username, action, detail) VALUES "
                    "(COALESCE(:at, CURRENT_TIMESTAMP), 'old', 'old.write', :detail)"
                ),
                {"at": at, "detail": f'{{"n": {n}, "z": [1, {{"b": 2, "a": 1}}]}}'},
            )
    db.dispose_engine(url)
    db.upgrade(url)
    assert seqs(url) == [1, 2, 3]
    assert verify(url).entries == 3
    fill(url, 2)
    assert verify(url).entries == 5
    with db.get_engine(url).connect() as connection:
        ids = connection.execute(text("SELECT id FROM audit_log ORDER BY seq")).scalars().all()
    assert ids == sorted(ids)
    db.dispose_engine(url)
