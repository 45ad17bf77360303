"""Fixtures of the demo's tests: settings as the face passes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmgmt.config import Settings

REPO = Path(__file__).resolve().parents[3]
DEMO_DIR = REPO / "data" / "demo"


def demo_settings(url: str, demo_dir: Path = DEMO_DIR) -> Settings:
    """Settings as the CLI passes them: the database, the demo folder, no tiles."""
    return Settings(database_url=url, demo_dir=demo_dir, secret_key="x" * 32)


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return demo_settings(sqlite_url)
