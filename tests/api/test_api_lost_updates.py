"""Two people changing one object at once over the API: never a 200 whose change is dropped.

A ticket, an inspection result and a county's rule settings carry a ``version``; a change
names the version it was made from (``base_version``, by default the one read when the
request starts). A change made from a version no longer in force answers 409 with the
current state, and the change that was confirmed stays. A case's PATCH may name the
``version`` token it was made from (otherwise it changes only the fields it names).
Requests are sent from threads released together (:func:`at_once`), on a real SQLite file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gridmgmt.domain import UserRole
from tests.api.conftest import add_test_user
from tests.api.test_api_concurrency import app, at_once  # noqa: F401  (fixture)
from tests.api.test_api_rules import TIANZHEN, _bob_draw, _bob_ticket, officers  # noqa: F401

Headers = Callable[..., dict[str, str]]


def test_concurrent_advances_of_one_ticket_keep_the_confirmed_one(
    app: FastAPI,  # noqa: F811
    bearer: Headers,
) -> None:
    client = TestClient(app)
    ticket = _bob_ticket(client, bearer)
    path = f"/api/v1/tickets/{ticket['ticket_no']}/advance"
    staff = [f"{TIANZHEN}-M0{i}" for i in range(1, 5)]
    base = ticket["version"]  # all decided on the ticket as filed
    calls = [("POST", path, {"assignee": w, "note": w, "base_version": base}) for w in staff]
    answers = at_once(app, bearer("bob"), calls)
    codes = Counter(a.status_code for a in answers)
    assert codes == {200: 1, 409: 3}, [a.text for a in answers]
    stored = client.get(f"/api/v1/tickets/{ticket['ticket_no']}", headers=bearer("bob")).json()
    (winner,) = [a.json() for a in answers if a.status_code == 200]
    assert stored["assignee"] == winner["assignee"]
    assert stored["version"] == winner["version"] == ticket["version"] + 1
    assert len(stored["events"]) == len(ticket["events"]) + 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["current"]["assignee"] == winner["assignee"]


def test_a_ticket_advance_from_a_stale_version_conflicts(
    client: TestClient, bearer: Headers
) -> None:
    ticket = _bob_ticket(client, bearer)
    path = f"/api/v1/tickets/{ticket['ticket_no']}/advance"
    first = client.post(path, headers=bearer("bob"), json={"base_version": ticket["version"]})
    assert first.status_code == 200, first.text
    stale = client.post(
        path, headers=bearer("bob"), json={"base_version": ticket["version"], "to": "responded"}
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["current"]["state"] == "assigned"
    assert stale.json()["current"]["version"] == first.json()["version"]


@pytest.mark.usefixtures("officers")
def test_concurrent_first_results_of_one_retailer_keep_the_confirmed_one(
    app: FastAPI,  # noqa: F811
    bearer: Headers,
) -> None:
    client = TestClient(app)
    draw = _bob_draw(client, bearer)
    licence = draw["inspections"][0]["licence_no"]
    notes = ["甲", "乙", "丙", "丁"]
    body = {"licence_no": licence, "outcome": "compliant", "inspected_on": "2026-12-20"}
    body |= {"base_version": 0}  # each saw no result yet
    path = f"/api/v1/inspections/{draw['id']}/results"
    answers = at_once(app, bearer("bob"), [("POST", path, body | {"notes": n}) for n in notes])
    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 3}, [a.text for a in answers]
    (winner,) = [a.json() for a in answers if a.status_code == 201]
    rows = client.get(f"{path}", headers=bearer("bob")).json()
    (row,) = [r for r in rows if r["licence_no"] == licence]
    assert row["notes"] == winner["notes"]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["current"]["notes"] == winner["notes"]


@pytest.mark.usefixtures("officers")
def test_a_result_correction_from_a_stale_version_conflicts(
    client: TestClient, bearer: Headers
) -> None:
    draw = _bob_draw(client, bearer)
    licence = draw["inspections"][0]["licence_no"]
    path = f"/api/v1/inspections/{draw['id']}/results"
    body = {"licence_no": licence, "outcome": "compliant", "inspected_on": "2026-12-20"}
    first = client.post(path, headers=bearer("bob"), json=body)
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1
    corrected = client.post(path, headers=bearer("bob"), json=body | {"base_version": 1})
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["version"] == 2
    stale = client.post(path, headers=bearer("bob"), json=body | {"base_version": 1})
    assert stale.status_code == 409, stale.text
    assert stale.json()["current"]["version"] == 2
    fresh = client.post(path, headers=bearer("bob"), json=body | {"base_version": 0})
    assert fresh.status_code == 409, fresh.text  # 0: "I saw no result", but there is one


def test_concurrent_rule_settings_changes_keep_every_confirmed_section(
    app: FastAPI,  # noqa: F811
    bearer: Headers,
    api_url: str,
) -> None:
    add_test_user(api_url, "ada", "a-long-admin-passphrase", UserRole.ADMIN, [TIANZHEN])
    path = f"/api/v1/rules/settings/{TIANZHEN}"
    changes = [
        {"settings": {"red_line": {"distance_m": {"primary": 111}}}},
        {"settings": {"borders": {"county_border_m": 1500.0}}},
        {"settings": {"outflow": {"threshold": 4.5}}},
        {"settings": {"borders": {"province_border_m": 6000.0}}},
    ]
    answers = at_once(app, bearer("ada"), [("PUT", path, change) for change in changes])
    codes = Counter(a.status_code for a in answers)
    assert set(codes) <= {200, 409}, [a.text for a in answers]
    assert codes[200] >= 1
    stored = TestClient(app).get(path, headers=bearer("ada")).json()
    assert stored["version"] == codes[200]
    for change, answer in zip(changes, answers, strict=True):
        if answer.status_code == 200:
            section, values = next(iter(change["settings"].items()))
            key, value = next(iter(values.items()))
            held = stored["settings"][section][key]
            assert (held if not isinstance(value, dict) else held | value) == held, change
        else:
            assert answer.json()["current"]["version"] >= 1


def test_a_rule_settings_change_from_a_stale_version_conflicts(
    client: TestClient, bearer: Headers, api_url: str
) -> None:
    add_test_user(api_url, "ada", "a-long-admin-passphrase", UserRole.ADMIN, [TIANZHEN])
    path = f"/api/v1/rules/settings/{TIANZHEN}"
    read = client.get(path, headers=bearer("ada")).json()
    assert read["version"] == 0  # never set: the default preset applies
    first = client.put(path, headers=bearer("ada"), json={"preset": "wuhan", "base_version": 0})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    stale = client.put(path, headers=bearer("ada"), json={"preset": "suqian", "base_version": 0})
    assert stale.status_code == 409, stale.text
    assert stale.json()["current"]["preset"] == "wuhan"
    assert client.get(path, headers=bearer("ada")).json()["preset"] == "wuhan"


def test_a_case_patch_from_a_stale_version_conflicts(client: TestClient, bearer: Headers) -> None:
    case = {
        "case_no": "T-CAS",
        "county_code": TIANZHEN,
        "opened_on": "2023-10-01",
        "type": "counterfeit",
    }
    created = client.post("/api/v1/cases", headers=bearer("bob"), json=case)
    assert created.status_code == 201, created.text
    read = created.json()["version"]
    first = client.patch(
        "/api/v1/cases/T-CAS", headers=bearer("bob"), json={"summary": "甲", "base_version": read}
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] != read
    stale = client.patch(
        "/api/v1/cases/T-CAS", headers=bearer("bob"), json={"summary": "乙", "base_version": read}
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["current"]["summary"] == "甲"
    assert client.get("/api/v1/cases/T-CAS", headers=bearer("bob")).json()["summary"] == "甲"
