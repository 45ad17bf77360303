"""Server-side logout: a revoked session's cookie stops working at once.

Logging out stores the cookie token's id (:class:`~gridmgmt.store.models.web.RevokedSession`).
:class:`RevokedSessionMiddleware` drops from each request a session cookie whose token is
revoked or has no id, so every page and API route downstream sees an anonymous request
(pages go to the login page, the JSON API answers 401) without knowing about revocation.
"""

from __future__ import annotations

import datetime as dt

import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from api.cookies import request_cookie, without_cookie
from api.security import COOKIE_NAME, InvalidTokenError, SessionClaims, read_session_claims
from gridmgmt.config import Settings
from gridmgmt.store import db
from gridmgmt.store.models.web import RevokedSession


def revoke_session(session: Session, claims: SessionClaims) -> None:
    """Revoke the session of ``claims`` (idempotent); forget long-expired revocations."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
    if session.get(RevokedSession, claims.jti) is None:
        expires_at = claims.expires_at.astimezone(dt.UTC).replace(tzinfo=None)
        session.add(RevokedSession(jti=claims.jti, username=claims.username, expires_at=expires_at))


def is_revoked(database_url: str, jti: str) -> bool:
    """Whether the session with token id ``jti`` was logged out."""
    with db.session_factory(database_url)() as session:
        found = session.scalar(select(RevokedSession.jti).where(RevokedSession.jti == jti))
    return found is not None


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
