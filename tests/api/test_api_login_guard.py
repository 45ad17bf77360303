"""Login protection: throttling and lock-out per account and per address (audited), security
headers with a CSP per page, Secure cookies behind a trusted proxy, no generated secret on a
network address."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from gridmgmt.config import Settings
from gridmgmt.errors import InvalidInputError
from gridmgmt.services.login_guard import LoginPolicy, login
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry
from tests.api.conftest import World, make_settings

TOKEN = "/api/v1/auth/token"


def _token(client: TestClient, username: str, password: str, **headers: str) -> int:
    form = {"username": username, "password": password}
    return client.post(TOKEN, data=form, headers=headers).status_code


def _audit(url: str, username: str) -> list[str]:
    with db.transaction(url) as session:
        stmt = select(AuditEntry.action).where(AuditEntry.username == username)
        return list(session.scalars(stmt.order_by(AuditEntry.id)))


def test_five_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, world: World, api_url: str
) -> None:
    codes = [_token(client, "alice", "wrong") for _ in range(5)]
    assert codes == [401] * 5
    locked = client.post(TOKEN, data={"username": "alice", "password": world.passwords["alice"]})
    assert locked.status_code == 429
    assert 800 < int(locked.headers["Retry-After"]) <= 900
    assert _token(client, "bob", world.passwords["bob"]) == 200  # other accounts still log in
    actions = _audit(api_url, "alice")
    assert actions.count("auth.login_failed") == 5
    assert "auth.lockout" in actions
    assert actions[-1] == "auth.login_locked"


def test_a_success_clears_the_failures(client: TestClient, world: World) -> None:
    for _ in range(4):
        assert _token(client, "alice", "wrong") == 401
    assert _token(client, "alice", world.passwords["alice"]) == 200
    for _ in range(4):
        assert _token(client, "alice", "wrong") == 401
    assert _token(client, "alice", world.passwords["alice"]) == 200


def test_twenty_failures_from_one_address_lock_it(api_url: str, world: World) -> None:
    settings = make_settings(api_url, trust_proxy=True)
    with TestClient(create_app(settings)) as client:
        here = {"X-Forwarded-For": "203.0.113.7"}
        codes = [_token(client, f"nobody{i}", "x", **here) for i in range(20)]
        assert codes == [401] * 20
        assert _token(client, "alice", world.passwords["alice"], **here) == 429
        elsewhere = {"X-Forwarded-For": "198.51.100.1"}
        assert _token(client, "alice", world.passwords["alice"], **elsewhere) == 200


def test_the_lock_ends_after_the_lockout(api_url: str, world: World) -> None:
    policy = LoginPolicy()
    start = dt.datetime(2026, 12, 1, 9, 0)
    with db.transaction(api_url) as session:
        for i in range(5):
            when = start + dt.timedelta(minutes=i)
            assert login(session, "alice", "x", address="a", policy=policy, now=when).user is None
        later = start + dt.timedelta(minutes=10)
        refused = login(session, "alice", "x", address="a", policy=policy, now=later)
        assert refused.retry_after_s == 9 * 60
        free = start + dt.timedelta(minutes=19, seconds=1)
        right = world.passwords["alice"]
        assert login(session, "alice", right, address="a", policy=policy, now=free).user


def test_the_login_page_says_when_locked(client: TestClient, world: World) -> None:
    for _ in range(5):
        client.post("/login", data={"username": "alice", "password": "wrong"})
    page = client.post(
        "/login",
        data={"username": "alice", "password": world.passwords["alice"]},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    assert page.status_code == 429
    assert "Retry-After" in page.headers
    assert "Too many failed logins" in page.text or "登录失败次数过多" in page.text


def _login(client: TestClient, world: World, **headers: str) -> str:
    response = client.post(
        "/login",
        data={"username": "alice", "password": world.passwords["alice"]},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303
    return response.headers["set-cookie"]


def test_security_headers_and_a_strict_csp_where_pages_allow(
    client: TestClient, world: World, bearer: Callable[..., dict[str, str]]
) -> None:
    login_page = client.get("/login")
    for response in (login_page, client.get("/api/v1/auth/me", headers=bearer("alice"))):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    strict = login_page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in strict  # no inline script on the login page
    _login(client, world)
    map_page = client.get("/map")
    assert map_page.status_code == 200
    relaxed = map_page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline';" in relaxed
    assert "http" not in relaxed  # nothing remote without a tile server


def test_cookie_is_secure_only_behind_a_trusted_https_proxy(api_url: str, world: World) -> None:
    https = {"X-Forwarded-Proto": "https"}
    with TestClient(create_app(make_settings(api_url))) as client:
        assert "secure" not in _login(client, world, **https).lower()
    with TestClient(create_app(make_settings(api_url, trust_proxy=True))) as client:
        assert "secure" in _login(client, world, **https).lower()
        assert "secure" not in _login(client, world).lower()


def test_no_generated_secret_on_a_network_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDMGMT_SECRET_KEY", raising=False)
    generated = Settings(_env_file=None)  # type: ignore[call-arg]
    for host in ("127.0.0.1", "localhost", "::1"):
        generated.require_secret_for(host)
    with pytest.raises(InvalidInputError, match="GRIDMGMT_SECRET_KEY"):
        generated.require_secret_for("0.0.0.0")
    make_settings("sqlite://").require_secret_for("0.0.0.0")
