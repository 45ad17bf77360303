"""Logging in for the JSON API: the OAuth2 password flow, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.client import client_address
from api.deps import (
    CurrentUser,
    SessionDep,
    SettingsDep,
    not_authenticated,
    oauth2_scheme,
    token_claims,
)
from api.errors import ERROR_RESPONSES
from api.schemas import TokenOut
from api.security import COOKIE_NAME, clear_session_cookie, create_access_token
from api.web_sessions import revoke_session
from gridmgmt.services.login_guard import LoginPolicy, login
from gridmgmt.services.users import UserInfo

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post(
    "/token",
    response_model=TokenOut,
    responses={
        401: {"description": "Incorrect username or password."},
        429: {
            "description": "Too many failed logins for the account or address: locked "
            "for the seconds in Retry-After."
        },
    },
)
def login_for_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut | JSONResponse:
    """Exchange a username and password for a bearer token (OAuth2 password flow).

    Repeated failures lock the account and the address for a while (429, Retry-After).
    """
    address = client_address(request)
    outcome = login(
        session, form.username, form.password, address=address, policy=LoginPolicy.of(settings)
    )
    if outcome.retry_after_s is not None:
        return JSONResponse(
            {
                "detail": "too many failed logins; try again later",
                "kind": "throttled",
                "retry_after_s": outcome.retry_after_s,
            },
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(outcome.retry_after_s)},
        )
    user = outcome.user
    if user is None:
        # A response, not an exception: the failed attempt's audit line must be committed.
        return JSONResponse(
            {"detail": "incorrect username or password"},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = create_access_token(
        user.username, secret_key=settings.secret_key, minutes=settings.token_minutes
    )
    return TokenOut(access_token=token, expires_in=settings.token_minutes * 60)


@router.get("/me")
def read_me(user: CurrentUser) -> UserInfo:
    """The logged-in user: role and counties."""
    return user


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def logout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Response:
    """Log out (注销): revoke the token this request carries (bearer, else the session
    cookie) on the server, so no copy of it works any more. Other logins stay valid."""
    claims = token_claims(session, settings, token or request.cookies.get(COOKIE_NAME))
    if claims is None:
        raise not_authenticated()
    revoke_session(session, claims, remote_addr=client_address(request))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response)
    return response
