"""Joint cases (网络案件协同办理): a network across counties worked by all of them together.

A liaison (or administrator) of a county that holds a case of a network spanning counties
opens it as a joint case. Every county holding one of its cases is invited; the opener's
own counties join at once. Each invited county's liaison joins (or declines) once. Members
then see the merged network, every case of it, and nothing else of each other's: access is
the ordinary case :class:`~gridmgmt.store.models.Share`, granted per case of the joint case
to each joined county (so it shows in their networks like any shared case), not a second
mechanism. The joint case keeps its cases as they were when opened; cases that join the
network later are not shared by it.

A county that is not invited sees no joint case (404). A viewer sees the counties that
joined and their own invitation; of counties still invited or declined elsewhere they learn
only how many there are, as the network view tells ``other_counties``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from gridmgmt.cases.joint import MembershipState, join_step
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases._store import case_key, county_names, link_index, split_case_key
from gridmgmt.services.cases.networks import network_parts, require_part
from gridmgmt.services.cases.results import JointCaseCountyItem, JointCaseDetail
from gridmgmt.services.cases.shares import grant_case
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.joint import JointCase, JointCaseCounty, JointCaseMember

__all__ = ["get_joint_case", "join_joint_case", "list_joint_cases", "open_joint_case"]

GRANT_NOTE: Final = "joint case {id}"
"""The note of the shares a joint case grants."""


def _network_keys(session: Session, network_id: str) -> list[str]:
    """Every case key of a network over all counties (the whole store's view)."""
    part = network_parts(session, SYSTEM).get(network_id)
    if part is None:
        raise NotFoundError("network", network_id)
    return list(part.cases)


@requires(Action.OPEN_JOINT_CASES)
def open_joint_case(
    session: Session,
    actor: Actor,
    network_id: str,
    *,
    title: str,
    note: str = "",
    county: str | None = None,
    now: dt.datetime | None = None,
) -> JointCaseDetail:
    """Open a network the actor sees, spanning counties, as a joint case.

    The actor's counties holding its cases join at once (and are granted each other's
    cases); every other county holding one is invited. ``county`` opens it for that one of
    the actor's counties only (the local administrator, who holds every county, names one).

    Raises
    ------
    NotFoundError
        If the actor sees no case of a network with this id.
    InvalidInputError
        If the title is empty, none of the network's visible cases is of the actor's
        counties, or the network lies in the actor's counties only.
    ConflictError
        If the network is a joint case already.
    """
    at = now or _utcnow()
    title = title.strip()
    if not title:
        raise _problem("title", "give the joint case a title")
    part = require_part(session, actor, network_id)
    own = sorted({c for c, _ in map(split_case_key, part.cases) if actor.can_see(c)})
    if county is not None:
        own = [county] if county in own else []
    if not own:
        msg = "none of the network's cases you see is of your counties: its county opens it"
        raise _problem("network_id", msg)
    keys = _network_keys(session, network_id)
    counties = sorted({split_case_key(key)[0] for key in keys})
    if set(counties) <= set(own):
        raise _problem("network_id", "the network lies in your counties only: no joint case")
    joint = JointCase(
        network_id=network_id,
        title=title,
        note=note.strip(),
        opened_by=actor.username,
        opened_county=own[0],
        opened_at=at,
        version=1,
        counties=[
            JointCaseCounty(
                county_code=county,
                state=MembershipState.JOINED if county in own else MembershipState.INVITED,
                decided_by=actor.username if county in own else None,
                decided_at=at if county in own else None,
            )
            for county in counties
        ],
        members=[JointCaseMember(county_code=c, case_no=n) for c, n in map(split_case_key, keys)],
    )
    try:
        with session.begin_nested():
            session.add(joint)
            session.flush()
    except IntegrityError:
        msg = f"network {network_id} is a joint case already; join it instead"
        raise ConflictError(msg) from None
    granted = _grant_members(session, actor, joint, own)
    audit.record(
        session,
        actor,
        "joint_case.open",
        kind="joint_case",
        county_code=own[0],
        detail={
            "joint_case_id": joint.id,
            "network_id": network_id,
            "cases": len(keys),
            "counties": counties,
            "shares": granted,
        },
    )
    return _detail(session, joint, actor)


@requires(Action.JOIN_JOINT_CASES)
def join_joint_case(
    session: Session,
    actor: Actor,
    joint_case_id: int,
    *,
    county: str | None = None,
    join: bool = True,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> JointCaseDetail:
    """Answer a county's invitation: join (its cases and the members' are shared both ways)
    or decline.

    Parameters
    ----------
    county
        The invited county the actor answers for (needed if several of theirs are invited).
    join
        False to decline.

    Raises
    ------
    NotFoundError
        If the joint case does not exist or none of the actor's counties is in it.
    InvalidInputError
        If the actor has several invited counties and ``county`` is not given.
    ConflictError
        If the county answered already (also when another liaison answered first).
    """
    at = now or _utcnow()
    joint = _visible_joint(session, actor, joint_case_id)
    entry = _answering(joint, actor, county)
    state = join_step(MembershipState(entry.state), join=join)
    # Compare-and-set: of two liaisons answering at once, the second gets 409.
    changed = session.execute(
        update(JointCaseCounty)
        .where(
            JointCaseCounty.joint_case_id == joint.id,
            JointCaseCounty.county_code == entry.county_code,
            JointCaseCounty.state == MembershipState.INVITED,
        )
        .values(state=state, decided_by=actor.username, decided_at=at, note=note)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 1) != 1:
        msg = f"county {entry.county_code} has answered already; reload"
        raise ConflictError(msg)
    session.execute(
        update(JointCase)
        .where(JointCase.id == joint.id)
        .values(version=JointCase.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(joint)
    session.expire(entry)
    granted = _grant_members(session, actor, joint, [entry.county_code]) if join else 0
    audit.record(
        session,
        actor,
        "joint_case.join" if join else "joint_case.decline",
        kind="joint_case",
        county_code=entry.county_code,
        detail={"joint_case_id": joint.id, "shares": granted, "note": note},
    )
    return _detail(session, joint, actor)


@requires(Action.READ_CASE_PERSONAL_DATA)
def list_joint_cases(session: Session, actor: Actor) -> list[JointCaseDetail]:
    """The joint cases one of the actor's counties is in (invited, joined or declined),
    newest first."""
    stmt = select(JointCase).options(
        selectinload(JointCase.counties), selectinload(JointCase.members)
    )
    if actor.counties is not None:
        stmt = stmt.where(
            JointCase.id.in_(
                select(JointCaseCounty.joint_case_id).where(
                    JointCaseCounty.county_code.in_(sorted(actor.counties))
                )
            )
        )
    joints = session.scalars(stmt.order_by(JointCase.opened_at.desc(), JointCase.id.desc()))
    return [_detail(session, joint, actor) for joint in joints]


@requires(Action.READ_CASE_PERSONAL_DATA)
def get_joint_case(session: Session, actor: Actor, joint_case_id: int) -> JointCaseDetail:
    """One joint case one of the actor's counties is in.

    Raises
    ------
    NotFoundError
        If there is none, or none of the actor's counties is in it (the same answer).
    """
    return _detail(session, _visible_joint(session, actor, joint_case_id), actor)


# --- helpers --------------------------------------------------------------------------------


def _problem(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, [{"field": field, "message": message}])


def _visible_joint(session: Session, actor: Actor, joint_case_id: int) -> JointCase:
    joint = session.get(JointCase, joint_case_id)
    if joint is None or not any(actor.can_see(c.county_code) for c in joint.counties):
        raise NotFoundError("joint case", str(joint_case_id))
    return joint


def _answering(joint: JointCase, actor: Actor, county: str | None) -> JointCaseCounty:
    """The invitation the actor answers: of ``county``, or their only one in the case."""
    mine = [c for c in joint.counties if actor.can_see(c.county_code)]
    if county is not None:
        found = [c for c in mine if c.county_code == county]
        if not found:
            raise NotFoundError("joint case county", county)
        return found[0]
    invited = [c for c in mine if c.state == MembershipState.INVITED]
    if len(invited) == 1:
        return invited[0]
    if not invited:
        msg = "none of your counties is still invited to this joint case"
        raise ConflictError(msg)
    names = ", ".join(c.county_code for c in invited)
    raise _problem("county", f"several of your counties are invited ({names}): name one")


def _grant_members(session: Session, actor: Actor, joint: JointCase, joining: Iterable[str]) -> int:
    """Share the joint case's cases between the joined counties, for ``joining`` counties
    just joined: every member case to them, and their cases to every other joined county.
    Returns the shares added."""
    joined = {c.county_code for c in joint.counties if c.state == MembershipState.JOINED}
    joined |= set(joining)
    new = set(joining)
    records = _member_records(session, joint.members)
    added = 0
    note = GRANT_NOTE.format(id=joint.id)
    for record in records:
        if record.county_code in new:
            receivers = joined - {record.county_code}
        elif record.county_code in joined:
            receivers = new
        else:
            continue  # a county still invited (or declined) shares nothing
        for county in sorted(receivers - {record.county_code}):
            added += grant_case(session, actor, record, county, note)
    return added


def _member_records(session: Session, members: Sequence[JointCaseMember]) -> list[CaseRecord]:
    wanted = {(m.county_code, m.case_no) for m in members}
    if not wanted:
        return []
    stmt = select(CaseRecord).where(CaseRecord.case_no.in_(sorted({n for _, n in wanted})))
    return [r for r in session.scalars(stmt) if (r.county_code, r.case_no) in wanted]


def _detail(session: Session, joint: JointCase, actor: Actor) -> JointCaseDetail:
    """The joint case as the actor may see it: joined counties and their own by name,
    the rest as a count; the cases the actor sees by key, the rest as a count."""
    names = county_names(session)
    shown = [
        c
        for c in joint.counties
        if c.state == MembershipState.JOINED or actor.can_see(c.county_code)
    ]
    keys = [case_key(m.county_code, m.case_no) for m in joint.members]
    with link_index(session, actor) as view:
        seen = [key for key in keys if key in view.index.cases]
    answerable = [
        c.county_code
        for c in joint.counties
        if c.state == MembershipState.INVITED and actor.can_see(c.county_code)
    ]
    return JointCaseDetail(
        id=joint.id,
        network_id=joint.network_id,
        title=joint.title,
        note=joint.note,
        opened_by=joint.opened_by,
        opened_county=joint.opened_county,
        opened_at=joint.opened_at.isoformat(),
        version=joint.version,
        counties=[
            JointCaseCountyItem(
                county_code=c.county_code,
                county=names.get(c.county_code, c.county_code),
                state=MembershipState(c.state).value,
                decided_by=c.decided_by,
                decided_at=None if c.decided_at is None else c.decided_at.isoformat(),
            )
            for c in shown
        ],
        other_counties=len(joint.counties) - len(shown),
        cases=seen,
        other_cases=len(keys) - len(seen),
        can_answer=answerable,
    )
