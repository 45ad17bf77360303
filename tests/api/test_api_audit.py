"""/api/v1/audit for administrators, logins audited with the remote address, shared reads audited.

The seeded world (tests/api/conftest.py) plus ada, an administrator of 兴和县.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from gridmgmt.domain import UserRole
from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.audit import READ_OTHER_COUNTY
from gridmgmt.services.cases import share_case
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, User, UserCounty

from ..gridmgmt.services.cases_world import (
    HUAIAN,
    TIANZHEN,
    XINGHE,
    import_case_file,
    write_case_file,
)

Headers = Callable[..., dict[str, str]]
AUDIT = "/api/v1/audit"


def _lines(url: str, action: str) -> list[AuditEntry]:
    with db.transaction(url) as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(session.scalars(stmt))


@pytest.fixture
def admins(api_url: str) -> str:
    with db.transaction(api_url) as session:  # no password: these tests sign tokens
        session.add(
            User(
                username="ada",
                role=UserRole.ADMIN,
                password_hash="not-used",
                county_links=[UserCounty(county_code=XINGHE)],
            )
        )
    return api_url


def test_logins_are_audited_with_the_name_tried_and_the_address(client, world, api_url) -> None:
    ok = client.post(
        "/api/v1/auth/token", data={"username": "lucy", "password": world.passwords["lucy"]}
    )
    bad = client.post("/api/v1/auth/token", data={"username": "lucyy", "password": "wrong-pass-1"})
    page = client.post(
        "/login",
        data={"username": "alice", "password": "wrong-pass-2"},
        headers={"Origin": "http://testserver"},
    )
    assert (ok.status_code, bad.status_code, page.status_code) == (200, 401, 401)
    [login] = _lines(api_url, "auth.login")
    assert (login.username, login.remote_addr) == ("lucy", "testclient")
    failed = _lines(api_url, "auth.login_failed")
    assert [(f.username, f.remote_addr) for f in failed] == [
        ("lucyy", "testclient"),
        ("alice", "testclient"),
    ]


def test_admins_list_their_counties_lines_newest_first(
    client: TestClient, bearer: Headers, admins: str
) -> None:
    with db.transaction(admins) as session:
        audit.record(session, SYSTEM, "test.write", county_code=XINGHE, detail={"n": 1})
        audit.record(session, SYSTEM, "test.write", county_code=TIANZHEN, detail={"n": 2})
        audit.record(session, SYSTEM, "test.write", county_code=XINGHE, detail={"n": 3})
    response = client.get(AUDIT, headers=bearer("ada"))
    assert response.status_code == 200
    lines = response.json()
    assert [line["detail"] for line in lines if line["action"] == "test.write"] == [
        {"n": 3},
        {"n": 1},
    ]
    assert {line["county_code"] for line in lines} == {XINGHE}
    assert client.get(AUDIT, headers=bearer("lucy")).status_code == 403
    assert client.get(AUDIT, headers=bearer("alice")).status_code == 403


def test_verify_and_head_answer_200_then_409_after_tampering(
    client: TestClient, bearer: Headers, admins: str
) -> None:
    head = client.get(f"{AUDIT}/head", headers=bearer("ada")).json()
    verified = client.get(f"{AUDIT}/verify", headers=bearer("ada"))
    assert verified.status_code == 200
    assert verified.json()["entries"] == head["seq"] > 0
    ok = client.get(f"{AUDIT}/verify", params={"expect_head": head["head"]}, headers=bearer("ada"))
    assert ok.status_code == 200
    with db.get_engine(admins).begin() as connection:
        connection.execute(text("UPDATE audit_log SET action = 'x' WHERE seq = 1"))
    broken = client.get(f"{AUDIT}/verify", headers=bearer("ada"))
    assert broken.status_code == 409
    body = broken.json()
    assert body["kind"] == "conflict"
    assert body["current"] == {"seq": 1, "how": "changed", "id": 1}
    assert "entry seq 1" in body["detail"]


def test_reading_a_case_shared_by_another_county_is_audited(
    client: TestClient, bearer: Headers, api_url: str, tmp_path: Path
) -> None:
    import_case_file(api_url, write_case_file(tmp_path / "cases.json"))
    with db.transaction(api_url) as session:
        share_case(session, SYSTEM, "H-001", TIANZHEN)
    assert client.get("/api/v1/cases/H-001", headers=bearer("bob")).status_code == 200
    assert client.get("/api/v1/cases/T-001", headers=bearer("bob")).status_code == 200
    [read] = _lines(api_url, READ_OTHER_COUNTY)
    assert (read.username, read.county_code, read.detail) == ("bob", HUAIAN, {"key": "H-001"})
    assert read.remote_addr == "testclient"
