"""An officer's own grids and tasks: the login linked to its staff record (``users.staff_no``),
the grids it is posted to, the inspections drawn for it, the tickets of its grids; on the
service, on ``/grids`` and on ``/tasks``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from gridmgmt.domain import StaffRole, UserRole
from gridmgmt.errors import AccessDeniedError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.my_work import my_work
from gridmgmt.services.rules import get_draw, record_inspection_result
from gridmgmt.store import db
from gridmgmt.store.models import Staff, User
from gridmgmt.store.models.grids import StaffGrid

from .conftest import TIANZHEN, XINGHE, World, make_settings
from .officer_world import OfficerWorld, add_officer_world

ORIGIN = {"Origin": "http://testserver"}
ME = "150924-M01"
NOW = dt.datetime(2026, 2, 15, 12, 0)
ALICE = Actor(username="alice", role=UserRole.OFFICER, counties=frozenset({XINGHE}))


@pytest.fixture
def posted(api_url: str) -> tuple[OfficerWorld, list[str]]:
    """The officer world with ``ME`` posted to XH-01 and alice linked to ``ME``; the licences
    drawn for ``ME``."""
    field = add_officer_world(api_url)
    with db.transaction(api_url) as session:
        staff = session.scalar(select(Staff).where(Staff.staff_no == ME))
        assert staff is not None
        session.add(
            StaffGrid(
                county_code=XINGHE,
                grid_id="XH-01",
                role=StaffRole.MONOPOLY_OFFICER,
                staff_id=staff.id,
                assigned_by="test",
            )
        )
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert alice is not None
        alice.staff_no = ME
        draw = get_draw(session, SYSTEM, field.draw_id)
    mine = [row.licence_no for row in draw.inspections if ME in row.officers.split(";")]
    return field, mine


def test_the_officer_s_grids_inspections_and_tickets(
    api_url: str, posted: tuple[OfficerWorld, list[str]]
) -> None:
    field, mine = posted
    assert mine, "the draw gives the officer something to inspect"
    with db.transaction(api_url) as session:
        before = my_work(session, ALICE, XINGHE, ME, now=NOW)
        record_inspection_result(
            session,
            SYSTEM,
            draw_id=field.draw_id,
            licence_no=mine[0],
            outcome="compliant",
            inspected_on=dt.date.today(),
        )
        after = my_work(session, ALICE, XINGHE, ME, now=NOW)
        nobody = my_work(session, ALICE, XINGHE, None, now=NOW)
        stranger = my_work(session, ALICE, XINGHE, "999999-X", now=NOW)
    assert before.grids == ["XH-01"]
    assert before.staff_name == "专管员1"
    assert (before.inspections_to_do, before.inspections_done) == (len(mine), 0)
    assert (after.inspections_to_do, after.inspections_done) == (len(mine) - 1, 1)
    # The old ticket is about a retailer of XH-01 (west of 113.805) and overdue since 2025.
    assert before.tickets_overdue >= 1
    assert before.tickets_open >= before.tickets_overdue
    assert nobody.grids == stranger.grids == []
    assert nobody.inspections_to_do == stranger.inspections_to_do == 0


def test_scope_and_roles(api_url: str, posted: tuple[OfficerWorld, list[str]]) -> None:
    dispatcher = Actor(username="d", role=UserRole.DISPATCHER, counties=frozenset({XINGHE}))
    with db.transaction(api_url) as session:
        with pytest.raises(NotFoundError):
            my_work(session, ALICE, TIANZHEN, ME)
        with pytest.raises(AccessDeniedError):
            my_work(session, dispatcher, XINGHE, ME)


@pytest.fixture
def alice(
    api_url: str, world: World, posted: tuple[OfficerWorld, list[str]]
) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(api_url))) as client:
        answer = client.post(
            "/login",
            data={"username": "alice", "password": world.passwords["alice"]},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/grids"
        yield client


def test_the_grids_page_shows_my_grids_first(alice: TestClient) -> None:
    page = alice.get("/grids").text
    assert 'id="om-mine"' in page
    assert '"myGrids": ["XH-01"]' in page
    assert "专管员1" in page
    assert "/tasks?whose=mine" in page


def test_the_task_list_shows_mine_by_default(
    alice: TestClient, posted: tuple[OfficerWorld, list[str]]
) -> None:
    field, mine = posted
    rows = f'<tr id="r-{field.draw_id}-'
    own = alice.get("/tasks").text
    everyone = alice.get("/tasks", params={"whose": "all"}).text
    assert own.count(rows) == len(mine)
    assert everyone.count(rows) == len(field.drawn) > len(mine)


def test_a_login_is_linked_to_a_staff_member_of_its_counties(
    api_url: str, posted: tuple[OfficerWorld, list[str]]
) -> None:
    from gridmgmt.errors import ConflictError, InvalidInputError
    from gridmgmt.services.users import add_user

    password = "a-long-pass-1234"
    with db.transaction(api_url) as session:
        user = add_user(
            session, SYSTEM, "m02", password, "officer", [XINGHE], staff_no="150924-M02"
        )
        assert user.staff_no == "150924-M02"
        with pytest.raises(ConflictError, match="alice"):
            add_user(session, SYSTEM, "m01", password, "officer", [XINGHE], staff_no=ME)
        with pytest.raises(InvalidInputError, match="staff number"):
            add_user(session, SYSTEM, "m03", password, "officer", [TIANZHEN], staff_no="150924-M03")
