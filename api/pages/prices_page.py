"""``/prices``: price checks (价格互查) of the user's counties.

The cross-border price gaps drawn along the borders on a map (:mod:`maps.prices`), the
gaps' table, the median price per brand and pack per self-discipline group (自律互助小组)
and per county, and the retailers far off their county's median. A county and a period
may be chosen; the neighbour's side of a border is only ever a median and a count.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages.cooperation_common import county_outlines, page_user_for
from api.static import STATIC_URL
from api.web import render_page
from gridmgmt.policy import Action
from gridmgmt.services import records
from gridmgmt.services.prices import (
    gap_frame,
    price_gap_report,
    price_medians,
    price_outlier_report,
)
from gridmgmt.services.users import UserInfo, actor_for
from maps.assets import render_parts
from maps.prices import build_price_gap_map

router = APIRouter(include_in_schema=False)

PricesUser = Annotated[UserInfo, Depends(page_user_for(Action.READ_PRICES))]
DateQuery = Annotated[dt.date | None, Query(description="YYYY-MM-DD")]


@router.get("/prices", response_class=HTMLResponse)
def prices_page(
    request: Request,
    user: PricesUser,
    session: SessionDep,
    settings: SettingsDep,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    start: DateQuery = None,
    end: DateQuery = None,
) -> HTMLResponse:
    """Price gaps on a map, medians per group and county, outliers."""
    actor = actor_for(user)
    chosen = county or None
    medians = price_medians(session, actor, county=chosen, start=start, end=end)
    start, end = medians.start or start, medians.end or end  # one period for every table
    gaps = price_gap_report(session, actor, county=chosen, start=start, end=end)
    outliers = price_outlier_report(session, actor, county=chosen, start=start, end=end)
    counties = records.list_counties(session, actor)
    shown = {c.code for c in counties if chosen in (None, c.code)}
    shown |= {g.county_a for g in gaps.gaps} | {g.county_b for g in gaps.gaps}
    outlines = county_outlines(session, shown)
    m = build_price_gap_map(
        outlines,
        gap_frame(gaps),
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
    )
    context: dict[str, Any] = {
        "counties": counties,
        "county": chosen,
        "names": dict(zip(outlines["code"], outlines["name"], strict=True)),
        "start": start,
        "end": end,
        "asked": (request.query_params.get("start"), request.query_params.get("end")),
        "medians": medians,
        "gaps": sorted(gaps.gaps, key=lambda g: (not g.flagged, -g.gap_share)),
        "gap_notes": gaps.notes,
        "outliers": outliers,
        "map": render_parts(m, static_url=STATIC_URL),
    }
    return render_page(request, "cooperation/prices.html", user, context)
