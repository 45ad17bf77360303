"""Double-random inspections (双随机、一公开) of the caller's counties.

Draw targets and inspectors for a county and period, read and verify stored draws, record
results against a draw, and get the public results as CSV or a page. Another county's draw
answers 404; drawing again for a county and period answers 409 unless a reason is given.
Errors are answered by the app's handlers (``api/errors.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.declared import PERIOD, RecordId
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.policy import Action
from gridmgmt.services.bounds import Count, Seed, Version
from gridmgmt.services.rules.inspections import (
    DrawDetail,
    DrawSummary,
    DrawVerification,
    InspectionRow,
    RecordedResult,
    get_draw,
    inspection_rows,
    list_draws,
    make_draw,
    record_inspection_result,
    rows_frame,
    verify_inspection_draw,
)
from gridmgmt.services.rules.publish import publication_page, results_csv

router = APIRouter(prefix="/api/v1/inspections", tags=["inspections"], responses=ERROR_RESPONSES)

READ: Any = [allow(Action.READ_INSPECTIONS)]


class DrawIn(BaseModel):
    """A request to draw a county's inspections for a period."""

    county: str = Field(description="6-digit county code.")
    period: str = Field(description="YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn.")
    share: float | None = Field(default=None, gt=0, le=1, description="Quota share.")
    seed: Seed | None = Field(default=None, description="Default: random, recorded.")
    key_retailers_always: bool | None = None
    replace_reason: str | None = Field(
        default=None, description="Needed to redraw a county and period already drawn."
    )


class ResultIn(BaseModel):
    """What the inspection of one drawn retailer found."""

    licence_no: str
    outcome: str = Field(description="compliant, violation, not_open or not_found.")
    inspected_on: dt.date
    violations: Count | None = None
    inspectors: list[str] | None = Field(default=None, description="Default: those drawn.")
    notes: str | None = None
    base_version: Version | None = Field(
        default=None,
        ge=0,
        description="The result's version you correct (0: you saw none); 409 if it changed.",
    )


@router.get("", dependencies=READ)
def list_inspection_draws(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    period: Annotated[
        str | None, Query(description="Only this period.", json_schema_extra=PERIOD)
    ] = None,
    include_superseded: bool = False,
) -> list[DrawSummary]:
    """Your counties' stored draws, newest period first."""
    return list_draws(
        session, actor, county=county, period=period, include_superseded=include_superseded
    )


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[allow(Action.DRAW_INSPECTIONS)])
def draw(body: DrawIn, session: SessionDep, actor: CurrentActor) -> DrawDetail:
    """Draw and store a county's inspections for a period (officers and admins)."""
    return make_draw(
        session,
        actor,
        county=body.county,
        period=body.period,
        share=body.share,
        seed=body.seed,
        key_retailers_always=body.key_retailers_always,
        replace_reason=body.replace_reason,
    )


@router.get("/{draw_id}", dependencies=READ)
def read_draw(draw_id: RecordId, session: SessionDep, actor: CurrentActor) -> DrawDetail:
    """A stored draw with its inspections and results so far."""
    return get_draw(session, actor, draw_id)


@router.get("/{draw_id}/verify", dependencies=READ)
def verify(draw_id: RecordId, session: SessionDep, actor: CurrentActor) -> DrawVerification:
    """Redraw from the stored seed and today's population and compare (``ok`` either way)."""
    return verify_inspection_draw(session, actor, draw_id)


@router.get("/{draw_id}/results", response_model=None, dependencies=READ)
def read_results(
    draw_id: RecordId,
    session: SessionDep,
    actor: CurrentActor,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> list[InspectionRow] | Response:
    """Every drawn retailer with its result; ``format=csv`` for the public CSV."""
    rows = inspection_rows(session, actor, draw_id)
    if format_ == "csv":
        return Response(
            "\ufeff" + results_csv(rows_frame(rows)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="inspections-{draw_id}.csv"'},
        )
    return rows


@router.post(
    "/{draw_id}/results",
    status_code=status.HTTP_201_CREATED,
    dependencies=[allow(Action.RECORD_INSPECTIONS)],
)
def record_result(
    draw_id: RecordId, body: ResultIn, session: SessionDep, actor: CurrentActor
) -> RecordedResult:
    """Record (or correct) the result of one drawn retailer's inspection.

    Two people recording one retailer at once: the first stays, the other answers 409 with
    the result stored (``current``), as does a correction from a stale ``base_version``.
    """
    return record_inspection_result(
        session,
        actor,
        draw_id=draw_id,
        licence_no=body.licence_no,
        outcome=body.outcome,
        inspected_on=body.inspected_on,
        violations=body.violations,
        inspectors=body.inspectors,
        notes=body.notes,
        base_version=body.base_version,
    )


@router.get("/{draw_id}/publication", response_class=HTMLResponse, dependencies=READ)
def publication(draw_id: RecordId, session: SessionDep, actor: CurrentActor) -> HTMLResponse:
    """The public results page (一公开) of a draw."""
    return HTMLResponse(publication_page(session, actor, draw_id))
