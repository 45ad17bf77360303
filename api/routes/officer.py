"""Data for the officer's map page: its layers, the licence check in plain language, and
where the officer stands.

The other routes answer for any client in English and in full; these answer the page: rows
compact enough for a whole county, coordinates in the tiles' system, and texts in the
page's language. Another county answers 404, as everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from api.cached import cached_json
from api.declared import CrsQuery
from api.deps import CurrentActor, SessionDep, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from api.i18n import gettext_for, request_locale
from api.pages.map_data import MAX_SPACING_LINES, RETAILER_COLUMNS, outlines, point_rows
from api.pages.plain_text import note_text, reason_text
from gridmgmt.crs import from_wgs84
from gridmgmt.errors import NotFoundError
from gridmgmt.policy import Action
from gridmgmt.services.actor import Actor
from gridmgmt.services.data_version import data_version, database_key
from gridmgmt.services.frames import load_frame
from gridmgmt.services.grids import locate
from gridmgmt.services.nearby import nearest_retailers
from gridmgmt.services.rules import border_markets_report, check_licence, red_lines, spacing
from gridmgmt.services.rules._common import road_files_stamp, scope_counties

router = APIRouter(prefix="/api/v1/officer", tags=["officer pages"], responses=ERROR_RESPONSES)

County = Annotated[str, Query(pattern=r"^\d{6}$", description="6-digit county code.")]
Layer = Literal["red_lines", "spacing", "borders"]


def _require_county(actor: Actor, county: str) -> None:
    if not actor.can_see(county):
        raise NotFoundError("county", county)


MAP_KINDS: Final = (
    "retailers",
    "retailer_grids",
    "grids",
    "staff_grids",
    "staff",
    "schools",
    "checkpoints",
)
"""What a county's map data is built from (its data version)."""
LAYER_KINDS: Final = ("retailers", "schools", "rule_settings")
"""What a rule layer is built from in the caller's counties (and every county's outline)."""


@router.get("/map", dependencies=[allow(Action.READ_GRIDS)], response_model=dict[str, Any])
def map_data(
    county: County, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> Response:
    """A county's grids, retailers, schools and checkpoints for the officer's map.

    Built once per county and data version in each app process (then a lookup).
    """
    _require_county(actor, county)
    crs = settings.tile_crs
    key = ("officer map", database_key(session), county, crs)
    version = data_version(session, [county], MAP_KINDS)
    return cached_json(key, version, lambda: _map_data(session, actor, county, crs))


def _map_data(session: Session, actor: Actor, county: str, crs: str) -> dict[str, Any]:
    codes = [county]
    grids = load_frame(session, "grids", actor, county_codes=codes)
    grid_columns = ("grid_id", "county_code", "monopoly_officer", "n_retailers", "n_key_retailers")
    return {
        "county": county,
        "retailer_columns": list(RETAILER_COLUMNS),
        "retailers": point_rows(
            load_frame(session, "retailers", actor, county_codes=codes),
            RETAILER_COLUMNS,
            tile_crs=crs,
        ),
        "grids": outlines(grids, grid_columns, tile_crs=crs),
        "schools": point_rows(
            load_frame(session, "schools", actor, county_codes=codes),
            ("name", "kind"),
            tile_crs=crs,
        ),
        "checkpoints": point_rows(
            load_frame(session, "checkpoints", actor, county_codes=codes),
            ("name", "kind"),
            tile_crs=crs,
        ),
    }


def _red_lines(
    session: Session, actor: Actor, county: str, crs: str
) -> tuple[dict[str, Any], list[str]]:
    found = red_lines(session, actor, county=county)
    columns = ("licence_no", "name", "school", "distance_m", "limit_m")
    data = {
        "zones": outlines(found.zones, ("school", "limit_m"), tile_crs=crs),
        "points": point_rows(found.violations, columns, tile_crs=crs),
    }
    return data, found.notes


def _spacing(
    session: Session, actor: Actor, county: str, crs: str
) -> tuple[dict[str, Any], list[str]]:
    found = spacing(session, actor, county=county)
    columns = ("licence_no_a", "licence_no_b", "distance_m", "required_m")
    shown = found.breaches.iloc[:MAX_SPACING_LINES]
    data = {"lines": outlines(shown, columns, tile_crs=crs), "total": len(found.breaches)}
    return data, found.notes


def _borders(
    session: Session, actor: Actor, county: str, crs: str
) -> tuple[dict[str, Any], list[str]]:
    found = border_markets_report(session, actor, county=county)
    columns = ("licence_no", "name", "neighbour", "county_border_m", "province_border_m")
    data = {
        "bands": outlines(found.bands, ("kind",), tile_crs=crs),
        "points": point_rows(found.retailers, columns, tile_crs=crs),
    }
    return data, found.notes


LAYERS: Final = {"red_lines": _red_lines, "spacing": _spacing, "borders": _borders}


@router.get(
    "/layers/{layer}", dependencies=[allow(Action.READ_RULES)], response_model=dict[str, Any]
)
def rule_layer(
    layer: Layer,
    county: County,
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> Response:
    """One rule layer of a county: red lines, spacing breaches or border markets.

    Built once per county, the caller's counties (red lines cross county lines), language
    and data version in each app process.
    """
    _require_county(actor, county)
    _ = gettext_for(request)
    crs = settings.tile_crs
    mine = scope_counties(session, actor)
    locale = request_locale(request)
    key = ("officer layer", database_key(session), layer, county, tuple(mine), crs, locale)
    version = (
        data_version(session, mine, LAYER_KINDS),
        data_version(session, None, ["counties"]),
        road_files_stamp(session, [county]),
    )

    def build() -> dict[str, Any]:
        data, notes = LAYERS[layer](session, actor, county, crs)
        return {**data, "notes": [note_text(note, _) for note in notes]}

    return cached_json(key, version, build)


@router.get("/licence-check", dependencies=[allow(Action.READ_RULES)])
def licence_check(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: CrsQuery = "wgs84",
) -> dict[str, Any]:
    """Can a retailer be licensed here? Every reason as a sentence in the page's language."""
    _ = gettext_for(request)
    answer = check_licence(session, actor, lon=lon, lat=lat, crs=crs)
    return {
        "allowed": answer.allowed,
        "verdict": _("Can be licensed") if answer.allowed else _("Cannot be licensed"),
        "reasons": [
            {
                "code": r.code,
                "blocking": r.blocking,
                "text": reason_text(r.code, r.detail, r.message, _),
            }
            for r in answer.reasons
        ],
        "notes": [note_text(note, _) for note in answer.notes],
        "lon": answer.lon,
        "lat": answer.lat,
    }


@router.get("/where", dependencies=[allow(Action.READ_BASE_DATA)])
def where_am_i(
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    count: Annotated[int, Query(ge=1, le=50)] = 8,
) -> dict[str, Any]:
    """The grid at a phone's position (WGS-84) and the nearest retailers, nearest first."""
    found = locate(session, actor, lon, lat)
    near = nearest_retailers(session, actor, lon=lon, lat=lat, count=count)
    shown = from_wgs84(
        [lon, *(r.lon for r in near)], [lat, *(r.lat for r in near)], settings.tile_crs
    )
    xs, ys = (list(map(float, values)) for values in shown)
    return {
        "lat": round(ys[0], 6),
        "lon": round(xs[0], 6),
        "grid": None
        if found is None
        else {
            "county_code": str(getattr(found, "county_code", "")),
            "grid_id": str(getattr(found, "grid_id", "")),
            "staff": dict(getattr(found, "staff", {}) or {}),
        },
        "retailers": [
            {**r.model_dump(mode="json"), "lat": round(y, 6), "lon": round(x, 6)}
            for r, x, y in zip(near, xs[1:], ys[1:], strict=True)
        ],
    }
