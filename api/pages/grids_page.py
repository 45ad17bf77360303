"""``/grids``: the officer's grids on a map, with retailers, rule layers, search, the
licence check on click and "where am I" (the page's script, ``officer-map.js``); the grids the
officer is posted to stand out, with their inspections and tickets waiting
(:mod:`gridmgmt.services.my_work`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.i18n import gettext_for
from api.pages._common import OfficerUser, actor_of, render
from api.pages.labels import RETAILER_STATUS
from gridmgmt.policy import Action, allows
from gridmgmt.services import grids as grids_service
from gridmgmt.services import records
from gridmgmt.services.my_work import my_work

router = APIRouter()


def _strings(request: Request) -> dict[str, str]:
    """The script's texts in the page's language."""
    _ = gettext_for(request)
    return {
        "loading": _("Loading the map…"),
        "loaded": _("%(retailers)s retailers in %(grids)s grids."),
        "failed": _("Could not load: %(error)s"),
        "grid": _("Grid"),
        "officer": _("Officer"),
        "retailers": _("Retailers"),
        "keyRetailers": _("Key retailers"),
        "licence": _("Licence no."),
        "address": _("Address"),
        "status": _("Status"),
        "tier": _("Tier"),
        "key": _("Key retailer (close supervision)"),
        "openFile": _("Open the retailer's file"),
        "school": _("School"),
        "distance": _("Distance (m)"),
        "limit": _("Limit (m)"),
        "insideRedLine": _("Inside a school red line"),
        "tooClose": _("Too close: %(a)s and %(b)s, %(distance)s m (at least %(required)s m)"),
        "spacingShown": _("%(shown)s of %(total)s spacing breaches shown."),
        "borderMarket": _("Border-market retailer"),
        "neighbour": _("Neighbour county"),
        "toBorder": _("To the county border (m)"),
        "checkpoint": _("Checkpoint"),
        "checking": _("Checking this place…"),
        "checkFailed": _("The check failed: %(error)s"),
        "noMatch": _("No retailer matches."),
        "matches": _("%(count)s matches"),
        "locating": _("Finding your position…"),
        "denied": _(
            "Location permission was denied. Allow this site to use your location in the "
            "browser's settings, then try again."
        ),
        "unavailable": _("Your position is not available right now: %(error)s"),
        "noGeolocation": _(
            "This browser cannot give your position here (it needs a secure connection)."
        ),
        "youAreIn": _("You are in grid %(grid)s (county %(county)s)."),
        "inNoGrid": _("You are in none of your grids."),
        "nearest": _("Nearest retailers"),
        "you": _("You are here"),
        "metres": _("%(distance)s m"),
    }


@router.get("/grids", response_class=HTMLResponse)
def grids_page(
    request: Request,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
    county: Annotated[str | None, Query(description="The county shown.")] = None,
) -> HTMLResponse:
    """The grids of one of the officer's counties (the first by default) on a map."""
    actor = actor_of(user)
    counties = records.list_counties(session, actor)
    codes = [c.code for c in counties]
    if county is not None and county not in codes:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="county not found")
    chosen = county or (codes[0] if codes else None)
    config: dict[str, Any] = {
        "county": chosen,
        "mapApi": "/api/v1/officer/map",
        "layerApi": "/api/v1/officer/layers/",
        "checkApi": "/api/v1/officer/licence-check",
        "whereApi": "/api/v1/officer/where",
        "retailerPage": "/retailers/",
        "tileUrl": settings.tile_url,
        "tileAttribution": settings.tile_attribution,
        "tileCrs": settings.tile_crs,
        "strings": _strings(request),
        "statusLabels": {k: gettext_for(request)(v) for k, v in RETAILER_STATUS.items()},
    }
    n_grids = len(grids_service.list_grids(session, actor, chosen)) if chosen else 0
    mine = my_work(session, actor, chosen, user.staff_no) if chosen else None
    config["myGrids"] = mine.grids if mine else []
    context = {
        "mine": mine,
        "counties": counties,
        "county": chosen,
        "config": config,
        "can_design": allows(user.role, Action.CHANGE_GRIDS),
        "has_grids": n_grids > 0,
        "n_grids_default": n_grids or 10,
        "max_grids": settings.max_grids,
    }
    return render(request, "officer/grids.html", user, context)
