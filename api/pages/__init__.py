"""The application's pages by role: officers' (专管员/稽查员: grids map, retailer file,
tasks, tickets), administrators' and leaders' (import, users, settings, dashboard) and
liaisons' (leads, cooperation areas, price checks, joint sweeps, the quarterly report).

:func:`install` adds them, the JSON the officers' map uses, and the one page a refused role
sees (:mod:`api.pages.refused`). The dispatcher's page is :mod:`api.pages.dispatch`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api.pages import (
    admin_pages,
    cooperation_page,
    grids_page,
    joint_page,
    leads_page,
    prices_page,
    refused,
    report_page,
    retailer_page,
    sweeps_page,
    tasks_page,
    tickets_page,
)
from api.routes import officer as officer_api

router = APIRouter(include_in_schema=False)
for _module in (grids_page, retailer_page, tasks_page, tickets_page):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    """Add the pages (and the officers' map JSON) to ``app``."""
    app.include_router(router)
    app.include_router(officer_api.router)
    refused.install(app)
    admin_pages.install(app)
    app.include_router(leads_page.router)
    app.include_router(joint_page.router)
    app.include_router(report_page.router)  # before /cooperation/areas/{code}
    app.include_router(cooperation_page.router)
    app.include_router(prices_page.router)
    app.include_router(sweeps_page.router)


__all__ = ["install", "router"]
