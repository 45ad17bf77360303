"""The list behind each dashboard figure: as long as the figure on the hand-counted world
(``test_dashboard``), its rows the ones counted, the page and JSON, leaders, scope, errors."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gridmgmt.domain import RetailerStatus, UserRole
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import Actor
from gridmgmt.services.dashboard import dashboard
from gridmgmt.services.dashboard_lists import Figure, figure_list
from gridmgmt.store import db

from .conftest import HUAIAN, TIANZHEN, XINGHE, add_test_user, make_settings
from .officer_world import EVIL_LICENCE, EVIL_NAME, OfficerWorld
from .test_dashboard import ADMIN, NOW, ORIGIN, counted

__all__ = ["counted"]  # the hand-counted world's fixture, used by name

LEADER = Actor(username="boss", role=UserRole.LEADER, counties=frozenset({XINGHE, TIANZHEN}))


def _lists(url: str, actor: Actor = LEADER) -> dict[Figure, list[dict[str, object]]]:
    with db.transaction(url) as session:
        return {
            figure: figure_list(session, actor, XINGHE, "2026-Q1", figure, now=NOW).rows
            for figure in Figure
        }


def test_every_list_is_as_long_as_its_figure(api_url: str, counted: OfficerWorld) -> None:
    with db.transaction(api_url) as session:
        figures = dashboard(session, LEADER, XINGHE, "2026-Q1", now=NOW)
        lists = {
            figure: figure_list(session, LEADER, XINGHE, "2026-Q1", figure, now=NOW)
            for figure in Figure
        }
        by_status = {
            status: figure_list(
                session, LEADER, XINGHE, "2026-Q1", Figure.RETAILERS, status=status, now=NOW
            ).total
            for status in RetailerStatus
        }
    assert lists[Figure.RETAILERS].total == figures.retailers == 4
    assert by_status == figures.retailers_by_status
    assert lists[Figure.KEY_RETAILERS].total == figures.key_retailers == 1
    assert lists[Figure.RED_LINE].total == figures.red_line_violators == 1
    assert lists[Figure.INSPECTIONS].total == figures.inspections_done == 1
    assert lists[Figure.TICKETS_OPEN].total == figures.tickets_open == 3
    assert lists[Figure.TICKETS_OVERDUE].total == figures.tickets_overdue == 2
    assert lists[Figure.CASES].total == figures.cases == 4
    assert lists[Figure.NETWORK_CASES].total == figures.network_cases == 3
    assert lists[Figure.DELIVERY].total == figures.route_plans == 2
    assert sum(float(row["km"]) for row in lists[Figure.DELIVERY].rows) == figures.delivery_km  # type: ignore[arg-type]


def test_the_rows_are_the_ones_counted(api_url: str, counted: OfficerWorld) -> None:
    lists = _lists(api_url)
    assert [row["licence_no"] for row in lists[Figure.RED_LINE]] == [EVIL_LICENCE]
    assert [row["licence_no"] for row in lists[Figure.KEY_RETAILERS]] == [EVIL_LICENCE]
    assert [row["inspected_on"] for row in lists[Figure.INSPECTIONS]] == ["2026-02-10"]
    assert lists[Figure.INSPECTIONS][0]["inspectors"] == "150924-M01; 150924-M02"
    assert {row["case_no"] for row in lists[Figure.NETWORK_CASES]} == {"XH-1", "XH-2", "XH-3"}
    assert len({row["network_id"] for row in lists[Figure.NETWORK_CASES]}) == 1
    assert [row["network_id"] for row in lists[Figure.CASES] if row["case_no"] == "XH-4"] == [None]
    overdue = lists[Figure.TICKETS_OVERDUE]
    assert [row["ticket_no"] for row in overdue] == counted.tickets[:1] + [
        row["ticket_no"] for row in overdue[1:]
    ]
    assert all(row["state"] != "fed_back" for row in lists[Figure.TICKETS_OPEN])
    assert [(row["delivery_date"], row["km"]) for row in lists[Figure.DELIVERY]] == [
        ("2026-01-05", 12.5),
        ("2026-03-31", 7.5),
    ]


def test_scope_roles_and_wrong_input(api_url: str, counted: OfficerWorld) -> None:
    officer = Actor(username="alice", role=UserRole.OFFICER, counties=frozenset({XINGHE}))
    with db.transaction(api_url) as session:
        with pytest.raises(NotFoundError):
            figure_list(session, LEADER, HUAIAN, "2026", Figure.CASES)
        with pytest.raises(AccessDeniedError):
            figure_list(session, officer, XINGHE, "2026", Figure.CASES)
        with pytest.raises(InvalidInputError, match="figure"):
            figure_list(session, ADMIN, XINGHE, "2026", "everything")
        with pytest.raises(InvalidInputError, match="page"):
            figure_list(session, ADMIN, XINGHE, "2026", Figure.CASES, page=0)
        past = figure_list(session, ADMIN, XINGHE, "2026", Figure.CASES, page=9)
    assert (past.rows, past.total, past.pages) == ([], 4, 1)


@pytest.fixture
def boss(api_url: str, counted: OfficerWorld) -> Iterator[TestClient]:
    """A leader (局领导) logged in to the app."""
    password = secrets.token_urlsafe(12)
    add_test_user(api_url, "boss", password, UserRole.LEADER, [XINGHE, TIANZHEN])
    with TestClient(create_app(make_settings(api_url))) as client:
        answer = client.post(
            "/login",
            data={"username": "boss", "password": password},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert answer.status_code == 303
        yield client


def test_a_leader_opens_each_figure_s_list(boss: TestClient) -> None:
    page = boss.get("/dashboard", params={"county": XINGHE, "period": "2026-Q1"})
    assert page.status_code == 200
    for figure in Figure:
        assert f"/dashboard/{figure.value}?county={XINGHE}&amp;period=2026-Q1" in page.text
    listed = boss.get("/dashboard/red_line", params={"county": XINGHE, "period": "2026-Q1"})
    assert listed.status_code == 200
    assert 'data-total="1"' in listed.text
    assert EVIL_LICENCE in listed.text
    assert EVIL_NAME not in listed.text  # shown as text, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in listed.text
    cases = boss.get("/dashboard/network_cases", params={"county": XINGHE, "period": "2026-Q1"})
    assert cases.text.count('href="/cases/network/') == 3
    suspended = boss.get(
        "/dashboard/retailers",
        params={"county": XINGHE, "period": "2026-Q1", "status": "suspended"},
    )
    assert 'data-total="1"' in suspended.text
    assert "歇业" in suspended.text


def test_the_json_route_and_its_errors(boss: TestClient) -> None:
    params = {"county": XINGHE, "period": "2026-Q1"}
    body = boss.get("/api/v1/dashboard/tickets_overdue", params=params).json()
    assert body["total"] == 2
    assert body["columns"][0] == "ticket_no"
    assert boss.get("/api/v1/dashboard/nothing", params=params).status_code == 422
    assert boss.get("/api/v1/dashboard/cases", params={**params, "page": 0}).status_code == 422
    other = {"county": HUAIAN, "period": "2026"}
    assert boss.get("/api/v1/dashboard/cases", params=other).status_code == 404
    assert boss.get("/dashboard/cases", params=other).status_code == 404


def test_a_leader_reads_but_changes_nothing(boss: TestClient) -> None:
    assert boss.get("/dashboard").status_code == 200
    refused = boss.get("/admin/users")
    assert refused.status_code == 403
    ticket = boss.post("/api/v1/tickets", json={"county": XINGHE}, headers=ORIGIN)
    assert ticket.status_code == 403
