"""Login protection: throttling and lock-out per account and per address (audited), security
headers with a CSP per page, Secure cookies behind a trusted proxy, no generated secret on a
network address."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from api.main import create_app
from api.security_headers import page_csp, with_nonce
from gridmgmt.config import Settings
from gridmgmt.errors import InvalidInputError
from gridmgmt.services.login_guard import LoginPolicy, login
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry
from tests.api.conftest import World, make_settings

TOKEN = "/api/v1/auth/token"
PROXY = "testclient"
"""The peer address of Starlette's test client: the trusted proxy in these tests."""


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
    settings = make_settings(api_url, trust_proxy=True, trusted_proxies=PROXY)
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


def _nonce(response: Response) -> str:
    """The nonce of a page's CSP (which allows no other inline script)."""
    csp = response.headers["Content-Security-Policy"]
    found = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{20,})';", csp)
    assert found, csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    return found.group(1)


def _inline_scripts_without(page: str, nonce: str) -> list[str]:
    """Inline scripts that would run yet lack the nonce (data blocks never run)."""
    tags = re.findall(r"<script\b[^>]*>", page, re.IGNORECASE)
    return [
        tag
        for tag in tags
        if "src=" not in tag and "application/json" not in tag and f'nonce="{nonce}"' not in tag
    ]


def test_security_headers_and_a_nonce_csp_on_every_page(
    client: TestClient, world: World, bearer: Callable[..., dict[str, str]]
) -> None:
    login_page = client.get("/login")
    for response in (login_page, client.get("/api/v1/auth/me", headers=bearer("alice"))):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert _nonce(login_page) != _nonce(client.get("/login"))  # new for every answer
    _login(client, world)
    for path in (
        "/login",
        "/map",
        "/grids",
        "/tickets",
        "/cases",
        "/docs",
        "/docs/oauth2-redirect",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        nonce = _nonce(page)
        assert _inline_scripts_without(page.text, nonce) == [], path
        assert "http" not in page.headers["Content-Security-Policy"]  # no remote origin
    map_page = client.get("/map")
    assert map_page.text.count(f'nonce="{_nonce(map_page)}"') >= 2  # folium's header and map


def test_markup_in_a_name_cannot_make_a_script_that_runs() -> None:
    nonce = "n" * 24
    generated = "<script>L_NO_TOUCH = false;</script><script src=/static/x.js></script>"
    assert with_nonce(generated, nonce) == (
        f'<script nonce="{nonce}">L_NO_TOUCH = false;</script><script src=/static/x.js></script>'
    )
    assert with_nonce(f'<script nonce="{nonce}">x</script>', nonce).count("nonce=") == 1
    csp = page_csp(nonce=nonce, tile_url="http://tiles.bureau.local/{z}/{x}/{y}.png")
    assert f"script-src 'self' 'nonce-{nonce}';" in csp
    assert "img-src 'self' data: blob: http://tiles.bureau.local;" in csp


def test_cookie_is_secure_only_behind_a_trusted_https_proxy(api_url: str, world: World) -> None:
    https = {"X-Forwarded-Proto": "https"}
    with TestClient(create_app(make_settings(api_url))) as client:
        assert "secure" not in _login(client, world, **https).lower()
    settings = make_settings(api_url, trust_proxy=True, trusted_proxies=PROXY)
    with TestClient(create_app(settings)) as client:
        assert "secure" in _login(client, world, **https).lower()
        assert "secure" not in _login(client, world).lower()
    other_proxy = make_settings(api_url, trust_proxy=True, trusted_proxies="10.0.0.5")
    with TestClient(create_app(other_proxy)) as client:  # the peer is not the proxy
        assert "secure" not in _login(client, world, **https).lower()


def test_a_forwarded_address_the_client_wrote_itself_is_not_believed(
    api_url: str, world: World
) -> None:
    """The proxy appends the peer it saw; what the client put in front is ignored, so
    rotating a forged X-Forwarded-For does not escape the address lock."""
    settings = make_settings(api_url, trust_proxy=True, trusted_proxies=PROXY)
    with TestClient(create_app(settings)) as client:
        for i in range(20):
            forged = {"X-Forwarded-For": f"192.0.2.{i}, 203.0.113.7"}
            assert _token(client, f"nobody{i}", "x", **forged) == 401
        fresh = {"X-Forwarded-For": "192.0.2.99, 203.0.113.7"}
        assert _token(client, "alice", world.passwords["alice"], **fresh) == 429
    with db.transaction(api_url) as session:
        stmt = select(AuditEntry.remote_addr).where(AuditEntry.action == "auth.login_failed")
        assert set(session.scalars(stmt)) == {"203.0.113.7"}


def test_forwarded_headers_are_ignored_without_trust_proxy(api_url: str, world: World) -> None:
    with TestClient(create_app(make_settings(api_url))) as client:
        for i in range(20):
            assert _token(client, f"nobody{i}", "x", **{"X-Forwarded-For": f"192.0.2.{i}"}) == 401
        # every failure counted against the real peer, whatever the header said
        assert _token(client, "alice", world.passwords["alice"]) == 429


def test_no_generated_secret_on_a_network_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDMGMT_SECRET_KEY", raising=False)
    generated = Settings(_env_file=None)  # type: ignore[call-arg]
    for host in ("127.0.0.1", "localhost", "::1"):
        generated.require_secret_for(host)
    with pytest.raises(InvalidInputError, match="GRIDMGMT_SECRET_KEY"):
        generated.require_secret_for("0.0.0.0")
    make_settings("sqlite://").require_secret_for("0.0.0.0")


def test_passwords_are_argon2_hashed_and_never_logged(
    api_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from gridmgmt.store.models import User

    wrong, right = "Wr0ng-pass-7f3a9c", world.passwords["alice"]
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(make_settings(api_url))) as client:
        assert _token(client, "alice", wrong) == 401
        assert client.post("/login", data={"username": "alice", "password": wrong}).status_code
        assert _token(client, "alice", right) == 200
        page = client.post(
            "/login", data={"username": "alice", "password": right}, follow_redirects=False
        )
        assert page.status_code == 303
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "gridmgmt.access" in {r.name for r in caplog.records}  # the access log was seen
    with db.transaction(api_url) as session:
        audit = [
            f"{e.username} {e.action} {e.detail} {e.remote_addr}"
            for e in session.scalars(select(AuditEntry))
        ]
        stored = session.scalars(select(User.password_hash).where(User.username == "alice")).one()
    assert any("auth.login_failed" in line for line in audit)
    for password in (wrong, right):
        assert password not in logged
        assert password not in "\n".join(audit)
        assert password not in stored
    assert stored.startswith("$argon2id$")
