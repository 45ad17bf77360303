"""Cross-site request forgery: cookie-authenticated writes must come from this site."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.csrf import origin_of

SITE = "http://testserver"
TICKET = {"county": "150924", "kind": "complaint", "summary": "门店无证经营"}


def _cookie_login(client: TestClient, world) -> None:
    response = client.post(
        "/login",
        data={"username": "alice", "password": world.passwords["alice"]},
        headers={"Origin": SITE},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "http://testserver:8080"},
        {"Referer": "http://evil.example/page?x=1"},
        {},  # a cookie but no origin at all
    ],
)
def test_cross_site_cookie_writes_are_refused(client: TestClient, world, headers) -> None:
    _cookie_login(client, world)
    api = client.post("/api/v1/tickets", json=TICKET, headers=headers)
    assert api.status_code == 403
    assert "cross-site" in api.json()["detail"]
    form = client.post("/logout", headers=headers, follow_redirects=False)
    assert form.status_code == 403
    # The forged logout did nothing: the session still works.
    assert client.get("/map", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("headers", [{"Origin": SITE}, {"Referer": f"{SITE}/map?county=150924"}])
def test_same_origin_cookie_writes_work(client: TestClient, world, headers) -> None:
    _cookie_login(client, world)
    created = client.post("/api/v1/tickets", json=TICKET, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["county_code"] == "150924"


def test_bearer_token_writes_are_exempt(client: TestClient, bearer) -> None:
    headers = {**bearer("alice"), "Origin": "http://evil.example"}
    created = client.post("/api/v1/tickets", json=TICKET, headers=headers)
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/tickets", json=TICKET, headers=bearer("alice")).status_code == 201


def test_reads_and_cookieless_posts_pass(client: TestClient, world) -> None:
    # A cross-site link to a page is fine; a login post without a cookie names no session.
    assert client.get("/login", headers={"Origin": "http://evil.example"}).status_code == 200
    response = client.post(
        "/login",
        data={"username": "alice", "password": world.passwords["alice"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    # ... but a login posted from another site is refused (login CSRF).
    forged = client.post(
        "/login",
        data={"username": "alice", "password": world.passwords["alice"]},
        headers={"Origin": "http://evil.example"},
    )
    assert forged.status_code == 403


def test_origin_parsing() -> None:
    assert origin_of("https://Bureau.local/x") == ("https", "bureau.local", 443)
    assert origin_of("http://127.0.0.1:8000") == ("http", "127.0.0.1", 8000)
    assert origin_of("null") is None
    assert origin_of("javascript:alert(1)") is None
    assert origin_of("http://x:99999") is None
