"""Signed login tokens (JWT, HS256) and the session cookie that carries one for pages."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import jwt
from starlette.responses import Response

ALGORITHM = "HS256"
COOKIE_NAME = "gridmgmt_session"
TOKEN_TYPE = "bearer"


class InvalidTokenError(ValueError):
    """The token is malformed, forged or expired."""


def create_access_token(username: str, *, secret_key: str, minutes: int) -> str:
    """A token naming ``username``, valid for ``minutes`` from now.

    Parameters
    ----------
    username
        The subject (``sub`` claim).
    secret_key
        The signing key (``GRIDMGMT_SECRET_KEY``).
    minutes
        Lifetime of the token.
    """
    now = dt.datetime.now(dt.UTC)
    # The id (jti) lets logging out revoke this one token on the server.
    claims = {
        "sub": username,
        "iat": now,
        "exp": now + dt.timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def read_access_token(token: str, *, secret_key: str) -> str:
    """The username a valid token names.

    Raises
    ------
    InvalidTokenError
        If the signature, the expiry or the claims are wrong.
    """
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.PyJWTError as error:
        msg = f"invalid token: {error}"
        raise InvalidTokenError(msg) from error
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        msg = "invalid token: no subject"
        raise InvalidTokenError(msg)
    return subject


@dataclass(frozen=True)
class SessionClaims:
    """What a session cookie's token says: who, its id, and when it expires (UTC)."""

    username: str
    jti: str
    expires_at: dt.datetime


def read_session_claims(token: str, *, secret_key: str) -> SessionClaims:
    """The claims of a valid session token, which must carry an id (``jti``).

    Raises
    ------
    InvalidTokenError
        If the token is invalid or has no id (so could not be revoked).
    """
    username = read_access_token(token, secret_key=secret_key)
    claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM])
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        msg = "invalid token: no id (jti)"
        raise InvalidTokenError(msg)
    expires_at = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
    return SessionClaims(username=username, jti=jti, expires_at=expires_at)


def set_session_cookie(response: Response, token: str, *, minutes: int, secure: bool) -> None:
    """Put the token in an HttpOnly, SameSite=Lax cookie that expires with it."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
