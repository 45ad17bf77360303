"""Logging out is a POST that revokes the session on the server: the old cookie is dead."""

from __future__ import annotations

import datetime as dt

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.security import ALGORITHM, COOKIE_NAME
from gridmgmt.store import db
from gridmgmt.store.models.web import RevokedSession

from .conftest import SECRET, make_settings

SITE = {"Origin": "http://testserver"}


def _login(client: TestClient, world, username: str = "alice") -> str:
    response = client.post(
        "/login",
        data={"username": username, "password": world.passwords[username]},
        headers=SITE,
        follow_redirects=False,
    )
    assert response.status_code == 303
    return response.cookies[COOKIE_NAME]


def test_logout_revokes_the_cookie_on_the_server(client: TestClient, world, api_url) -> None:
    stolen = _login(client, world)
    assert client.get("/api/v1/auth/me").json()["username"] == "alice"
    out = client.post("/logout", headers=SITE, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert f'{COOKIE_NAME}=""' in out.headers["set-cookie"]
    # Someone who kept a copy of the cookie gets nothing with it.
    with TestClient(create_app(make_settings(api_url))) as other:
        other.cookies.set(COOKIE_NAME, stolen)
        assert other.get("/map", follow_redirects=False).status_code == 303
        assert other.get("/api/v1/auth/me").status_code == 401
    with db.session_factory(api_url)() as session:
        rows = session.scalars(select(RevokedSession)).all()
    assert [row.username for row in rows] == ["alice"]
    assert rows[0].expires_at > dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_logout_ends_only_that_session(client: TestClient, world, api_url, bearer) -> None:
    _login(client, world)
    with TestClient(create_app(make_settings(api_url))) as phone:
        _login(phone, world)
        client.post("/logout", headers=SITE)
        assert phone.get("/map", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer("alice")).status_code == 200


def test_logging_out_twice_is_harmless(client: TestClient, world) -> None:
    token = _login(client, world)
    client.post("/logout", headers=SITE)
    client.cookies.set(COOKIE_NAME, token)
    again = client.post("/logout", headers=SITE, follow_redirects=False)
    assert again.status_code == 303


def test_a_cookie_token_without_an_id_is_refused(client: TestClient) -> None:
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": "alice", "iat": now, "exp": now + dt.timedelta(minutes=5)}
    client.cookies.set(COOKIE_NAME, jwt.encode(claims, SECRET, algorithm=ALGORITHM))
    assert client.get("/map", follow_redirects=False).status_code == 303


def test_get_logout_is_a_page_that_posts(client: TestClient, world) -> None:
    assert client.get("/logout", follow_redirects=False).headers["location"] == "/login"
    _login(client, world)
    page = client.get("/logout")
    assert page.status_code == 200
    assert '<form class="gm-card" method="post" action="/logout">' in page.text
    assert client.get("/map", follow_redirects=False).status_code == 200
