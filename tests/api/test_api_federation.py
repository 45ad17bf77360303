"""/api/v1/federation: hits for the caller's counties, bundle export and import, and scope.

The seeded world (tests/api/conftest.py) with the case world imported: X-001 (兴和) and
T-001 (天镇) share a person's ID number; T-001 and H-001 (怀安) share a plate written
``晋B12345`` and ``晋B 12345``. lucy is a liaison of 兴和 and 天镇, alice an officer of 兴和,
hugo a liaison of 怀安.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gridmgmt.config import Settings
from gridmgmt.domain import UserRole
from gridmgmt.store import db
from gridmgmt.store.models import User, UserCounty

from ..gridmgmt.services.cases_world import (
    HUAIAN,
    LI_ID,
    TIANZHEN,
    XINGHE,
    ZHANG_ID,
    case_records,
    import_case_file,
    seed_counties,
    write_case_file,
)

Headers = Callable[..., dict[str, str]]
KEY = "area:" + "z" * 32
HITS = "/api/v1/federation/hits"


def _liaison(username: str, county: str) -> User:
    return User(
        username=username,
        role=UserRole.LIAISON,
        password_hash="not-used: these tests sign tokens",
        county_links=[UserCounty(county_code=county)],
    )


@pytest.fixture
def fed_client(
    api_url: str, tmp_path: Path, app_settings: Callable[..., Settings]
) -> Iterator[TestClient]:
    """The app with the case world, hugo (liaison of 怀安县) and the area key."""
    import_case_file(api_url, write_case_file(tmp_path / "cases.json"))
    with db.transaction(api_url) as session:
        session.add(_liaison("hugo", HUAIAN))
    with TestClient(create_app(app_settings(api_url, federation_key=KEY))) as client:
        yield client


@pytest.fixture
def empty_database(_sqlite_template: Path, tmp_path: Path) -> str:
    """A second, migrated, empty SQLite file (another bureau's server)."""
    path = tmp_path / "other-server.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


def _other_countys_secrets(county: str) -> set[str]:
    found = {ZHANG_ID, LI_ID, "晋B12345", "晋B 12345", "SF1234567890123", "张伟", "李强"}
    for record in case_records():
        if record["county_code"] != county:
            found.add(record["case_no"])
    return found


def test_a_liaison_sees_hits_of_their_counties_only(
    fed_client: TestClient, bearer: Headers
) -> None:
    response = fed_client.get(HITS, headers=bearer("hugo"))
    assert response.status_code == 200, response.text
    hits = response.json()
    assert [(h["case_no"], h["kind"], h["county_code"]) for h in hits] == [
        ("H-001", "plate", TIANZHEN)
    ]
    body = response.text
    assert [value for value in _other_countys_secrets(HUAIAN) if value in body] == []

    lucy = fed_client.get(HITS, headers=bearer("lucy")).json()
    assert {(h["case_no"], h["kind"], h["county_code"]) for h in lucy} == {
        ("X-001", "id_number", TIANZHEN),
        ("T-001", "id_number", XINGHE),
        ("T-001", "plate", HUAIAN),
    }
    only = fed_client.get(HITS, params={"county": XINGHE}, headers=bearer("lucy")).json()
    assert [h["case_no"] for h in only] == ["X-001"]


def test_other_counties_and_roles_are_refused(fed_client: TestClient, bearer: Headers) -> None:
    assert fed_client.get(HITS, headers=bearer("alice")).status_code == 403
    other = fed_client.get(HITS, params={"county": TIANZHEN}, headers=bearer("hugo"))
    assert other.status_code == 404
    assert fed_client.get(HITS).status_code == 401
    export = fed_client.get(
        "/api/v1/federation/bundle", params={"county": XINGHE}, headers=bearer("hugo")
    )
    assert export.status_code == 404


def test_bundle_export_and_import_over_the_api(
    fed_client: TestClient,
    bearer: Headers,
    tmp_path: Path,
    empty_database: str,
    app_settings: Callable[..., Settings],
) -> None:
    exported = fed_client.get(
        "/api/v1/federation/bundle", params={"county": HUAIAN}, headers=bearer("hugo")
    )
    assert exported.status_code == 200, exported.text
    assert "attachment" in exported.headers["content-disposition"]
    assert [value for value in _other_countys_secrets("") if value in exported.text] == []
    data = exported.content

    # 天镇县's own server (its cases only) imports 怀安县's bundle.
    url = empty_database
    seed_counties(url)
    tianzhen = [record for record in case_records() if record["county_code"] == TIANZHEN]
    import_case_file(url, write_case_file(tmp_path / "t.json", tianzhen))
    with db.transaction(url) as session:
        session.add(_liaison("tian", TIANZHEN))
    try:
        with TestClient(create_app(app_settings(url, federation_key=KEY))) as client:
            headers = bearer("tian")
            tampered = data[:-3] + bytes([data[-3] ^ 1]) + data[-2:]
            refused = client.post(
                "/api/v1/federation/bundles",
                params={"name": "huaian.json"},
                content=tampered,
                headers=headers,
            )
            assert refused.status_code == 422
            assert "huaian.json" in refused.json()["detail"]
            assert client.get("/api/v1/federation/bundles", headers=headers).json() == []
            stored = client.post(
                "/api/v1/federation/bundles",
                params={"name": "huaian.json"},
                content=data,
                headers=headers,
            )
            assert stored.status_code == 200, stored.text
            assert stored.json()["outcome"] == "stored"
            hits = client.get(HITS, headers=headers).json()
            assert [(h["case_no"], h["kind"], h["county_code"]) for h in hits] == [
                ("T-001", "plate", HUAIAN)
            ]
            assert "H-001" not in json.dumps(hits)
    finally:
        db.dispose_engine(url)
