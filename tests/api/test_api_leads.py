"""Leads over the JSON API and the liaison pages: the walk, refusals, and the scope matrix.

Two counties' users of each role (兴和县 sends, 天镇县 receives) and a third county's
(怀安县): the third sees nothing of the lead (404), a dispatcher is refused leads (403),
officers read but do not answer them (403), the sender cannot take the receiver's steps.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.security import create_access_token
from gridmgmt.domain import UserRole
from gridmgmt.store import db
from gridmgmt.store.models import Share

from ..gridmgmt.leads.leads_world import HUAIAN, TIANZHEN, XINGHE, seed
from .conftest import SECRET, add_test_user, make_settings

ORIGIN = {"Origin": "http://testserver"}
PASSWORD = "leads-test-password"
USERS = {
    "xl": (UserRole.LIAISON, XINGHE),
    "xo": (UserRole.OFFICER, XINGHE),
    "xd": (UserRole.DISPATCHER, XINGHE),
    "xa": (UserRole.ADMIN, XINGHE),
    "tl": (UserRole.LIAISON, TIANZHEN),
    "to": (UserRole.OFFICER, TIANZHEN),
    "td": (UserRole.DISPATCHER, TIANZHEN),
    "ta": (UserRole.ADMIN, TIANZHEN),
    "hl": (UserRole.LIAISON, HUAIAN),
    "ho": (UserRole.OFFICER, HUAIAN),
    "hd": (UserRole.DISPATCHER, HUAIAN),
    "ha": (UserRole.ADMIN, HUAIAN),
}


@pytest.fixture(scope="session")
def _leads_api_template(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("leads-api") / "leads.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    seed(url)
    for name, (role, county) in USERS.items():
        add_test_user(url, name, PASSWORD, role, [county])
    db.dispose_engine(url)
    return path


@pytest.fixture
def leads_api_url(_leads_api_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "leads.db"
    shutil.copy(_leads_api_template, path)
    url = f"sqlite:///{path}"
    yield url
    db.dispose_engine(url)


@pytest.fixture
def app_client(leads_api_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(leads_api_url))) as client:
        yield client


def auth(username: str) -> dict[str, str]:
    token = create_access_token(username, secret_key=SECRET, minutes=30)
    return {"Authorization": f"Bearer {token}"}


def _send(client: TestClient, **body: object) -> dict[str, object]:
    payload = {"case_no": "X-100", "to_counties": [TIANZHEN], "entities": [1], **body}
    answer = client.post("/api/v1/leads", json=payload, headers=auth("xl"))
    assert answer.status_code == 201, answer.text
    return answer.json()[0]


def test_walk_over_the_api(app_client: TestClient, leads_api_url: str) -> None:
    suggested = app_client.get("/api/v1/leads/suggested", headers=auth("xl")).json()
    assert [(s["case_no"], s["to_county"]) for s in suggested] == [("X-100", TIANZHEN)]
    lead = _send(app_client, urgency="urgent", note="仓库在贵县")
    number = lead["id"]
    assert app_client.get("/api/v1/leads/suggested", headers=auth("xl")).json() == []
    inbox = app_client.get("/api/v1/leads?box=inbox", headers=auth("tl")).json()
    assert [item["id"] for item in inbox] == [number]
    assert app_client.get("/api/v1/leads?box=outbox", headers=auth("tl")).json() == []
    assert app_client.get("/api/v1/cases/X-100", headers=auth("tl")).status_code == 404

    acked = app_client.post(f"/api/v1/leads/{number}/ack", headers=auth("tl"))
    assert acked.json()["state"] == "acknowledged"
    again = app_client.post(f"/api/v1/leads/{number}/ack", headers=auth("tl"))
    assert again.status_code == 409
    assert again.json()["current"] == "acknowledged"
    accepted = app_client.post(
        f"/api/v1/leads/{number}/accept", json={"note": "立案"}, headers=auth("tl")
    )
    assert accepted.json()["state"] == "accepted"
    assert app_client.get("/api/v1/cases/X-100", headers=auth("tl")).status_code == 200
    assert app_client.get("/api/v1/cases/X-100", headers=auth("hl")).status_code == 404
    edit = app_client.patch("/api/v1/cases/X-100", json={"summary": "改"}, headers=auth("tl"))
    assert edit.status_code == 403
    fed = app_client.post(
        f"/api/v1/leads/{number}/feedback",
        json={"opened_case_no": "T-9", "seized_cartons": 30, "value_yuan": 9000},
        headers=auth("tl"),
    )
    assert fed.json()["state"] == "fed_back"
    shown = app_client.get(f"/api/v1/leads/{number}", headers=auth("xl")).json()
    assert [e["step"] for e in shown["history"]] == ["send", "acknowledge", "accept", "feed_back"]
    assert shown["value_yuan"] == 9000
    assert app_client.get("/api/v1/leads/overdue", headers=auth("xl")).json() == []


def test_decline_needs_a_reason_and_grants_nothing(
    app_client: TestClient, leads_api_url: str
) -> None:
    number = _send(app_client)["id"]
    empty = app_client.post(
        f"/api/v1/leads/{number}/decline", json={"reason": ""}, headers=auth("tl")
    )
    assert empty.status_code == 422
    declined = app_client.post(
        f"/api/v1/leads/{number}/decline", json={"reason": "不属我县"}, headers=auth("tl")
    )
    assert declined.json()["state"] == "declined"
    with db.transaction(leads_api_url) as session:
        assert session.scalars(select(Share)).all() == []
    late = app_client.post(f"/api/v1/leads/{number}/accept", headers=auth("tl"))
    assert late.status_code == 409
    assert late.json()["current"] == "declined"


def test_bad_requests_answer_422(app_client: TestClient) -> None:
    for body in (
        {"case_no": "X-100", "to_counties": []},
        {"case_no": "X-100", "to_counties": [XINGHE]},
        {"case_no": "X-100", "to_counties": [TIANZHEN], "urgency": "whenever"},
        {"case_no": "X-100", "to_counties": [TIANZHEN], "entities": [99]},
        {"ref": "not-a-ref"},
    ):
        answer = app_client.post("/api/v1/leads", json=body, headers=auth("xl"))
        assert answer.status_code == 422, body
    assert app_client.get("/api/v1/leads?box=sideways", headers=auth("xl")).status_code == 422


READERS = {"xl", "xo", "xa", "tl", "to", "ta"}
HANDLERS = {"tl", "ta"}


@pytest.mark.parametrize("username", sorted(USERS))
def test_scope_matrix(app_client: TestClient, username: str) -> None:
    number = _send(app_client)["id"]
    role, county = USERS[username]
    headers = auth(username)
    read = app_client.get(f"/api/v1/leads/{number}", headers=headers).status_code
    listed = app_client.get("/api/v1/leads", headers=headers)
    ack = app_client.post(f"/api/v1/leads/{number}/ack", headers=headers).status_code
    if role is UserRole.DISPATCHER:
        assert (read, listed.status_code, ack) == (403, 403, 403)
        return
    if username in READERS:
        assert read == 200
        assert [item["id"] for item in listed.json()] == [number]
    else:
        assert read == 404  # a third county: as if the lead did not exist
        assert listed.json() == []
        overdue = app_client.get("/api/v1/leads/overdue", headers=headers).json()
        assert overdue == []
    if username in HANDLERS:
        assert ack == 200
    elif role is UserRole.OFFICER:
        assert ack == 403  # officers read leads, liaisons answer them
    elif county == XINGHE:
        assert ack == 403  # the sender knows the lead but takes no receiver's step
    else:
        assert ack == 404
    sent = app_client.post(
        "/api/v1/leads", json={"case_no": "X-100", "to_counties": [HUAIAN]}, headers=headers
    ).status_code
    if role is UserRole.OFFICER:
        assert sent == 403
    else:
        assert sent == (201 if county == XINGHE else 404)


# --- pages -----------------------------------------------------------------------------


def _login(client: TestClient, username: str) -> TestClient:
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/leads"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_pages_send_receive_and_see_the_state(leads_api_url: str) -> None:
    app = create_app(make_settings(leads_api_url))
    with TestClient(app) as sender, TestClient(app) as receiver, TestClient(app) as third:
        _login(sender, "xl")
        suggested = sender.get("/leads?box=suggested").text
        assert "X-100" in suggested
        assert "天镇县" in suggested
        form = sender.get("/leads/new?case_no=X-100&to=" + TIANZHEN).text
        assert "南河堡乡" in form
        empty = sender.post(
            "/leads/new", data={"case_no": "X-100"}, headers=ORIGIN, follow_redirects=False
        )
        assert empty.status_code == 422
        sent = sender.post(
            "/leads/new",
            data={"case_no": "X-100", "to": [TIANZHEN], "entity": ["1"], "note": "请核查"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert sent.status_code == 303
        outbox = sender.get("/leads?box=outbox").text
        assert "已移交" in outbox

        _login(receiver, "tl")
        inbox = receiver.get("/leads").text
        assert "lead-1" in inbox
        page = receiver.get("/leads/1").text
        assert 'id="lm-accept"' in page
        assert "请核查" in page
        done = receiver.post("/leads/1/accept", headers=ORIGIN, follow_redirects=False)
        assert done.status_code == 303
        wrong = receiver.post("/leads/1/ack", headers=ORIGIN)
        assert wrong.status_code == 409
        assert "已接收" in wrong.text

        assert "已接收" in sender.get("/leads/1").text
        assert 'id="lm-accept"' not in sender.get("/leads/1").text

        _login(third, "hl")
        assert third.get("/leads/1").status_code == 404
        assert "lead-1" not in third.get("/leads?box=inbox").text


def test_pages_refuse_dispatchers(leads_api_url: str) -> None:
    with TestClient(create_app(make_settings(leads_api_url))) as client:
        _login(client, "td")
        assert client.get("/leads").status_code == 403


def test_overdue_leads_are_marked_in_red_on_both_sides(leads_api_url: str) -> None:
    import datetime as dt

    from gridmgmt.services.leads import send_lead

    from ..gridmgmt.leads.leads_world import X_LIAISON

    long_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=2)
    with db.transaction(leads_api_url) as session:
        send_lead(session, X_LIAISON, "X-100", [TIANZHEN], now=long_ago)
    app = create_app(make_settings(leads_api_url))
    for username, box in (("xl", "outbox"), ("tl", "inbox")):
        with TestClient(app) as client:
            _login(client, username)
            page = client.get(f"/leads?box={box}").text
            assert 'class="lm-lead lm-overdue"' in page
            assert 'id="lm-overdue-count"' in page
            overdue = client.get("/api/v1/leads/overdue", headers=auth(username)).json()
            assert [item["due_step"] for item in overdue] == ["acknowledge"]
