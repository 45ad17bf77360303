"""Request dependencies: settings, a database session, and who is calling.

The JSON API takes a bearer token (``Authorization: Bearer ...``) and answers 401 without
one; it also accepts the session cookie, so map pages can call it. Pages take the session
cookie and send a browser without one to the login page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.security import COOKIE_NAME, InvalidTokenError, SessionClaims, read_session_claims
from api.web_sessions import revoked_in
from gridmgmt.config import Settings
from gridmgmt.policy import ACTION_ATTRIBUTE, Action, require
from gridmgmt.services.actor import Actor
from gridmgmt.services.users import UserInfo, actor_for, user_by_name
from gridmgmt.store import db

TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


class LoginRequiredError(Exception):
    """A page was asked for without a valid session; the browser goes to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def login_url(self) -> str:
        """The login page, coming back to the page asked for."""
        return f"/login?next={quote(self.next_path, safe='/')}"


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """A session in one transaction: committed if the request succeeds, else rolled back.

    A busy or lost database answers 503 with Retry-After (:func:`db.unavailable_as_error`).
    """
    factory = db.session_factory(
        settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    with db.unavailable_as_error(), factory.begin() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def token_claims(session: Session, settings: Settings, token: str | None) -> SessionClaims | None:
    """The claims of a valid login token (bearer or cookie) that was not logged out."""
    if not token:
        return None
    try:
        claims = read_session_claims(token, secret_key=settings.secret_key)
    except InvalidTokenError:
        return None
    return None if revoked_in(session, claims.jti) else claims


def _user_from_token(session: Session, settings: Settings, token: str | None) -> UserInfo | None:
    claims = token_claims(session, settings, token)
    return None if claims is None else user_by_name(session, claims.username)


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> UserInfo:
    """The user named by the bearer token (or the session cookie); 401 otherwise."""
    user = _user_from_token(session, settings, token or request.cookies.get(COOKIE_NAME))
    if user is None:
        raise not_authenticated()
    return user


def not_authenticated() -> HTTPException:
    """The API's 401: no valid (or a logged-out) token."""
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="not authenticated: log in at POST /api/v1/auth/token",
        headers={"WWW-Authenticate": "Bearer"},
    )


CurrentUser = Annotated[UserInfo, Depends(get_current_user)]


def remote_addr(request: Request) -> str | None:
    """The client's address (behind a trusted proxy: the forwarded one, :mod:`api.client`)."""
    return request.client.host if request.client else None


def get_current_actor(user: CurrentUser, request: Request) -> Actor:
    """The actor API requests run as: the user's role and counties, and where they are.

    Kept on ``request.state.actor`` so a refusal can be audited (:mod:`api.errors`).
    """
    actor = replace(actor_for(user), remote_addr=remote_addr(request))
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def allow(action: Action) -> Any:
    """A route dependency checking the policy table (:mod:`gridmgmt.policy`) first.

    Declared on the route (``dependencies=[allow(Action.PLAN_ROUTES)]``), it answers 403 for
    a refused role before the body is validated; the service checks the same table again.
    """

    def check(actor: CurrentActor) -> None:
        require(actor, action)

    setattr(check, ACTION_ATTRIBUTE, action)
    return Depends(check)


def get_page_user(request: Request, session: SessionDep, settings: SettingsDep) -> UserInfo:
    """The user of the session cookie; without one, a redirect to the login page."""
    user = _user_from_token(session, settings, request.cookies.get(COOKIE_NAME))
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(path)
    request.state.actor = replace(actor_for(user), remote_addr=remote_addr(request))
    return user


PageUser = Annotated[UserInfo, Depends(get_page_user)]
