"""/api/v1/jobs: the caller's jobs, progress while one runs, cancel, county scope."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.config import Settings
from gridmgmt.domain import UserRole
from gridmgmt.jobs import JobContext, JobView, job, submit, wait
from gridmgmt.policy import Action
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result
from gridmgmt.store import db
from gridmgmt.store.models import Province

from .conftest import TIANZHEN, XINGHE

ALICE = Actor(username="alice", role=UserRole.OFFICER, counties=frozenset({XINGHE}))
GATES: dict[str, threading.Event] = {}


class GateParams(BaseModel):
    county_code: str
    gate: str


class GateResult(Result):
    province_code: str


@job("tests.api_gate", params=GateParams, action=Action.READ_BASE_DATA)
def _gate_job(ctx: JobContext, session: Session, params: GateParams) -> GateResult:
    ctx.progress(0.5, "halfway")
    gate = GATES.setdefault(params.gate, threading.Event())
    deadline = time.monotonic() + 10
    while not gate.wait(0.01) and time.monotonic() < deadline:
        ctx.check_cancelled()
    session.add(Province(code="990000", name="测试省"))
    return GateResult(province_code="990000")


@pytest.fixture
def settings(api_url: str, app_settings: Callable[..., Settings]) -> Settings:
    return app_settings(api_url)


def _start(settings: Settings) -> tuple[JobView, str]:
    gate = uuid.uuid4().hex
    view = submit(
        "tests.api_gate", {"county_code": XINGHE, "gate": gate}, actor=ALICE, settings=settings
    )
    return view, gate


def _poll(client: TestClient, headers: dict[str, str], job_id: str, key: str, value: Any) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if body[key] == value:
            return body
        time.sleep(0.02)
    pytest.fail(f"job {job_id} never had {key}={value!r}: {body}")


def _provinces(url: str) -> set[str]:
    with db.transaction(url) as session:
        return set(session.scalars(select(Province.code)))


def test_progress_is_visible_while_the_job_runs_then_the_result(
    client: TestClient, bearer: Callable[..., dict[str, str]], settings: Settings
) -> None:
    view, gate = _start(settings)
    alice = bearer("alice")

    running = _poll(client, alice, view.id, "progress", 0.5)
    assert (running["state"], running["message"]) == ("running", "halfway")
    GATES.setdefault(gate, threading.Event()).set()
    done = _poll(client, alice, view.id, "state", "succeeded")

    assert done["result"] == {"province_code": "990000"}
    assert done["counties"] == [XINGHE]
    assert "990000" in _provinces(settings.database_url)
    listed = client.get("/api/v1/jobs", headers=alice)
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()] == [view.id]


def test_cancel_stops_the_job_and_a_second_cancel_is_a_conflict(
    client: TestClient, bearer: Callable[..., dict[str, str]], settings: Settings
) -> None:
    view, _gate = _start(settings)
    alice = bearer("alice")
    _poll(client, alice, view.id, "state", "running")

    answer = client.post(f"/api/v1/jobs/{view.id}/cancel", headers=alice)
    assert answer.status_code == 200, answer.text
    done = wait(view.id, settings=settings, timeout_s=10)
    again = client.post(f"/api/v1/jobs/{view.id}/cancel", headers=alice)

    assert done.state.value == "cancelled"
    assert "990000" not in _provinces(settings.database_url)
    assert again.status_code == 409
    assert again.json()["kind"] == "conflict"
    assert again.json()["current"]["state"] == "cancelled"


def test_another_countys_user_gets_404(
    client: TestClient, bearer: Callable[..., dict[str, str]], settings: Settings
) -> None:
    view, gate = _start(settings)
    bob = bearer("bob")
    try:
        shown = client.get(f"/api/v1/jobs/{view.id}", headers=bob)
        cancelled = client.post(f"/api/v1/jobs/{view.id}/cancel", headers=bob)
        listed = client.get("/api/v1/jobs", headers=bob)
        # Lucy works for both counties: she sees the job but may not cancel Alice's.
        lucy_sees = client.get(f"/api/v1/jobs/{view.id}", headers=bearer("lucy"))
        lucy_cancels = client.post(f"/api/v1/jobs/{view.id}/cancel", headers=bearer("lucy"))
    finally:
        GATES.setdefault(gate, threading.Event()).set()
        wait(view.id, settings=settings, timeout_s=10)

    assert (shown.status_code, cancelled.status_code) == (404, 404)
    assert shown.json()["kind"] == "not_found"
    assert listed.json() == []
    assert lucy_sees.status_code == 200
    assert lucy_cancels.status_code == 403
    assert TIANZHEN not in lucy_sees.json()["counties"]


def test_jobs_need_a_login(client: TestClient) -> None:
    assert client.get("/api/v1/jobs").status_code == 401
