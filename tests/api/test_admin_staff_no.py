"""An administrator links a login to a staff member (``users.staff_no``) on /admin/users:
only a staff member of the user's counties, not linked to another login; audited; a form
made from an older version (another administrator changed the user) is refused."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from gridmgmt.domain import StaffRole, UserRole
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Staff, User

from .conftest import HUAIAN, TIANZHEN, XINGHE, add_test_user, make_settings
from .test_admin_pages import ORIGIN, _login, _version

STAFF = {"150924-S1": XINGHE, "150924-S2": XINGHE, "TZ-S1": TIANZHEN, "HA-S1": HUAIAN}


@pytest.fixture
def admin(api_url: str) -> Iterator[TestClient]:
    """Administrator ``root`` of 兴和县 and 天镇县 (logged in) and four staff members."""
    with db.transaction(api_url) as session:
        session.add_all(
            Staff(staff_no=no, name=f"人员{no}", role=StaffRole.MONOPOLY_OFFICER, county_code=c)
            for no, c in STAFF.items()
        )
    password = secrets.token_urlsafe(12)
    add_test_user(api_url, "root", password, UserRole.ADMIN, [XINGHE, TIANZHEN])
    with TestClient(create_app(make_settings(api_url))) as client:
        yield _login(client, "root", password)


def _staff_of(url: str, username: str) -> str | None:
    with db.transaction(url) as session:
        return session.scalar(select(User.staff_no).where(User.username == username))


def _set(client: TestClient, url: str, username: str, staff_no: str, **form: object) -> object:
    data: dict[str, object] = {"version": _version(url, username), "staff_no": staff_no}
    data.update(form)
    if "counties" not in data:
        with db.transaction(url) as session:
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None
            data["counties"] = user.county_codes
    return client.post(f"/admin/users/{username}", data=data, headers=ORIGIN)


def test_set_change_and_clear_a_staff_number_audited(admin: TestClient, api_url: str) -> None:
    page = admin.get("/admin/users")
    assert 'name="staff_no"' in page.text
    assert '<option value="150924-S1">' in page.text  # the staff of the admin's counties
    assert "HA-S1" not in page.text
    answer = _set(admin, api_url, "alice", " 150924-S1 ")
    assert answer.status_code == 200, answer.text
    assert _staff_of(api_url, "alice") == "150924-S1"
    assert 'value="150924-S1"' in admin.get("/admin/users").text
    assert _set(admin, api_url, "alice", "150924-S2").status_code == 200
    assert _staff_of(api_url, "alice") == "150924-S2"
    assert _set(admin, api_url, "alice", "").status_code == 200
    assert _staff_of(api_url, "alice") is None
    with db.transaction(api_url) as session:
        changes = session.scalars(
            select(AuditEntry.detail)
            .where(AuditEntry.action == "user.change", AuditEntry.username == "root")
            .order_by(AuditEntry.seq)
        ).all()
    linked = [d.get("staff_no", "-") for d in changes if d.get("username") == "alice"]
    assert linked == ["150924-S1", "150924-S2", None]


@pytest.mark.parametrize(
    ("number", "why"),
    [("HA-S1", "not a staff member"), ("TZ-S1", "not a staff member"), ("NOPE", "NOPE")],
)
def test_a_staff_member_outside_the_users_counties_is_refused(
    admin: TestClient, api_url: str, number: str, why: str
) -> None:
    # alice works for 兴和县 only: 天镇县's and 怀安县's staff, or an unknown number, are refused.
    answer = _set(admin, api_url, "alice", number)
    assert answer.status_code == 422
    assert why in answer.text
    assert number in answer.text
    assert _staff_of(api_url, "alice") is None


def test_new_counties_must_still_hold_the_linked_staff_member(
    admin: TestClient, api_url: str
) -> None:
    assert _set(admin, api_url, "alice", "150924-S1").status_code == 200
    moved = _set(admin, api_url, "alice", "150924-S1", counties=[TIANZHEN])
    assert moved.status_code == 422
    with db.transaction(api_url) as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert alice is not None
        assert (alice.county_codes, alice.staff_no) == ([XINGHE], "150924-S1")
    both = _set(admin, api_url, "alice", "TZ-S1", counties=[XINGHE, TIANZHEN])
    assert both.status_code == 200, both.text
    assert _staff_of(api_url, "alice") == "TZ-S1"


def test_one_staff_member_one_login(admin: TestClient, api_url: str) -> None:
    added = admin.post(
        "/admin/users",
        data={"username": "carol", "role": "officer", "counties": XINGHE, "staff_no": "150924-S2"},
        headers=ORIGIN,
    )
    assert added.status_code == 200, added.text
    assert _staff_of(api_url, "carol") == "150924-S2"
    taken = _set(admin, api_url, "alice", "150924-S2")
    assert taken.status_code == 409
    assert "carol" in taken.text
    assert _staff_of(api_url, "alice") is None
    # Saving carol's form again, unchanged, is not a clash with herself.
    assert _set(admin, api_url, "carol", "150924-S2", full_name="卡罗尔").status_code == 200
    refused = admin.post(
        "/admin/users",
        data={"username": "dave", "role": "officer", "counties": XINGHE, "staff_no": "HA-S1"},
        headers=ORIGIN,
    )
    assert refused.status_code == 422
    with db.transaction(api_url) as session:
        assert session.scalar(select(User).where(User.username == "dave")) is None


def test_two_admins_at_once_the_second_form_conflicts(admin: TestClient, api_url: str) -> None:
    seen = _version(api_url, "alice")
    first = admin.post(
        "/admin/users/alice",
        data={"version": seen, "staff_no": "150924-S1", "counties": XINGHE, "role": "officer"},
        headers=ORIGIN,
    )
    assert first.status_code == 200
    second = admin.post(
        "/admin/users/alice",
        data={"version": seen, "staff_no": "150924-S2", "counties": XINGHE, "role": "officer"},
        headers=ORIGIN,
    )
    assert second.status_code == 409
    assert _staff_of(api_url, "alice") == "150924-S1"
