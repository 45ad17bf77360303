"""Counties the caller works for; others answer 404 as if they did not exist."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.policy import Action
from gridmgmt.services import records
from gridmgmt.services.records import CountyDetail, CountyInfo

router = APIRouter(prefix="/api/v1/counties", tags=["counties"], responses=ERROR_RESPONSES)


@router.get("", dependencies=[allow(Action.READ_BASE_DATA)])
def list_counties(session: SessionDep, actor: CurrentActor) -> list[CountyInfo]:
    """The caller's counties, by code."""
    return records.list_counties(session, actor)


@router.get("/{code}", dependencies=[allow(Action.READ_BASE_DATA)])
def get_county(code: str, session: SessionDep, actor: CurrentActor) -> CountyDetail:
    """One of the caller's counties, with its boundary and retailer counts."""
    return records.get_county(session, actor, code)
