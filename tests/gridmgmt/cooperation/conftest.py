"""A migrated SQLite store with the lead world in it (three counties, a few cases)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gridmgmt.store import db

from ..leads.leads_world import seed


@pytest.fixture(scope="session")
def _cooperation_template(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cooperation") / "cooperation.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    seed(url)
    db.dispose_engine(url)
    return path


@pytest.fixture
def coop_url(_cooperation_template: Path, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh copy of the seeded store."""
    path = tmp_path / "cooperation.db"
    shutil.copy(_cooperation_template, path)
    url = f"sqlite:///{path}"
    yield url
    db.dispose_engine(url)


@pytest.fixture
def session(coop_url: str) -> Iterator[Session]:
    """One session on the seeded store, rolled back at the end."""
    factory = db.session_factory(coop_url)
    with factory() as session:
        yield session
        session.rollback()
