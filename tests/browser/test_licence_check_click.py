"""A click on the /map page runs the licence check and answers in a popup (no network)."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.main import create_app
from gridmgmt.config import Settings
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.users import add_user
from gridmgmt.store import db

from ..gridmgmt.services.rules_world import A, lonlat, seed_world

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, str]]:
    """The app on uvicorn on loopback over the rules world; its URL and alice's password."""
    import uvicorn

    seed_world(sqlite_url)
    password = secrets.token_urlsafe(12)
    with db.transaction(sqlite_url) as session:
        add_user(session, SYSTEM, "alice", password, UserRole.OFFICER, [A])
    settings = Settings(database_url=sqlite_url, secret_key=secrets.token_urlsafe(32))
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


def _click_at(page: Any, x: float, y: float) -> str:
    """Click the map at a point given in the world's metres; the popup's text."""
    lon, lat = lonlat(x, y)
    where = page.evaluate(
        """([lat, lon]) => {
            const map = window[document.querySelector('.folium-map').id];
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [lat, lon],
    )
    page.mouse.click(where["x"], where["y"])
    # The previous popup fades out for a moment: read the newest one once it has answered.
    newest = page.locator(".gm-check-popup").last
    newest.locator(".gm-check-verdict").wait_for(timeout=10_000)
    text: str = newest.inner_text()
    return text


def test_click_answers_yes_or_no_with_reasons(offline: Any, served: tuple[str, str]) -> None:
    base, password = served
    page = offline.page
    page.set_extra_http_headers({"Accept-Language": "zh-CN"})  # as the bureaus' browsers ask
    page.goto(f"{base}/login?next=/map")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/map")
    page.wait_for_function("() => window.gmLicenceCheck !== undefined", timeout=10_000)
    assert page.locator(".gm-check-toggle input").is_checked()
    free = _click_at(page, -5_000, 15_000)
    assert "可以办证" in free
    assert "兴和县" in free
    outside = _click_at(page, 5_000, 15_000)  # the neighbour's county
    assert "不可办证" in outside
    assert "不在本局辖区内" in outside
    # What to do about the missing road network, said to the user, not to a command line.
    assert "管理员" in free
    assert "道路网" in free
    assert "--roads" not in free + outside
    assert offline.blocked == []
    assert offline.errors == []
