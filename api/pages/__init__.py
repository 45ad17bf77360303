"""The officers' pages (专管员/稽查员): grids map, retailer file, tasks and tickets.

``router`` holds every page; ``api.main`` includes it with one line.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.pages import grids_page, retailer_page, tasks_page, tickets_page

router = APIRouter(include_in_schema=False)
for _module in (grids_page, retailer_page, tasks_page, tickets_page):
    router.include_router(_module.router)

__all__ = ["router"]
