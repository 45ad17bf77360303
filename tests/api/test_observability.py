"""Operations: a request id in every answer and log line, JSON logs, Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gridmgmt.logs import configure_logging
from tests.api.test_api_rules import TIANZHEN, _bob_ticket

Headers = Callable[..., dict[str, str]]


def _samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _count(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str) -> float:
    key = ("gridmgmt_http_requests_total", frozenset(labels.items()))
    return samples.get(key, 0.0)


def test_requests_are_counted_by_route_template_and_status(
    client: TestClient, bearer: Headers
) -> None:
    before = _samples(client)
    ticket = _bob_ticket(client, bearer)["ticket_no"]
    path = "/api/v1/tickets/{ticket_no}"
    assert client.get(f"/api/v1/tickets/{ticket}", headers=bearer("bob")).status_code == 200
    assert client.get("/api/v1/tickets/NOPE", headers=bearer("bob")).status_code == 404
    after = _samples(client)
    for status, added in (("200", 1), ("404", 1)):
        labels = {"method": "GET", "route": path, "status": status}
        assert _count(after, **labels) - _count(before, **labels) == added
    assert not any(ticket in str(key) for key in after)  # templates, never raw paths
    seconds = (
        "gridmgmt_http_request_duration_seconds_count",
        frozenset({("method", "GET"), ("route", path)}),
    )
    assert after[seconds] - before.get(seconds, 0.0) == 2


def test_solver_times_are_exported(client: TestClient) -> None:
    names = {name for name, _ in _samples(client)}
    assert "gridmgmt_http_request_duration_seconds_bucket" in names
    text = client.get("/metrics").text
    assert "# TYPE gridmgmt_solver_duration_seconds histogram" in text


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(fmt="json", level="INFO", stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    logging.getLogger("uvicorn.access").disabled = False


def test_each_request_logs_one_json_line_with_its_request_id(
    client: TestClient, bearer: Headers, json_log: io.StringIO
) -> None:
    response = client.get(
        "/api/v1/tickets", headers={**bearer("bob"), "X-Request-ID": "trace-me-1"}
    )
    assert response.headers["X-Request-ID"] == "trace-me-1"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "gridmgmt.access"]
    assert len(access) == 1, lines
    (line,) = access
    assert line["request_id"] == "trace-me-1"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/tickets", 200)
    assert line["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(line)


def test_a_request_without_an_id_gets_a_fresh_one(client: TestClient) -> None:
    first = client.get("/api/v1/health").headers["X-Request-ID"]
    second = client.get("/api/v1/health").headers["X-Request-ID"]
    assert first != second
    assert len(first) == 32


def test_a_bug_is_logged_with_the_request_id_of_its_500(
    client: TestClient, bearer: Headers, json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("api.routes.tickets.list_tickets", broken)
    failing = TestClient(client.app, raise_server_exceptions=False)
    response = failing.get(
        "/api/v1/tickets",
        headers={**bearer("bob"), "X-Request-ID": "bug-42"},
        params={"county": TIANZHEN},
    )
    assert response.status_code == 500
    assert response.json()["request_id"] == "bug-42"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert errors
    assert errors[0]["request_id"] == "bug-42"
    assert "boom" in errors[0]["exc_info"]
    statuses = [line["status"] for line in lines if line["logger"] == "gridmgmt.access"]
    assert statuses == [500]
