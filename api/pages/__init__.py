"""The officers' pages (专管员/稽查员): grids map, retailer file, tasks and tickets.

:func:`install` adds them, the JSON their map uses, and the page other roles see.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api.pages import (
    admin_pages,
    grids_page,
    leads_page,
    retailer_page,
    tasks_page,
    tickets_page,
)
from api.pages._common import NotAnOfficerError, refuse
from api.routes import officer as officer_api

router = APIRouter(include_in_schema=False)
for _module in (grids_page, retailer_page, tasks_page, tickets_page):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    """Add the officer pages and their JSON routes to ``app``."""
    app.include_router(router)
    app.include_router(officer_api.router)
    app.add_exception_handler(NotAnOfficerError, refuse)
    admin_pages.install(app)
    app.include_router(leads_page.router)
    app.add_exception_handler(leads_page.NotForLeadsError, leads_page.refuse)


__all__ = ["install", "router"]
