"""The map `gridmgmt demo` writes renders in headless Chromium with the network cut off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers the commands)
from gridmgmt.cli._app import app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-out")
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_demo_overview_map_shows_every_retailer_offline(
    demo_out: Path, offline: Any, retailers_drawn: Any
) -> None:
    offline.page.goto((demo_out / "overview.html").as_uri())
    counts = retailers_drawn(offline.page, 6000)
    assert offline.page.evaluate("() => typeof L.markerClusterGroup") == "function"
    assert counts["single"] + counts["clustered"] == 6000
    assert offline.page.locator("path.gm-school").count() > 0
    assert offline.blocked == []
    assert offline.errors == []
