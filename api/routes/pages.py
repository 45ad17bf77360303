"""HTML pages: login, logout, the language switch, and the map of the user's counties."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.client import client_address, is_https
from api.deps import LoginRequiredError, PageUser, SessionDep, SettingsDep, get_page_user
from api.i18n import LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, gettext_for, supported
from api.nav import home_for
from api.security import (
    COOKIE_NAME,
    InvalidTokenError,
    clear_session_cookie,
    create_access_token,
    read_session_claims,
    set_session_cookie,
)
from api.static import STATIC_URL
from api.web import existing_paths, templates
from api.web_sessions import revoke_session
from gridmgmt.services import records
from gridmgmt.services.login_guard import LoginPolicy
from gridmgmt.services.login_guard import login as guarded_login
from gridmgmt.services.users import actor_for
from maps.assets import render_parts
from maps.overview import build_overview_map

router = APIRouter(include_in_schema=False)
HOME = "/map"
LOGIN = "/login"


def _local(path: str | None) -> str | None:
    """Only local paths: a login link must not send the user to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path


def _safe_next(path: str | None) -> str:
    return _local(path) or HOME


def _home(request: Request, role: object) -> str:
    """The first page of the user's role (:data:`api.nav.HOME_PAGES`)."""
    return home_for(str(getattr(role, "value", role)), existing_paths(request))


@router.get("/")
def home(request: Request, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """Each role's first page (the officer's grids, the dispatcher's day, the liaison's
    leads, the admin home, the leaders' dashboard); the login page without a session."""
    try:
        user = get_page_user(request, session, settings)
    except LoginRequiredError:
        return RedirectResponse(LOGIN, status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse(_home(request, user.role), status_code=status.HTTP_303_SEE_OTHER)


@router.get("/login")
def login_form(
    request: Request, next_: Annotated[str | None, Query(alias="next")] = None
) -> HTMLResponse:
    """The login form (``next``: where to go after; by default the role's first page)."""
    return templates.TemplateResponse(
        request, "login.html", {"next": _local(next_), "error": None, "username": ""}
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next_: Annotated[str | None, Form(alias="next")] = None,
) -> HTMLResponse | RedirectResponse:
    """Check the password; on success set the session cookie and go on.

    Repeated failures lock the account and the address for a while (429 with Retry-After
    and a message on the form).
    """
    address = client_address(request)
    policy = LoginPolicy.of(settings)
    outcome = guarded_login(session, username, password, address=address, policy=policy)
    user = outcome.user
    if user is None:
        _ = gettext_for(request)
        error, code, headers = _("Incorrect username or password"), 401, {}
        if outcome.retry_after_s is not None:
            minutes = -(-outcome.retry_after_s // 60)
            error = _("Too many failed logins. Try again in %(minutes)s min.") % {
                "minutes": minutes
            }
            code, headers = 429, {"Retry-After": str(outcome.retry_after_s)}
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _local(next_), "error": error, "username": username},
            status_code=code,
            headers=headers,
        )
    token = create_access_token(
        user.username, secret_key=settings.secret_key, minutes=settings.token_minutes
    )
    target = _local(next_) or _home(request, user.role)
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, token, minutes=settings.token_minutes, secure=is_https(request))
    return response


@router.get("/logout", response_model=None)
def logout_form(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """A bookmarked logout link: a page whose button logs out (logging out is a POST).

    Without a session there is nothing to end: the login page.
    """
    try:
        user = get_page_user(request, session, settings)
    except LoginRequiredError:
        return RedirectResponse(LOGIN, status_code=status.HTTP_303_SEE_OTHER)
    return templates.TemplateResponse(request, "logout.html", {"user": user})


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """Revoke the session on the server and forget the cookie; then the login page."""
    token = request.cookies.get(COOKIE_NAME)
    if token is not None:
        try:
            claims = read_session_claims(token, secret_key=settings.secret_key)
        except InvalidTokenError:
            pass  # an invalid (or already revoked, hence hidden) cookie is just cleared
        else:
            revoke_session(session, claims, remote_addr=client_address(request))
    response = RedirectResponse(LOGIN, status_code=status.HTTP_303_SEE_OTHER)
    clear_session_cookie(response)
    return response


@router.get("/locale")
def switch_locale(
    request: Request,
    locale: Annotated[str, Query()],
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> RedirectResponse:
    """Remember the chosen language in a cookie and go back to the page.

    A link rather than a form: it only sets a display preference, works without a script,
    and adds no second submit button to the forms of the page.
    """
    chosen = supported(locale)
    if chosen is None:
        raise HTTPException(422, detail="unknown locale")
    response = RedirectResponse(_safe_next(next_), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        LOCALE_COOKIE,
        chosen,
        max_age=LOCALE_COOKIE_MAX_AGE,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )
    return response


@router.get("/map")
def map_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
) -> HTMLResponse:
    """The overview map of the user's counties (or one of them)."""
    actor = actor_for(user)
    visible = records.list_counties(session, actor)
    if county is not None and county not in {c.code for c in visible}:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="county not found")
    frames = records.overview_frames(
        session, actor, county_codes=[county] if county is not None else None
    )
    m = build_overview_map(
        frames["counties"],
        frames["retailers"],
        frames["schools"],
        frames["checkpoints"],
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
    )
    return templates.TemplateResponse(
        request,
        "map.html",
        {
            "user": user,
            "counties": visible,
            "county": county,
            "map": render_parts(m, static_url=STATIC_URL),
        },
    )
