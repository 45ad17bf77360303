"""Users: argon2 passwords, weak ones refused, counties checked, logins, demo users."""

from __future__ import annotations

from typing import Any

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, InvalidInputError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.users import (
    DuplicateUserError,
    UnknownCountyError,
    UserInfo,
    WeakPasswordError,
    actor_for,
    add_user,
    authenticate,
    check_password_strength,
    ensure_demo_users,
    list_users,
)
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, County, Province, User

GOOD = "tall-Horse-battery-42"


def _add(url: str, *args: Any, **kwargs: Any) -> UserInfo:
    """Add a user in a unit of work of its own, as the local administrator."""
    with db.transaction(url) as session:
        return add_user(session, SYSTEM, *args, **kwargs)


def _seed_counties(url: str) -> None:
    """Three counties: 150924 touches 140222 (another province); 130728 touches only 140222."""
    with db.transaction(url) as session:
        session.add_all(
            [
                Province(code="150000", name="内蒙古自治区"),
                Province(code="140000", name="山西省"),
                Province(code="130000", name="河北省"),
            ]
        )
        session.flush()
        for code, name, province, shape in [
            ("150924", "兴和县", "150000", box(113.5, 40.7, 114.3, 41.2)),
            ("140222", "天镇县", "140000", box(114.3, 40.4, 115.0, 41.0)),
            ("130728", "怀安县", "130000", box(114.3, 40.0, 115.0, 40.4)),
        ]:
            session.add(
                County(code=code, name=name, province_code=province, boundary=MultiPolygon([shape]))
            )


@pytest.fixture
def url(store_url: str) -> str:
    _seed_counties(store_url)
    return store_url


def test_add_user_hashes_with_argon2_and_links_counties(url: str) -> None:
    _add(url, "alice", GOOD, "officer", ["150924", "140222"], full_name="王丽")
    with db.transaction(url) as session:
        user = session.scalars(select(User)).one()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.add")).one()
        assert user.password_hash.startswith("$argon2id$")
        assert GOOD not in user.password_hash
        assert user.role is UserRole.OFFICER
        assert user.county_codes == ["140222", "150924"]
        assert user.full_name == "王丽"
    assert audit.username == "cli"
    assert audit.detail == {
        "username": "alice",
        "role": "officer",
        "counties": ["140222", "150924"],
    }


def test_add_user_in_a_callers_session_is_committed_with_it(url: str) -> None:
    def add_then_fail() -> None:
        with db.transaction(url) as session:
            add_user(session, SYSTEM, "alice", GOOD, "稽查员", ["150924"])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        add_then_fail()
    with db.transaction(url) as session:
        assert session.scalars(select(User)).all() == []


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("short1!", "at least 10"),
        ("aaaaabbbbbaaaa", "different characters"),
        ("Password123", "common"),
        ("my-alice-pass-1", "username"),
    ],
)
def test_weak_passwords_are_refused(url: str, password: str, complaint: str) -> None:
    with pytest.raises(WeakPasswordError, match=complaint):
        _add(url, "alice", password, "officer", ["150924"])
    with db.transaction(url) as session:
        assert session.scalars(select(User)).all() == []


def test_unknown_counties_are_named_with_the_known_ones(url: str) -> None:
    with pytest.raises(UnknownCountyError) as caught:
        _add(url, "alice", GOOD, "officer", ["150924", "999999"])
    assert "999999" in str(caught.value)
    assert "130728, 140222, 150924" in str(caught.value)
    with pytest.raises(UnknownCountyError, match="at least one county"):
        _add(url, "alice", GOOD, "officer", [])


def test_bad_role_and_username_and_duplicates(url: str) -> None:
    with pytest.raises(InvalidInputError, match="officer"):
        _add(url, "alice", GOOD, "boss", ["150924"])
    with pytest.raises(InvalidInputError, match="not valid"):
        _add(url, "a b", GOOD, "officer", ["150924"])
    added = _add(url, "alice", GOOD, "officer", ["150924"])
    assert added == UserInfo(
        username="alice",
        full_name=None,
        role=UserRole.OFFICER,
        role_zh="稽查员",
        counties=["150924"],
        active=True,
    )
    with pytest.raises(DuplicateUserError, match="exists") as caught:
        _add(url, "alice", GOOD, "admin", ["140222"])
    assert isinstance(caught.value, ConflictError)


def test_error_kinds_of_bad_users(url: str) -> None:
    with pytest.raises(InvalidInputError):
        _add(url, "alice", "short", "officer", ["150924"])
    with pytest.raises(InvalidInputError):
        _add(url, "alice", GOOD, "officer", ["999999"])


def test_only_administrators_manage_users(url: str) -> None:
    officer = Actor("alice", UserRole.OFFICER, frozenset({"150924"}))
    with db.transaction(url) as session:
        with pytest.raises(AccessDeniedError, match=r"users\.manage"):
            add_user(session, officer, "bob", GOOD, "officer", ["150924"])
        with pytest.raises(AccessDeniedError):
            list_users(session, officer)
    with db.transaction(url) as session:
        assert session.scalars(select(User)).all() == []


def test_authenticate(url: str) -> None:
    _add(url, "alice", GOOD, "officer", ["150924"])
    with db.transaction(url) as session:
        user = authenticate(session, "alice", GOOD)
        assert user is not None
        assert user.username == "alice"
        assert authenticate(session, "alice", GOOD.upper()) is None
        assert authenticate(session, "nobody", GOOD) is None
        assert authenticate(session, "", "") is None
        session.scalars(select(User)).one().active = False
    with db.transaction(url) as session:
        assert authenticate(session, "alice", GOOD) is None
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("auth.login") == 1
    assert actions.count("auth.login_failed") == 4


def test_old_hash_parameters_are_upgraded_at_login(url: str) -> None:
    _add(url, "alice", GOOD, "officer", ["150924"])
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    old_hash = weak.hash(GOOD)
    with db.transaction(url) as session:
        session.scalars(select(User)).one().password_hash = old_hash
    with db.transaction(url) as session:
        assert authenticate(session, "alice", GOOD) is not None
    with db.transaction(url) as session:
        new_hash = session.scalars(select(User)).one().password_hash
        assert new_hash != old_hash
        assert authenticate(session, "alice", GOOD) is not None


def test_actor_for_carries_role_and_counties(url: str) -> None:
    _add(url, "lucy", GOOD, UserRole.LIAISON, ["150924", "140222"])
    with db.transaction(url) as session:
        actor = actor_for(UserInfo.of(session.scalars(select(User)).one()))
    assert actor == Actor("lucy", UserRole.LIAISON, frozenset({"150924", "140222"}))
    assert actor.can_see("140222")
    assert not actor.can_see("130728")


def test_list_users_is_scoped(url: str) -> None:
    _add(url, "alice", GOOD, "officer", ["150924"])
    _add(url, "bob", GOOD, "officer", ["140222"])
    _add(url, "lucy", GOOD, "liaison", ["150924", "140222"])
    admin = Actor("ada", UserRole.ADMIN, frozenset({"150924"}))
    with db.transaction(url) as session:
        assert [u.username for u in list_users(session, SYSTEM)] == ["alice", "bob", "lucy"]
        assert [u.username for u in list_users(session, admin)] == ["alice", "lucy"]


def test_check_password_strength_accepts_a_good_one() -> None:
    check_password_strength(GOOD, username="alice")


@pytest.mark.slow
def test_demo_users_have_fresh_random_passwords(url: str) -> None:
    with db.transaction(url) as session:
        first = ensure_demo_users(session)
    by_name = {user.username: user for user in first}
    assert set(by_name) == {
        "officer130728",
        "officer140222",
        "officer150924",
        "dispatcher",
        "liaison",
        "admin",
        "leader",
    }
    assert by_name["officer150924"].counties == ["150924"]
    assert by_name["leader"].role is UserRole.LEADER
    assert by_name["leader"].counties == ["130728", "140222", "150924"]
    assert by_name["officer150924"].role is UserRole.OFFICER
    # The liaison covers two counties that share a border across a province border
    # (130728 and 150924 do not touch).
    assert by_name["liaison"].counties in (["130728", "140222"], ["140222", "150924"])
    assert by_name["admin"].counties == ["130728", "140222", "150924"]
    assert by_name["dispatcher"].role is UserRole.DISPATCHER
    assert len({user.password for user in first}) == len(first)
    for user in first:
        check_password_strength(user.password, username=user.username)

    with db.transaction(url) as session:
        second = ensure_demo_users(session)
    with db.transaction(url) as session:
        assert authenticate(session, "admin", by_name["admin"].password) is None
        again = {user.username: user.password for user in second}
        assert authenticate(session, "admin", again["admin"]) is not None
        assert len(session.scalars(select(User)).all()) == len(first)


def test_demo_users_need_counties(store_url: str) -> None:
    with pytest.raises(UnknownCountyError, match="no counties"), db.transaction(store_url) as s:
        ensure_demo_users(s)
