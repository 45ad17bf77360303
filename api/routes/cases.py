"""Cases (涉烟案件) of the caller's counties and those shared with them, and their networks.

Every route answers over the cases the caller may see: their counties' and those another
county shared with one of theirs (read-only), never more. Another county's case answers
404, as if it did not exist; networks, merge suggestions, chains and exports are computed
over the visible cases only. Pages: ``/cases`` (the networks) and ``/cases/network/{id}``
(facts, link chart and map of one network; no internet needed).

Case numbers often contain ``/`` (``XH/2026/012``), and network ids are built from them
(``N-XH/2026/012``), so both are matched as paths: ``/api/v1/cases/XH/2026/012``,
``/api/v1/cases/XH/2026/012/share``, ``/cases/network/N-XH/2026/012``, with the slashes
written plainly or encoded as ``%2F``. The fixed routes (``networks``, ``merge-suggestions``,
``path``) and the ``/share`` and ``/export`` sub-routes are declared first, so they still
match.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.convertors import PathConvertor, register_url_convertor

from api.deps import CurrentActor, PageUser, SessionDep, SettingsDep
from api.static import STATIC_URL
from gridmgmt.domain import label_zh
from gridmgmt.io.problems import ImportValidationError
from gridmgmt.services.actor import AccessDeniedError
from gridmgmt.services.cases import (
    CaseExistsError,
    CaseNotFoundError,
    case_path,
    chain_dict,
    county_names,
    create_case,
    get_case,
    list_cases,
    list_networks,
    merge_suggestions,
    network_detail,
    network_geojson,
    network_tables,
    network_view,
    share_case,
    share_network,
    suggestion_dict,
    update_case,
)
from gridmgmt.services.cases.records import MAX_PAGE_SIZE
from gridmgmt.services.users import actor_for
from maps.cases import PAGE_STYLE, network_body, network_page


class NonEmptyPathConvertor(PathConvertor):
    """A path parameter that may hold ``/`` but is never empty (``/api/v1/cases/`` is no case)."""

    regex = ".+"


register_url_convertor("nonempty_path", NonEmptyPathConvertor())

router = APIRouter(tags=["cases"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
PREFIX = "/api/v1/cases"
GEOJSON = "application/geo+json"


@contextmanager
def case_errors() -> Iterator[None]:
    """Service errors as HTTP answers: 404 not found (or not yours), 403 not allowed,
    409 case number taken, 422 bad input (with every problem)."""
    try:
        yield
    except CaseNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except AccessDeniedError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from error
    except CaseExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
    except ImportValidationError as error:
        detail = [{"row": p.row, "field": p.field, "message": p.message} for p in error.problems]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from error
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error


class EntityIn(BaseModel):
    """An entity the case mentions, with the role it played."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="person, id_number, phone, plate, waybill, address, licence_no, "
        "bank_account or company."
    )
    value: str | None = Field(default=None, description="The identifier (not for persons).")
    role: str = Field(default="", description="Role in the case: 司机, 供货人, 收件人 ...")
    name: str | None = Field(default=None, description="A person's name.")
    id_number: str | None = Field(default=None, description="A person's resident ID number.")
    phone: str | None = Field(default=None, description="A person's phone.")


class CaseIn(BaseModel):
    """A new case in the JSON import form."""

    model_config = ConfigDict(extra="forbid")

    case_no: str
    county_code: str = Field(description="6-digit code of one of your counties.")
    opened_on: str = Field(description="Date opened: 2023-05-01, 2023/5/1 or 2023年5月1日.")
    type: str = Field(
        description="counterfeit, smuggled, genuine_outflow, unlicensed_sale or courier_shipment."
    )
    status: str | None = Field(
        default=None, description="open, investigating, transferred or closed."
    )
    lon: float | None = None
    lat: float | None = None
    crs: str = Field(default="wgs84", description="Of lon/lat: wgs84, gcj02, bd09, cgcs2000.")
    seized_cartons: float | None = None
    value_yuan: float | None = None
    summary: str | None = None
    entities: list[EntityIn] = Field(default_factory=list)


class CaseChangeIn(BaseModel):
    """Fields of a case to change; ``entities`` replaces every mention; null clears a field."""

    model_config = ConfigDict(extra="forbid")

    county_code: str | None = None
    opened_on: str | None = None
    type: str | None = None
    status: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = Field(default="wgs84", description="Of lon/lat when given.")
    seized_cartons: float | None = None
    value_yuan: float | None = None
    summary: str | None = None
    entities: list[EntityIn] | None = None


class ShareIn(BaseModel):
    """A county to share with, and why."""

    to_county: str = Field(description="6-digit code of the county to share with.")
    note: str | None = Field(default=None, description="Why; kept in the audit log.")


def _entities(body: CaseIn | CaseChangeIn) -> list[dict[str, Any]]:
    return [e.model_dump(exclude_none=True) for e in body.entities or []]


@router.get(PREFIX)
def read_cases(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    status_: Annotated[str | None, Query(alias="status", description="Only this status.")] = None,
    type_: Annotated[str | None, Query(alias="type", description="Only this case type.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """A page of the cases you may see (yours and those shared with you), newest first."""
    with case_errors():
        page = list_cases(
            session,
            actor,
            county=county,
            status=status_,
            case_type=type_,
            limit=limit,
            offset=offset,
        )
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "items": page.items}


@router.post(PREFIX, status_code=status.HTTP_201_CREATED)
def add_case(body: CaseIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Create a case of one of your counties; its mentions are normalised and linked."""
    data = body.model_dump(exclude={"crs", "entities"}, exclude_none=True)
    data["entities"] = _entities(body)
    with case_errors():
        return create_case(session, actor, data, crs=body.crs)


@router.get(f"{PREFIX}/networks")
def read_networks(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only networks with a case here.")] = None,
) -> list[dict[str, Any]]:
    """Networks of linked cases among the cases you may see, the largest first."""
    with case_errors():
        return [n.as_dict() for n in list_networks(session, actor, county=county)]


@router.get(
    f"{PREFIX}/networks/{{network_id:nonempty_path}}/export",
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}}}},
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
    with case_errors():
        if format_ == "geojson":
            data = network_geojson(session, actor, network_id)
            return JSONResponse(data, media_type=GEOJSON)
        nodes, edges = network_tables(session, actor, network_id)
    frame = nodes if table == "nodes" else edges
    text = "\ufeff" + frame.to_csv(index=False, lineterminator="\n")
    filename = f"{network_id}-{table}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(f"{PREFIX}/networks/{{network_id:nonempty_path}}")
def read_network(network_id: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """One network with its timeline and most central people and phones."""
    with case_errors():
        return network_detail(session, actor, network_id)


@router.post(f"{PREFIX}/networks/{{network_id:nonempty_path}}/share")
def share_a_network(
    network_id: str, body: ShareIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Share every case of the network that is yours with another county (liaisons)."""
    with case_errors():
        return share_network(session, actor, network_id, body.to_county, note=body.note)


@router.get(f"{PREFIX}/merge-suggestions")
def read_merge_suggestions(
    session: SessionDep,
    actor: CurrentActor,
    min_score: Annotated[float, Query(ge=0, le=1, description="Weakest score suggested.")] = 0.7,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Cases to merge (并案), strongest first, each with the entities that tie them."""
    with case_errors():
        found = merge_suggestions(session, actor, min_score=min_score, limit=limit)
    return [suggestion_dict(s) for s in found]


@router.get(f"{PREFIX}/path")
def read_path(
    session: SessionDep,
    actor: CurrentActor,
    source: Annotated[str, Query(alias="from", description="Case number to start from.")],
    target: Annotated[str, Query(alias="to", description="Case number to reach.")],
) -> dict[str, Any]:
    """The strongest chain of shared entities between two cases; ``found`` false if none."""
    with case_errors():
        chain = case_path(session, actor, source, target)
    if chain is None:
        return {"found": False, "cases": [], "links": [], "cost": None}
    return {"found": True, **chain_dict(chain)}


@router.post(f"{PREFIX}/{{case_no:nonempty_path}}/share")
def share_a_case(
    case_no: str, body: ShareIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Share a case of your counties with another county (liaisons); audited."""
    with case_errors():
        return share_case(session, actor, case_no, body.to_county, note=body.note)


@router.get(f"{PREFIX}/{{case_no:nonempty_path}}")
def read_case(case_no: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """One case with its mentions (raw, normalised, valid or why not) and its network."""
    with case_errors():
        return get_case(session, actor, case_no)


@router.patch(f"{PREFIX}/{{case_no:nonempty_path}}")
def edit_case(
    case_no: str, body: CaseChangeIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Change a case of your counties (a case shared with you is read-only: 403)."""
    changes = body.model_dump(exclude_unset=True, exclude={"crs", "entities"})
    if "entities" in body.model_fields_set:
        changes["entities"] = _entities(body)
    with case_errors():
        return update_case(session, actor, case_no, changes, crs=body.crs)


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
    """One network: facts, timeline, link chart (inline SVG) and map, all served locally."""
    actor = actor_for(user)
    with case_errors():
        view = network_view(session, actor, network_id)
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
