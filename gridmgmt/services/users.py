"""Users, passwords and logins: who may sign in, and which counties they work for.

Passwords are hashed with argon2 (pwdlib). There is no default password anywhere: a user is
created with a password someone typed, and the demo users of ``gridmgmt serve --demo`` get
random passwords generated at start and printed once.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import combinations
from typing import Any, NamedTuple

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgmt.domain import StaffRole, UserRole, label_zh, parse_enum
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.audit import record
from gridmgmt.services.results import Result
from gridmgmt.store.models import County, Staff, User, UserCounty
from gridmgmt.store.models.grids import StaffGrid

MIN_PASSWORD_LENGTH = 10
MIN_DISTINCT_CHARACTERS = 5
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
# Passwords people pick first; refused whatever their length.
_COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "qwerty12345",
        "abc1234567",
        "abcdefghij",
        "admin12345",
        "administrator",
        "changeme123",
        "iloveyou12",
        "woaini1314",
        "5201314520",
        "gridmgmt123",
    }
)
_ADJACENCY_TOLERANCE_DEG = 1e-6

_hasher = PasswordHash((Argon2Hasher(),))


# Verified against when the username is unknown, so a wrong name costs as much as a wrong
# password and response times do not reveal which usernames exist.
@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))


class WeakPasswordError(InvalidInputError):
    """The password is empty, too short or too easy to guess."""


class UnknownCountyError(InvalidInputError):
    """A user was to be given a county that is not in the database."""


class DuplicateUserError(ConflictError):
    """A user with this username exists already."""


class UserInfo(Result):
    """A user as the faces show one: role (and its Chinese name) and counties."""

    username: str
    full_name: str | None
    role: UserRole
    role_zh: str
    counties: list[str]
    active: bool
    staff_no: str | None = None
    """The staff record (人员) this login belongs to: an officer's grids and inspections."""

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            role_zh=label_zh(user.role),
            counties=user.county_codes,
            active=user.active,
            staff_no=user.staff_no,
        )


class ManagedUser(UserInfo):
    """A user as administrators manage one: with the version their changes are made from."""

    version: str
    """A fingerprint of what an administrator can change (name, role, counties, staff
    number, active); a change made from an older version is refused as a conflict."""

    @classmethod
    def of(cls, user: User) -> ManagedUser:
        info = UserInfo.of(user).model_dump()
        return cls(**info, version=user_version(user))


class NewUser(Result):
    """A user just created, with the one-time password to hand over (shown once)."""

    user: ManagedUser
    password: str


def user_version(user: User) -> str:
    """The fingerprint :attr:`UserInfo.version` of a stored user."""
    text = "|".join(
        [
            user.full_name or "",
            str(user.role),
            ",".join(user.county_codes),
            str(user.active),
            user.staff_no or "",
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DemoUser(NamedTuple):
    """A demo login created by :func:`ensure_demo_users` (printed once at start)."""

    username: str
    password: str
    role: UserRole
    counties: list[str]


def hash_password(password: str) -> str:
    """Hash a password with argon2."""
    return _hasher.hash(password)


def check_password_strength(password: str, *, username: str = "") -> None:
    """Refuse passwords that are empty, short or easy to guess.

    Raises
    ------
    WeakPasswordError
        With a message saying what is wrong and what is expected.
    """
    if not password or not password.strip():
        msg = f"the password is empty; choose one of at least {MIN_PASSWORD_LENGTH} characters"
        raise WeakPasswordError(msg)
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = (
            f"the password has {len(password)} characters; at least "
            f"{MIN_PASSWORD_LENGTH} are required"
        )
        raise WeakPasswordError(msg)
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        msg = (
            f"the password uses fewer than {MIN_DISTINCT_CHARACTERS} different characters; "
            "mix letters, digits and symbols"
        )
        raise WeakPasswordError(msg)
    if password.lower() in _COMMON_PASSWORDS:
        msg = "the password is one of the most common passwords; choose another"
        raise WeakPasswordError(msg)
    if username and username.lower() in password.lower():
        msg = "the password contains the username; choose another"
        raise WeakPasswordError(msg)


def _check_username(username: str) -> str:
    cleaned = username.strip()
    if not USERNAME_PATTERN.match(cleaned):
        msg = (
            f"username {username!r} is not valid: use 2-64 characters from A-Z, a-z, 0-9, "
            "'_', '.' and '-', starting with a letter or digit"
        )
        raise InvalidInputError(msg, [{"field": "username", "message": msg}])
    return cleaned


def _check_counties(session: Session, counties: Iterable[str]) -> list[str]:
    codes = sorted({str(code).strip() for code in counties})
    if not codes:
        msg = "a user needs at least one county (--county CODE)"
        raise UnknownCountyError(msg)
    known = set(session.scalars(select(County.code)))
    unknown = [code for code in codes if code not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none (import counties first)"
        msg = f"unknown county code(s): {', '.join(unknown)}; known counties: {listed}"
        raise UnknownCountyError(msg)
    return codes


def _add_user(
    session: Session,
    username: str,
    password: str,
    role: UserRole | str,
    counties: Iterable[str],
    *,
    full_name: str | None,
    actor: Actor,
    staff_no: str | None = None,
) -> User:
    name = _check_username(username)
    user_role = parse_enum(UserRole, role) if isinstance(role, str) else role
    check_password_strength(password, username=name)
    codes = _check_counties(session, counties)
    staff = _check_staff(session, staff_no, codes)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        msg = f"user {name!r} exists already"
        raise DuplicateUserError(msg)
    user = User(
        username=name,
        full_name=full_name,
        role=user_role,
        password_hash=hash_password(password),
        county_links=[UserCounty(county_code=code) for code in codes],
        staff_no=staff,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "user.add",
        kind="user",
        county_code=codes[0] if len(codes) == 1 else None,
        detail={
            "username": name,
            "role": user_role.value,
            "counties": codes,
            **({"staff_no": staff} if staff else {}),
        },
    )
    return user


def _check_staff(
    session: Session, staff_no: str | None, counties: list[str], *, login: str | None = None
) -> str | None:
    """The staff number a login is linked to: a staff member of one of its counties, not
    linked to another login yet (None: no link). ``login`` is the user being changed (its
    own link is not "another login's")."""
    if staff_no is None or not staff_no.strip():
        return None
    number = staff_no.strip()
    county = session.scalar(select(Staff.county_code).where(Staff.staff_no == number))
    if county is None or county not in counties:
        msg = f"staff number {number!r} is not a staff member of the counties {counties}"
        raise InvalidInputError(msg, [{"field": "staff_no", "message": msg}])
    taken = session.scalar(
        select(User.username).where(User.staff_no == number, User.username != (login or ""))
    )
    if taken is not None:
        msg = f"staff number {number!r} is linked to the login {taken!r} already"
        raise ConflictError(msg)
    return number


@requires(Action.MANAGE_USERS)
def add_user(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: UserRole | str,
    counties: Iterable[str],
    *,
    full_name: str | None = None,
    staff_no: str | None = None,
) -> UserInfo:
    """Create a user with an argon2-hashed password and their counties.

    Parameters
    ----------
    session
        An open session; the user and the audit line are committed with its transaction.
    actor
        Who creates the user (an administrator), for the audit log.
    username
        Login name: 2-64 characters from letters, digits, ``_``, ``.`` and ``-``.
    password
        At least :data:`MIN_PASSWORD_LENGTH` characters, not a common password.
    role
        A :class:`~gridmgmt.domain.UserRole` or its name (``officer``, ``稽查员``...).
    counties
        Codes of the counties the user works for; each must be in the database.
    full_name
        The person's name, shown on pages.
    staff_no
        The staff record (人员) the login belongs to, one of the counties': an officer's
        grids and inspections follow from it.

    Returns
    -------
    UserInfo
        The new user.

    Raises
    ------
    WeakPasswordError, UnknownCountyError, InvalidInputError
        If the password, a county, the username or the role is not acceptable.
    DuplicateUserError
        If the username is taken (a conflict).
    """
    user = _add_user(
        session,
        username,
        password,
        role,
        counties,
        full_name=full_name,
        actor=actor,
        staff_no=staff_no,
    )
    return UserInfo.of(user)


def _active_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.active.is_(True)))


def user_by_name(session: Session, username: str) -> UserInfo | None:
    """The active user called ``username``, or None."""
    user = _active_user(session, username)
    return None if user is None else UserInfo.of(user)


def authenticate(
    session: Session, username: str, password: str, *, remote_addr: str | None = None
) -> UserInfo | None:
    """Check a username and password; return the user, or None if either is wrong.

    Unknown usernames cost as much time as wrong passwords. A hash made with older
    parameters is upgraded in the session (committed by the caller). Both outcomes are
    written to the audit log, with the username tried and ``remote_addr`` (the client's).
    """
    user = _active_user(session, username) if username else None
    if user is None:
        _hasher.verify(password, _dummy_hash())
        ok, new_hash = False, None
    else:
        ok, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not ok or user is None:
        anonymous = Actor(username=username[:64], role=UserRole.OFFICER, counties=frozenset())
        record(session, anonymous, "auth.login_failed", kind="user", remote_addr=remote_addr)
        return None
    if new_hash is not None:
        user.password_hash = new_hash
    info = UserInfo.of(user)
    record(session, actor_for(info), "auth.login", kind="user", remote_addr=remote_addr)
    return info


def actor_for(user: UserInfo) -> Actor:
    """The actor a logged-in user's requests run as: their role and counties."""
    return Actor(username=user.username, role=user.role, counties=frozenset(user.counties))


def _users_of(actor: Actor) -> Select[Any]:
    stmt = select(User).order_by(User.username)
    if actor.counties is not None:
        linked = select(UserCounty.user_id).where(UserCounty.county_code.in_(actor.counties))
        stmt = stmt.where(User.id.in_(linked))
    return stmt


@requires(Action.MANAGE_USERS)
def list_users(session: Session, actor: Actor) -> list[UserInfo]:
    """Users who share at least one county with the actor, by username."""
    return [UserInfo.of(user) for user in session.scalars(_users_of(actor))]


@requires(Action.MANAGE_USERS)
def list_managed_users(session: Session, actor: Actor) -> list[ManagedUser]:
    """As :func:`list_users`, each with the version a change is made from."""
    return [ManagedUser.of(user) for user in session.scalars(_users_of(actor))]


def one_time_password() -> str:
    """A random password that passes :func:`check_password_strength`."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_password_strength(password)
        except WeakPasswordError:  # pragma: no cover - vanishingly rare
            continue
        return password


@requires(Action.MANAGE_USERS)
def create_user(
    session: Session,
    actor: Actor,
    username: str,
    role: UserRole | str,
    counties: Iterable[str],
    *,
    full_name: str | None = None,
    staff_no: str | None = None,
) -> NewUser:
    """Create a user with a generated one-time password (returned once, stored hashed),
    linked to a staff member of their counties when ``staff_no`` is given.

    Raises
    ------
    InvalidInputError, UnknownCountyError
        If the username, role, a county or the staff number is not acceptable; a county
        outside the administrator's own is refused.
    DuplicateUserError, ConflictError
        If the username is taken, or the staff member is linked to another login.
    """
    _check_within_scope(actor, counties)
    password = one_time_password()
    with _unique_links(staff_no):
        user = _add_user(
            session,
            username,
            password,
            role,
            counties,
            full_name=full_name,
            actor=actor,
            staff_no=staff_no,
        )
    return NewUser(user=ManagedUser.of(user), password=password)


@contextmanager
def _unique_links(staff_no: str | None) -> Iterator[None]:
    """Turn a unique-key clash met on flush (another administrator linked the same staff
    member, or took the same username, a moment earlier) into a conflict, not a crash."""
    try:
        yield
    except IntegrityError as error:
        what = f"staff number {staff_no.strip()!r}" if staff_no and staff_no.strip() else "user"
        msg = f"{what} was just linked or added by someone else; look again and retry"
        raise ConflictError(msg) from error


class StaffChoice(NamedTuple):
    """A staff member a login can be linked to."""

    staff_no: str
    name: str
    county_code: str


@requires(Action.MANAGE_USERS)
def staff_choices(session: Session, actor: Actor) -> list[StaffChoice]:
    """The staff members (人员) of the administrator's counties, by county and number."""
    query = select(Staff.staff_no, Staff.name, Staff.county_code)
    if actor.counties is not None:
        query = query.where(Staff.county_code.in_(sorted(actor.counties)))
    rows = session.execute(query.order_by(Staff.county_code, Staff.staff_no))
    return [StaffChoice(*row) for row in rows]


def _check_within_scope(actor: Actor, counties: Iterable[str]) -> None:
    if actor.counties is None:
        return
    outside = sorted(set(counties) - actor.counties)
    if outside:
        msg = f"county code(s) {', '.join(outside)} are not among your counties"
        raise UnknownCountyError(msg, [{"field": "counties", "message": msg}])


def _managed_user(session: Session, actor: Actor, username: str, version: str | None) -> User:
    """The user an administrator may change, at the version they saw."""
    # Locked until the change commits: a second administrator's change waits, then meets
    # the new version (a conflict) instead of overwriting the first one.
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None or (actor.counties is not None and not set(user.county_codes) & actor.counties):
        raise NotFoundError("user", username)
    if version is not None and version != user_version(user):
        msg = (
            f"user {username!r} was changed by someone else since you opened it; "
            "look at the current values and try again"
        )
        raise ConflictError(msg, current=ManagedUser.of(user).model_dump(mode="json"))
    return user


@requires(Action.MANAGE_USERS)
def change_user(
    session: Session,
    actor: Actor,
    username: str,
    *,
    version: str | None,
    role: UserRole | str | None = None,
    counties: Iterable[str] | None = None,
    full_name: str | None = None,
    staff_no: str | None = None,
) -> ManagedUser:
    """Change a user's role, counties, full name or staff number (only what is given).

    Parameters
    ----------
    version
        The :attr:`UserInfo.version` the change was made from; ``None`` skips the check.
    staff_no
        The staff member (人员) the login belongs to, which must be one of the user's
        counties' and not linked to another login; ``""`` removes the link.

    Raises
    ------
    NotFoundError
        If the user is unknown or shares no county with the administrator.
    ConflictError
        If the user changed since ``version`` (two administrators at once).
    InvalidInputError, UnknownCountyError
        If the role, a county or the staff number is not acceptable (also when new
        counties leave the linked staff member outside them).
    ConflictError
        Also if the staff member is linked to another login.
    """
    user = _managed_user(session, actor, username, version)
    detail: dict[str, object] = {"username": username}
    if role is not None:
        user.role = parse_enum(UserRole, role) if isinstance(role, str) else role
        detail["role"] = user.role.value
    if counties is not None:
        wanted = list(counties)
        _check_within_scope(actor, wanted)
        codes = _check_counties(session, wanted)
        _set_counties(user, codes)
        detail["counties"] = codes
    if full_name is not None:
        user.full_name = full_name.strip() or None
    if staff_no is not None or (counties is not None and user.staff_no is not None):
        wanted_staff = user.staff_no if staff_no is None else staff_no
        linked = _check_staff(session, wanted_staff, user.county_codes, login=user.username)
        if linked != user.staff_no:
            user.staff_no = linked
            detail["staff_no"] = linked
    with _unique_links(user.staff_no):
        session.flush()
    record(session, actor, "user.change", kind="user", detail=detail)
    return ManagedUser.of(user)


@requires(Action.MANAGE_USERS)
def deactivate_user(
    session: Session, actor: Actor, username: str, *, version: str | None
) -> ManagedUser:
    """Stop a user from logging in (the row and its history stay).

    Raises
    ------
    NotFoundError, ConflictError
        As :func:`change_user`.
    InvalidInputError
        If administrators try to deactivate themselves.
    """
    if username == actor.username:
        msg = "you cannot deactivate your own login"
        raise InvalidInputError(msg)
    user = _managed_user(session, actor, username, version)
    user.active = False
    session.flush()
    record(session, actor, "user.deactivate", kind="user", detail={"username": username})
    return ManagedUser.of(user)


def describe_role(role: UserRole) -> str:
    """The role as users read it, e.g. ``officer 稽查员``."""
    return f"{role.value} {label_zh(role)}"


def _adjacent_pair(counties: list[County]) -> list[str]:
    """Two counties sharing a border, preferring a pair across a province border."""
    touching: list[tuple[County, County]] = []
    for first, second in combinations(counties, 2):
        a: BaseGeometry = first.boundary
        b: BaseGeometry = second.boundary
        if a.distance(b) <= _ADJACENCY_TOLERANCE_DEG:
            touching.append((first, second))
    across = [pair for pair in touching if pair[0].province_code != pair[1].province_code]
    if across or touching:
        return sorted(county.code for county in (across or touching)[0])
    return sorted(county.code for county in counties[:2])


def _demo_plan(counties: list[County]) -> list[tuple[str, UserRole, list[str], str]]:
    codes = [county.code for county in counties]
    plan = [
        (f"officer{county.code}", UserRole.OFFICER, [county.code], f"{county.name}稽查员")
        for county in counties
    ]
    plan.append(("dispatcher", UserRole.DISPATCHER, codes[:1], f"{counties[0].name}物流调度"))
    plan.append(("liaison", UserRole.LIAISON, _adjacent_pair(counties), "毗邻地区信息联络员"))
    plan.append(("admin", UserRole.ADMIN, codes, "系统管理员"))
    plan.append(("leader", UserRole.LEADER, codes, "分管副局长"))
    return plan


def _posted_officer(session: Session, county: str) -> tuple[str, str] | None:
    """Staff number and name of the county's monopoly officer posted to the most grids
    (the first by staff number among equals), or None while no grid is staffed."""
    posts = func.count(StaffGrid.id)
    row = session.execute(
        select(Staff.staff_no, Staff.name)
        .join(StaffGrid, StaffGrid.staff_id == Staff.id)
        .where(StaffGrid.county_code == county, StaffGrid.role == StaffRole.MONOPOLY_OFFICER)
        .group_by(Staff.staff_no, Staff.name)
        .order_by(posts.desc(), Staff.staff_no)
        .limit(1)
    ).first()
    return None if row is None else (str(row[0]), str(row[1]))


def _set_counties(user: User, codes: list[str]) -> None:
    """Replace a user's counties, keeping the links that stay (same primary keys)."""
    kept = [link for link in user.county_links if link.county_code in codes]
    present = {link.county_code for link in kept}
    user.county_links = kept + [UserCounty(county_code=c) for c in codes if c not in present]


def ensure_demo_users(session: Session, *, password: str | None = None) -> list[DemoUser]:
    """Create (or reset) the demo users, with ``password`` or each a fresh random one.

    One officer per county (``officer<code>``, linked to the county's monopoly officer
    posted to the most grids once grids are staffed, and named after them), a dispatcher
    for the first county, a liaison for two adjacent counties (across a province border
    where there is one), an admin and a leader (局领导) for every county. Existing demo
    users get the password and counties again, so the printed list is always the one that
    works.

    Parameters
    ----------
    session
        The transaction to write in.
    password
        One password for every demo user (the demo's documented one, on loopback); ``None``
        gives each a random password, to print once (a demo served on a network).

    Returns
    -------
    list of DemoUser
        Usernames with their plain passwords, to print once.

    Raises
    ------
    UnknownCountyError
        If the database holds no counties.
    """
    counties = list(session.scalars(select(County).order_by(County.code)))
    if not counties:
        msg = "the database holds no counties; load the demo data or import counties first"
        raise UnknownCountyError(msg)
    created: list[DemoUser] = []
    for username, role, codes, full_name in _demo_plan(counties):
        secret = password or secrets.token_urlsafe(12)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = _add_user(
                session, username, secret, role, codes, full_name=full_name, actor=SYSTEM
            )
        else:
            user.password_hash = hash_password(secret)
            user.role = role
            user.active = True
            _set_counties(user, codes)
            record(session, SYSTEM, "user.reset_demo", kind="user", detail={"username": username})
        posted = _posted_officer(session, codes[0]) if role is UserRole.OFFICER else None
        user.staff_no = posted[0] if posted else None
        if posted:
            user.full_name = f"{posted[1]}（{full_name}）"
        created.append(DemoUser(username, secret, role, codes))
    session.flush()
    return created
