"""Price checks in self-discipline groups (价格互查, 自律互助小组) over the JSON API.

- ``GET /api/v1/prices/medians[?county=C&start=D&end=D]``: the median price per brand and
  pack, per county and per group and county.
- ``GET /api/v1/prices/gaps[?county=C&flagged=true]``: price gaps across the borders of
  your counties, with the borders as GeoJSON for a map (the neighbour's side only as a
  median and a count of retailers).
- ``GET /api/v1/prices/outliers[?county=C]``: retailers far off their county's median.

Observations and groups are imported with the import kinds ``prices`` and ``groups``
(``POST /api/v1/imports``). The period defaults to the county's ``prices.period_days`` up
to the latest observation. Another county answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.policy import Action
from gridmgmt.services.prices import (
    PriceGaps,
    PriceMedians,
    PriceOutliers,
    price_gap_report,
    price_medians,
    price_outlier_report,
)

router = APIRouter(prefix="/api/v1/prices", tags=["prices"], responses=ERROR_RESPONSES)

READ = [allow(Action.READ_PRICES)]
CountyQuery = Annotated[
    str | None, Query(description="Only this county (6-digit code); default all of yours.")
]
StartQuery = Annotated[dt.date | None, Query(description="First day, YYYY-MM-DD.")]
EndQuery = Annotated[dt.date | None, Query(description="Last day, YYYY-MM-DD.")]


@router.get("/medians", dependencies=READ)
def read_medians(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> PriceMedians:
    """Median price (yuan per pack) per brand and pack, per county and per group."""
    return price_medians(session, actor, county=county, start=start, end=end)


@router.get("/gaps", dependencies=READ)
def read_gaps(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
    flagged: Annotated[bool, Query(description="Only gaps above the setting.")] = False,
) -> PriceGaps:
    """Price gaps across the borders of your counties (跨界价差), borders as GeoJSON."""
    return price_gap_report(
        session, actor, county=county, start=start, end=end, flagged_only=flagged
    )


@router.get("/outliers", dependencies=READ)
def read_outliers(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> PriceOutliers:
    """Retailers whose latest price is far off their county's median (sweep candidates)."""
    return price_outlier_report(session, actor, county=county, start=start, end=end)
