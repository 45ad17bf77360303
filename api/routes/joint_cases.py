"""Joint cases (网络案件协同办理) and cross-county merges (并案) over the JSON API.

- ``GET /api/v1/cases/joint``: the joint cases one of your counties is in.
- ``POST /api/v1/cases/joint``: open a network you see, spanning counties, as a joint case
  (``network_id``, ``title``); 201. Your counties in it join at once; the others are invited.
- ``GET /api/v1/cases/joint/{id}``: one joint case.
- ``POST /api/v1/cases/joint/{id}/join`` (or ``/decline``): answer your county's invitation;
  joining shares the joint case's cases both ways through the ordinary case share.
- ``GET /api/v1/cases/merges[?state=]``: the merges one of whose cases is of your counties.
- ``POST /api/v1/cases/merges``: propose merging one of your cases with a case of another
  county (by number and county if you see it, or by a private-matching ``ref``); 201.
- ``GET /api/v1/cases/merges/{id}``; ``POST /api/v1/cases/merges/{id}/accept|decline`` with
  the ``version`` read: 409 if it changed meanwhile or is decided.

A joint case or merge none of whose counties is yours answers 404. Opening and joining need
``cases.joint.open`` / ``cases.joint.join`` (liaisons, admins); proposing a merge
``cases.merge.propose`` (officers, liaisons, admins), deciding ``cases.merge.decide``
(liaisons, admins); reading either needs ``cases.personal_data.read``. These routes are
declared before the case routes, whose ``/api/v1/cases/{case_no}`` would match them too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.declared import NON_BLANK, RecordId, one_of
from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.cases.joint import MergeState
from gridmgmt.policy import Action
from gridmgmt.services.bounds import Version
from gridmgmt.services.cases.joint import (
    get_joint_case,
    join_joint_case,
    list_joint_cases,
    open_joint_case,
)
from gridmgmt.services.cases.merges import (
    accept_merge,
    decline_merge,
    get_merge,
    list_merges,
    propose_merge,
)
from gridmgmt.services.cases.results import JointCaseDetail, MergeDetail

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=ERROR_RESPONSES)

READ = [allow(Action.READ_CASE_PERSONAL_DATA)]
OPEN = [allow(Action.OPEN_JOINT_CASES)]
JOIN = [allow(Action.JOIN_JOINT_CASES)]
PROPOSE = [allow(Action.PROPOSE_MERGES)]
DECIDE = [allow(Action.DECIDE_MERGES)]


class JointCaseIn(BaseModel):
    """A network to open as a joint case."""

    network_id: str = Field(min_length=1, description="A network you see (N-...).")
    title: str = Field(min_length=1, max_length=200, json_schema_extra=NON_BLANK)
    note: str = ""
    county: str | None = Field(
        default=None, description="Open it for this one of your counties only."
    )


class AnswerIn(BaseModel):
    """Your county's answer to a joint case's invitation."""

    county: str | None = Field(default=None, description="If several of yours are invited.")
    note: str | None = None


class MergeIn(BaseModel):
    """A merge proposal: your case and the other county's (by number or by ``ref``)."""

    case_no: str = Field(min_length=1, description="One of your cases.")
    county: str | None = Field(default=None, description="Its county, if ambiguous.")
    other_case_no: str | None = Field(default=None, description="The other case, if you see it.")
    other_county: str | None = Field(default=None, description="Its county, if ambiguous.")
    ref: str | None = Field(default=None, description="Or a private-matching hit's reference.")
    note: str = ""


class DecisionIn(BaseModel):
    """A side's decision, with the version of the merge it was made on."""

    version: Version | None = Field(default=None, description="The merge's version you read.")
    note: str | None = None
    county: str | None = Field(
        default=None, description="Decide for this county's side only (if you hold both)."
    )


@router.get("/joint", dependencies=READ)
def read_joint_cases(session: SessionDep, actor: CurrentActor) -> list[JointCaseDetail]:
    """The joint cases one of your counties is in, newest first."""
    return list_joint_cases(session, actor)


@router.post("/joint", status_code=status.HTTP_201_CREATED, dependencies=OPEN)
def open_joint(body: JointCaseIn, session: SessionDep, actor: CurrentActor) -> JointCaseDetail:
    """Open a network spanning counties as a joint case; 409 if it is one already."""
    return open_joint_case(
        session, actor, body.network_id, title=body.title, note=body.note, county=body.county
    )


@router.get("/joint/{joint_case_id}", dependencies=READ)
def read_joint_case(
    joint_case_id: RecordId, session: SessionDep, actor: CurrentActor
) -> JointCaseDetail:
    """One joint case one of your counties is in."""
    return get_joint_case(session, actor, joint_case_id)


@router.post("/joint/{joint_case_id}/join", dependencies=JOIN)
def join_joint(
    joint_case_id: RecordId, body: AnswerIn, session: SessionDep, actor: CurrentActor
) -> JointCaseDetail:
    """Join for your invited county; 409 if it answered already."""
    return join_joint_case(session, actor, joint_case_id, county=body.county, note=body.note)


@router.post("/joint/{joint_case_id}/decline", dependencies=JOIN)
def decline_joint(
    joint_case_id: RecordId, body: AnswerIn, session: SessionDep, actor: CurrentActor
) -> JointCaseDetail:
    """Decline for your invited county (nothing is shared); 409 if it answered already."""
    return join_joint_case(
        session, actor, joint_case_id, county=body.county, join=False, note=body.note
    )


@router.get("/merges", dependencies=READ)
def read_merges(
    session: SessionDep,
    actor: CurrentActor,
    state: Annotated[
        str | None,
        Query(
            description="proposed, merged or declined.",
            json_schema_extra=one_of(s.value for s in MergeState),
        ),
    ] = None,
) -> list[MergeDetail]:
    """The merges one of whose cases is of your counties, newest first."""
    return list_merges(session, actor, state=state)


@router.post("/merges", status_code=status.HTTP_201_CREATED, dependencies=PROPOSE)
def propose(body: MergeIn, session: SessionDep, actor: CurrentActor) -> MergeDetail:
    """Propose a merge with its evidence; 409 if the pair was proposed before."""
    return propose_merge(
        session,
        actor,
        body.case_no,
        county=body.county,
        other_case_no=body.other_case_no,
        other_county=body.other_county,
        ref=body.ref,
        note=body.note,
    )


@router.get("/merges/{merge_id}", dependencies=READ)
def read_merge(merge_id: RecordId, session: SessionDep, actor: CurrentActor) -> MergeDetail:
    """One merge one of whose cases is of your counties."""
    return get_merge(session, actor, merge_id)


@router.post("/merges/{merge_id}/accept", dependencies=DECIDE)
def accept(
    merge_id: RecordId, body: DecisionIn, session: SessionDep, actor: CurrentActor
) -> MergeDetail:
    """Accept for your side; in force once both sides accepted."""
    return accept_merge(
        session, actor, merge_id, version=body.version, note=body.note, county=body.county
    )


@router.post("/merges/{merge_id}/decline", dependencies=DECIDE)
def decline(
    merge_id: RecordId, body: DecisionIn, session: SessionDep, actor: CurrentActor
) -> MergeDetail:
    """Decline for your side (final)."""
    return decline_merge(
        session, actor, merge_id, version=body.version, note=body.note, county=body.county
    )
