"""The web application's shell: templates, header navigation, and its middleware.

Pages render with :data:`templates` (translations, locale formats and the navigation
bar are installed on it) and pass ``user`` in their context; the base template does the
rest. :func:`install_web` adds the middleware every page and cookie call relies on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from api.csrf import OriginCheckMiddleware
from api.i18n import N_, LocaleMiddleware, install_i18n
from api.nav import NavEntry, entries_for, page_paths
from api.security_headers import csp_nonce, with_nonce
from api.web_sessions import RevokedSessionMiddleware

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"
ROLE_LABELS: Final = {
    "officer": N_("Officer"),
    "dispatcher": N_("Dispatcher"),
    "liaison": N_("Liaison"),
    "admin": N_("Administrator"),
    "leader": N_("Bureau leader"),
}
"""Each role's name (an English msgid)."""


def existing_paths(request: Request) -> frozenset[str]:
    """The app's GET paths, found once per app (routes do not change while it serves)."""
    state = request.app.state
    paths: frozenset[str] | None = getattr(state, "web_page_paths", None)
    if paths is None:
        paths = page_paths(request.app.routes)
        state.web_page_paths = paths
    return paths


@pass_context
def _nav_entries(context: Context) -> list[tuple[NavEntry, bool]]:
    """The header's entries for the page's user, each with whether it is the current page."""
    request, user = context.get("request"), context.get("user")
    if not isinstance(request, Request) or user is None:
        return []
    role = str(getattr(user.role, "value", user.role))
    entries = entries_for(role, existing_paths(request))
    return [(entry, entry.is_current(request.url.path)) for entry in entries]


@pass_context
def _csp_nonce(context: Context) -> str:
    """The page's script nonce, for ``<script nonce="{{ csp_nonce() }}">``."""
    request = context.get("request")
    return csp_nonce(request) if isinstance(request, Request) else ""


@pass_context
def _nonced(context: Context, html: str) -> str:
    """Generated HTML (a folium map's header) with the page's nonce on its inline scripts."""
    return with_nonce(html, _csp_nonce(context))


def _role_label(role: Any) -> str:
    value = str(getattr(role, "value", role))
    return ROLE_LABELS.get(value, value)


def _here(request: Request) -> str:
    """The current page's path and query, to come back to after a switch."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def configure_templates(templates: Jinja2Templates) -> Jinja2Templates:
    """Install translations and the header's helpers on a template set (idempotent)."""
    env = templates.env
    install_i18n(env)
    env.globals.update(
        nav_entries=_nav_entries, role_label=_role_label, here=_here, csp_nonce=_csp_nonce
    )
    env.filters["nonced"] = _nonced
    return templates


templates: Final = configure_templates(Jinja2Templates(directory=TEMPLATES_DIR))
"""The templates of every page: use ``templates.TemplateResponse(request, name, {...})``."""


def install_web(app: FastAPI, *, other_templates: tuple[Jinja2Templates, ...] = ()) -> None:
    """Add the web shell's middleware to ``app`` and configure older template sets.

    Parameters
    ----------
    app
        The application.
    other_templates
        Template sets of routers that do not use :data:`templates` yet; they get the same
        translations and navigation so their pages extend ``base.html`` unchanged.
    """
    for other in other_templates:
        configure_templates(other)
    # Added last runs first: the Origin check, then revocation, then the locale.
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(RevokedSessionMiddleware)
    app.add_middleware(OriginCheckMiddleware)


def render_page(
    request: Request,
    name: str,
    user: Any,
    context: dict[str, Any],
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """A page of the app: ``name`` rendered with the logged-in ``user`` (for the header) and
    the page's own ``context``. Every page family renders through this one function."""
    return templates.TemplateResponse(
        request, name, {"user": user, **context}, status_code=status_code
    )
