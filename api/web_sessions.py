"""Server-side logout: a revoked login token (cookie or bearer) stops working at once.

Logging out (``POST /logout`` for pages, ``POST /api/v1/auth/logout`` for API clients) stores
the token's id (:class:`~gridmgmt.store.models.web.RevokedSession`) and audits
``auth.logout``. :class:`RevokedSessionMiddleware` drops from each request a session cookie
whose token is revoked or has no id, so every page and API route downstream sees an anonymous
request (pages go to the login page, the JSON API answers 401); the dependency that reads
the caller's token (:mod:`api.deps`) refuses revoked bearer tokens the same way.
"""

from __future__ import annotations

import datetime as dt

import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from api.cookies import request_cookie, without_cookie
from api.security import COOKIE_NAME, InvalidTokenError, SessionClaims, read_session_claims
from gridmgmt.config import Settings
from gridmgmt.services.audit import record
from gridmgmt.services.login_guard import actor_named
from gridmgmt.store import db
from gridmgmt.store.models.web import RevokedSession


def revoke_session(session: Session, claims: SessionClaims, *, remote_addr: str | None) -> None:
    """Log out (注销) the session of ``claims``: revoke its token id and audit ``auth.logout``.

    Idempotent and safe when two requests log the same session out at once (the second
    insert of the id is skipped); long-expired revocations are forgotten on the way.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
    if session.get(RevokedSession, claims.jti) is not None:
        return
    expires_at = claims.expires_at.astimezone(dt.UTC).replace(tzinfo=None)
    try:
        with session.begin_nested():
            session.add(
                RevokedSession(jti=claims.jti, username=claims.username, expires_at=expires_at)
            )
    except IntegrityError:
        return  # logged out by a concurrent request
    record(
        session, actor_named(claims.username), "auth.logout", kind="user", remote_addr=remote_addr
    )


def revoked_in(session: Session, jti: str) -> bool:
    """Whether the token with id ``jti`` was logged out (in ``session``'s transaction)."""
    found = session.scalar(select(RevokedSession.jti).where(RevokedSession.jti == jti))
    return found is not None


def is_revoked(database_url: str, jti: str) -> bool:
    """Whether the session with token id ``jti`` was logged out."""
    with db.session_factory(database_url)() as session:
        return revoked_in(session, jti)


class RevokedSessionMiddleware:
    """Hide revoked (or unrevocable, id-less) session cookies from the application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            token = request_cookie(scope, COOKIE_NAME)
            if token is not None and not await self._valid(scope, token):
                scope = dict(scope, headers=without_cookie(scope["headers"], COOKIE_NAME))
        await self.app(scope, receive, send)

    @staticmethod
    async def _valid(scope: Scope, token: str) -> bool:
        settings: Settings = scope["app"].state.settings
        try:
            claims = read_session_claims(token, secret_key=settings.secret_key)
        except InvalidTokenError:
            return False
        revoked = await anyio.to_thread.run_sync(is_revoked, settings.database_url, claims.jti)
        return not revoked
