"""The FastAPI application: ``create_app()`` builds it from settings.

Run it with ``gridmgmt serve`` (or ``uvicorn --factory api.main:create_app``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from api.deps import LoginRequiredError
from api.errors import install_error_handlers
from api.pages import dispatch as dispatch_pages
from api.pages import install as install_officer_pages
from api.routes import (
    audit,
    auth,
    cases,
    counties,
    docs,
    federation,
    grids,
    health,
    inspections,
    jobs,
    leads,
    pages,
    retailers,
    routing,
    routing_jobs,
    rules,
    tickets,
)
from api.routes.health import package_version
from api.security_headers import SecurityHeaders
from api.static import mount_static
from api.web import install_web
from gridmgmt.config import Settings, get_settings
from gridmgmt.store import db

DESCRIPTION = """Grid management and enforcement for county tobacco monopoly bureaus.

Log in with `POST /api/v1/auth/token` (OAuth2 password flow; the **Authorize** button here
does it) and send the token as `Authorization: Bearer <token>`. Every answer is limited to
the counties of the logged-in user; other counties' records answer 404.
"""


async def _to_login(_request: Request, error: Exception) -> RedirectResponse:
    url = error.login_url if isinstance(error, LoginRequiredError) else "/login"
    return RedirectResponse(url, status_code=303)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: the environment's), migrating the database.

    Parameters
    ----------
    settings
        Database URL, secret key, token lifetime and tile layer.
    """
    settings = settings or get_settings()
    db.upgrade(settings.database_url)
    app = FastAPI(
        title="gridmgmt",
        description=DESCRIPTION,
        version=package_version(),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    mount_static(app)
    for module in (health, auth, counties, retailers, docs, pages):
        app.include_router(module.router)
    for module in (rules, inspections, tickets, cases, grids, routing):
        app.include_router(module.router)
    app.include_router(jobs.router)
    app.include_router(federation.router)
    app.include_router(audit.router)
    app.include_router(leads.router)
    install_officer_pages(app)
    app.include_router(routing_jobs.router)
    app.include_router(dispatch_pages.router)
    app.add_exception_handler(LoginRequiredError, _to_login)
    install_error_handlers(app)
    install_web(app, other_templates=(cases.templates,))
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url)
    return app
