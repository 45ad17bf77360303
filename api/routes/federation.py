"""Private matching with neighbour counties (毗邻协作 隐私比对) over the JSON API.

- ``GET /api/v1/federation/hits``: the caller's counties' cases that share a strong
  identifier with a case of another county: the local case, the kind, the other county and
  an opaque reference; never the value or the other case.
- ``GET /api/v1/federation/bundle?county=C``: the county's signed bundle file, to hand to
  the neighbours (one server per county).
- ``POST /api/v1/federation/bundles``: import a neighbour's bundle (the file as the body);
  an altered or foreign-key bundle answers 422 and stores nothing; an older one than stored
  answers 409.
- ``GET /api/v1/federation/bundles``: the bundles stored here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import CurrentActor, SessionDep, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action
from gridmgmt.services.federation import (
    BundleImport,
    BundleSummary,
    FederationHit,
    export_bundle,
    import_bundle,
    list_bundles,
    list_hits,
)

router = APIRouter(prefix="/api/v1/federation", tags=["federation"], responses=ERROR_RESPONSES)

_BUNDLE_TYPE = "application/json"
_MAX_BUNDLE_BYTES = 512 * 1024 * 1024
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such county among yours."},
    422: {"description": "The bundle is refused (altered, another key, malformed)."},
}


@router.get("/hits", dependencies=[allow(Action.READ_FEDERATION_HITS)], responses=_ERRORS)
def hits(
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    county: Annotated[
        str | None, Query(description="Only this one of your counties.", pattern=r"^\d{6}$")
    ] = None,
) -> list[FederationHit]:
    """Your cases that share an ID number, phone, plate, waybill or bank account with a
    case of another county, each with an opaque reference to quote in a lead request."""
    return list_hits(session, actor=actor, settings=settings, county_code=county)


@router.get(
    "/bundle",
    dependencies=[allow(Action.EXPORT_FEDERATION_BUNDLE)],
    responses={200: {"content": {_BUNDLE_TYPE: {}}}, **_ERRORS},
    response_class=Response,
)
def bundle(
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    county: Annotated[str, Query(description="One of your counties.", pattern=r"^\d{6}$")],
) -> Response:
    """The county's signed bundle of keyed hashes, as a file for the neighbours."""
    exported = export_bundle(session, actor=actor, settings=settings, county_code=county)
    stamp = exported.created_at.strftime("%Y%m%dT%H%M%SZ")
    name = f"federation-{exported.county_code}-{stamp}.json"
    return Response(
        exported.data,
        media_type=_BUNDLE_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/bundles",
    dependencies=[allow(Action.IMPORT_FEDERATION_BUNDLE)],
    responses={409: {"description": "A bundle as new or newer is stored."}, **_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {_BUNDLE_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    name: Annotated[str, Query(description="The file's name, for messages.")] = "upload",
) -> BundleImport:
    """Import a neighbour's bundle file (the request body), all or nothing."""
    data = await request.body()
    if len(data) > _MAX_BUNDLE_BYTES:
        msg = f"bundle {name} is larger than {_MAX_BUNDLE_BYTES} bytes"
        raise InvalidInputError(msg)
    return await run_in_threadpool(
        import_bundle, session, actor=actor, settings=settings, data=data, source=name
    )


@router.get("/bundles", dependencies=[allow(Action.READ_FEDERATION_HITS)])
def bundles(session: SessionDep, actor: CurrentActor, settings: SettingsDep) -> list[BundleSummary]:
    """The neighbours' bundles stored on this server."""
    return list_bundles(session, actor=actor, settings=settings)
