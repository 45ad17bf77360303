"""Geographic rules of the caller's counties: settings, red lines, spacing, licence checks,
border markets, outflow suspects and checkpoint coverage.

Every route answers for the caller's counties only; another county answers 404, as if it
did not exist. Road networks come from the county's stored road file (``gridmgmt rules
settings --roads``); without one, walking distances are straight lines and the answer's
``notes`` say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import CurrentActor, SessionDep
from gridmgmt.rules.tickets import TicketTransitionError
from gridmgmt.services.actor import AccessDeniedError
from gridmgmt.services.frames import frame_records
from gridmgmt.services.rules import (
    DrawExistsError,
    RecordNotFoundError,
    border_markets_report,
    check_licence,
    checkpoint_coverage,
    get_rule_settings,
    outflow_report,
    red_lines,
    set_rule_settings,
    spacing,
)
from gridmgmt.services.rules._common import CountyRules
from maps.rules import LICENCE_CHECK_JS

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])

CountyQuery = Annotated[
    str | None, Query(description="Only this county (6-digit code); default all of yours.")
]


@contextmanager
def service_errors() -> Iterator[None]:
    """Service errors as HTTP answers: 404 not found (or not yours), 403 role, 409 conflict,
    422 bad input."""
    try:
        yield
    except RecordNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except AccessDeniedError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from error
    except (DrawExistsError, TicketTransitionError) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
    except (ValueError, FileNotFoundError) as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error


class SettingsIn(BaseModel):
    """A change of a county's rule settings."""

    preset: str | None = Field(default=None, description="default, wuhan or suqian.")
    settings: dict[str, Any] | None = Field(
        default=None, description="Sections to change: red_line, spacing, borders, outflow..."
    )


def _settings_out(rules: CountyRules) -> dict[str, Any]:
    return {
        "county_code": rules.county_code,
        "preset": rules.preset,
        "stored": rules.stored,
        "walk_network": rules.roads_file is not None,
        "settings": rules.settings.model_dump(mode="json"),
    }


@router.get("/settings/{county}")
def read_settings(county: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """The rule settings in force in one of your counties."""
    with service_errors():
        return _settings_out(get_rule_settings(session, actor, county))


@router.put("/settings/{county}")
def write_settings(
    county: str, body: SettingsIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Set a county's rule settings from a preset and/or changed sections (admins only)."""
    with service_errors():
        rules = set_rule_settings(
            session, actor, county, preset_name=body.preset, overrides=body.settings
        )
        return _settings_out(rules)


@router.get("/red-lines")
def list_red_lines(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    metres: Annotated[
        float | None, Query(ge=0, description="One red-line distance for every school kind.")
    ] = None,
) -> dict[str, Any]:
    """Retailers inside school red lines (学校红线): licence_no, school, distance_m..."""
    with service_errors():
        found = red_lines(session, actor, county=county, metres=metres)
    return {"items": frame_records(found.violations), "notes": found.notes}


@router.get("/spacing")
def list_spacing(
    session: SessionDep, actor: CurrentActor, county: CountyQuery = None
) -> dict[str, Any]:
    """Pairs of retailers closer than the minimum spacing (合理布局), worst first."""
    with service_errors():
        found = spacing(session, actor, county=county)
    return {"items": frame_records(found.breaches, lonlat=False), "notes": found.notes}


@router.get("/check-licence")
def licence_check(
    session: SessionDep,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude.")],
    crs: Annotated[
        str, Query(description="wgs84, gcj02 (Amap, Tencent), bd09 (Baidu) or cgcs2000.")
    ] = "wgs84",
) -> dict[str, Any]:
    """Can a retailer be licensed at this point? ``allowed`` with every reason.

    A point outside your counties is refused as outside the bureau.
    """
    with service_errors():
        return check_licence(session, actor, lon=lon, lat=lat, crs=crs).to_dict()


@router.get("/border-markets")
def list_border_markets(
    session: SessionDep, actor: CurrentActor, county: CountyQuery = None
) -> dict[str, Any]:
    """Retailers near county and province borders (边界市场), with summaries."""
    with service_errors():
        found = border_markets_report(session, actor, county=county)
    return {
        "items": frame_records(found.retailers),
        "segments": frame_records(found.segments),
        "neighbours": frame_records(found.neighbours),
        "notes": found.notes,
    }


@router.get("/outflow")
def list_outflow(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    start: Annotated[dt.date | None, Query(description="First order date.")] = None,
    end: Annotated[dt.date | None, Query(description="Last order date.")] = None,
) -> dict[str, Any]:
    """Outflow suspects (真烟外流), ranked, with their reasons."""
    with service_errors():
        found = outflow_report(session, actor, county=county, start=start, end=end)
    return {
        "items": frame_records(found.suspects),
        "start": found.start.isoformat() if found.start else None,
        "end": found.end.isoformat() if found.end else None,
        "notes": found.notes,
    }


@router.get("/checkpoint-coverage")
def coverage(
    session: SessionDep,
    actor: CurrentActor,
    county: CountyQuery = None,
    k: Annotated[int, Query(ge=1, le=50, description="New sites to suggest.")] = 3,
) -> dict[str, Any]:
    """Road crossings of your borders, their coverage by checkpoints, and new sites."""
    with service_errors():
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
