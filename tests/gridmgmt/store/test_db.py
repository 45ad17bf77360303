"""Sessions and migrations: the schema check is one query; Alembic loads only to migrate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from gridmgmt.store import db


def test_heads_read_from_the_files_are_alembics() -> None:
    heads = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_heads()
    assert db.head_revision() == ",".join(sorted(heads))


def test_a_header_over_several_lines_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "0009_merge.py"
    path.write_text(
        'revision: str = "0009"\ndown_revision = (\n    "0002_grids",\n    "0003_rules",\n)\n',
        encoding="utf-8",
    )
    assert db._header_values(path) == {
        "revision": "0009",
        "down_revision": ("0002_grids", "0003_rules"),
    }


def test_an_empty_database_has_no_revision_and_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = db.get_engine(url)
    assert db.current_revision(engine) is None
    db.upgrade(url)
    assert db.current_revision(engine) == db.head_revision()
    with engine.begin() as connection:  # as if the branches' migrations had not run yet
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    assert db.current_revision(engine) == "0001"
    db.dispose_engine(url)


def test_an_up_to_date_database_does_not_load_alembic(store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        return
    script = (
        "import sys\n"
        "from sqlalchemy import text\n"
        "from gridmgmt.store import db\n"
        f"db.upgrade({store_url!r})\n"
        f"with db.transaction({store_url!r}) as session:\n"
        "    session.execute(text('SELECT 1'))\n"
        "print(sorted(m for m in ('alembic', 'geoalchemy2') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_redacted_url_hides_the_password() -> None:
    shown = db.redacted_url("postgresql://gm:s3cret@db.local/gridmgmt")
    assert shown == "postgresql+psycopg://gm:***@db.local/gridmgmt"


def test_sqlite_migrations_run_without_foreign_keys_and_turn_them_back_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch migration rebuilds a table; with foreign keys on, dropping the old one
    cascaded to the rows referring to it (every user's counties were lost by 0020)."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    seen: list[object] = []
    real = command.upgrade

    def spy(config: Any, revision: str) -> None:
        connection = config.attributes["connection"]
        seen.append(connection.exec_driver_sql("PRAGMA foreign_keys").scalar())
        real(config, revision)

    monkeypatch.setattr(command, "upgrade", spy)
    db.upgrade(url)
    assert seen == [0]
    with db.get_engine(url).connect() as connection:  # the pooled connection is as before
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose_engine(url)


def test_a_pool_with_no_free_connection_is_unavailable_not_a_bug() -> None:
    """Under load every pooled connection may be in use past the pool's timeout: 503."""
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    from gridmgmt.errors import UnavailableError

    with pytest.raises(UnavailableError) as caught, db.unavailable_as_error():
        raise PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached")
    assert caught.value.retry_after_s == 5
    assert "connection" in caught.value.message
