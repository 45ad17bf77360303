"""The app shell: health, OpenAPI, offline docs and static assets."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gridmgmt.store import db
from maps.assets import remote_references


def test_health(client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["schema_revision"] == db.head_revision() == body["schema_head"]
    assert body["version"]


def test_app_creation_migrates_an_empty_database(tmp_path, app_settings) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with TestClient(create_app(app_settings(url))) as client:
        assert client.get("/api/v1/health").json()["schema_revision"] == db.head_revision()
    db.get_engine(url).dispose()


def test_openapi_lists_every_json_route_under_api_v1(client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert {
        "/api/v1/auth/token",
        "/api/v1/auth/me",
        "/api/v1/health",
        "/api/v1/counties",
        "/api/v1/counties/{code}",
        "/api/v1/retailers",
    } <= paths
    assert all(path.startswith("/api/v1/") for path in paths)
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"


def test_docs_page_loads_its_scripts_locally(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert remote_references(response.text) == []
    assert not re.search(r"""(?:src|href)=["']https?://""", response.text)
    for asset in ("/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"):
        assert asset in response.text
        served = client.get(asset)
        assert served.status_code == 200
        assert len(served.content) > 100_000
    assert client.get("/docs/oauth2-redirect").status_code == 200
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/static/leaflet/leaflet.js",
        "/static/leaflet/leaflet.css",
        "/static/leaflet/images/layers.png",
        "/static/leaflet-markercluster/leaflet.markercluster.js",
        "/static/leaflet-markercluster/MarkerCluster.css",
        "/static/leaflet-markercluster/MarkerCluster.Default.css",
        "/static/docs/swagger-ui.css",
    ],
)
def test_static_assets_are_served(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content
