"""The county matrix: every API route and page, two counties' users of each role.

Every route of the app is enumerated (a route added later joins the matrix by itself). Its
path parameters are filled with an object of 天镇县 140222 where the test world has one (the
county, its cases, its network, its retailers), and each route is called by a user of each
role working for 兴和县 150924 only. Nobody reads or changes 天镇县's data: no answer carries
one of its case numbers, licence numbers or phones, nothing of it changes, and every refusal
(404, or 403 where the object is known to the caller) is audited as ``refused``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from api.security import COOKIE_NAME, create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cases import create_case
from gridmgmt.services.cases.joint import open_joint_case
from gridmgmt.services.cases.merges import propose_merge
from gridmgmt.services.cases.networks import case_key, stable_network_id
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Share, User, UserCounty
from gridmgmt.store.models.cases import CaseRecord

from ..gridmgmt.services.cases_world import (
    HUAIAN,
    TIANZHEN,
    XINGHE,
    import_case_file,
    write_case_file,
)
from .conftest import SECRET, make_settings

pytestmark = pytest.mark.slow

TIANZHEN_NETWORK = stable_network_id(
    [case_key(TIANZHEN, "T-002"), case_key(TIANZHEN, "T-003"), case_key(HUAIAN, "H-009")]
)
"""A network of 天镇县 and 怀安县 (T-002, T-003 and H-009 share a phone), opened as a joint
case of theirs, with a merge proposed between T-003 and H-009: none of it 兴和县's."""
THEIRS = {
    "county": TIANZHEN,
    "code": TIANZHEN,
    "case_no": "T-002",
    "network_id": TIANZHEN_NETWORK,
    "licence_no": "140222000001",
    "joint_case_id": "1",
    "merge_id": "1",
}
"""Path parameters filled with 天镇县's objects."""
PLACEHOLDER = "1"
"""Any other path parameter (an id the test world has no 天镇县 object for)."""
SECRETS = ("T-001", "T-002", "T-003", "H-009", "140222000001", "140222000002", "13835281111")
"""What of 天镇县 no answer to a 兴和县 user may hold."""
ROLES = tuple(UserRole)
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def _routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, path template, is a page) of every route of the app."""
    found: list[tuple[str, str, bool]] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes)
                continue
            path = getattr(route, "path", "")
            methods = getattr(route, "methods", None) or set()
            page = not path.startswith("/api/")
            found.extend((m, path, page) for m in sorted(methods - {"HEAD", "OPTIONS"}))

    walk(app.routes)
    return found


def _fill(path: str) -> tuple[str, bool]:
    """The path with its parameters filled; True if every one names a 天镇县 object."""
    names = PARAM.findall(path)
    filled = PARAM.sub(lambda m: THEIRS.get(m.group(1), PLACEHOLDER), path)
    return filled, bool(names) and all(name in THEIRS for name in names)


@pytest.fixture
def matrix(api_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The API test world with the case world and T-003, and a user of each role per county."""
    import_case_file(api_url, write_case_file(tmp_path / "cases.json"))
    t3 = {
        "case_no": "T-003",
        "county_code": TIANZHEN,
        "opened_on": "2023-08-09",
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": "138 3528 1111", "role": "联系人"}],
    }
    h9 = t3 | {"case_no": "H-009", "county_code": HUAIAN}
    with db.transaction(api_url) as session:
        create_case(session, SYSTEM, t3)
        create_case(session, SYSTEM, h9)
    with db.transaction(api_url) as session:
        open_joint_case(session, SYSTEM, TIANZHEN_NETWORK, title="天镇怀安", county=TIANZHEN)
        propose_merge(
            session, SYSTEM, "T-003", county=TIANZHEN, other_case_no="H-009", other_county=HUAIAN
        )
        for role in ROLES:
            for county in (XINGHE, TIANZHEN):
                session.add(
                    User(
                        username=f"{role.value}-{county}",
                        role=role,
                        password_hash="not-used: these tests sign tokens",
                        county_links=[UserCounty(county_code=county)],
                    )
                )
    with TestClient(create_app(make_settings(api_url))) as client:
        yield client, api_url


def _state(url: str) -> tuple[Any, ...]:
    """What of 天镇县 a write could change: its cases' versions, and every share."""
    with db.transaction(url) as session:
        versions = tuple(
            session.execute(
                select(CaseRecord.case_no, CaseRecord.version)
                .where(CaseRecord.county_code == TIANZHEN)
                .order_by(CaseRecord.case_no)
            ).all()
        )
        shares = session.scalar(select(func.count()).select_from(Share))
    return versions, shares


def _refusals(url: str) -> int:
    with db.transaction(url) as session:
        stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "refused")
        return int(session.scalar(stmt) or 0)


def _as(client: TestClient, username: str, page: bool) -> dict[str, str]:
    token = create_access_token(username, secret_key=SECRET, minutes=30)
    client.cookies.clear()
    if page:
        client.cookies.set(COOKIE_NAME, token)
        return {"Origin": "http://testserver"}
    return {"Authorization": f"Bearer {token}"}


def test_the_owner_reads_what_the_matrix_probes(matrix: tuple[TestClient, str]) -> None:
    # the probes name real objects: 天镇县's own officer reads each of them
    client, _url = matrix
    officer = f"officer-{TIANZHEN}"
    for path in (
        f"/api/v1/cases/{THEIRS['case_no']}",
        f"/api/v1/cases/networks/{TIANZHEN_NETWORK}",
        f"/api/v1/grids/{TIANZHEN}",
        "/api/v1/cases/joint/1",
        "/api/v1/cases/merges/1",
    ):
        answer = client.get(path, headers=_as(client, officer, page=False))
        assert answer.status_code == 200, (path, answer.text)
    page = client.get(f"/retailers/{THEIRS['licence_no']}", headers=_as(client, officer, True))
    assert page.status_code == 200


def test_no_route_gives_another_countys_data(matrix: tuple[TestClient, str]) -> None:
    client, url = matrix
    before = _state(url)
    routes = _routes(client.app)  # type: ignore[arg-type]
    assert len(routes) > 100
    failures: list[str] = []
    probed = refused = 0
    for method, template, page in routes:
        if template in {"/logout", "/api/v1/auth/logout", "/login", "/api/v1/auth/token"}:
            continue  # signing in and out is not county data
        path, names_theirs = _fill(template)
        for role in ROLES:
            username = f"{role.value}-{XINGHE}"
            headers = _as(client, username, page)
            counted = _refusals(url)
            body = None if method == "GET" else {}
            answer = client.request(
                method, path, headers=headers, json=body, follow_redirects=False
            )
            probed += 1
            where = f"{username} {method} {path} -> {answer.status_code}"
            if answer.status_code >= 500:
                failures.append(f"{where}: server error")
            if names_theirs and answer.status_code < 400:
                failures.append(f"{where}: answered for another county's object")
            text = answer.text
            # the key asked for may be echoed ("no case T-002"); nothing else of theirs may
            leaked = [secret for secret in SECRETS if secret in text and secret not in path]
            if leaked:
                failures.append(f"{where}: holds {leaked}")
            kind = _kind(answer)
            if kind in {"not_found", "access_denied"} or (page and answer.status_code == 403):
                refused += 1
                if _refusals(url) != counted + 1:
                    failures.append(f"{where}: refusal not audited")
    assert failures == [], "\n".join(failures)
    assert _state(url) == before  # nothing of 天镇县 changed
    assert refused > 50, (probed, refused)


def _kind(answer: Any) -> str | None:
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("kind") if isinstance(body, dict) else None
