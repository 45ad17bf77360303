"""Retailers: scoped pages, filters, GeoJSON."""

from __future__ import annotations

import pytest


def _licences(client, headers, **params) -> list[str]:
    response = client.get("/api/v1/retailers", headers=headers, params=params)
    assert response.status_code == 200
    return [item["licence_no"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("username", "counties"),
    [("alice", ["150924"]), ("bob", ["140222"]), ("lucy", ["140222", "150924"])],
)
def test_only_the_users_retailers(client, bearer, world, username, counties) -> None:
    expected = sorted(licence for code in counties for licence in world.licences[code])
    assert _licences(client, bearer(username)) == expected


def test_filtering_on_another_county_gives_an_empty_page(client, bearer) -> None:
    response = client.get("/api/v1/retailers", headers=bearer("alice"), params={"county": "140222"})
    assert response.status_code == 200
    assert response.json() == {"total": 0, "limit": 100, "offset": 0, "items": []}


def test_status_filter_accepts_english_and_chinese(client, bearer) -> None:
    headers = bearer("alice")
    assert _licences(client, headers, status="suspended") == ["150924000002"]
    assert _licences(client, headers, status="歇业") == ["150924000002"]


def test_unknown_status_is_422_listing_allowed_values(client, bearer) -> None:
    response = client.get("/api/v1/retailers", headers=bearer("alice"), params={"status": "open"})
    assert response.status_code == 422
    assert "active" in response.json()["detail"]
    assert "suspended" in response.json()["detail"]


def test_paging(client, bearer) -> None:
    headers = bearer("lucy")
    response = client.get("/api/v1/retailers", headers=headers, params={"limit": 2, "offset": 1})
    body = response.json()
    assert body["total"] == 5
    assert [item["licence_no"] for item in body["items"]] == ["140222000002", "150924000001"]
    assert client.get("/api/v1/retailers", headers=headers, params={"limit": 0}).status_code == 422
    too_many = client.get("/api/v1/retailers", headers=headers, params={"limit": 100_000})
    assert too_many.status_code == 422


def test_retailer_fields(client, bearer) -> None:
    response = client.get("/api/v1/retailers", headers=bearer("alice"), params={"status": "closed"})
    (item,) = response.json()["items"]
    assert item["licence_no"] == "150924000003"
    assert item["county_code"] == "150924"
    assert item["business_type"] == "convenience"
    assert item["key_retailer"] is True
    assert item["lon"] == pytest.approx(113.82)
    assert item["lat"] == pytest.approx(40.9)


def test_geojson_feature_collection(client, bearer) -> None:
    response = client.get("/api/v1/retailers", headers=bearer("bob"), params={"format": "geojson"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["total"] == 2
    feature = body["features"][0]
    assert feature["type"] == "Feature"
    assert feature["id"] == "140222000001"
    assert feature["geometry"] == {"type": "Point", "coordinates": [114.6, 40.6]}
    assert feature["properties"]["county_code"] == "140222"
    assert "lon" not in feature["properties"]
