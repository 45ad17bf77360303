"""Geographic rules of the caller's counties: settings, red lines, spacing, licence checks,
border markets, outflow suspects and checkpoint coverage.

Every route answers for the caller's counties only; another county answers 404, as if it
did not exist. Road networks come from the county's stored road file (``gridmgmt rules
settings --roads``); without one, walking distances are straight lines and the answer's
``notes`` say so. Errors are answered by the app's handlers (``api/errors.py``): 404 not
yours, 403 role, 409 conflict, 422 bad input.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.declared import CrsQuery
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.policy import Action
from gridmgmt.rules.settings import MAX_RULE_DISTANCE_M
from gridmgmt.services.bounds import Version
from gridmgmt.services.frames import frame_records
from gridmgmt.services.rules import (
    LicenceAnswer,
    border_markets_report,
    check_licence,
    checkpoint_coverage,
    get_rule_settings,
    outflow_report,
    red_lines,
    set_rule_settings,
    spacing,
)
from gridmgmt.services.rules.settings import CountySettings
from maps.rules import LICENCE_CHECK_JS

router = APIRouter(prefix="/api/v1/rules", tags=["rules"], responses=ERROR_RESPONSES)

CountyQuery = Annotated[
    str | None, Query(description="Only this county (6-digit code); default all of yours.")
]


class SettingsIn(BaseModel):
    """A change of a county's rule settings."""

    preset: str | None = Field(default=None, description="default, wuhan or suqian.")
    settings: dict[str, Any] | None = Field(
        default=None, description="Sections to change: red_line, spacing, borders, outflow..."
    )
    base_version: Version | None = Field(
        default=None,
        ge=0,
        description="The settings' version you read (0: never set); 409 if they changed since.",
    )


READ: Any = [allow(Action.READ_RULES)]
SERVER_PATHS: Any = {"roads_file"}  # the stored road file's path on the server stays there


@router.get(
    "/settings/{county}",
    dependencies=READ,
    response_model=CountySettings,
    response_model_exclude=SERVER_PATHS,
)
def read_settings(county: str, session: SessionDep, actor: CurrentActor) -> CountySettings:
    """The rule settings in force in one of your counties."""
    return get_rule_settings(session, actor, county)


@router.put(
    "/settings/{county}",
    dependencies=[allow(Action.CHANGE_RULE_SETTINGS)],
    response_model=CountySettings,
    response_model_exclude=SERVER_PATHS,
)
def write_settings(
    county: str, body: SettingsIn, session: SessionDep, actor: CurrentActor
) -> CountySettings:
    """Set a county's rule settings from a preset and/or changed sections (admins only).

    Changed sections are merged over the settings in force; if someone else stored settings
    meanwhile (or since ``base_version``) the answer is 409 with the settings now.
    """
    return set_rule_settings(
        session,
        actor,
        county,
        preset_name=body.preset,
        overrides=body.settings,
        base_version=body.base_version,
    )


@router.get("/red-lines", dependencies=READ)
def list_red_lines(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    metres: Annotated[
        float | None,
        Query(
            ge=0,
            le=MAX_RULE_DISTANCE_M,
            description="One red-line distance for every school kind.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Retailers inside school red lines (学校红线): licence_no, school, distance_m..."""
    found = red_lines(session, actor, county=county, metres=metres)
    return {"items": frame_records(found.violations), "notes": found.notes}


@router.get("/spacing", dependencies=READ)
def list_spacing(
    session: SessionDep, actor: CurrentActor, county: CountyQuery = None
) -> dict[str, Any]:
    """Pairs of retailers closer than the minimum spacing (合理布局), worst first."""
    found = spacing(session, actor, county=county)
    return {"items": frame_records(found.breaches, lonlat=False), "notes": found.notes}


@router.get("/check-licence", dependencies=READ)
def licence_check(
    session: SessionDep,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude.")],
    crs: CrsQuery = "wgs84",
) -> LicenceAnswer:
    """Can a retailer be licensed at this point? ``allowed`` with every reason.

    A point outside your counties is refused as outside the bureau.
    """
    return check_licence(session, actor, lon=lon, lat=lat, crs=crs)


@router.get("/border-markets", dependencies=READ)
def list_border_markets(
    session: SessionDep, actor: CurrentActor, county: CountyQuery = None
) -> dict[str, Any]:
    """Retailers near county and province borders (边界市场), with summaries."""
    found = border_markets_report(session, actor, county=county)
    return {
        "items": frame_records(found.retailers),
        "segments": frame_records(found.segments),
        "neighbours": frame_records(found.neighbours),
        "notes": found.notes,
    }


@router.get("/outflow", dependencies=READ)
def list_outflow(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    start: Annotated[dt.date | None, Query(description="First order date.")] = None,
    end: Annotated[dt.date | None, Query(description="Last order date.")] = None,
) -> dict[str, Any]:
    """Outflow suspects (真烟外流), ranked, with their reasons."""
    found = outflow_report(session, actor, county=county, start=start, end=end)
    return {
        "items": frame_records(found.suspects),
        "start": found.start.isoformat() if found.start else None,
        "end": found.end.isoformat() if found.end else None,
        "notes": found.notes,
    }


@router.get("/checkpoint-coverage", dependencies=READ)
def coverage(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    k: Annotated[int, Query(ge=1, le=50, description="New sites to suggest.")] = 3,
) -> dict[str, Any]:
    """Road crossings of your borders, their coverage by checkpoints, and new sites."""
    found = checkpoint_coverage(session, actor, county=county, k=k, rotation_days=0)
    return {
        "crossings": frame_records(found.crossings),
        "checkpoints": frame_records(found.checkpoints),
        "sites": frame_records(found.sites),
        "intercepted": found.intercepted,
        "uncovered": found.uncovered,
        "total": found.total,
        "method": found.method,
        "notes": found.notes,
    }


@router.get("/licence-check.js", include_in_schema=False)
def licence_check_script() -> Response:
    """The map pages' click-to-check script (plain Leaflet and fetch, no CDN)."""
    return Response(
        LICENCE_CHECK_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600"},
    )
