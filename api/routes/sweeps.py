"""Joint border-market sweeps (毗邻市场集中整治) over the JSON API.

- ``POST /api/v1/sweeps``: plan a sweep over the border band of two or more of your
  counties: candidates gathered, mixed teams and targets drawn (reproducibly), stored; 201.
- ``GET /api/v1/sweeps``: the sweeps your counties take part in.
- ``GET /api/v1/sweeps/{sweep_no}``: a sweep with its draw's audit data, teams and targets;
  ``.../teams`` and ``.../targets`` the parts; ``.../verify`` draws it again and compares.
- ``POST /api/v1/sweeps/{sweep_no}/results``: what a team found at one target. Send the
  target's ``version`` you read as ``base_version``: if someone recorded since, the answer
  is 409 with ``current``, the result in force, and nothing is stored.

Planning needs ``sweeps.plan`` (liaisons, administrators) and every county of the sweep in
your scope; reading and recording need a county of yours in the sweep (404 otherwise).
"""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentActor, SessionDep, allow
from api.errors import ERROR_RESPONSES
from gridmgmt.policy import Action
from gridmgmt.services.sweeps import (
    SweepDetail,
    SweepPlan,
    SweepResultIn,
    SweepSummary,
    SweepTargetView,
    SweepTeamView,
    SweepVerification,
    get_sweep,
    list_sweeps,
    plan_sweep,
    record_sweep_result,
    verify_sweep_draw,
)

router = APIRouter(prefix="/api/v1/sweeps", tags=["sweeps"], responses=ERROR_RESPONSES)

READ = [allow(Action.READ_SWEEPS)]
PLAN = [allow(Action.PLAN_SWEEPS)]
RECORD = [allow(Action.RECORD_SWEEPS)]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=PLAN)
def create(body: SweepPlan, session: SessionDep, actor: CurrentActor) -> SweepDetail:
    """Plan a joint sweep: draw its mixed teams and targets and store them."""
    return plan_sweep(session, actor, body)


@router.get("", dependencies=READ)
def read_sweeps(session: SessionDep, actor: CurrentActor) -> list[SweepSummary]:
    """The sweeps one of your counties takes part in, latest day first."""
    return list_sweeps(session, actor)


@router.get("/{sweep_no}", dependencies=READ)
def read_sweep(sweep_no: str, session: SessionDep, actor: CurrentActor) -> SweepDetail:
    """A sweep with its teams, targets and results."""
    return get_sweep(session, actor, sweep_no)


@router.get("/{sweep_no}/teams", dependencies=READ)
def read_teams(sweep_no: str, session: SessionDep, actor: CurrentActor) -> list[SweepTeamView]:
    """The sweep's mixed teams (联合检查组), each with an officer of every county."""
    return get_sweep(session, actor, sweep_no).teams


@router.get("/{sweep_no}/targets", dependencies=READ)
def read_targets(sweep_no: str, session: SessionDep, actor: CurrentActor) -> list[SweepTargetView]:
    """The drawn targets in draw order, each with its team and, once recorded, its result."""
    return get_sweep(session, actor, sweep_no).target_rows


@router.get("/{sweep_no}/verify", dependencies=READ)
def verify(sweep_no: str, session: SessionDep, actor: CurrentActor) -> SweepVerification:
    """Draw the sweep again from its stored seed, candidates and officers and compare."""
    return verify_sweep_draw(session, actor, sweep_no)


@router.post("/{sweep_no}/results", dependencies=RECORD)
def record_result(
    sweep_no: str, body: SweepResultIn, session: SessionDep, actor: CurrentActor
) -> SweepTargetView:
    """Record (or correct) one target's result; a stale ``base_version`` answers 409."""
    return record_sweep_result(session, actor, sweep_no, body)
