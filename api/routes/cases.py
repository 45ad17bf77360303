"""Cases (涉烟案件) of the caller's counties and those shared with them, and their networks.

Every route answers over the cases the caller may see: their counties' and those another
county shared with one of theirs (read-only), never more. Another county's case answers
404, as if it did not exist; networks, merge suggestions, chains and exports are computed
over the visible cases only. Pages: ``/cases`` (the networks) and ``/cases/network/{id}``
(facts, link chart and map of one network; no internet needed).

Reading cases and networks needs ``cases.read`` (every role); a dispatcher, who may not read
personal data, gets cases and networks with their personal identifiers masked, and is refused
(403) the merge suggestions, chains, exports and network pages, which are made of them.
Changing needs ``cases.change``, sharing ``cases.share`` (see :mod:`gridmgmt.policy`). Errors
are answered by the app's handlers (``api/errors.py``): 404 for an unknown case or network,
422 with the problems for a bad body, 409 for a case number the county has already.

A case number is unique within its county, not across counties (two bureaus may both have a
case 12): a caller who sees cases of one number in several counties names the county with
``?county=``, else 422 lists them. Networks, chains and merge suggestions list cases by key,
``county_code/case_no``; every case carries its ``key``.

Case numbers often contain ``/`` (``XH/2026/012``), and network ids are built from them
(``N-XH/2026/012``), so both are matched as paths: ``/api/v1/cases/XH/2026/012``,
``/api/v1/cases/XH/2026/012/share``, ``/cases/network/N-XH/2026/012``, with the slashes
written plainly or encoded as ``%2F``. The fixed routes (``networks``, ``merge-suggestions``,
``path``) and the ``/share`` and ``/export`` sub-routes are declared first, so they still
match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.convertors import PathConvertor, register_url_convertor

from api.declared import (
    CASE_STATUSES,
    CASE_TYPES,
    CHINA_LATITUDE,
    CHINA_LONGITUDE,
    COUNTY_CODE,
    CRS,
    DATE,
    NON_BLANK,
    between,
    one_of,
)
from api.deps import CurrentActor, PageUser, SessionDep, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from api.routes.jobs import accepted
from api.static import STATIC_URL
from gridmgmt import jobs
from gridmgmt.cases.networks import Network
from gridmgmt.domain import EntityKind, label_zh
from gridmgmt.jobs import JobView
from gridmgmt.policy import Action, allows
from gridmgmt.services.cases import (
    CaseDetail,
    CasePage,
    CaseShare,
    ChainResult,
    MergeSuggestionItem,
    NetworkDetail,
    NetworkShare,
    case_path,
    county_names,
    create_case,
    get_case,
    list_cases,
    list_networks,
    merge_suggestions,
    network_detail,
    network_geojson,
    network_jobs,
    network_tables,
    network_view,
    share_case,
    share_network,
    update_case,
)
from gridmgmt.services.cases.records import MAX_PAGE_SIZE
from gridmgmt.services.records import MAX_OFFSET
from gridmgmt.services.users import actor_for
from maps.cases import PAGE_STYLE, network_body, network_page


class NonEmptyPathConvertor(PathConvertor):
    """A path parameter that may hold ``/`` but is never empty (``/api/v1/cases/`` is no case)."""

    regex = ".+"


register_url_convertor("nonempty_path", NonEmptyPathConvertor())

router = APIRouter(tags=["cases"], responses=ERROR_RESPONSES)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
PREFIX = "/api/v1/cases"
GEOJSON = "application/geo+json"


class EntityIn(BaseModel):
    """An entity the case mentions, with the role it played."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="person, id_number, phone, plate, waybill, address, licence_no, "
        "bank_account or company.",
        json_schema_extra=one_of(k.value for k in EntityKind),
    )
    value: str | None = Field(default=None, description="The identifier (not for persons).")
    role: str = Field(default="", description="Role in the case: 司机, 供货人, 收件人 ...")
    name: str | None = Field(default=None, description="A person's name.")
    id_number: str | None = Field(default=None, description="A person's resident ID number.")
    phone: str | None = Field(default=None, description="A person's phone.")


class CaseIn(BaseModel):
    """A new case in the JSON import form."""

    model_config = ConfigDict(extra="forbid")

    case_no: str = Field(description="The case number (案件编号).", json_schema_extra=NON_BLANK)
    county_code: str = Field(
        description="6-digit code of one of your counties.", json_schema_extra=COUNTY_CODE
    )
    opened_on: str = Field(
        description="Date opened: 2023-05-01, 2023/5/1 or 2023年5月1日.", json_schema_extra=DATE
    )
    type: str = Field(
        description="counterfeit, smuggled, genuine_outflow, unlicensed_sale or courier_shipment.",
        json_schema_extra=CASE_TYPES,
    )
    status: str | None = Field(
        default=None,
        description="open, investigating, transferred or closed.",
        json_schema_extra=CASE_STATUSES,
    )
    lon: float | None = Field(default=None, json_schema_extra=CHINA_LONGITUDE)
    lat: float | None = Field(default=None, json_schema_extra=CHINA_LATITUDE)
    crs: str = Field(
        default="wgs84",
        description="Of lon/lat: wgs84, gcj02, bd09, cgcs2000.",
        json_schema_extra=CRS,
    )
    seized_cartons: float | None = Field(default=None, json_schema_extra=between(0, 1e9))
    value_yuan: float | None = Field(default=None, json_schema_extra=between(0, 1e12))
    summary: str | None = None
    entities: list[EntityIn] = Field(default_factory=list)


class CaseChangeIn(BaseModel):
    """Fields of a case to change; ``entities`` replaces every mention; null clears a field."""

    model_config = ConfigDict(extra="forbid")

    county_code: str | None = Field(default=None, json_schema_extra=COUNTY_CODE)
    opened_on: str | None = Field(default=None, json_schema_extra=DATE)
    type: str | None = Field(default=None, json_schema_extra=CASE_TYPES)
    status: str | None = Field(default=None, json_schema_extra=CASE_STATUSES)
    lon: float | None = Field(default=None, json_schema_extra=CHINA_LONGITUDE)
    lat: float | None = Field(default=None, json_schema_extra=CHINA_LATITUDE)
    crs: str = Field(default="wgs84", description="Of lon/lat when given.", json_schema_extra=CRS)
    seized_cartons: float | None = Field(default=None, json_schema_extra=between(0, 1e9))
    value_yuan: float | None = Field(default=None, json_schema_extra=between(0, 1e12))
    summary: str | None = None
    entities: list[EntityIn] | None = None
    base_version: str | None = Field(
        default=None,
        description=(
            "The case's version you read: 409 with the case if it changed since. Without it "
            "only the fields you send change."
        ),
    )


class ShareIn(BaseModel):
    """A county to share with, and why."""

    to_county: str = Field(
        description="6-digit code of the county to share with.", json_schema_extra=COUNTY_CODE
    )
    note: str | None = Field(default=None, description="Why; kept in the audit log.")


def _entities(body: CaseIn | CaseChangeIn) -> list[dict[str, Any]]:
    return [e.model_dump(exclude_none=True) for e in body.entities or []]


READ = [allow(Action.READ_CASES)]
PERSONAL = [allow(Action.READ_CASE_PERSONAL_DATA)]
CHANGE = [allow(Action.CHANGE_CASES)]
SHARE = [allow(Action.SHARE_CASES)]


@router.get(PREFIX, dependencies=READ)
def read_cases(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    status_: Annotated[
        str | None,
        Query(alias="status", description="Only this status.", json_schema_extra=CASE_STATUSES),
    ] = None,
    type_: Annotated[
        str | None,
        Query(alias="type", description="Only this case type.", json_schema_extra=CASE_TYPES),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> CasePage:
    """A page of the cases you may see (yours and those shared with you), newest first."""
    return list_cases(
        session, actor, county=county, status=status_, case_type=type_, limit=limit, offset=offset
    )


@router.post(PREFIX, status_code=status.HTTP_201_CREATED, dependencies=CHANGE)
def add_case(body: CaseIn, session: SessionDep, actor: CurrentActor) -> CaseDetail:
    """Create a case of one of your counties; its mentions are normalised and linked."""
    data = body.model_dump(exclude={"crs", "entities"}, exclude_none=True)
    data["entities"] = _entities(body)
    return create_case(session, actor, data, crs=body.crs)


@router.get(f"{PREFIX}/networks", dependencies=READ)
def read_networks(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only networks with a case here.")] = None,
) -> list[Network]:
    """Networks of linked cases among the cases you may see, the largest first."""
    return list_networks(session, actor, county=county)


@router.post(
    f"{PREFIX}/networks/build",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    dependencies=CHANGE,
)
def build_networks(actor: CurrentActor, settings: SettingsDep, response: Response) -> JobView:
    """Build the case networks as a job (entities resolved over every county and stored);
    its result counts the networks you may see. Follow it at ``GET /api/v1/jobs/{id}``."""
    params = network_jobs.networks_params(actor)
    view = jobs.submit(network_jobs.BUILD_NETWORKS, params, actor=actor, settings=settings)
    return accepted(view, response)


@router.get(
    f"{PREFIX}/networks/{{network_id:nonempty_path}}/export",
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}}}},
    dependencies=PERSONAL,
)
def export_network(
    network_id: str,
    session: SessionDep,
    actor: CurrentActor,
    format_: Annotated[
        Literal["geojson", "csv"],
        Query(alias="format", description="geojson (cases and links) or csv (one table)."),
    ] = "geojson",
    table: Annotated[
        Literal["nodes", "edges"], Query(description="For csv: the node or the edge table.")
    ] = "nodes",
) -> Response:
    """A network as GeoJSON (cases as points, links as lines) or as node/edge CSV tables."""
    if format_ == "geojson":
        return JSONResponse(network_geojson(session, actor, network_id), media_type=GEOJSON)
    nodes, edges = network_tables(session, actor, network_id)
    frame = nodes if table == "nodes" else edges
    text = "\ufeff" + frame.to_csv(index=False, lineterminator="\n")
    filename = f"{network_id}-{table}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(f"{PREFIX}/networks/{{network_id:nonempty_path}}", dependencies=READ)
def read_network(network_id: str, session: SessionDep, actor: CurrentActor) -> NetworkDetail:
    """One network with its timeline and most central people and phones."""
    return network_detail(session, actor, network_id)


@router.post(f"{PREFIX}/networks/{{network_id:nonempty_path}}/share", dependencies=SHARE)
def share_a_network(
    network_id: str, body: ShareIn, session: SessionDep, actor: CurrentActor
) -> NetworkShare:
    """Share every case of the network that is yours with another county (liaisons)."""
    return share_network(session, actor, network_id, body.to_county, note=body.note)


@router.get(f"{PREFIX}/merge-suggestions", dependencies=PERSONAL)
def read_merge_suggestions(
    session: SessionDep,
    actor: CurrentActor,
    min_score: Annotated[float, Query(ge=0, le=1, description="Weakest score suggested.")] = 0.7,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MergeSuggestionItem]:
    """Cases to merge (并案), strongest first, each with the entities that tie them."""
    return merge_suggestions(session, actor, min_score=min_score, limit=limit)


@router.get(f"{PREFIX}/path", dependencies=PERSONAL)
def read_path(
    session: SessionDep,
    actor: CurrentActor,
    source: Annotated[str, Query(alias="from", description="Case number to start from.")],
    target: Annotated[str, Query(alias="to", description="Case number to reach.")],
    source_county: Annotated[
        str | None, Query(alias="from_county", description="Its county, if ambiguous.")
    ] = None,
    target_county: Annotated[
        str | None, Query(alias="to_county", description="Its county, if ambiguous.")
    ] = None,
) -> ChainResult:
    """The strongest chain of shared entities between two cases; ``found`` false if none."""
    return case_path(
        session,
        actor,
        source,
        target,
        source_county=source_county,
        target_county=target_county,
    )


CaseCounty = Annotated[
    str | None,
    Query(
        description="The case's county: needed only when you see cases of this number in "
        "several counties (case numbers are unique per county)."
    ),
]


@router.post(f"{PREFIX}/{{case_no:nonempty_path}}/share", dependencies=SHARE)
def share_a_case(
    case_no: str,
    body: ShareIn,
    session: SessionDep,
    actor: CurrentActor,
    county: CaseCounty = None,
) -> CaseShare:
    """Share a case of your counties with another county (liaisons); audited."""
    return share_case(session, actor, case_no, body.to_county, note=body.note, county=county)


@router.get(f"{PREFIX}/{{case_no:nonempty_path}}", dependencies=READ)
def read_case(
    case_no: str, session: SessionDep, actor: CurrentActor, county: CaseCounty = None
) -> CaseDetail:
    """One case with its mentions (raw, normalised, valid or why not) and its network.

    For a role that may not read personal data (the dispatcher), names, ID numbers, phones,
    plates, bank accounts and waybills are masked and ``redacted`` is true.
    """
    return get_case(session, actor, case_no, county=county)


@router.patch(f"{PREFIX}/{{case_no:nonempty_path}}", dependencies=CHANGE)
def edit_case(
    case_no: str,
    body: CaseChangeIn,
    session: SessionDep,
    actor: CurrentActor,
    county: CaseCounty = None,
) -> CaseDetail:
    """Change a case of your counties (a case shared with you is read-only: 403)."""
    changes = body.model_dump(exclude_unset=True, exclude={"crs", "entities", "base_version"})
    if "entities" in body.model_fields_set:
        changes["entities"] = _entities(body)
    return update_case(
        session,
        actor,
        case_no,
        changes,
        crs=body.crs,
        county=county,
        base_version=body.base_version,
    )


# --- pages ----------------------------------------------------------------------------------


@router.get("/cases", include_in_schema=False)
def networks_page(request: Request, user: PageUser, session: SessionDep) -> HTMLResponse:
    """The networks among the cases the user may see, each linking to its page."""
    actor = actor_for(user)
    networks = list_networks(session, actor)
    return templates.TemplateResponse(
        request,
        "case_networks.html",
        {
            "user": user,
            "role_zh": label_zh(user.role),
            "networks": networks,
            "names": county_names(session),
            "can_build": allows(user.role, Action.CHANGE_CASES),
        },
    )


@router.get("/cases/network/{network_id:nonempty_path}", include_in_schema=False)
def network_page_view(
    request: Request,
    network_id: str,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One network: facts, timeline, link chart (inline SVG) and map, all served locally.

    Made of personal data (the link chart): refused (403) to roles that may not read it.
    """
    view = network_view(session, actor_for(user), network_id)
    page = network_page(
        view.network,
        view.timeline,
        view.central,
        view.chart,
        view.cases,
        view.links,
        view.counties,
        hub_cap=view.hub_cap,
        county_names=county_names(session),
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
        static_url=STATIC_URL,
    )
    return templates.TemplateResponse(
        request,
        "case_network.html",
        {
            "user": user,
            "role_zh": label_zh(user.role),
            "page": page,
            "body": network_body(page),
            "style": PAGE_STYLE,
        },
    )
