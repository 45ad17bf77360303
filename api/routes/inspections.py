"""Double-random inspections (双随机、一公开) of the caller's counties.

Draw targets and inspectors for a county and period, read and verify stored draws, record
results against a draw, and get the public results as CSV or a page. Another county's draw
answers 404; drawing again for a county and period answers 409 unless a reason is given.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.deps import CurrentActor, SessionDep
from api.routes.rules import service_errors
from gridmgmt.services.frames import frame_records
from gridmgmt.services.rules import (
    get_draw,
    list_draws,
    make_draw,
    record_inspection_result,
    results_frame,
    verify_inspection_draw,
)
from gridmgmt.services.rules.publish import results_csv, results_page
from gridmgmt.store.models.rules import InspectionDrawRecord

router = APIRouter(prefix="/api/v1/inspections", tags=["inspections"])


class DrawIn(BaseModel):
    """A request to draw a county's inspections for a period."""

    county: str = Field(description="6-digit county code.")
    period: str = Field(description="YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn.")
    share: float | None = Field(default=None, gt=0, le=1, description="Quota share.")
    seed: int | None = Field(default=None, ge=0, description="Default: random, recorded.")
    key_retailers_always: bool | None = None
    replace_reason: str | None = Field(
        default=None, description="Needed to redraw a county and period already drawn."
    )


class ResultIn(BaseModel):
    """What the inspection of one drawn retailer found."""

    licence_no: str
    outcome: str = Field(description="compliant, violation, not_open or not_found.")
    inspected_on: dt.date
    violations: int | None = Field(default=None, ge=0)
    inspectors: list[str] | None = Field(default=None, description="Default: those drawn.")
    notes: str | None = None


def _draw_out(record: InspectionDrawRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "county_code": record.county_code,
        "period": record.period,
        "revision": record.revision,
        "current": record.current,
        "seed": record.seed,
        "quota": record.quota,
        "population_size": record.population_size,
        "population_hash": record.population_hash,
        "officers_hash": record.officers_hash,
        "algorithm": record.algorithm,
        "rules": record.rules,
        "drawn_by": record.drawn_by,
        "drawn_at": record.drawn_at.isoformat(),
        "replaces": record.replaces_id,
        "replace_reason": record.replace_reason,
    }


@router.get("")
def list_inspection_draws(
    session: SessionDep,
    actor: CurrentActor,
    county: Annotated[str | None, Query(description="Only this county.")] = None,
    period: Annotated[str | None, Query(description="Only this period.")] = None,
    include_superseded: bool = False,
) -> list[dict[str, Any]]:
    """Your counties' stored draws, newest period first."""
    with service_errors():
        draws = list_draws(
            session, actor, county=county, period=period, include_superseded=include_superseded
        )
    return [_draw_out(d) for d in draws]


@router.post("", status_code=status.HTTP_201_CREATED)
def draw(body: DrawIn, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Draw and store a county's inspections for a period (officers and admins)."""
    with service_errors():
        record = make_draw(
            session,
            actor,
            county=body.county,
            period=body.period,
            share=body.share,
            seed=body.seed,
            key_retailers_always=body.key_retailers_always,
            replace_reason=body.replace_reason,
        )
        items = frame_records(results_frame(session, actor, record.id))
    return {**_draw_out(record), "inspections": items}


@router.get("/{draw_id}")
def read_draw(draw_id: int, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """A stored draw with its inspections and results so far."""
    with service_errors():
        record = get_draw(session, actor, draw_id)
        items = frame_records(results_frame(session, actor, draw_id))
    return {**_draw_out(record), "inspections": items}


@router.get("/{draw_id}/verify")
def verify(draw_id: int, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Redraw from the stored seed and today's population and compare."""
    with service_errors():
        result = verify_inspection_draw(session, actor, draw_id)
    return {"draw_id": result.draw_id, "ok": result.ok, "message": result.message}


@router.get("/{draw_id}/results", response_model=None)
def read_results(
    draw_id: int,
    session: SessionDep,
    actor: CurrentActor,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> list[dict[str, Any]] | Response:
    """Every drawn retailer with its result; ``format=csv`` for the public CSV."""
    with service_errors():
        frame = results_frame(session, actor, draw_id)
    if format_ == "csv":
        return Response(
            "\ufeff" + results_csv(frame),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="inspections-{draw_id}.csv"'},
        )
    return frame_records(frame)


@router.post("/{draw_id}/results", status_code=status.HTTP_201_CREATED)
def record_result(
    draw_id: int, body: ResultIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Record (or correct) the result of one drawn retailer's inspection."""
    with service_errors():
        result = record_inspection_result(
            session,
            actor,
            draw_id=draw_id,
            licence_no=body.licence_no,
            outcome=body.outcome,
            inspected_on=body.inspected_on,
            violations=body.violations,
            inspectors=body.inspectors,
            notes=body.notes,
        )
    return {
        "draw_id": draw_id,
        "licence_no": body.licence_no,
        "outcome": str(result.outcome),
        "violations": result.violations,
        "inspected_on": result.inspected_on.isoformat(),
        "inspectors": list(result.inspectors),
        "notes": result.notes,
    }


@router.get("/{draw_id}/publication", response_class=HTMLResponse)
def publication(draw_id: int, session: SessionDep, actor: CurrentActor) -> HTMLResponse:
    """The public results page (一公开) of a draw."""
    with service_errors():
        record = get_draw(session, actor, draw_id)
        page = results_page(session, record, results_frame(session, actor, draw_id))
    return HTMLResponse(page)
