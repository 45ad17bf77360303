"""Counties are scoped: a user sees their own, and others' answer exactly like missing ones."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("username", "expected"),
    [("alice", ["150924"]), ("bob", ["140222"]), ("lucy", ["140222", "150924"])],
)
def test_list_shows_only_the_users_counties(client, bearer, username, expected) -> None:
    response = client.get("/api/v1/counties", headers=bearer(username))
    assert response.status_code == 200
    assert [county["code"] for county in response.json()] == expected


def test_county_fields(client, bearer) -> None:
    (county,) = client.get("/api/v1/counties", headers=bearer("alice")).json()
    assert county == {
        "code": "150924",
        "name": "兴和县",
        "province_code": "150000",
        "province": "内蒙古自治区",
        "city": "乌兰察布市",
        "bbox": [113.5, 40.7, 114.3, 41.2],
    }


def test_detail_has_boundary_and_counts(client, bearer) -> None:
    response = client.get("/api/v1/counties/150924", headers=bearer("alice"))
    assert response.status_code == 200
    body = response.json()
    assert body["retailers_by_status"] == {"active": 1, "suspended": 1, "closed": 1}
    assert body["boundary"]["type"] == "MultiPolygon"


@pytest.mark.parametrize("code", ["140222", "130728"])
def test_other_counties_are_404_like_missing_ones(client, bearer, code: str) -> None:
    out_of_scope = client.get(f"/api/v1/counties/{code}", headers=bearer("alice"))
    missing = client.get("/api/v1/counties/999999", headers=bearer("alice"))
    assert out_of_scope.status_code == missing.status_code == 404

    def answer(key: str) -> dict[str, str]:
        return {"detail": f"no county {key}", "kind": "not_found", "what": "county", "key": key}

    assert (out_of_scope.json(), missing.json()) == (answer(code), answer("999999"))


def test_the_same_county_is_visible_to_its_own_officer(client, bearer) -> None:
    assert client.get("/api/v1/counties/140222", headers=bearer("bob")).status_code == 200
    assert client.get("/api/v1/counties/140222", headers=bearer("lucy")).status_code == 200
