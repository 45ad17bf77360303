"""Logging in: the OAuth2 password flow, tokens, and no way in without a password."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from gridmgmt.config import Settings
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, User


def _login(client: TestClient, username: str, password: str) -> dict[str, object]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return {"status": response.status_code, "body": response.json(), "headers": response.headers}


def test_password_flow_gives_a_token_that_identifies_the_user(client, world) -> None:
    result = _login(client, "lucy", world.passwords["lucy"])
    assert result["status"] == 200
    body = result["body"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "lucy",
        "full_name": "Lucy",
        "role": "liaison",
        "role_zh": "信息联络员",
        "counties": ["140222", "150924"],
        "active": True,
        "staff_no": None,
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong-password-1"), ("nobody", "whatever-password"), ("Alice", "x" * 12)],
)
def test_wrong_credentials_get_401(client, username: str, password: str) -> None:
    result = _login(client, username, password)
    assert result["status"] == 401
    assert result["body"]["detail"] == "incorrect username or password"
    assert result["headers"]["www-authenticate"] == "Bearer"


def test_empty_password_is_refused_before_any_lookup(client) -> None:
    assert _login(client, "alice", "")["status"] == 422


def test_logins_are_audited(client, world, api_url: str) -> None:
    _login(client, "alice", world.passwords["alice"])
    _login(client, "alice", "not-her-password")
    with db.transaction(api_url) as session:
        actions = session.execute(
            select(AuditEntry.username, AuditEntry.action).where(AuditEntry.action.like("auth.%"))
        ).all()
    assert ("alice", "auth.login") in actions
    assert ("alice", "auth.login_failed") in actions


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/counties", "/api/v1/retailers"])
def test_api_without_token_is_401(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_bad_tokens_are_401(client, bearer: Callable[..., dict[str, str]]) -> None:
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nonsense"}).status_code
        == 401
    )
    expired = bearer("alice", minutes=-1)
    assert client.get("/api/v1/auth/me", headers=expired).status_code == 401
    forged = bearer("alice", key="another-key-of-sufficient-length")
    assert client.get("/api/v1/auth/me", headers=forged).status_code == 401
    unknown = bearer("mallory")
    assert client.get("/api/v1/auth/me", headers=unknown).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer("alice")).status_code == 200


def test_deactivated_user_token_stops_working(client, bearer, api_url: str) -> None:
    headers = bearer("bob")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with db.transaction(api_url) as session:
        session.scalars(select(User).where(User.username == "bob")).one().active = False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_fresh_database_has_no_users_and_no_default_password(
    sqlite_url: str, app_settings: Callable[..., Settings]
) -> None:
    with TestClient(create_app(app_settings(sqlite_url))) as client:
        for username, password in [
            ("admin", "admin"),
            ("admin", "password"),
            ("root", "123456"),
            ("officer150924", "changeme"),
        ]:
            assert _login(client, username, password)["status"] == 401
    with db.transaction(sqlite_url) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
