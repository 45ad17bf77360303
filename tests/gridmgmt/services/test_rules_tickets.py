"""Grid supervision tickets through the services, on both backends: deadlines per step,
lateness, the overdue list and the grid supervision report."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridmgmt.domain import UserRole
from gridmgmt.errors import NotFoundError
from gridmgmt.rules.tickets import TicketTransitionError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.results import jsonable
from gridmgmt.services.rules import (
    advance_ticket,
    create_ticket,
    get_ticket,
    list_tickets,
    make_draw,
    overdue_list,
    record_inspection_result,
    report,
    results_frame,
    set_rule_settings,
)
from gridmgmt.services.rules.tickets import TicketView
from gridmgmt.store import db
from gridmgmt.store.models.rules import TicketRecord

from .rules_world import A_RED, B_RED, A, B, lonlat, seed_world

ALICE = Actor("alice", UserRole.OFFICER, frozenset({A}))
BOB = Actor("bob", UserRole.OFFICER, frozenset({B}))
MONDAY = dt.datetime(2026, 11, 16, 9, 0)


@pytest.fixture
def url(store_url: str) -> str:
    seed_world(store_url)
    return store_url


def _ticket(url: str, actor: Actor = ALICE, county: str = A, **options: object) -> str:
    with db.transaction(url) as session:
        values: dict[str, object] = {
            "county": county,
            "kind": "complaint",
            "summary": "群众举报销售假烟",
            "collected_at": MONDAY,
        }
        return create_ticket(session, actor, **(values | options)).ticket_no  # type: ignore[arg-type]


def test_each_step_has_a_deadline_from_the_previous_one(url: str) -> None:
    number = _ticket(url, licence_no=A_RED)
    with db.transaction(url) as session:
        ticket = get_ticket(session, ALICE, number)
        assert ticket.due_at == MONDAY + dt.timedelta(hours=24)  # to be assigned
        assert ticket.licence_no == A_RED
        assert ticket.lon is not None  # the retailer's place
        ticket = advance_ticket(session, ALICE, number, at=MONDAY + dt.timedelta(hours=20))
        assert ticket.due_at == MONDAY + dt.timedelta(hours=44)  # respond within 24 h
        advance_ticket(session, ALICE, number, at=MONDAY + dt.timedelta(hours=50), note="到店核查")
        record = session.scalars(select(TicketRecord).where(TicketRecord.ticket_no == number)).one()
        data = jsonable(TicketView.of(record, now=MONDAY + dt.timedelta(hours=51)))
    assert number == f"{A}-20261116-001"
    assert data["state"] == "responded"
    assert data["due_at"] == (MONDAY + dt.timedelta(hours=122)).isoformat()  # handle: 72 h
    assert [e["late"] for e in data["events"]] == [False, False, True]
    assert data["events"][2]["deadline"] == (MONDAY + dt.timedelta(hours=44)).isoformat()
    assert data["events"][2]["note"] == "到店核查"


def test_only_the_next_state_and_never_back_in_time(url: str) -> None:
    number = _ticket(url)
    with db.transaction(url) as session:
        with pytest.raises(TicketTransitionError, match="assigned"):
            advance_ticket(session, ALICE, number, to="handled", at=MONDAY)
        with pytest.raises(TicketTransitionError, match="before"):
            advance_ticket(session, ALICE, number, at=MONDAY - dt.timedelta(hours=1))
        advance_ticket(session, ALICE, number, to="已流转", at=MONDAY, assignee="150924-M01")
        ticket = get_ticket(session, ALICE, number)
        assert ticket.assignee == "150924-M01"


def test_overdue_list_uses_each_countys_deadlines(url: str) -> None:
    late_a = _ticket(url)
    _ticket(
        url, summary="market info", kind="market_info", collected_at=MONDAY + dt.timedelta(hours=10)
    )
    late_b = _ticket(url, actor=SYSTEM, county=B, licence_no=B_RED)
    with db.transaction(url) as session:
        set_rule_settings(
            session, SYSTEM, B, overrides={"tickets": {"assign_hours": 2}}
        )  # B assigns within 2 h
    now = MONDAY + dt.timedelta(hours=30)
    with db.transaction(url) as session:
        everyone = overdue_list(session, SYSTEM, now=now)
        alice = overdue_list(session, ALICE, now=now)
        early = overdue_list(session, SYSTEM, now=MONDAY + dt.timedelta(hours=3))
    assert list(everyone["ticket_id"]) == [late_b, late_a]  # 28 h over, then 6 h over
    assert list(everyone["overdue_hours"]) == pytest.approx([28.0, 6.0])
    assert list(alice["ticket_id"]) == [late_a]
    assert list(early["ticket_id"]) == [late_b]


def test_fed_back_tickets_are_never_overdue(url: str) -> None:
    number = _ticket(url)
    with db.transaction(url) as session:
        for hours in (1, 2, 3, 4):
            advance_ticket(session, ALICE, number, at=MONDAY + dt.timedelta(hours=hours))
        ticket = get_ticket(session, ALICE, number)
        assert ticket.state.value == "fed_back"
        assert ticket.due_at is None
        assert overdue_list(session, ALICE, now=MONDAY + dt.timedelta(days=30)).empty


def test_scope_of_tickets(url: str) -> None:
    number = _ticket(url)
    with db.transaction(url) as session:
        with pytest.raises(NotFoundError):
            get_ticket(session, BOB, number)
        with pytest.raises(NotFoundError):
            advance_ticket(session, BOB, number)
        with pytest.raises(NotFoundError):
            create_ticket(session, BOB, county=A, kind="complaint", summary="x")
        with pytest.raises(NotFoundError, match="not found"):
            create_ticket(session, BOB, county=B, kind="complaint", summary="x", licence_no=A_RED)
        with pytest.raises(ValueError, match="market_info"):
            create_ticket(session, ALICE, county=A, kind="gossip", summary="x")
        assert list_tickets(session, BOB) == []
        assert [t.ticket_no for t in list_tickets(session, ALICE)] == [number]


def test_ticket_at_a_point_and_times_with_an_offset(url: str) -> None:
    lon, lat = lonlat(-5_000, 5_000)
    beijing = dt.timezone(dt.timedelta(hours=8))
    number = _ticket(
        url, lon=lon, lat=lat, collected_at=dt.datetime(2026, 11, 16, 17, 0, tzinfo=beijing)
    )
    with db.transaction(url) as session:
        ticket = get_ticket(session, ALICE, number)
        assert ticket.collected_at == MONDAY  # 17:00 in Beijing is 09:00 UTC
        assert ticket.lon is not None
        assert ticket.lon == pytest.approx(lon)
        assert ticket.grid_id is None  # no grids stored


def test_grid_supervision_report_counts_tickets_and_inspections(url: str) -> None:
    first = _ticket(url)
    _ticket(url, collected_at=MONDAY + dt.timedelta(hours=1))
    _ticket(url, collected_at=MONDAY - dt.timedelta(days=30))  # before the period
    with db.transaction(url) as session:
        for hours in (1, 2, 3, 80):  # fed back, the last step late (48 h allowed)
            advance_ticket(session, ALICE, first, at=MONDAY + dt.timedelta(hours=hours))
        draw = make_draw(session, ALICE, county=A, period="2026-11", share=0.1, seed=3)
        licences = list(results_frame(session, ALICE, draw.id)["licence_no"])
        for licence, outcome in zip(licences[:2], ("violation", "compliant"), strict=True):
            record_inspection_result(
                session,
                ALICE,
                draw_id=draw.id,
                licence_no=licence,
                outcome=outcome,
                inspected_on=dt.date.today(),
                violations=3 if outcome == "violation" else None,
            )
        today = dt.datetime.combine(dt.date.today(), dt.time())
        start = min(MONDAY - dt.timedelta(days=1), today)
        table = report(session, ALICE, county=A, start=start, end=today + dt.timedelta(days=1))
        quiet = report(
            session, ALICE, county=A, start=dt.datetime(2020, 1, 1), end=dt.datetime(2020, 2, 1)
        )
    (row,) = table.to_dict("records")
    assert row["county_code"] == A
    assert row["tickets"] == 2
    assert (row["collected"], row["fed_back"]) == (1, 1)
    assert row["closed_late"] == 1
    assert row["overdue"] == 1  # the second ticket was never assigned
    assert (row["inspections"], row["violations"]) == (2, 3)
    assert quiet.empty  # nothing collected or inspected, and no grids to list
