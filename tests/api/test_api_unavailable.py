"""Plain use that answered 500: no overdue ticket, and a database locked by another writer.

A write that waits longer than the SQLite busy timeout for another process's lock is not a
bug: the API answers 503 with Retry-After and the CLI's unit of work raises
UnavailableError (exit 6).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.main import create_app
from gridmgmt.errors import UnavailableError
from gridmgmt.store import db
from gridmgmt.store.models import Staff
from tests.api.conftest import make_settings
from tests.api.test_api_rules import TIANZHEN, _bob_ticket

Headers = Callable[..., dict[str, str]]


def test_overdue_list_is_empty_when_no_ticket_is_overdue(
    client: TestClient, bearer: Headers
) -> None:
    _bob_ticket(client, bearer)
    response = client.get(
        "/api/v1/tickets/overdue", headers=bearer("bob"), params={"now": "2026-11-16T10:00:00"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.fixture
def write_lock(api_url: str) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's write lock (BEGIN IMMEDIATE)."""
    path = api_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.execute("ROLLBACK")
    holder.close()


def test_a_write_behind_another_writers_lock_answers_503(
    api_url: str, bearer: Headers, write_lock: sqlite3.Connection
) -> None:
    settings = make_settings(api_url, sqlite_busy_timeout_ms=200)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/tickets", headers=bearer("bob")).status_code == 200
        response = client.post(
            "/api/v1/tickets",
            headers=bearer("bob"),
            json={"county": TIANZHEN, "kind": "complaint", "summary": "举报"},
        )
        assert response.status_code == 503, response.text
        assert response.json()["kind"] == "unavailable"
        assert int(response.headers["Retry-After"]) > 0
        write_lock.execute("ROLLBACK")
        write_lock.execute("BEGIN")  # the fixture's ROLLBACK still has something to end
        retried = client.post(
            "/api/v1/tickets",
            headers=bearer("bob"),
            json={"county": TIANZHEN, "kind": "complaint", "summary": "举报"},
        )
        assert retried.status_code == 201, retried.text


def test_a_unit_of_work_behind_another_writers_lock_is_unavailable(
    api_url: str, write_lock: sqlite3.Connection
) -> None:
    staff = Staff(staff_no="X-1", name="x", role="monopoly_officer", county_code=TIANZHEN)
    with pytest.raises(UnavailableError), db.transaction(api_url, busy_timeout_ms=200) as session:
        session.add(staff)
    db.dispose_engine(api_url)


def _lose_connection_midway(url: str) -> None:
    from sqlalchemy import text

    with db.transaction(url) as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.get_engine(url).connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        session.execute(text("SELECT 1"))


@pytest.mark.postgres
def test_a_lost_postgres_connection_is_unavailable_and_the_next_unit_works(
    postgres_url: str,
) -> None:
    from sqlalchemy import text

    with pytest.raises(UnavailableError):
        _lose_connection_midway(postgres_url)
    with db.transaction(postgres_url) as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_no_free_connection_in_the_pool_is_unavailable(sqlite_url: str) -> None:
    engine = create_engine(
        db.normalise_url(sqlite_url), pool_size=1, max_overflow=0, pool_timeout=0.2
    )
    held = engine.connect()
    try:
        with pytest.raises(UnavailableError, match="in use"), db.unavailable_as_error():
            engine.connect()
    finally:
        held.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_request_whose_postgres_connection_is_killed_answers_503_and_the_next_works(
    postgres_url: str, bearer: Headers
) -> None:
    from sqlalchemy import event, text

    from tests.api.conftest import seed

    seed(postgres_url)
    engine = db.get_engine(postgres_url)
    killed: list[int] = []

    def kill_own_backend(connection: object, cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO grid_tickets") and not killed:
            pid = cursor.connection.info.backend_pid  # type: ignore[attr-defined]
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    event.listen(engine, "before_cursor_execute", kill_own_backend)
    body = {"county": TIANZHEN, "kind": "complaint", "summary": "举报"}
    try:
        with TestClient(create_app(make_settings(postgres_url))) as client:
            lost = client.post("/api/v1/tickets", headers=bearer("bob"), json=body)
            assert killed
            assert lost.status_code == 503, lost.text
            assert lost.json()["kind"] == "unavailable"
            assert int(lost.headers["Retry-After"]) > 0
            with engine.connect() as other:  # every pooled connection of the app dies too
                other.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            retried = client.post("/api/v1/tickets", headers=bearer("bob"), json=body)
            assert retried.status_code == 201, retried.text
            listed = client.get("/api/v1/tickets", headers=bearer("bob")).json()
            assert [t["ticket_no"] for t in listed] == [retried.json()["ticket_no"]]
    finally:
        event.remove(engine, "before_cursor_execute", kill_own_backend)
