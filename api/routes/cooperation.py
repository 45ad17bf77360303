"""Cooperation areas of adjacent counties (毗邻协作区) over the JSON API.

- ``GET /api/v1/cooperation/adjacency[?county=C]``: counties sharing a border, province
  lines marked; ``GET .../defects``: overlaps and gaps of the stored outlines.
- ``GET|POST /api/v1/cooperation/areas``, ``GET|PUT|DELETE .../areas/{code}``: the areas
  (an area is visible to its counties' users; administrators set them; ``PUT`` and
  ``DELETE`` carry the ``version`` read and answer 409 if someone changed it meanwhile).
- ``GET .../areas/{code}/contacts``: the joint contact list (打假打私联动联络通讯录);
  ``.../contacts/export?format=csv|xlsx&headers=zh|en`` as a file.
- ``GET|POST /api/v1/cooperation/liaisons``, ``PUT|DELETE .../liaisons/{id}``: your
  counties' liaisons (liaisons and administrators keep them; ``version`` as above).
- ``GET /api/v1/cooperation/report?quarter=2026Q3&area=A`` (or ``&county=C&county=D``):
  the quarterly mutual report (每季度互相通报); ``.../report/export`` as Excel
  (``&lang=zh_CN`` for Chinese titles and headers).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.declared import AREA_CODE, COUNTY_CODE, NON_BLANK, QuarterQuery, RecordId, VersionQuery
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from api.i18n import translations
from gridmgmt.policy import Action
from gridmgmt.services.bounds import Version
from gridmgmt.services.cooperation import (
    AdjacentPair,
    AreaView,
    BoundaryDefect,
    ContactList,
    LiaisonView,
    add_liaison,
    change_liaison,
    contact_list,
    contacts_file,
    create_area,
    delete_area,
    get_area,
    list_adjacency,
    list_areas,
    list_boundary_defects,
    list_liaisons,
    remove_liaison,
    set_area,
)
from gridmgmt.services.cooperation.report import (
    QuarterlyReport,
    quarterly_report,
    report_workbook,
)

router = APIRouter(prefix="/api/v1/cooperation", tags=["cooperation"], responses=ERROR_RESPONSES)

BASE = [allow(Action.READ_BASE_DATA)]
READ = [allow(Action.READ_COOPERATION)]
AREAS = [allow(Action.CHANGE_AREAS)]
LIAISONS = [allow(Action.CHANGE_LIAISONS)]
_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class AreaIn(BaseModel):
    """A new cooperation area."""

    code: str = Field(
        description="Lower-case letters, digits, '-' or '_', e.g. mengjinji.",
        json_schema_extra=AREA_CODE,
    )
    name: str = Field(json_schema_extra=NON_BLANK)
    counties: list[Annotated[str, Field(json_schema_extra=COUNTY_CODE)]] = Field(
        description="Member county codes (two or more, each once).",
        json_schema_extra={"minItems": 2, "uniqueItems": True},
    )
    note: str = ""


class AreaChange(BaseModel):
    """A change to an area: only the fields given; ``counties`` replaces the whole list."""

    version: Version = Field(description="The version you read.")
    name: str | None = None
    counties: list[str] | None = None
    note: str | None = None


class LiaisonFields(BaseModel):
    """A liaison's entry (信息联络员)."""

    title: str | None = None
    phone: str | None = None
    mobile: str | None = None
    email: str | None = None
    duties: str | None = None
    username: str | None = None


class LiaisonIn(LiaisonFields):
    """A new liaison of one of your counties."""

    county_code: str
    name: str


class LiaisonChange(LiaisonFields):
    """A change to a liaison's entry: only the fields given."""

    version: Version = Field(description="The version you read.")
    name: str | None = None


@router.get("/adjacency", dependencies=BASE)
def read_adjacency(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county's pairs.")] = None,
) -> list[AdjacentPair]:
    """Counties sharing a border of positive length, province lines first."""
    return list_adjacency(session, actor, county=county)


@router.get("/defects", dependencies=BASE)
def read_defects(session: SessionDep, actor: CurrentActor) -> list[BoundaryDefect]:
    """Overlaps and gaps between the stored county outlines, largest first."""
    return list_boundary_defects(session, actor)


@router.get("/areas", dependencies=READ)
def read_areas(session: SessionDep, actor: CurrentActor) -> list[AreaView]:
    """The areas that include one of your counties."""
    return list_areas(session, actor)


@router.post("/areas", status_code=status.HTTP_201_CREATED, dependencies=AREAS)
def create(body: AreaIn, session: SessionDep, actor: CurrentActor) -> AreaView:
    """Create an area (409 if the code exists)."""
    return create_area(session, actor, body.code, body.name, body.counties, note=body.note)


@router.get("/areas/{code}", dependencies=READ)
def read_area(code: str, session: SessionDep, actor: CurrentActor) -> AreaView:
    """One area."""
    return get_area(session, actor, code)


@router.put("/areas/{code}", dependencies=AREAS)
def change(code: str, body: AreaChange, session: SessionDep, actor: CurrentActor) -> AreaView:
    """Change an area if it is still at ``version`` (409 otherwise)."""
    return set_area(
        session,
        actor,
        code,
        version=body.version,
        name=body.name,
        counties=body.counties,
        note=body.note,
    )


@router.delete("/areas/{code}", status_code=status.HTTP_204_NO_CONTENT, dependencies=AREAS)
def delete(
    code: str,
    session: SessionDep,
    actor: CurrentActor,
    version: VersionQuery,
) -> Response:
    """Delete an area if it is still at ``version``."""
    delete_area(session, actor, code, version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/areas/{code}/contacts", dependencies=READ)
def read_contacts(code: str, session: SessionDep, actor: CurrentActor) -> ContactList:
    """The area's joint contact list."""
    return contact_list(session, actor, code)


@router.get("/areas/{code}/contacts/export", dependencies=READ)
def export_contacts(
    code: str,
    session: SessionDep,
    actor: CurrentActor,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",
    headers: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    """The joint contact list as a CSV or Excel file."""
    content = contacts_file(contact_list(session, actor, code), format, headers=headers)
    name = f"contacts-{code}.{format}"
    return Response(
        content,
        media_type=_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/liaisons", dependencies=READ)
def read_liaisons(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county's.")] = None,
) -> list[LiaisonView]:
    """Your counties' liaisons."""
    return list_liaisons(session, actor, county=county)


@router.post("/liaisons", status_code=status.HTTP_201_CREATED, dependencies=LIAISONS)
def add(body: LiaisonIn, session: SessionDep, actor: CurrentActor) -> LiaisonView:
    """Name a liaison of one of your counties (409 if the name is taken there)."""
    fields = body.model_dump(exclude={"county_code"})
    return add_liaison(session, actor, body.county_code, **fields)


@router.put("/liaisons/{liaison_id}", dependencies=LIAISONS)
def change_one(
    liaison_id: RecordId, body: LiaisonChange, session: SessionDep, actor: CurrentActor
) -> LiaisonView:
    """Change a liaison's entry if it is still at ``version`` (409 otherwise)."""
    fields = body.model_dump(exclude={"version"}, exclude_none=True)
    return change_liaison(session, actor, liaison_id, version=body.version, **fields)


@router.delete(
    "/liaisons/{liaison_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=LIAISONS
)
def remove(
    liaison_id: RecordId,
    session: SessionDep,
    actor: CurrentActor,
    version: VersionQuery,
) -> Response:
    """Remove a liaison if the entry is still at ``version``."""
    remove_liaison(session, actor, liaison_id, version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/report", dependencies=[allow(Action.READ_COOPERATION_REPORT)])
def read_report(
    session: SessionDep,
    actor: CurrentActor,
    quarter: QuarterQuery,
    area: Annotated[str | None, Query(description="A cooperation area's code.")] = None,
    county: Annotated[list[str] | None, Query(description="Or the counties (a pair).")] = None,
) -> QuarterlyReport:
    """The quarterly mutual report (每季度互相通报) of an area or a county pair."""
    return quarterly_report(session, actor, quarter, area=area, counties=county)


@router.get("/report/export", dependencies=[allow(Action.READ_COOPERATION_REPORT)])
def export_report(
    session: SessionDep,
    actor: CurrentActor,
    quarter: QuarterQuery,
    area: Annotated[str | None, Query(description="A cooperation area's code.")] = None,
    county: Annotated[list[str] | None, Query(description="Or the counties (a pair).")] = None,
    lang: Annotated[
        Literal["zh_CN", "en"] | None,
        Query(description="Titles and headers in this language (default: the English names)."),
    ] = None,
) -> Response:
    """The quarterly mutual report as an Excel workbook."""
    report = quarterly_report(session, actor, quarter, area=area, counties=county)
    translate = translations(lang).gettext if lang is not None else str
    name = f"report-{report.area or '-'.join(c.code for c in report.counties)}-{report.quarter}"
    return Response(
        report_workbook(report, translate),
        media_type=_TYPES["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
