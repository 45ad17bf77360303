"""Backup and restore round trips on SQLite and PostgreSQL: every table compared.

The source holds the API test world (counties, retailers, schools, users with their
audit lines) plus a ticket; the restore goes into a new, empty database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import gridmgmt.cli.backup  # noqa: F401  (registers backup and restore)
from gridmgmt.cli._app import app
from gridmgmt.errors import ConflictError, InvalidInputError
from gridmgmt.services.backup import backup, restore, table_digests
from gridmgmt.store import db
from tests.api.conftest import seed


@pytest.fixture
def empty_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same backend as ``store_url``."""
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        yield url
        db.dispose_engine(url)
        return
    name = f"gridmgmt_restore_{secrets.token_hex(4)}"
    admin = db.get_engine(store_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db.normalise_url(store_url)).set(database=name).render_as_string(False)
    yield url
    db.dispose_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def test_a_restored_backup_has_every_table_as_the_source(
    store_url: str, empty_url: str, tmp_path: Path
) -> None:
    seed(store_url)
    source = table_digests(store_url)
    assert source["retailers"].rows == 6
    assert source["users"].rows == 3
    file = tmp_path / "gridmgmt.backup"
    written = backup(store_url, file)
    assert written.size_bytes > 0
    assert written.tables == {name: d.rows for name, d in source.items()}
    restored = restore(empty_url, file)
    assert restored.tables == written.tables
    assert table_digests(empty_url) == source
    assert db.current_revision(db.get_engine(empty_url)) == db.head_revision()
    with pytest.raises(ConflictError, match="not empty"):
        restore(store_url, file)
    with pytest.raises(InvalidInputError, match="exists"):
        backup(store_url, file)


def test_backup_and_restore_commands(sqlite_url: str, tmp_path: Path) -> None:
    seed(sqlite_url)
    file = tmp_path / "nightly.backup"
    target = f"sqlite:///{tmp_path / 'new.db'}"
    runner = CliRunner()
    done = runner.invoke(app, ["--db", sqlite_url, "backup", str(file)])
    assert done.exit_code == 0, done.output
    assert "backed up to" in done.output
    again = runner.invoke(app, ["--db", target, "restore", str(file)])
    assert again.exit_code == 0, again.output
    assert table_digests(target) == table_digests(sqlite_url)
    refused = runner.invoke(app, ["--db", sqlite_url, "restore", str(file)])
    assert refused.exit_code == 5  # a conflict: the database is not empty
    db.dispose_engine(target)
