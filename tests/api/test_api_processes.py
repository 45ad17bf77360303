"""Many readers and writers against ``gridmgmt serve --workers 2``: SQLite (WAL) and PostgreSQL.

The app runs as two worker processes over one database; 24 client threads send, all at
once, a mix of reads (tickets, cases, red lines, settings) and writes to the same rows:
twenty tickets filed, eight steps of one ticket, four changes of one county's rule
settings, four PATCHes of different fields of one case. No answer is a 5xx (no "database is
locked" reaches a user), numbers are unique, and every confirmed change is held: the other
writers of a row got 409 with its current state.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from gridmgmt.domain import UserRole
from gridmgmt.store import db

from .conftest import SECRET, TIANZHEN, World, _bearer, add_test_user, seed

pytestmark = pytest.mark.slow

Call = tuple[str, str, str, dict[str, Any] | None]  # user, method, path, body
CASE = {
    "case_no": "T-PROC",
    "county_code": TIANZHEN,
    "opened_on": "2023-10-01",
    "type": "counterfeit",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, _seeded: tuple[Path, World], tmp_path: Path
) -> Iterator[str]:
    """The seeded world (and an administrator, ada) on a SQLite file or on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "served.db"
        shutil.copy(_seeded[0], path)
        url = f"sqlite:///{path}"
        add_test_user(url, "ada", "a-long-admin-passphrase", UserRole.ADMIN, [TIANZHEN])
    else:
        url = request.getfixturevalue("postgres_url")
        seed(url)
        add_test_user(url, "ada", "a-long-admin-passphrase", UserRole.ADMIN, [TIANZHEN])
    yield url
    db.dispose_engine(url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(database: str, tmp_path: Path) -> Iterator[str]:
    """Base URL of ``gridmgmt serve --workers 2`` over the database, once it answers."""
    port = _free_port()
    env = {**os.environ, "GRIDMGMT_SECRET_KEY": SECRET, "GRIDMGMT_LOG_FORMAT": "text"}
    log = (tmp_path / "serve.log").open("w")
    command = [sys.executable, "-m", "gridmgmt", "--db", database, "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _send_all(base: str, calls: list[Call]) -> list[httpx.Response]:
    """Every call from its own thread, all released together."""
    barrier = threading.Barrier(len(calls))

    def send(call: Call) -> httpx.Response:
        user, method, path, body = call
        with httpx.Client(base_url=base, headers=_bearer(user), timeout=120) as client:
            barrier.wait()
            return client.request(method, path, json=body)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


@pytest.fixture
def bob(served: str) -> Iterator[httpx.Client]:
    """A client of the served app as bob (officer of 天镇县)."""
    with httpx.Client(base_url=served, headers=_bearer("bob"), timeout=60) as client:
        yield client


def test_readers_and_writers_in_two_processes_lose_nothing(served: str, bob: httpx.Client) -> None:
    ticket = bob.post(
        "/api/v1/tickets", json={"county": TIANZHEN, "kind": "complaint", "summary": "举报"}
    ).json()
    assert bob.post("/api/v1/cases", json=CASE).status_code == 201
    filing = {"county": TIANZHEN, "kind": "violation", "summary": "无证经营",
              "collected_at": "2026-11-20T09:00:00"}  # fmt: skip
    settings = [
        {"settings": {"borders": {"county_border_m": 1500.0}}},
        {"settings": {"outflow": {"threshold": 4.5}}},
        {"settings": {"borders": {"province_border_m": 6000.0}}},
        {"settings": {"borders": {"tolerance_m": 80.0}}},
    ]
    edits = [{"status": "investigating"}, {"summary": "夜间运输"}, {"seized_cartons": 12},
             {"value_yuan": 3400.0}]  # fmt: skip
    steps = f"/api/v1/tickets/{ticket['ticket_no']}/advance"
    writes: list[Call] = [
        *[("bob", "POST", "/api/v1/tickets", filing)] * 20,
        *[
            ("bob", "POST", steps, {"assignee": f"M{i}", "base_version": ticket["version"]})
            for i in range(8)
        ],
        *[("ada", "PUT", f"/api/v1/rules/settings/{TIANZHEN}", s) for s in settings],
        *[("bob", "PATCH", "/api/v1/cases/T-PROC", e) for e in edits],
    ]
    reads: list[Call] = [
        ("bob", "GET", path, None)
        for path in (
            "/api/v1/tickets",
            "/api/v1/cases",
            "/api/v1/rules/red-lines",
            f"/api/v1/rules/settings/{TIANZHEN}",
        )
    ] * 6
    answers = _send_all(served, writes + reads)
    server_errors = [
        (a.request.url.path, a.status_code, a.text) for a in answers if a.status_code >= 500
    ]
    assert server_errors == []
    filed, stepped = answers[:20], answers[20:28]
    changed, patched = answers[28:32], answers[32:36]
    assert Counter(a.status_code for a in filed) == {201: 20}
    assert len({a.json()["ticket_no"] for a in filed}) == 20
    assert Counter(a.status_code for a in stepped) == {200: 1, 409: 7}
    (step,) = [a.json() for a in stepped if a.status_code == 200]
    assert bob.get(f"/api/v1/tickets/{ticket['ticket_no']}").json()["assignee"] == step["assignee"]
    assert {a.status_code for a in changed + patched} <= {200, 409}
    held = bob.get(f"/api/v1/rules/settings/{TIANZHEN}").json()
    assert held["version"] == sum(a.status_code == 200 for a in changed)
    for change, answer in zip(settings, changed, strict=True):
        ((section, values),) = change["settings"].items()
        if answer.status_code == 200:
            assert held["settings"][section] | values == held["settings"][section]
    case = bob.get("/api/v1/cases/T-PROC").json()
    for edit, answer in zip(edits, patched, strict=True):
        ((field, value),) = edit.items()
        if answer.status_code == 200:
            assert case[field] == value
    assert all(a.status_code == 200 for a in answers[36:])
