"""Pages: cookie login, redirects, and the map of the user's own counties."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from maps.assets import remote_references


def _login(client: TestClient, username: str, password: str, next_path: str | None = None):
    data = {"username": username, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, follow_redirects=False)


def test_root_redirects_to_login_and_map_to_login(client) -> None:
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 303
    assert root.headers["location"] == "/login"
    page = client.get("/map?county=150924", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/map%3Fcounty%3D150924"


def test_login_form_has_no_remote_assets(client) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert not re.search(r"https?://", response.text)


def test_wrong_password_re_shows_the_form(client) -> None:
    response = _login(client, "alice", "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text  # Chinese by default
    assert "gridmgmt_session" not in response.headers.get("set-cookie", "")
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"
    assert "Incorrect username or password" in _login(client, "alice", "not-it").text


def test_login_sets_a_safe_cookie_and_goes_to_the_role_s_first_page(client, world) -> None:
    response = _login(client, "alice", world.passwords["alice"])
    assert response.status_code == 303
    assert response.headers["location"] == "/grids"  # an officer's day starts on their grids
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("gridmgmt_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Max-Age=1800" in cookie


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "map", "/\\evil"])
def test_login_never_redirects_off_site(client, world, target: str) -> None:
    response = _login(client, "alice", world.passwords["alice"], next_path=target)
    assert response.headers["location"] == "/grids"


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("officer", "/grids"),
        ("dispatcher", "/dispatch"),
        ("liaison", "/leads"),
        ("admin", "/admin"),
        ("leader", "/dashboard"),
    ],
)
def test_each_role_starts_on_its_own_page(client, api_url, role: str, home: str) -> None:
    from gridmgmt.domain import UserRole

    from .conftest import add_test_user

    add_test_user(api_url, f"u-{role}", "a-long-pass-1234", UserRole(role), ["150924"])
    assert _login(client, f"u-{role}", "a-long-pass-1234").headers["location"] == home
    assert client.get("/", follow_redirects=False).headers["location"] == home
    assert client.get(home).status_code == 200
    client.cookies.clear()
    back = _login(client, f"u-{role}", "a-long-pass-1234", next_path="/cases")
    assert back.headers["location"] == "/cases"


def test_map_shows_only_the_users_counties(client, world) -> None:
    _login(client, "alice", world.passwords["alice"])
    response = client.get("/map")
    assert response.status_code == 200
    html = response.text
    for licence in world.licences["150924"]:
        assert licence in html
    for licence in world.licences["140222"] + world.licences["130728"]:
        assert licence not in html
    assert "兴和县" in html
    assert "天镇县" not in html
    assert "/static/leaflet/leaflet.js" in html
    assert "/static/leaflet-markercluster/leaflet.markercluster.js" in html
    assert remote_references(html) == []
    assert "markerClusterGroup" in html
    assert "gm-legend" in html


def test_map_of_one_county_and_404_for_others(client, world) -> None:
    _login(client, "lucy", world.passwords["lucy"])
    one = client.get("/map", params={"county": "140222"})
    assert one.status_code == 200
    assert "140222000001" in one.text
    assert "150924000001" not in one.text
    assert client.get("/map", params={"county": "130728"}).status_code == 404


def test_cookie_also_works_for_the_json_api(client, world) -> None:
    _login(client, "bob", world.passwords["bob"])
    assert client.get("/api/v1/auth/me").json()["username"] == "bob"


def test_logout_ends_the_session(client, world) -> None:
    _login(client, "alice", world.passwords["alice"])
    assert client.get("/map", follow_redirects=False).status_code == 200
    # A bookmarked GET /logout answers with a page whose form posts; it ends nothing.
    page = client.get("/logout", follow_redirects=False)
    assert page.status_code == 200
    assert 'method="post" action="/logout"' in page.text
    assert client.get("/map", follow_redirects=False).status_code == 200
    response = client.post(
        "/logout", headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/map", follow_redirects=False).status_code == 303
    assert client.get("/logout", follow_redirects=False).headers["location"] == "/login"
