"""``/retailers/{licence_no}``: a retailer's file with its history (零售户档案)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages._common import OfficerUser, actor_of, render
from gridmgmt.crs import from_wgs84
from gridmgmt.services.retailer_history import retailer_file

router = APIRouter()


@router.get("/retailers/{licence_no}", response_class=HTMLResponse)
def retailer_page(
    licence_no: str,
    request: Request,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The retailer, its inspections, tickets, orders, cases and grid changes.

    A retailer of another county answers 404, like a missing one.
    """
    found = retailer_file(session, actor_of(user), licence_no)
    xs, ys = from_wgs84([found.lon], [found.lat], settings.tile_crs)
    shown = {
        "lat": round(float(ys[0]), 6),
        "lon": round(float(xs[0]), 6),
        "tile_url": settings.tile_url or "",
        "tile_attribution": settings.tile_attribution,
    }
    return render(request, "officer/retailer.html", user, {"retailer": found, "shown": shown})
