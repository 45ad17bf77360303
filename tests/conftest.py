"""Shared fixtures: real databases (a SQLite file; PostgreSQL+PostGIS when configured)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gridmgmt.store import db
from gridmgmt.store.models import Base

POSTGRES_URL_VAR = "GRIDMGMT_TEST_DATABASE_URL"
REQUIRE_BACKENDS_VAR = "GRIDMGMT_REQUIRE_BACKENDS"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_ROOT / "data" / "demo"


def missing_backend(reason: str) -> None:
    """Skip a test whose backend (PostgreSQL, Chromium) is absent; in CI, fail instead."""
    if os.environ.get(REQUIRE_BACKENDS_VAR):
        pytest.fail(f"{reason} (and {REQUIRE_BACKENDS_VAR} is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    db.dispose_engine(url)
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated SQLite file for this test."""
    path = tmp_path / "gridmgmt.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    db.dispose_engine(url)


def _worker_database(url: str, worker: str) -> str:
    """A database of this xdist worker's own beside ``url`` (created with PostGIS if new).

    Tests empty the tables they use, so two workers must not share one database.
    """
    from sqlalchemy.engine import make_url

    base = make_url(db.normalise_url(url))
    name = f"{base.database}_{worker}"
    admin = db.get_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    own = base.set(database=name).render_as_string(hide_password=False)
    with db.get_engine(own).begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return own


@pytest.fixture(scope="session")
def _postgres_migrated() -> str:
    url = os.environ.get(POSTGRES_URL_VAR)
    if not url:
        missing_backend(f"{POSTGRES_URL_VAR} is not set: PostgreSQL+PostGIS tests are off")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        url = _worker_database(url, worker)
    db.upgrade(url)
    return url


def _truncate_all(url: str) -> None:
    """Empty every table and restart the id sequences.

    DELETE in reverse dependency order: on the tiny tables of a test it takes milliseconds,
    where TRUNCATE takes most of a second.
    """
    with db.get_engine(url).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        sequences = connection.execute(
            text("SELECT sequence_name FROM information_schema.sequences")
        ).scalars()
        for name in list(sequences):
            connection.execute(text(f'ALTER SEQUENCE "{name}" RESTART WITH 1'))


@pytest.fixture
def postgres_url(_postgres_migrated: str) -> Iterator[str]:
    """URL of the PostgreSQL test database, emptied before and after the test."""
    _truncate_all(_postgres_migrated)
    yield _postgres_migrated
    _truncate_all(_postgres_migrated)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh database on each backend: the storage tests run on both."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of a Chromium binary for browser tests ($GRIDMGMT_CHROMIUM, else on PATH)."""
    candidates = [os.environ.get("GRIDMGMT_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    missing_backend("no Chromium found: browser tests are off")
    raise AssertionError  # unreachable: missing_backend skips or fails
