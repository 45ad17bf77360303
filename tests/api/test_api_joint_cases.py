"""Joint cases and merges over the JSON API and on the liaison's page ``/cases/joint``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.security import COOKIE_NAME, create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.store import db
from gridmgmt.store.models import User, UserCounty

from ..gridmgmt.services.cases_world import (
    HUAIAN,
    NETWORK_ID,
    TIANZHEN,
    XINGHE,
    import_case_file,
    key,
    write_case_file,
)
from .conftest import SECRET

Headers = Callable[..., dict[str, str]]
JOINT = "/api/v1/cases/joint"
MERGES = "/api/v1/cases/merges"


@pytest.fixture
def joint_client(client: TestClient, api_url: str, tmp_path: Path) -> TestClient:
    """The case world and a liaison of each county (xl, tl, hl), an officer of 兴和县."""
    import_case_file(api_url, write_case_file(tmp_path / "cases.json"))
    with db.transaction(api_url) as session:
        for username, role, county in (
            ("xl", UserRole.LIAISON, XINGHE),
            ("tl", UserRole.LIAISON, TIANZHEN),
            ("hl", UserRole.LIAISON, HUAIAN),
            ("xo", UserRole.OFFICER, XINGHE),
            ("xd", UserRole.DISPATCHER, XINGHE),
        ):
            session.add(
                User(
                    username=username,
                    role=role,
                    password_hash="not-used: these tests sign tokens",
                    county_links=[UserCounty(county_code=county)],
                )
            )
    return client


def _page_as(client: TestClient, username: str) -> dict[str, str]:
    client.cookies.set(COOKIE_NAME, create_access_token(username, secret_key=SECRET, minutes=30))
    return {"Origin": "http://testserver"}


def test_open_join_and_read_over_the_api(joint_client: TestClient, bearer: Headers) -> None:
    body = {"network_id": NETWORK_ID, "title": "跨省网络"}
    assert joint_client.post(JOINT, headers=bearer("xo"), json=body).status_code == 403
    opened = joint_client.post(JOINT, headers=bearer("xl"), json=body)
    assert opened.status_code == 201, opened.text
    joint_id = opened.json()["id"]
    assert joint_client.post(JOINT, headers=bearer("hl"), json=body).status_code == 409
    hidden = joint_client.get(f"{JOINT}/{joint_id}", headers=bearer("hl")).json()
    assert key("X-001") not in hidden["cases"]
    joined = joint_client.post(f"{JOINT}/{joint_id}/join", headers=bearer("hl"), json={})
    assert joined.status_code == 200, joined.text
    assert key("X-001") in joined.json()["cases"]
    again = joint_client.post(f"{JOINT}/{joint_id}/join", headers=bearer("hl"), json={})
    assert (again.status_code, again.json()["kind"]) == (409, "conflict")
    declined = joint_client.post(f"{JOINT}/{joint_id}/decline", headers=bearer("tl"), json={})
    assert declined.status_code == 200
    assert joint_client.get(f"{JOINT}/{joint_id}", headers=bearer("xd")).status_code == 403
    assert [j["id"] for j in joint_client.get(JOINT, headers=bearer("xo")).json()] == [joint_id]
    network = joint_client.get(f"/api/v1/cases/networks/{NETWORK_ID}", headers=bearer("hl"))
    assert network.json()["cases"] == [key("H-001"), key("X-001"), key("X-002")]


def test_propose_and_decide_a_merge_over_the_api(joint_client: TestClient, bearer: Headers) -> None:
    share = {"to_county": XINGHE}
    assert (
        joint_client.post("/api/v1/cases/T-001/share", headers=bearer("tl"), json=share)
    ).status_code == 200
    proposal = {"case_no": "X-001", "other_case_no": "T-001"}
    proposed = joint_client.post(MERGES, headers=bearer("xo"), json=proposal)
    assert proposed.status_code == 201, proposed.text
    merge = proposed.json()
    assert (merge["proposer_accepted"], merge["evidence"]["shared"] != []) == (False, True)
    assert joint_client.get(f"{MERGES}/{merge['id']}", headers=bearer("hl")).status_code == 404
    stale = joint_client.post(
        f"{MERGES}/{merge['id']}/accept", headers=bearer("tl"), json={"version": 7}
    )
    assert stale.status_code == 409
    first = joint_client.post(
        f"{MERGES}/{merge['id']}/accept", headers=bearer("tl"), json={"version": 1}
    )
    assert first.json()["state"] == "proposed"
    # the page shows the merge to 兴和县's liaison with the version to decide on
    page = joint_client.get("/cases/joint", headers=_page_as(joint_client, "xl"))
    assert page.status_code == 200
    assert f'id="jm-accept-{merge["id"]}"' in page.text
    accepted = joint_client.post(
        f"/cases/merges/{merge['id']}/accept",
        headers=_page_as(joint_client, "xl"),
        data={"version": "1"},
        follow_redirects=False,
    )
    assert accepted.status_code == 409  # the page's version was stale: shown, nothing stored
    accepted = joint_client.post(
        f"/cases/merges/{merge['id']}/accept",
        headers=_page_as(joint_client, "xl"),
        data={"version": "2"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
    done = joint_client.get(f"{MERGES}/{merge['id']}", headers=bearer("xl")).json()
    assert done["state"] == "merged"


def test_the_page_opens_and_joins(joint_client: TestClient) -> None:
    page = joint_client.get("/cases/joint", headers=_page_as(joint_client, "xl"))
    assert page.status_code == 200
    assert NETWORK_ID in page.text
    opened = joint_client.post(
        "/cases/joint",
        headers=_page_as(joint_client, "xl"),
        data={"network_id": NETWORK_ID, "title": "跨省网络"},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    page = joint_client.get("/cases/joint", headers=_page_as(joint_client, "tl"))
    assert f'id="jm-join-1-{TIANZHEN}"' in page.text
    joined = joint_client.post(
        "/cases/joint/1/join",
        headers=_page_as(joint_client, "tl"),
        data={"county": TIANZHEN},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    again = joint_client.post(
        "/cases/joint/1/join",
        headers=_page_as(joint_client, "tl"),
        data={"county": TIANZHEN},
        follow_redirects=False,
    )
    assert again.status_code == 409
    assert "answered already" in again.text
    refused = joint_client.get("/cases/joint", headers=_page_as(joint_client, "xd"))
    assert refused.status_code == 403
