"""Fixtures of the hostile-input tests (helpers in :mod:`hostile_world`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .hostile_world import counties_geojson, run_import


@pytest.fixture
def hostile_url(sqlite_url: str, tmp_path: Path) -> str:
    """A SQLite store with 兴和县 and 天镇县 imported."""
    run_import(sqlite_url, "counties", counties_geojson(tmp_path / "counties.geojson"))
    return sqlite_url
