"""The map `gridmgmt demo` writes renders in headless Chromium with the network cut off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
