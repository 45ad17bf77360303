"""Two administrators change users at the same moment (PostgreSQL, where they truly run in
parallel): the second waits for the first and gets a conflict, never a crash or a lost
change: the same user from the same version, and one staff member linked to two logins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from gridmgmt.domain import StaffRole, UserRole
from gridmgmt.errors import ConflictError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.users import add_user, change_user, list_managed_users
from gridmgmt.store import db
from gridmgmt.store.models import Staff, User

from .test_users import GOOD, _seed_counties

pytestmark = pytest.mark.postgres


def _world(url: str) -> None:
    _seed_counties(url)
    with db.transaction(url) as session:
        session.add_all(
            Staff(staff_no=no, name=no, role=StaffRole.MONOPOLY_OFFICER, county_code="150924")
            for no in ("S1", "S2")
        )
        for name in ("alice", "carol"):
            add_user(session, SYSTEM, name, GOOD, UserRole.OFFICER, ["150924"])


def _version(url: str, username: str) -> str:
    with db.transaction(url) as session:
        return next(
            u.version for u in list_managed_users(session, SYSTEM) if u.username == username
        )


def _second_while_first_open(
    url: str, first: Callable[..., object], second: Callable[..., object]
) -> list[BaseException]:
    """Run ``first`` in an open transaction, start ``second`` in a thread of its own, commit
    the first a moment later; the second's errors are returned."""
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with db.transaction(url) as session:
                second(session)
        except BaseException as error:
            errors.append(error)

    with db.transaction(url) as session:
        first(session)
        thread = threading.Thread(target=run_second)
        thread.start()
        time.sleep(0.5)  # the second is now waiting on the first's locks
    thread.join(timeout=20)
    assert not thread.is_alive()
    return errors


def test_one_staff_member_linked_by_two_admins_at_once(postgres_url: str) -> None:
    _world(postgres_url)
    errors = _second_while_first_open(
        postgres_url,
        lambda s: change_user(s, SYSTEM, "alice", version=None, staff_no="S1"),
        lambda s: change_user(s, SYSTEM, "carol", version=None, staff_no="S1"),
    )
    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError), errors
    with db.transaction(postgres_url) as session:
        links = dict(session.execute(select(User.username, User.staff_no)).all())
    assert links == {"alice": "S1", "carol": None}


def test_the_same_user_from_the_same_version_twice_at_once(postgres_url: str) -> None:
    _world(postgres_url)
    seen = _version(postgres_url, "alice")
    errors = _second_while_first_open(
        postgres_url,
        lambda s: change_user(s, SYSTEM, "alice", version=seen, staff_no="S1"),
        lambda s: change_user(s, SYSTEM, "alice", version=seen, staff_no="S2"),
    )
    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError), errors
    with db.transaction(postgres_url) as session:
        assert session.scalar(select(User.staff_no).where(User.username == "alice")) == "S1"
