"""Cases over the JSON API and the network pages: answers, and county scope on every route.

The seeded world (tests/api/conftest.py): alice (officer) works for 兴和县 150924, bob
(officer) for 天镇县 140222, lucy (liaison) for both. The case world is imported on top: one
network X-001, X-002 (兴和), T-001 (天镇), H-001 (怀安) (``NETWORK_ID``, the same id for every
viewer, each seeing their part); X-003 and T-002 on their own. The ``local_network`` fixture adds
T-003, linked to T-002: a network wholly in 天镇县.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.security import COOKIE_NAME, create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cases import create_case, share_case
from gridmgmt.services.cases.networks import case_key, stable_network_id
from gridmgmt.store import db
from gridmgmt.store.models import User, UserCounty
from maps.assets import remote_references

from ..gridmgmt.services.cases_world import (
    HUAIAN,
    MEMBERS,
    NETWORK_ID,
    TIANZHEN,
    XINGHE,
    ZHANG_ID,
    import_case_file,
    key,
    write_case_file,
)
from .conftest import SECRET

Headers = Callable[..., dict[str, str]]
CASES = "/api/v1/cases"


@pytest.fixture
def cases_client(client: TestClient, api_url: str, tmp_path: Path) -> TestClient:
    """The test client, with the case world imported, hugo, a liaison of 怀安县, and dan, a
    dispatcher of 兴和县 and 天镇县."""
    import_case_file(api_url, write_case_file(tmp_path / "cases.json"))
    with db.transaction(api_url) as session:
        for username, role, counties in (
            ("hugo", UserRole.LIAISON, [HUAIAN]),
            ("dan", UserRole.DISPATCHER, [XINGHE, TIANZHEN]),
        ):
            session.add(
                User(
                    username=username,
                    role=role,
                    password_hash="not-used: these tests sign tokens",
                    county_links=[UserCounty(county_code=code) for code in counties],
                )
            )
    return client


TIANZHEN_NETWORK = stable_network_id([case_key(TIANZHEN, "T-002"), case_key(TIANZHEN, "T-003")])


@pytest.fixture
def local_network(cases_client: TestClient, api_url: str) -> TestClient:
    """The case world with T-003, which shares T-002's phone: a network wholly in 天镇县."""
    t3 = {
        "case_no": "T-003",
        "county_code": TIANZHEN,
        "opened_on": "2023-08-09",
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": "138 3528 1111", "role": "联系人"}],
    }
    with db.transaction(api_url) as session:
        create_case(session, SYSTEM, t3)
    return cases_client


def _share(url: str, case_no: str, to_county: str) -> None:
    with db.transaction(url) as session:
        share_case(session, SYSTEM, case_no, to_county)


def _page_login(client: TestClient, username: str) -> None:
    client.cookies.set(COOKIE_NAME, create_access_token(username, secret_key=SECRET, minutes=30))


def _new_case(case_no: str, county: str, **extra: Any) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "county_code": county,
        "opened_on": "2023-10-01",
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": "139-4746-1234", "role": "司机"}],
        **extra,
    }


# --- scope: another county's case is not there ----------------------------------------------

NOT_THEIRS = [
    ("alice", "get", f"{CASES}/T-001", None),
    ("alice", "patch", f"{CASES}/T-001", {"status": "closed"}),
    ("hugo", "post", f"{CASES}/T-001/share", {"to_county": HUAIAN}),
    ("alice", "get", f"{CASES}/path?from=X-001&to=T-001", None),
    ("alice", "get", f"{CASES}/networks/{TIANZHEN_NETWORK}", None),
    ("hugo", "get", f"{CASES}/networks/{TIANZHEN_NETWORK}", None),
    ("alice", "get", f"{CASES}/networks/{TIANZHEN_NETWORK}/export", None),
    ("alice", "get", f"{CASES}/networks/{TIANZHEN_NETWORK}/export?format=csv&table=edges", None),
    ("hugo", "post", f"{CASES}/networks/{TIANZHEN_NETWORK}/share", {"to_county": HUAIAN}),
    ("lucy", "get", f"{CASES}/H-001", None),
    ("lucy", "patch", f"{CASES}/H-001", {"summary": "改"}),
]


@pytest.mark.parametrize(("user", "method", "path", "body"), NOT_THEIRS)
def test_another_countys_cases_answer_404(
    local_network: TestClient, bearer: Headers, user: str, method: str, path: str, body: Any
) -> None:
    response = local_network.request(method, path, headers=bearer(user), json=body)
    assert response.status_code == 404, response.text
    assert response.json()["kind"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        CASES,
        f"{CASES}/X-001",
        f"{CASES}/networks",
        f"{CASES}/merge-suggestions",
        f"{CASES}/path?from=X-001&to=X-002",
        f"{CASES}/networks/{NETWORK_ID}/export",
    ],
)
def test_case_routes_need_a_login(cases_client: TestClient, path: str) -> None:
    assert cases_client.get(path).status_code == 401


def test_lists_hold_only_visible_cases(cases_client: TestClient, bearer: Headers) -> None:
    alice = cases_client.get(CASES, headers=bearer("alice")).json()
    assert [c["case_no"] for c in alice["items"]] == ["X-003", "X-002", "X-001"]
    assert alice["total"] == 3
    lucy = cases_client.get(f"{CASES}?county={TIANZHEN}", headers=bearer("lucy")).json()
    assert [c["case_no"] for c in lucy["items"]] == ["T-002", "T-001"]
    other = cases_client.get(f"{CASES}?county={HUAIAN}", headers=bearer("lucy")).json()
    assert other["total"] == 0
    bad = cases_client.get(f"{CASES}?status=archived", headers=bearer("alice"))
    assert bad.status_code == 422


def test_networks_and_suggestions_are_computed_over_visible_cases(
    cases_client: TestClient, bearer: Headers
) -> None:
    alice = cases_client.get(f"{CASES}/networks", headers=bearer("alice")).json()
    assert [n["cases"] for n in alice] == [[key("X-001"), key("X-002")]]
    assert alice[0]["network_id"] == NETWORK_ID
    assert alice[0]["cross_province"] is False  # of what she sees
    assert alice[0]["other_counties"] == 2  # and only a count of what she does not
    lucy = cases_client.get(f"{CASES}/networks", headers=bearer("lucy")).json()
    assert [n["cases"] for n in lucy] == [[key("T-001"), key("X-001"), key("X-002")]]
    assert lucy[0]["cross_province"] is True
    assert lucy[0]["network_id"] == NETWORK_ID
    bob = cases_client.get(f"{CASES}/networks", headers=bearer("bob")).json()
    assert [(n["network_id"], n["cases"], n["other_counties"]) for n in bob] == [
        (NETWORK_ID, [key("T-001")], 2)
    ]
    for user, hidden in (("alice", "T-001"), ("bob", "X-001")):
        found = cases_client.get(
            f"{CASES}/merge-suggestions?min_score=0", headers=bearer(user)
        ).json()
        assert found or user == "bob"  # alice's two cases are one network
        assert all(key(hidden) not in s["cases"] and key("H-001") not in s["cases"] for s in found)
    detail = cases_client.get(f"{CASES}/networks/{NETWORK_ID}", headers=bearer("alice")).json()
    assert [e["case_no"] for e in detail["timeline"]] == ["X-001", "X-002"]
    assert detail["other_counties"] == 2
    theirs = cases_client.get(f"{CASES}/networks/{NETWORK_ID}", headers=bearer("bob")).json()
    assert [e["case_no"] for e in theirs["timeline"]] == ["T-001"]
    for hidden in ("X-001", "H-001", ZHANG_ID, "怀安"):
        assert hidden not in str(theirs)


def test_path_within_scope(cases_client: TestClient, bearer: Headers) -> None:
    found = cases_client.get(f"{CASES}/path?from=X-002&to=T-001", headers=bearer("lucy")).json()
    assert found["found"] is True
    assert found["cases"] == [key("X-002"), key("X-001"), key("T-001")]
    none = cases_client.get(f"{CASES}/path?from=X-001&to=X-003", headers=bearer("alice")).json()
    assert none == {"found": False, "cases": [], "links": [], "cost": None}


def test_exports_hold_only_visible_cases(cases_client: TestClient, bearer: Headers) -> None:
    geo = cases_client.get(f"{CASES}/networks/{NETWORK_ID}/export", headers=bearer("lucy"))
    assert geo.status_code == 200
    assert geo.headers["content-type"].startswith("application/geo+json")
    cases = [f for f in geo.json()["features"] if f["properties"]["feature_type"] == "case"]
    assert sorted(f["properties"]["case_no"] for f in cases) == ["T-001", "X-001", "X-002"]
    csv = cases_client.get(
        f"{CASES}/networks/{NETWORK_ID}/export?format=csv&table=nodes", headers=bearer("lucy")
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert "H-001" not in csv.text
    assert f"case:{key('T-001')}" in csv.text
    edges = cases_client.get(
        f"{CASES}/networks/{NETWORK_ID}/export?format=csv&table=edges", headers=bearer("lucy")
    )
    assert edges.text.lstrip("\ufeff").startswith("source,target,edge_type")


# --- reading, creating and editing ----------------------------------------------------------


def test_get_case_shows_normalised_mentions(cases_client: TestClient, bearer: Headers) -> None:
    case = cases_client.get(f"{CASES}/X-003", headers=bearer("alice")).json()
    assert case["own"] is True
    assert case["network_id"] is None
    bad_id, bad_phone = case["mentions"]
    assert bad_id["valid"] is False
    assert "check digit" in bad_id["reason"]
    assert bad_phone["value"] == "12345"
    assert bad_phone["valid"] is False


def test_create_and_edit_a_case(cases_client: TestClient, bearer: Headers) -> None:
    created = cases_client.post(CASES, headers=bearer("alice"), json=_new_case("X-100", XINGHE))
    assert created.status_code == 201, created.text
    assert created.json()["network_id"] == stable_network_id(
        [case_key(XINGHE, "X-100"), *(case_key(*pair) for pair in MEMBERS)]
    )
    networks = cases_client.get(f"{CASES}/networks", headers=bearer("alice")).json()
    assert networks[0]["cases"] == [key("X-001"), key("X-002"), key("X-100")]
    again = cases_client.post(CASES, headers=bearer("alice"), json=_new_case("X-100", XINGHE))
    assert again.status_code == 409
    edited = cases_client.patch(
        f"{CASES}/X-100",
        headers=bearer("alice"),
        json={"status": "investigating", "entities": [{"kind": "plate", "value": "蒙J12345"}]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "investigating"
    assert edited.json()["network_id"] is None
    assert [m["normalised"] for m in edited.json()["mentions"]] == ["蒙J12345"]


def test_writes_outside_scope_or_malformed_are_refused(
    cases_client: TestClient, bearer: Headers
) -> None:
    theirs = cases_client.post(CASES, headers=bearer("alice"), json=_new_case("T-100", TIANZHEN))
    assert theirs.status_code == 422
    assert theirs.json()["kind"] == "invalid_input"
    assert theirs.json()["problems"][0]["field"] == "county_code"
    # A number another county uses is free here (numbers are unique per county); the answer
    # tells nothing of the other county's case.
    same_number = cases_client.post(CASES, headers=bearer("alice"), json=_new_case("T-001", XINGHE))
    assert same_number.status_code == 201, same_number.text
    assert TIANZHEN not in same_number.text
    assert same_number.json()["key"] == f"{XINGHE}/T-001"
    taken = cases_client.post(CASES, headers=bearer("alice"), json=_new_case("T-001", XINGHE))
    assert taken.status_code == 409
    assert taken.json()["kind"] == "conflict"
    bad = cases_client.post(
        CASES, headers=bearer("alice"), json=_new_case("X-200", XINGHE, type="arson")
    )
    assert bad.status_code == 422
    assert bad.json()["problems"][0] == {
        "row": 1,
        "field": "type",
        "message": bad.json()["problems"][0]["message"],
    }
    assert cases_client.get(f"{CASES}/X-200", headers=bearer("alice")).status_code == 404


# --- sharing --------------------------------------------------------------------------------


def test_a_shared_case_is_visible_read_only(
    cases_client: TestClient, bearer: Headers, api_url: str
) -> None:
    _share(api_url, "T-001", XINGHE)
    case = cases_client.get(f"{CASES}/T-001", headers=bearer("alice"))
    assert case.status_code == 200
    assert case.json()["own"] is False
    patch = cases_client.patch(f"{CASES}/T-001", headers=bearer("alice"), json={"status": "closed"})
    assert patch.status_code == 403
    networks = cases_client.get(f"{CASES}/networks", headers=bearer("alice")).json()
    assert networks[0]["cases"] == [key("T-001"), key("X-001"), key("X-002")]
    assert cases_client.get(f"{CASES}/T-002", headers=bearer("alice")).status_code == 404
    reshare = cases_client.post(
        f"{CASES}/T-001/share", headers=bearer("lucy"), json={"to_county": HUAIAN}
    )
    assert reshare.status_code == 200  # lucy works for 天镇县: it is hers to share


def test_sharing_needs_a_liaison(cases_client: TestClient, bearer: Headers) -> None:
    officer = cases_client.post(
        f"{CASES}/X-001/share", headers=bearer("alice"), json={"to_county": TIANZHEN}
    )
    assert officer.status_code == 403
    liaison = cases_client.post(
        f"{CASES}/X-001/share", headers=bearer("lucy"), json={"to_county": HUAIAN, "note": "线索"}
    )
    assert liaison.status_code == 200
    assert liaison.json()["created"] is True
    network = cases_client.post(
        f"{CASES}/networks/{NETWORK_ID}/share", headers=bearer("lucy"), json={"to_county": HUAIAN}
    )
    assert network.json()["already"] == [key("X-001")]
    assert network.json()["shared"] == [key("T-001"), key("X-002")]


# --- pages ----------------------------------------------------------------------------------


def test_network_page_renders_offline(cases_client: TestClient) -> None:
    _page_login(cases_client, "lucy")
    response = cases_client.get(f"/cases/network/{NETWORK_ID}")
    assert response.status_code == 200
    html = response.text
    assert remote_references(html) == []
    assert "/static/leaflet/leaflet.js" in html
    assert '<svg class="gm-link-chart"' in html
    for case_no in ("T-001", "X-001", "X-002"):
        assert f">{case_no}</text>" in html  # case nodes labelled with their numbers
    assert "H-001" not in html
    assert "供货人" in html  # an edge labelled with its role


def test_network_pages_are_scoped(local_network: TestClient) -> None:
    _page_login(local_network, "alice")
    assert local_network.get(f"/cases/network/{TIANZHEN_NETWORK}").status_code == 404
    listing = local_network.get("/cases")
    assert listing.status_code == 200
    assert TIANZHEN_NETWORK not in listing.text
    assert f'href="/cases/network/{NETWORK_ID}"' in listing.text
    assert remote_references(listing.text) == []
    _page_login(local_network, "bob")
    listing = local_network.get("/cases")
    assert f'href="/cases/network/{TIANZHEN_NETWORK}"' in listing.text
    assert f'href="/cases/network/{NETWORK_ID}"' in listing.text  # his part of it
    assert "延伸至另外 2 个县" in listing.text  # told, as a count, that it runs on
    page = local_network.get(f"/cases/network/{NETWORK_ID}")
    assert page.status_code == 200
    assert "X-001" not in page.text
    assert "H-001" not in page.text


def test_an_empty_network_list_says_so(local_network: TestClient, api_url: str) -> None:
    with db.transaction(api_url) as session:
        session.add(
            User(
                username="nobody",
                role=UserRole.OFFICER,
                password_hash="not-used: these tests sign tokens",
                county_links=[UserCounty(county_code=HUAIAN)],
            )
        )
    _page_login(local_network, "nobody")
    listing = local_network.get("/cases")
    assert "没有关联案件" not in listing.text  # H-001's network reaches two other counties
    assert "延伸至另外 2 个县" in listing.text


def test_network_page_without_login_goes_to_login(cases_client: TestClient) -> None:
    response = cases_client.get(f"/cases/network/{NETWORK_ID}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/login?next=/cases/network/{NETWORK_ID}")


# --- case numbers with slashes --------------------------------------------------------------

SLASHED = "XH/2026/012"


@pytest.mark.parametrize("path", [f"{CASES}/{SLASHED}", f"{CASES}/XH%2F2026%2F012"])
def test_a_case_number_with_slashes_is_read_patched_and_shared(
    cases_client: TestClient, bearer: Headers, path: str
) -> None:
    # The phone links it to.
    created = cases_client.post(CASES, headers=bearer("alice"), json=_new_case(SLASHED, XINGHE))
    assert created.status_code == 201, created.text
    read = cases_client.get(path, headers=bearer("alice"))
    assert read.status_code == 200, read.text
    assert read.json()["case_no"] == SLASHED
    patched = cases_client.patch(path, headers=bearer("alice"), json={"status": "closed"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "closed"
    assert cases_client.get(path, headers=bearer("alice")).json()["status"] == "closed"
    assert cases_client.get(f"{CASES}/XH/2026", headers=bearer("alice")).status_code == 404
    shared = cases_client.post(f"{path}/share", headers=bearer("lucy"), json={"to_county": HUAIAN})
    assert shared.status_code == 200, shared.text
    assert shared.json()["created"] is True
    assert cases_client.get(path, headers=bearer("hugo")).json()["own"] is False


def test_a_case_number_with_slashes_is_scoped(cases_client: TestClient, bearer: Headers) -> None:
    created = cases_client.post(CASES, headers=bearer("bob"), json=_new_case("TZ/2026/7", TIANZHEN))
    assert created.status_code == 201, created.text
    assert cases_client.get(f"{CASES}/TZ/2026/7", headers=bearer("bob")).status_code == 200
    for method, path, body in [
        ("get", f"{CASES}/TZ/2026/7", None),
        ("get", f"{CASES}/TZ%2F2026%2F7", None),
        ("patch", f"{CASES}/TZ/2026/7", {"status": "closed"}),
        ("post", f"{CASES}/TZ/2026/7/share", {"to_county": HUAIAN}),
    ]:
        who = "hugo" if method == "post" else "alice"
        response = cases_client.request(method, path, headers=bearer(who), json=body)
        assert response.status_code == 404, (method, path, response.text)


def test_a_network_named_after_a_slashed_case_has_its_routes_and_page(
    cases_client: TestClient, bearer: Headers
) -> None:
    plate = [{"kind": "plate", "value": "蒙J77777", "role": "司机"}]
    for case_no in ("XH/2026/1", "XH/2026/2"):
        body = _new_case(case_no, XINGHE, entities=plate)
        assert cases_client.post(CASES, headers=bearer("alice"), json=body).status_code == 201
    network_id = stable_network_id([case_key(XINGHE, "XH/2026/1"), case_key(XINGHE, "XH/2026/2")])
    network = f"{CASES}/networks/{network_id}"
    detail = cases_client.get(network, headers=bearer("alice"))
    assert detail.status_code == 200, detail.text
    exported = cases_client.get(f"{network}/export?format=csv", headers=bearer("alice"))
    assert exported.status_code == 200
    assert "XH/2026/2" in exported.text
    assert cases_client.get(network, headers=bearer("bob")).status_code == 404
    shared = cases_client.post(
        f"{network}/share", headers=bearer("lucy"), json={"to_county": HUAIAN}
    )
    assert shared.status_code == 200, shared.text
    assert shared.json()["shared"] == [f"{XINGHE}/XH/2026/1", f"{XINGHE}/XH/2026/2"]
    _page_login(cases_client, "alice")
    listing = cases_client.get("/cases").text
    assert network_id in listing
    page = cases_client.get(f"/cases/network/{network_id}")
    assert page.status_code == 200
    assert ">XH/2026/2</text>" in page.text
    _page_login(cases_client, "bob")
    assert cases_client.get(f"/cases/network/{network_id}").status_code == 404


def test_the_case_list_is_not_a_case(cases_client: TestClient, bearer: Headers) -> None:
    response = cases_client.get(f"{CASES}/", headers=bearer("alice"), follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(CASES)


# --- the dispatcher: cases without personal data ---------------------------------------------


def test_a_dispatcher_reads_cases_and_networks_masked(
    cases_client: TestClient, bearer: Headers
) -> None:
    case = cases_client.get(f"{CASES}/X-001", headers=bearer("dan"))
    assert case.status_code == 200, case.text
    body = case.json()
    assert body["redacted"] is True
    assert [m["kind"] for m in body["mentions"]] == ["person", "phone"]
    assert body["mentions"][0]["name"] == "张*"
    officer = cases_client.get(f"{CASES}/X-001", headers=bearer("lucy")).json()
    assert officer["redacted"] is False
    assert officer["mentions"][0]["id_number"] == ZHANG_ID
    networks = cases_client.get(f"{CASES}/networks", headers=bearer("dan"))
    detail = cases_client.get(f"{CASES}/networks/{NETWORK_ID}", headers=bearer("dan"))
    assert [n["cases"] for n in networks.json()] == [[key("T-001"), key("X-001"), key("X-002")]]
    assert detail.json()["central_entities"]
    for text in (case.text, networks.text, detail.text):
        for secret in (ZHANG_ID, "13947461234", "张伟"):
            assert secret not in text
    assert cases_client.get(CASES, headers=bearer("dan")).json()["total"] == 5


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"{CASES}/merge-suggestions", None),
        ("get", f"{CASES}/path?from=X-001&to=X-002", None),
        ("get", f"{CASES}/networks/{NETWORK_ID}/export", None),
        ("get", f"{CASES}/networks/{NETWORK_ID}/export?format=csv", None),
        ("post", CASES, _new_case("X-300", XINGHE)),
        ("patch", f"{CASES}/X-001", {"status": "closed"}),
        ("post", f"{CASES}/X-001/share", {"to_county": HUAIAN}),
        ("post", f"{CASES}/networks/{NETWORK_ID}/share", {"to_county": HUAIAN}),
    ],
)
def test_a_dispatcher_is_refused_link_analysis_and_writes(
    cases_client: TestClient, bearer: Headers, method: str, path: str, body: Any
) -> None:
    response = cases_client.request(method, path, headers=bearer("dan"), json=body)
    assert response.status_code == 403, response.text
    assert response.json()["kind"] == "access_denied"


def test_a_dispatcher_is_refused_the_network_page(cases_client: TestClient) -> None:
    _page_login(cases_client, "dan")
    assert cases_client.get(f"/cases/network/{NETWORK_ID}").status_code == 403
    listing = cases_client.get("/cases")
    assert listing.status_code == 200
    assert NETWORK_ID in listing.text
