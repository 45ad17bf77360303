"""The dispatcher's page (调度员): plan a depot's day, see and edit its routes, manifests.

The page is a shell (depot and date chosen, labels translated); its script
(``static_files/dispatch.js``) reads the day from ``GET /api/v1/routes/day`` and submits plans
as jobs (:mod:`api.routes.routing_jobs`), following their progress.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import PageUser, SessionDep, SettingsDep
from api.i18n import N_, gettext_for
from api.web import templates
from gridmgmt.policy import Action, allows
from gridmgmt.services.routes.dispatch_depots import default_day, depot_choices
from gridmgmt.services.users import actor_for

router = APIRouter(include_in_schema=False)

SCRIPT_MESSAGES: Final = {
    "planning": N_("Planning…"),
    "queued": N_("Waiting for a worker…"),
    "solving": N_("The solver is working"),
    "succeeded": N_("Done: plan version %(version)s stored"),
    "week_done": N_("Week planned: %(days)s days stored"),
    "failed": N_("Failed: %(message)s"),
    "cancelled": N_("Cancelled: nothing was stored"),
    "changed_meanwhile": N_(
        "Someone else stored a plan for this day meanwhile: your changes were not applied. "
        "The plan in force is shown; make them again if they are still needed."
    ),
    "no_plan": N_("No plan is stored for this day yet: plan it."),
    "route": N_("Route"),
    "stop": N_("Stop"),
    "arrival": N_("Arrival"),
    "cartons": N_("Cartons"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "move_to": N_("Move to route"),
    "move": N_("Move"),
    "drop": N_("Drop from the day"),
    "moved_to": N_("%(name)s → route %(route)s"),
    "dropped": N_("%(name)s dropped"),
    "moved_n": N_("%(n)s stops changed route"),
    "undo": N_("Undo"),
    "draw_hint": N_("Click the map to add corners; double-click to finish."),
    "closure_ready": N_("Closure drawn with %(n)s corners."),
    "need_three": N_("A closure needs at least three corners."),
    "depot": N_("Depot"),
    "unserved": N_("Not served"),
    "km": N_("km"),
    "hours": N_("hours"),
    "vehicles": N_("vehicles used"),
    "served": N_("orders served"),
    "on_time": N_("on time"),
    "version": N_("Version"),
    "kind": N_("Kind"),
    "made": N_("Made"),
    "current": N_("current"),
    "compare_pick": N_("Choose two different versions."),
    "moved_between": N_("On another route"),
    "only_in": N_("Served only in version %(version)s"),
    "no_difference": N_("Same stops on the same routes."),
    "day": N_("Day"),
    "stops": N_("Stops"),
    "open_day": N_("Open"),
    "load": N_("Load"),
    "time": N_("Time"),
    "closure": N_("Closure"),
    "kind_plan": N_("plan"),
    "kind_replan": N_("replan"),
    "kind_week": N_("week plan"),
}
"""Texts the script shows, by key (English msgids, translated per request)."""


def _messages(request: Request) -> dict[str, str]:
    _ = gettext_for(request)
    return {key: _(text) for key, text in SCRIPT_MESSAGES.items()}


@router.get("/dispatch")
def dispatch_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    depot: Annotated[str | None, Query(description="The depot's code.")] = None,
    date: Annotated[dt.date | None, Query(description="Delivery date.")] = None,
) -> HTMLResponse:
    """The dispatcher's day: depot and date, plan with progress, routes on a map, edits,
    closures, the week, versions and manifests."""
    actor = actor_for(user)
    depots = depot_choices(session, actor)
    chosen = next((d for d in depots if d["code"] == depot), depots[0] if depots else None)
    day = date or (default_day(session, actor, chosen["code"]) if chosen else dt.date.today())
    config: dict[str, Any] = {
        "depot": chosen["code"] if chosen else None,
        "date": day.isoformat(),
        "tileUrl": settings.tile_url,
        "tileCrs": settings.tile_crs,
        "tileAttribution": settings.tile_attribution,
        "messages": _messages(request),
    }
    return templates.TemplateResponse(
        request,
        "dispatch/day.html",
        {
            "user": user,
            "depots": depots,
            "depot": chosen,
            "day": day,
            "config": config,
            "can_plan": allows(actor.role, Action.PLAN_ROUTES),
        },
    )
