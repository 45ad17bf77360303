"""Login throttling and lock-out, per account and per address, shared by every app worker.

Each failed login is stored twice (table ``login_failures``): under the username tried and
under the client's address. An account with ``max_failures`` failures within ``window`` is
locked for ``lockout`` after the last of them; an address with ``max_address_failures``
likewise. While locked, a login is refused before the password is checked (429 with
Retry-After on both faces) and the refusal is audited; a successful login clears the
account's failures. Every outcome goes to the audit log with the username tried.

Faces call :func:`login` in the request's transaction and must commit it whatever the
outcome (answer with a response, not an exception), so failures and audit lines are kept.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridmgmt.domain import UserRole
from gridmgmt.services.actor import Actor
from gridmgmt.services.audit import record
from gridmgmt.services.users import UserInfo, authenticate
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.login_guard import LoginFailure

if TYPE_CHECKING:
    from gridmgmt.config import Settings

__all__ = ["LoginOutcome", "LoginPolicy", "actor_named", "locked_for", "login"]

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock what, for how long."""

    max_failures: int = 5
    max_address_failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Settings) -> LoginPolicy:
        """The policy the settings give (``login_*``)."""
        return cls(
            max_failures=settings.login_max_failures,
            max_address_failures=settings.login_max_address_failures,
            window=dt.timedelta(minutes=settings.login_window_minutes),
            lockout=dt.timedelta(minutes=settings.login_lockout_minutes),
        )


@dataclass(frozen=True)
class LoginOutcome:
    """The user when the login succeeded; ``retry_after_s`` when it was refused unchecked
    because the account or address is locked; neither when the password was wrong."""

    user: UserInfo | None = None
    retry_after_s: int | None = None


def _times(session: Session, scope: str, key: str, since: dt.datetime) -> list[dt.datetime]:
    stmt = select(LoginFailure.at).where(
        LoginFailure.scope == scope, LoginFailure.key == key, LoginFailure.at > since
    )
    return sorted(session.scalars(stmt))


def _locked_until(
    times: Sequence[dt.datetime], limit: int, policy: LoginPolicy
) -> dt.datetime | None:
    """The end of the latest lock-out: ``lockout`` after any failure that was the
    ``limit``-th within ``window``."""
    ends = [
        times[i] + policy.lockout
        for i in range(limit - 1, len(times))
        if times[i] - times[i - limit + 1] <= policy.window
    ]
    return max(ends, default=None)


def locked_for(
    session: Session,
    username: str,
    address: str,
    *,
    policy: LoginPolicy,
    now: dt.datetime | None = None,
) -> int | None:
    """Seconds until the account or the address may try again; None when neither is locked."""
    moment = now or _utcnow()
    since = moment - policy.window - policy.lockout
    checks = (
        (ACCOUNT, username, policy.max_failures),
        (ADDRESS, address, policy.max_address_failures),
    )
    ends = [
        _locked_until(_times(session, scope, key, since), limit, policy)
        for scope, key, limit in checks
    ]
    latest = max((end for end in ends if end is not None), default=None)
    if latest is None or latest <= moment:
        return None
    return max(1, math.ceil((latest - moment).total_seconds()))


def actor_named(username: str) -> Actor:
    """The audit log's actor for a username alone (a login tried, a session ended)."""
    return Actor(username=username[:64], role=UserRole.OFFICER, counties=frozenset())


def login(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    policy: LoginPolicy,
    now: dt.datetime | None = None,
) -> LoginOutcome:
    """Check a login against the locks, then the password; count and audit the outcome.

    Parameters
    ----------
    session
        The request's transaction (the caller commits, whatever the outcome).
    username, password
        As typed.
    address
        The client's address (behind a trusted proxy: the forwarded one).
    policy
        The limits.
    now
        The moment (default: now).
    """
    moment = now or _utcnow()
    key, where = username[:128], address[:128]
    wait = locked_for(session, key, where, policy=policy, now=moment)
    if wait is not None:
        detail = {"address": where, "retry_after_s": wait}
        record(
            session,
            actor_named(username),
            "auth.login_locked",
            kind="user",
            detail=detail,
            remote_addr=where,
        )
        return LoginOutcome(retry_after_s=wait)
    user = authenticate(session, username, password, remote_addr=where)
    stale = moment - policy.window - policy.lockout
    if user is None:
        for scope, value in ((ACCOUNT, key), (ADDRESS, where)):
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.scope == scope, LoginFailure.key == value, LoginFailure.at <= stale
                )
            )
            session.add(LoginFailure(scope=scope, key=value, at=moment))
        session.flush()
        wait = locked_for(session, key, where, policy=policy, now=moment)
        if wait is not None:  # this failure locked the account or the address
            detail = {"address": where, "locked_for_s": wait}
            record(
                session,
                actor_named(username),
                "auth.lockout",
                kind="user",
                detail=detail,
                remote_addr=where,
            )
        return LoginOutcome()
    session.execute(
        delete(LoginFailure).where(LoginFailure.scope == ACCOUNT, LoginFailure.key == key)
    )
    return LoginOutcome(user=user)
