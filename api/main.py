"""The FastAPI application: ``create_app()`` builds it from settings.

Run it with ``gridmgmt serve [--workers N]`` (or ``uvicorn --factory api.main:create_served_app``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from api.client import install_proxy_headers
from api.declared import declare_setting_bounds
from api.demo_gate import DemoGate, DemoGateMiddleware
from api.deps import LoginRequiredError
from api.errors import install_error_handlers
from api.observability import install_observability
from api.pages import dispatch as dispatch_pages
from api.pages import install as install_officer_pages
from api.routes import (
    audit,
    auth,
    cases,
    cooperation,
    counties,
    docs,
    federation,
    grids,
    health,
    imports,
    inspections,
    jobs,
    joint_cases,
    leads,
    pages,
    prices,
    retailers,
    routing,
    routing_jobs,
    rules,
    sweeps,
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


def create_app(settings: Settings | None = None, *, demo_gate: DemoGate | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: the environment's), migrating the database.

    Parameters
    ----------
    settings
        Database URL, secret key, token lifetime and tile layer.
    demo_gate
        While the demo is being prepared (``gridmgmt serve --demo``), requests answer 503
        until this gate opens.
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
    # Joint cases and merges before the cases, whose /api/v1/cases/{case_no} matches them too.
    for module in (rules, inspections, tickets, joint_cases, cases, grids, routing):
        app.include_router(module.router)
    app.include_router(jobs.router)
    app.include_router(imports.router)
    app.include_router(federation.router)
    app.include_router(audit.router)
    app.include_router(leads.router)
    app.include_router(cooperation.router)
    app.include_router(prices.router)
    app.include_router(sweeps.router)
    install_officer_pages(app)
    app.include_router(routing_jobs.router)
    app.include_router(dispatch_pages.router)
    app.add_exception_handler(LoginRequiredError, _to_login)
    install_error_handlers(app)
    declare_setting_bounds(app, settings)
    if demo_gate is not None:  # inside the locale and security middleware: pages translated
        app.add_middleware(DemoGateMiddleware, gate=demo_gate)
    install_observability(app)
    install_web(app, other_templates=(cases.templates,))
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url)
    install_proxy_headers(app, settings)  # outermost: everything sees the real client
    return app


def create_served_app() -> FastAPI:
    """The app of one server worker process: logs set up from the settings, then the app.

    ``gridmgmt serve --workers N`` starts N processes with this factory (each reads the
    environment the command prepared).
    """
    from gridmgmt.logs import configure_logging

    settings = get_settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    return create_app(settings)
