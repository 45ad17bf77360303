"""The administrators' pages (home, import, users, rule settings) and the leaders' dashboard
with the list behind each figure.

:func:`install` adds them, and the dashboard's JSON route.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api.pages import (
    admin_home,
    admin_import,
    admin_settings,
    admin_users,
    dashboard_lists_page,
    dashboard_page,
)

router = APIRouter(include_in_schema=False)
for _module in (
    admin_home,
    admin_import,
    admin_users,
    admin_settings,
    dashboard_page,
    dashboard_lists_page,
):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    """Add the admin and dashboard pages and ``GET /api/v1/dashboard`` to ``app``."""
    app.include_router(router)
    app.include_router(dashboard_page.api_router)
    app.include_router(dashboard_lists_page.api_router)


__all__ = ["install", "router"]
