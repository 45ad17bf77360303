"""Maps really render in headless Chromium with no network: Leaflet loads, retailers show.

Every request that is not a file or on loopback is blocked, so a page that needed a CDN
would fail here. Chromium is found at ``$GRIDMGMT_CHROMIUM``, ``/usr/bin/chromium`` or on
the PATH; without it the tests skip (and fail when ``GRIDMGMT_REQUIRE_BACKENDS`` is set).
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Point, box

from api.main import create_app
from gridmgmt.config import Settings
from gridmgmt.domain import BusinessType, RetailerStatus, UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.users import add_user
from gridmgmt.store import db
from gridmgmt.store.models import County, Province, Retailer
from maps.assets import write_map
from maps.overview import build_overview_map

pytestmark = pytest.mark.browser


def _frames(n_retailers: int) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(7)
    lon = 113.9 + rng.normal(0, 0.05, n_retailers)
    lat = 40.95 + rng.normal(0, 0.04, n_retailers)
    # One retailer far from the rest, so it is drawn on its own and can be clicked.
    lon[0], lat[0] = 114.28, 41.18
    statuses = rng.choice(["active", "suspended", "closed"], n_retailers, p=[0.8, 0.15, 0.05])
    crs = "EPSG:4326"
    return {
        "counties": gpd.GeoDataFrame(
            {"code": ["150924"], "name": ["兴和县"], "province": ["内蒙古自治区"]},
            geometry=[MultiPolygon([box(113.5, 40.7, 114.3, 41.2)])],
            crs=crs,
        ),
        "retailers": gpd.GeoDataFrame(
            {
                "licence_no": [f"150924{i:06d}" for i in range(n_retailers)],
                "name": [f"零售户{i}" for i in range(n_retailers)],
                "county_code": "150924",
                "tier": rng.integers(1, 31, n_retailers),
                "business_type": "grocery",
                "status": statuses,
                "key_retailer": rng.random(n_retailers) < 0.05,
            },
            geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
            crs=crs,
        ),
        "schools": gpd.GeoDataFrame(
            {"name": ["城关小学"], "kind": ["primary"], "county_code": ["150924"]},
            geometry=[Point(113.9, 40.95)],
            crs=crs,
        ),
        "checkpoints": gpd.GeoDataFrame(
            {"name": ["兴和收费站"], "kind": ["toll_station"], "county_code": ["150924"]},
            geometry=[Point(114.1, 40.8)],
            crs=crs,
        ),
    }


def test_written_map_renders_from_file_without_network(
    offline: Any, retailers_drawn: Any, tmp_path: Path
) -> None:
    frames = _frames(300)
    m = build_overview_map(
        frames["counties"], frames["retailers"], frames["schools"], frames["checkpoints"]
    )
    path = write_map(m, tmp_path / "demo-out" / "overview.html")
    offline.page.goto(path.as_uri())
    counts = retailers_drawn(offline.page, 300)
    assert offline.page.evaluate("() => L.version") == "1.9.3"
    assert offline.page.evaluate("() => typeof L.markerClusterGroup") == "function"
    assert counts["clusters"] > 0
    assert counts["single"] + counts["clustered"] == 300
    assert offline.page.locator(".gm-legend").count() == 1
    assert offline.page.locator(".leaflet-control-layers").count() == 1
    assert offline.page.locator("path.gm-school").count() == 1
    assert offline.page.locator(".gm-cluster").count() == counts["clusters"]
    assert counts["single"] >= 1
    offline.page.locator("path.gm-retailer").first.click(force=True)
    popup = offline.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    text = popup.inner_text()
    assert "许可证号 Licence no." in text
    assert "150924000000" in text
    assert "零售户0" in text
    assert offline.blocked == []
    assert offline.errors == []


def _seed(url: str) -> str:
    """Two counties with retailers; an officer of the first. Returns her password."""
    with db.transaction(url) as session:
        session.add_all(
            [Province(code="150000", name="内蒙古"), Province(code="140000", name="山西")]
        )
        session.flush()
        session.add_all(
            [
                County(
                    code="150924",
                    name="兴和县",
                    province_code="150000",
                    boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
                ),
                County(
                    code="140222",
                    name="天镇县",
                    province_code="140000",
                    boundary=MultiPolygon([box(114.3, 40.4, 115.0, 41.0)]),
                ),
            ]
        )
        session.flush()
        for county, x0, n in (("150924", 113.9, 40), ("140222", 114.6, 25)):
            for i in range(n):
                session.add(
                    Retailer(
                        licence_no=f"{county}{i:06d}",
                        name=f"店{i}",
                        county_code=county,
                        tier=5,
                        business_type=BusinessType.GROCERY,
                        status=RetailerStatus.ACTIVE,
                        location=Point(x0 + i / 500, 40.8),
                    )
                )
    password = secrets.token_urlsafe(12)
    with db.transaction(url) as session:
        add_user(session, SYSTEM, "alice", password, UserRole.OFFICER, ["150924"])
    return password


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, str]]:
    """The app on a real uvicorn server on loopback; yields its base URL and a password."""
    import uvicorn

    password = _seed(sqlite_url)
    settings = Settings(
        database_url=sqlite_url, secret_key=secrets.token_urlsafe(32), tile_url=None
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", password
    server.should_exit = True
    thread.join(timeout=10)
    db.get_engine(sqlite_url).dispose()


def test_served_map_page_renders_after_login_without_network(
    offline: Any, retailers_drawn: Any, served: tuple[str, str]
) -> None:
    base, password = served
    page = offline.page
    page.goto(f"{base}/map")
    assert urlparse(page.url).path == "/login"
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/map")
    counts = retailers_drawn(page, 40)
    # Only her county's 40 retailers, none of the neighbour's 25.
    assert counts["single"] + counts["clustered"] == 40
    assert page.evaluate("() => typeof L.markerClusterGroup") == "function"
    assert page.locator(".gm-legend").count() == 1
    assert offline.blocked == []
    assert offline.errors == []


def test_api_docs_render_without_network(offline: Any, served: tuple[str, str]) -> None:
    base, _ = served
    offline.page.goto(f"{base}/docs")
    offline.page.locator(".swagger-ui .info").wait_for(timeout=10_000)
    offline.page.get_by_text("/api/v1/retailers").first.wait_for(timeout=10_000)
    assert offline.blocked == []
    assert offline.errors == []
