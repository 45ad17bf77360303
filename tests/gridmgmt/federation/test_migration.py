"""Migration 0009_federation creates exactly the federation models' tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gridmgmt.store import db
from gridmgmt.store.models import Base


def test_migration_matches_the_model(sqlite_url: str) -> None:
    with db.get_engine(sqlite_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert [d for d in diff if "federation" in repr(d)] == []
    assert "0009_federation" in (db.current_revision(db.get_engine(sqlite_url)) or "")
