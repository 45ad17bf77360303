"""Concurrent writes over the API on a real SQLite file: never a 500, never a lost change.

Each request runs in its own thread with its own TestClient (one app, one database file),
all released at once by a barrier: tickets filed together get distinct numbers, parallel
inspection draws for one county and period give one draw and conflicts, PATCHes of
different fields of one case all keep their change.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.conftest import make_settings
from tests.api.test_api_rules import TIANZHEN, officers  # noqa: F401  (fixture)

Headers = Callable[..., dict[str, str]]
Call = tuple[str, str, dict[str, Any]]


@pytest.fixture
def app(api_url: str) -> Iterator[FastAPI]:
    """The app on the seeded database, its lifespan run once."""
    application = create_app(make_settings(api_url))
    with TestClient(application):
        yield application


def at_once(app: FastAPI, headers: dict[str, str], calls: Sequence[Call]) -> list[Any]:
    """Send every call from its own thread and client, all released together."""
    barrier = threading.Barrier(len(calls))

    def send(call: Call) -> Any:
        method, path, body = call
        client = TestClient(app, raise_server_exceptions=False)  # a 500 is an answer here
        barrier.wait()
        return client.request(method, path, headers=headers, json=body)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


def test_twenty_tickets_filed_at_once_get_twenty_numbers(app: FastAPI, bearer: Headers) -> None:
    body = {
        "county": TIANZHEN,
        "kind": "complaint",
        "summary": "举报",
        "collected_at": "2026-11-16T09:00:00",
    }
    answers = at_once(app, bearer("bob"), [("POST", "/api/v1/tickets", body)] * 20)
    assert Counter(a.status_code for a in answers) == {201: 20}, [a.text for a in answers]
    numbers = {a.json()["ticket_no"] for a in answers}
    assert numbers == {f"{TIANZHEN}-20261116-{i:03d}" for i in range(1, 21)}


@pytest.mark.usefixtures("officers")
def test_parallel_draws_for_one_period_give_one_draw_and_conflicts(
    app: FastAPI, bearer: Headers
) -> None:
    body = {"county": TIANZHEN, "period": "2026-11", "share": 1.0}
    answers = at_once(app, bearer("bob"), [("POST", "/api/v1/inspections", body)] * 3)
    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 2}, [a.text for a in answers]
    listed = TestClient(app).get("/api/v1/inspections", headers=bearer("bob")).json()
    assert len(listed) == 1


def test_patches_of_different_fields_of_one_case_all_keep_their_change(
    app: FastAPI, bearer: Headers
) -> None:
    client = TestClient(app)
    case = {
        "case_no": "T-RACE",
        "county_code": TIANZHEN,
        "opened_on": "2023-10-01",
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": "139-4746-1234", "role": "司机"}],
    }
    created = client.post("/api/v1/cases", headers=bearer("bob"), json=case)
    assert created.status_code == 201, created.text
    changes = [
        {"status": "investigating"},
        {"summary": "夜间运输"},
        {"seized_cartons": 12},
        {"value_yuan": 3400.0},
    ]
    answers = at_once(
        app, bearer("bob"), [("PATCH", "/api/v1/cases/T-RACE", change) for change in changes]
    )
    codes = Counter(a.status_code for a in answers)
    assert set(codes) <= {200, 409}, [a.text for a in answers]
    stored = client.get("/api/v1/cases/T-RACE", headers=bearer("bob")).json()
    for change, answer in zip(changes, answers, strict=True):
        if answer.status_code == 200:
            ((field, value),) = change.items()
            assert stored[field] == value, (field, stored)
