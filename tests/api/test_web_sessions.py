"""Logging out is a POST that revokes the session on the server: the old cookie is dead."""

from __future__ import annotations

import datetime as dt

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.security import ALGORITHM, COOKIE_NAME
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry
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


def _api_token(client: TestClient, world, username: str = "alice") -> dict[str, str]:
    form = {"username": username, "password": world.passwords[username]}
    answer = client.post("/api/v1/auth/token", data=form)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_api_logout_revokes_the_bearer_token(client: TestClient, world, api_url) -> None:
    token = _api_token(client, world)
    other = _api_token(client, world)  # a second login of the same user
    assert client.get("/api/v1/auth/me", headers=token).status_code == 200
    out = client.post("/api/v1/auth/logout", headers=token)
    assert out.status_code == 204
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401
    assert client.get("/api/v1/retailers", headers=token).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=token).status_code == 401
    assert client.get("/api/v1/auth/me", headers=other).status_code == 200
    with db.transaction(api_url) as session:
        stmt = select(AuditEntry).where(AuditEntry.action == "auth.logout")
        entries = session.scalars(stmt).all()
        assert [(e.username, e.remote_addr) for e in entries] == [("alice", "testclient")]


def test_api_logout_without_a_token_is_401(client: TestClient) -> None:
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_page_logout_is_audited_once_even_when_sent_twice_at_once(
    client: TestClient, world, api_url
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    cookie = _login(client, world)

    def log_out(_: int) -> int:
        with TestClient(create_app(make_settings(api_url))) as tab:
            tab.cookies.set(COOKIE_NAME, cookie)
            return tab.post("/logout", headers=SITE, follow_redirects=False).status_code

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(log_out, range(4))) == {303}
    with db.transaction(api_url) as session:
        stmt = select(AuditEntry.username).where(AuditEntry.action == "auth.logout")
        assert session.scalars(stmt).all() == ["alice"]
