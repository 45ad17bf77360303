"""The leaders' dashboard: figures against a small world counted by hand, the JSON route,
the page, periods, scope and roles.

The world (兴和县 150924, from ``officer_world``) counted by hand:

- retailers: 150924000001 active, ...002 suspended, ...003 closed (key), ...099 active (key,
  named ``<img src=x onerror=alert(1)>``): active 2, suspended 1, closed 1; open key 1.
- red line: the primary school at (113.8, 40.92); with a straight 2000 m red line only
  ...099 (about 1.68 km away) is inside it; ...001 is 2.22 km away.
- inspections: a 2026-Q1 draw of every active or suspended retailer (quota read from the
  draw), one result recorded on 2026-02-10, one on 2026-04-02 (outside Q1).
- tickets: the old overdue one (2025), the fresh one (now), one collected 2026-02-01 09:00
  (deadline 2026-02-02 09:00): at 2026-02-15, 3 open, 2 overdue, 1 collected in Q1.
- cases in Q1: three linked by one phone (a network case: at least 3 linked cases) and
  one alone: 4 cases, 3 in network cases; one more in 2025.
- route plans of depot XH-D1: current 12.5 km on 2026-01-05 and 7.5 km on 2026-03-31, a
  superseded 100 km on 2026-01-05 and a current 50 km on 2026-04-01: 20.0 km in Q1, 2 plans.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from api.main import create_app
from gridmgmt.domain import TicketKind, UserRole
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases import create_case
from gridmgmt.services.dashboard import (
    dashboard,
    first_data_year,
    parse_period,
    period_choices,
)
from gridmgmt.services.rules import create_ticket, record_inspection_result, set_rule_settings
from gridmgmt.store import db
from gridmgmt.store.models import Depot
from gridmgmt.store.models.routes import RoutePlanKind, RoutePlanRecord
from gridmgmt.store.models.rules import InspectionDrawRecord

from .conftest import HUAIAN, TIANZHEN, XINGHE, World, add_test_user, make_settings
from .officer_world import EVIL_LICENCE, EVIL_NAME, OfficerWorld, add_officer_world

ORIGIN = {"Origin": "http://testserver"}
NOW = dt.datetime(2026, 2, 15, 12, 0)
ADMIN = Actor(username="root", role=UserRole.ADMIN, counties=frozenset({XINGHE, TIANZHEN}))


def _case(case_no: str, opened_on: str, phone: str) -> dict[str, object]:
    return {
        "case_no": case_no,
        "county_code": XINGHE,
        "opened_on": opened_on,
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": phone, "role": "司机"}],
    }


def _plan(day: dt.date, km: float, version: int, *, current: bool = True) -> RoutePlanRecord:
    return RoutePlanRecord(
        depot_code="XH-D1",
        county_code=XINGHE,
        delivery_date=day,
        version=version,
        is_current=current,
        kind=RoutePlanKind.PLAN,
        created_by="test",
        plan={},
        km=km,
    )


def add_dashboard_world(url: str, field: OfficerWorld) -> None:
    """Add to the officer world what the module docstring counts."""
    with db.transaction(url) as session:
        set_rule_settings(
            session,
            SYSTEM,
            XINGHE,
            overrides={"red_line": {"distance_m": {"primary": 2000.0}, "mode": "straight"}},
        )
        draw = session.get(InspectionDrawRecord, field.draw_id)
        assert draw is not None
        draw.drawn_at = dt.datetime(2026, 1, 2)  # drawn at the start of the quarter
        drawn = field.drawn
        for licence, day in ((drawn[0], dt.date(2026, 2, 10)), (drawn[1], dt.date(2026, 4, 2))):
            record_inspection_result(
                session,
                SYSTEM,
                draw_id=field.draw_id,
                licence_no=licence,
                outcome="compliant",
                inspected_on=day,
                inspectors=["150924-M01", "150924-M02"],
            )
        create_ticket(
            session,
            SYSTEM,
            county=XINGHE,
            kind=TicketKind.COMPLAINT,
            summary="二月举报",
            collected_at=dt.datetime(2026, 2, 1, 9, 0),
        )
        for case_no, day, phone in (
            ("XH-1", "2026-01-03", "13947461234"),
            ("XH-2", "2026-02-03", "13947461234"),
            ("XH-3", "2026-03-03", "13947461234"),
            ("XH-4", "2026-03-04", "13811112222"),
            ("XH-0", "2025-12-30", "13900001111"),
        ):
            create_case(session, SYSTEM, _case(case_no, day, phone))
        session.add(
            Depot(code="XH-D1", name="兴和配送站", county_code=XINGHE, location=Point(113.8, 40.9))
        )
        session.flush()
        session.add_all(
            [
                _plan(dt.date(2026, 1, 5), 12.5, 2),
                _plan(dt.date(2026, 1, 5), 100.0, 1, current=False),
                _plan(dt.date(2026, 3, 31), 7.5, 1),
                _plan(dt.date(2026, 4, 1), 50.0, 1),
            ]
        )


@pytest.fixture
def counted(api_url: str) -> OfficerWorld:
    field = add_officer_world(api_url)
    add_dashboard_world(api_url, field)
    return field


def test_figures_match_the_hand_count(api_url: str, counted: OfficerWorld) -> None:
    with db.transaction(api_url) as session:
        figures = dashboard(session, ADMIN, XINGHE, "2026-Q1", now=NOW)
        quota = figures.inspection_quota
    assert figures.county_name == "兴和县"
    assert (figures.period.start, figures.period.end) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert {k.value: n for k, n in figures.retailers_by_status.items()} == {
        "active": 2,
        "suspended": 1,
        "closed": 1,
    }
    assert figures.retailers == 4
    assert figures.key_retailers == 1
    assert figures.red_line_violators == 1
    assert figures.inspections_done == 1
    assert quota == len(counted.drawn) >= 2
    assert (figures.tickets_open, figures.tickets_overdue, figures.tickets_collected) == (3, 2, 1)
    assert (figures.cases, figures.network_cases) == (4, 3)
    assert (figures.delivery_km, figures.route_plans) == (20.0, 2)
    assert figures.delivery_km_by_depot == {"XH-D1": 20.0}


def test_a_month_and_a_year(api_url: str, counted: OfficerWorld) -> None:
    with db.transaction(api_url) as session:
        february = dashboard(session, ADMIN, XINGHE, "2026-02", now=NOW)
        year = dashboard(session, ADMIN, XINGHE, "2026", now=NOW)
    assert (february.inspections_done, february.cases, february.network_cases) == (1, 1, 1)
    assert (february.delivery_km, february.tickets_collected) == (0.0, 1)
    assert (year.inspections_done, year.cases, year.delivery_km) == (2, 4, 70.0)


def test_periods() -> None:
    assert parse_period("2026-q4").end == dt.date(2027, 1, 1)
    assert parse_period("2026-12").end == dt.date(2027, 1, 1)
    assert parse_period("2026-H2").start == dt.date(2026, 7, 1)
    with pytest.raises(InvalidInputError):
        parse_period("2026-13")
    for impossible in ("0000", "0000-Q1", "9999-12"):  # found by schemathesis: 500 before
        with pytest.raises(InvalidInputError, match="period"):
            parse_period(impossible)
    choices = period_choices(dt.date(2026, 2, 15))
    assert choices["month"][:3] == ["2026-02", "2026-01", "2025-12"]
    assert choices["quarter"][:2] == ["2026-Q1", "2025-Q4"]
    assert choices["year"] == ["2026", "2025", "2024"]
    # Data from 2021 on: every year since is offered; a first year inside the last three
    # leaves them as they are.
    assert period_choices(dt.date(2026, 2, 15), first_year=2021)["year"] == [
        "2026",
        "2025",
        "2024",
        "2023",
        "2022",
        "2021",
    ]
    assert period_choices(dt.date(2026, 2, 15), first_year=2026)["year"][-1] == "2024"


def test_scope_and_roles(api_url: str, counted: OfficerWorld) -> None:
    officer = Actor(username="alice", role=UserRole.OFFICER, counties=frozenset({XINGHE}))
    with db.transaction(api_url) as session:
        with pytest.raises(NotFoundError):
            dashboard(session, ADMIN, HUAIAN, "2026")
        with pytest.raises(AccessDeniedError):
            dashboard(session, officer, XINGHE, "2026")


@pytest.fixture
def root(api_url: str, counted: OfficerWorld) -> Iterator[TestClient]:
    password = secrets.token_urlsafe(12)
    add_test_user(api_url, "root", password, UserRole.ADMIN, [XINGHE, TIANZHEN])
    with TestClient(create_app(make_settings(api_url))) as client:
        answer = client.post(
            "/login",
            data={"username": "root", "password": password, "next": "/dashboard"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert answer.status_code == 303
        yield client


def test_json_route(root: TestClient, api_url: str, bearer: object, world: World) -> None:
    answer = root.get("/api/v1/dashboard", params={"county": XINGHE, "period": "2026-Q1"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["retailers_by_status"] == {"active": 2, "suspended": 1, "closed": 1}
    assert body["cases"] == 4
    assert body["delivery_km"] == 20.0
    assert (
        root.get("/api/v1/dashboard", params={"county": HUAIAN, "period": "2026"}).status_code
        == 404
    )
    wrong = root.get("/api/v1/dashboard", params={"county": XINGHE, "period": "2026-13"})
    assert wrong.status_code == 422
    refused = root.get(
        "/api/v1/dashboard",
        params={"county": XINGHE, "period": "2026"},
        headers=bearer("alice"),  # type: ignore[operator]
    )
    assert refused.status_code == 403


def test_page_shows_the_figures_with_links(root: TestClient) -> None:
    page = root.get("/dashboard", params={"county": XINGHE, "period": "2026-Q1"})
    assert page.status_code == 200
    text = page.text
    assert "看板" in text
    assert "兴和县" in text
    assert 'data-figure="cases">4<' in text
    assert 'data-figure="red-line">1<' in text
    query = f"county={XINGHE}&amp;period=2026-Q1"
    assert f"/dashboard/retailers?{query}&amp;status=active" in text
    assert f"/dashboard/red_line?{query}" in text
    assert f"/dashboard/network_cases?{query}" in text
    assert "XH-D1: 20.0 km" in text
    assert "<svg" in text
    assert EVIL_NAME not in text
    assert EVIL_LICENCE not in text


def test_the_year_picker_offers_every_year_of_the_data(root: TestClient, api_url: str) -> None:
    with db.transaction(api_url) as session:
        assert first_data_year(session, ADMIN, XINGHE) == 2025  # XH-0, the old ticket
        assert first_data_year(session, ADMIN, TIANZHEN) is None
        create_case(session, SYSTEM, _case("XH-OLD", "2019-06-01", "13900002222"))
        assert first_data_year(session, ADMIN, XINGHE) == 2019
        with pytest.raises(NotFoundError):
            first_data_year(session, ADMIN, HUAIAN)
    text = root.get("/dashboard", params={"county": XINGHE, "period": "2026-Q1"}).text
    this_year = dt.datetime.now(dt.UTC).year
    for year in range(2019, this_year + 1):
        assert f'<option value="{year}"' in text
    assert '<option value="2018"' not in text


def test_a_wrong_period_on_the_page_falls_back_to_this_year(root: TestClient) -> None:
    page = root.get("/dashboard", params={"county": XINGHE, "period": "soon"})
    assert page.status_code == 200
    assert "soon" in page.text  # the message names what was typed


def test_page_in_english(root: TestClient) -> None:
    root.cookies.set("gridmgmt_locale", "en")
    page = root.get("/dashboard", params={"county": XINGHE, "period": "2026"}).text
    assert "Red-line violators left" in page
