"""The header: role-aware navigation from one registry, the user, the locale switch."""

from __future__ import annotations

import re

from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from api.main import create_app
from api.nav import NAV_ENTRIES, NavEntry, entries_for
from gridmgmt.domain import UserRole

from .conftest import XINGHE, add_test_user, make_settings

SITE = {"Origin": "http://testserver"}


def _login(client: TestClient, username: str, password: str) -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": password},
        headers=SITE,
        follow_redirects=False,
    )
    assert response.status_code == 303


def _nav(html: str) -> list[str]:
    nav = re.search(r'<nav class="gm-nav"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


def test_registry_filters_by_role_and_existing_pages() -> None:
    existing = frozenset({"/map", "/cases", "/dispatch", "/admin/users"})
    assert [e.path for e in entries_for("officer", existing)] == ["/map", "/cases"]
    assert [e.path for e in entries_for("dispatcher", existing)] == ["/map", "/dispatch", "/cases"]
    assert [e.path for e in entries_for("admin", existing)] == ["/map", "/cases", "/admin/users"]
    assert entries_for(None, existing) == []
    assert len({e.path for e in NAV_ENTRIES}) == len(NAV_ENTRIES)


def test_current_page_matches_below_its_path() -> None:
    entry = NavEntry("/cases", "Cases", frozenset({"officer"}))
    assert entry.is_current("/cases")
    assert entry.is_current("/cases/network/N-1")
    assert not entry.is_current("/cases-old")


def test_officer_header_links_map_and_cases(client: TestClient, world) -> None:
    _login(client, "alice", world.passwords["alice"])
    html = client.get("/map").text
    assert _nav(html) == ["/map", "/grids", "/tasks", "/tickets", "/cases", "/sweeps"]
    assert '<a href="/map" aria-current="page">地图</a>' in html
    assert "Alice · 专管员" in html
    assert '<form class="gm-logout" method="post" action="/logout">' in html
    cases = client.get("/cases").text
    assert _nav(cases) == ["/map", "/grids", "/tasks", "/tickets", "/cases", "/sweeps"]
    assert '<a href="/cases" aria-current="page">案件</a>' in cases


def test_pages_added_later_appear_for_their_roles(api_url: str) -> None:
    app = create_app(make_settings(api_url))

    @app.get("/dispatch")
    def dispatch() -> HTMLResponse:
        return HTMLResponse("")

    add_test_user(api_url, "dora", "Seven-Pine-Lantern-42", UserRole.DISPATCHER, [XINGHE])
    with TestClient(app) as client:
        _login(client, "dora", "Seven-Pine-Lantern-42")
        html = client.get("/map").text
    assert _nav(html) == ["/map", "/dispatch", "/cases"]
    assert ">配送</a>" in html


def test_the_header_in_english(client: TestClient, world) -> None:
    client.cookies.set("gridmgmt_locale", "en")
    _login(client, "lucy", world.passwords["lucy"])
    html = client.get("/map").text
    assert '<a href="/map" aria-current="page">Map</a>' in html
    assert "Lucy · Liaison" in html
    assert ">Log out</button>" in html
    assert 'href="/locale?locale=zh_CN&amp;next=%2Fmap" lang="zh-CN"' in html
    assert ">中文</a>" in html


def test_user_text_is_escaped_in_the_header(client: TestClient, api_url: str) -> None:
    evil = "<img src=x onerror=alert(1)>"
    add_test_user(
        api_url, "eve", "Tall-Crane-Harbour-71", UserRole.OFFICER, [XINGHE], full_name=evil
    )
    _login(client, "eve", "Tall-Crane-Harbour-71")
    for path in ("/map", "/cases", "/logout"):
        html = client.get(path).text
        assert evil not in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path
