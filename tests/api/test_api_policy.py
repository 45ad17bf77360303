"""The role x action table walked over every JSON route of the app.

Every ``/api/v1`` route but logging in and health declares its action with ``allow``; a
role the table refuses answers 403 on every route, before any body or lookup is looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.main import create_app
from gridmgmt.domain import UserRole
from gridmgmt.policy import POLICY, Action, action_of

from .conftest import XINGHE, add_test_user, make_settings

# Routes that touch no county's data: open to anyone (health, login) or to any logged-in user about their own login.
OPEN_PATHS = {"/api/v1/health", "/api/v1/auth/token", "/api/v1/auth/me", "/api/v1/auth/logout"}


def _route_action(route: APIRoute) -> Action | None:
    for dependency in route.dependant.dependencies:
        action = action_of(dependency.call) if dependency.call is not None else None
        if action is not None:
            return action
    return None


def _flat(routes: list[Any]) -> Iterator[Any]:
    """Every route, inside included routers too (FastAPI keeps them nested)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _flat(included.routes) if included is not None else [route]


def _api_routes() -> list[APIRoute]:
    app = create_app(make_settings("sqlite://"))
    return [
        route
        for route in _flat(app.routes)
        if isinstance(route, APIRoute)
        and route.path.startswith("/api/v1/")
        and route.path not in OPEN_PATHS
        and route.include_in_schema
    ]


ROUTES = [
    (route.path, method, route)
    for route in _api_routes()
    for method in sorted(route.methods - {"HEAD", "OPTIONS"})
]


def test_the_walk_finds_the_routes() -> None:
    assert len(ROUTES) > 50


@pytest.mark.parametrize(
    ("path", "method", "route"), ROUTES, ids=[f"{m} {p}" for p, m, _ in ROUTES]
)
def test_every_api_route_declares_an_action(path: str, method: str, route: APIRoute) -> None:
    assert _route_action(route) is not None, f"{method} {path} declares no allow(Action)"


@pytest.fixture
def role_client(api_url: str) -> Iterator[tuple[TestClient, Callable[[UserRole], str]]]:
    for role in UserRole:
        add_test_user(api_url, f"walk-{role.value}", "walk-password-1234", role, [XINGHE])
    with TestClient(create_app(make_settings(api_url)), raise_server_exceptions=False) as client:
        yield client, lambda role: f"walk-{role.value}"


def test_refused_roles_get_403_on_every_route(
    role_client: tuple[TestClient, Callable[[UserRole], str]],
    bearer: Callable[..., dict[str, str]],
) -> None:
    client, username = role_client
    checked = 0
    for path, method, route in ROUTES:
        action = _route_action(route)
        assert action is not None
        url = path.replace("{", "").replace("}", "")  # any value: refused before any lookup
        for role in UserRole:
            if role in POLICY[action]:
                continue
            response = client.request(method, url, headers=bearer(username(role)))
            assert response.status_code == 403, (method, path, role, response.text)
            checked += 1
    assert checked > 0
