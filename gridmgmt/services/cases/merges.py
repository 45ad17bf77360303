"""Cross-county merges (并案): two counties' cases proposed as one, in force once both accept.

A case worker proposes merging one of their county's cases with a case of another county,
named by number and county where they see it (shared, or in a joint case) or by the opaque
reference of a private-matching hit. The evidence is computed on the whole store's link
graph and kept with the proposal as both sides may see it: the identifiers both cases
mention (each side holds them), or, when only a chain through other cases ties them, the
kinds of its links and how many cases lie between, nothing of those cases. A proposal by a
liaison or administrator counts as their side's acceptance; the merge takes effect when the
other side accepts too, and then each county is granted the other's case through the
ordinary case :class:`~gridmgmt.store.models.Share`. Either side may decline instead.
Decisions carry the ``version`` read and answer 409 if the merge changed meanwhile. Cases
are never rewritten by a merge, and its history is append-only and audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgmt.cases.graph import evidence_for, pair_link
from gridmgmt.cases.joint import MergeSide, MergeState, MergeStep, MergeVotes, merge_step
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, allows, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases._store import case_key, link_index, own_case, visible, visible_case
from gridmgmt.services.cases.results import MergeDetail, MergeEventItem, MergeEvidence
from gridmgmt.services.cases.shares import grant_case
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.joint import CaseMerge, CaseMergeEvent

__all__ = [
    "accept_merge",
    "decline_merge",
    "get_merge",
    "list_merges",
    "merge_evidence",
    "propose_merge",
]

PROPOSE_STEP: Final = "propose"
"""``CaseMergeEvent.step`` of the event that opens a merge's history."""


def merge_evidence(session: Session, left: CaseRecord, right: CaseRecord) -> MergeEvidence:
    """What ties two stored cases on the whole store's link graph, as both sides may see it."""
    first, second = (case_key(r.county_code, r.case_no) for r in (left, right))
    with link_index(session, SYSTEM) as view:
        index = view.index
        weight, shared = pair_link(index.graph, first, second, settings=index.link_settings)
        items = [
            evidence_for(index.graph, entity, settings=index.link_settings) for entity, _ in shared
        ]
        if items:
            return MergeEvidence(
                weight=round(float(weight), 4),
                shared=[{"kind": e.kind, "value": e.label} for e in items],
                chain=[],
                via_cases=0,
            )
        chain = index.shortest_chain(first, second)
    if chain is None:
        return MergeEvidence(weight=0.0, shared=[], chain=[], via_cases=0)
    return MergeEvidence(
        weight=0.0,
        shared=[],
        chain=[link.kind for link in chain.links],
        via_cases=max(len(chain.cases) - 2, 0),
    )


@requires(Action.PROPOSE_MERGES)
def propose_merge(
    session: Session,
    actor: Actor,
    case_no: str,
    *,
    other_case_no: str | None = None,
    other_county: str | None = None,
    ref: str | None = None,
    county: str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> MergeDetail:
    """Propose merging one of the actor's cases with a case of another county.

    Parameters
    ----------
    case_no, county
        The actor's case (its county if several of theirs have that number).
    other_case_no, other_county
        The other case, if the actor sees it (shared with them, or in a joint case).
    ref
        Or the opaque reference of a private-matching hit standing for the other case.

    Raises
    ------
    NotFoundError
        If the actor may not see either case (or no case has that reference).
    AccessDeniedError
        If the first case is not of the actor's counties, or their role may not propose.
    InvalidInputError
        If the other case is not named once, is of the same county, or nothing ties the two.
    ConflictError
        If the pair was proposed before (in either direction).
    """
    at = now or _utcnow()
    own = own_case(session, actor, case_no, doing="propose a merge of", county=county)
    other = _other_case(session, actor, other_case_no, other_county, ref)
    if other.county_code == own.county_code:
        raise _problem("other_county", "both cases are of one county: merge them at home")
    _refuse_repeat(session, own, other)
    evidence = merge_evidence(session, own, other)
    if not evidence.shared and not evidence.chain:
        raise _problem("other_case_no", "the two cases share no identifier and no chain")
    accepts = allows(actor.role, Action.DECIDE_MERGES)
    merge = CaseMerge(
        proposer_county=own.county_code,
        proposer_case_no=own.case_no,
        other_county=other.county_code,
        other_case_no=other.case_no,
        state=MergeState.PROPOSED,
        proposer_accepted=accepts,
        other_accepted=False,
        evidence=evidence.model_dump(),
        note=note.strip(),
        proposed_by=actor.username,
        proposed_at=at,
        version=1,
    )
    try:
        with session.begin_nested():
            session.add(merge)
            session.flush()
    except IntegrityError:
        raise ConflictError(_REPEATED) from None
    _event(session, merge, actor, PROPOSE_STEP, own.county_code, at, note or None)
    audit.record(
        session,
        actor,
        "merge.propose",
        kind="case_merge",
        county_code=own.county_code,
        detail={"merge_id": merge.id, "case_no": own.case_no, "other_county": other.county_code},
    )
    return _detail(session, merge, actor)


@requires(Action.DECIDE_MERGES)
def accept_merge(
    session: Session,
    actor: Actor,
    merge_id: int,
    *,
    version: int | None = None,
    note: str | None = None,
    county: str | None = None,
    now: dt.datetime | None = None,
) -> MergeDetail:
    """Accept a merge for the actor's side; once both sides accepted it takes effect (each
    county is granted the other's case). ``county`` acts for that side only (an actor who
    holds both sides' counties otherwise accepts for both).

    Raises
    ------
    NotFoundError
        If neither case is of the actor's counties.
    ConflictError
        If the merge changed since ``version``, is decided, or the side accepted already.
    """
    return _decide(
        session, actor, merge_id, MergeStep.ACCEPT, version, note, county, now or _utcnow()
    )


@requires(Action.DECIDE_MERGES)
def decline_merge(
    session: Session,
    actor: Actor,
    merge_id: int,
    *,
    version: int | None = None,
    note: str | None = None,
    county: str | None = None,
    now: dt.datetime | None = None,
) -> MergeDetail:
    """Decline a merge for the actor's side (final; nothing is shared).

    Raises
    ------
    NotFoundError, ConflictError
        As :func:`accept_merge`.
    """
    return _decide(
        session, actor, merge_id, MergeStep.DECLINE, version, note, county, now or _utcnow()
    )


@requires(Action.READ_CASE_PERSONAL_DATA)
def list_merges(session: Session, actor: Actor, *, state: str | None = None) -> list[MergeDetail]:
    """The merges one of whose cases is of the actor's counties, newest first.

    Raises
    ------
    InvalidInputError
        If ``state`` is not proposed, merged or declined.
    """
    stmt = select(CaseMerge)
    if actor.counties is not None:
        mine = sorted(actor.counties)
        stmt = stmt.where(
            or_(CaseMerge.proposer_county.in_(mine), CaseMerge.other_county.in_(mine))
        )
    if state is not None:
        try:
            stmt = stmt.where(CaseMerge.state == MergeState(state))
        except ValueError:
            allowed = [s.value for s in MergeState]
            raise _problem("state", f"state {state!r} is expected to be in {allowed}") from None
    merges = session.scalars(stmt.order_by(CaseMerge.proposed_at.desc(), CaseMerge.id.desc()))
    return [_detail(session, merge, actor) for merge in merges]


@requires(Action.READ_CASE_PERSONAL_DATA)
def get_merge(session: Session, actor: Actor, merge_id: int) -> MergeDetail:
    """One merge one of whose cases is of the actor's counties (else 404)."""
    return _detail(session, _visible_merge(session, actor, merge_id), actor)


# --- helpers --------------------------------------------------------------------------------

_REPEATED: Final = "these two cases were proposed for a merge before; see that proposal"


def _problem(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, [{"field": field, "message": message}])


def _other_case(
    session: Session,
    actor: Actor,
    case_no: str | None,
    county: str | None,
    ref: str | None,
) -> CaseRecord:
    if (case_no is None) == (ref is None):
        raise _problem("other_case_no", "name the other case by number (and county) or by ref")
    if ref is not None:
        from gridmgmt.services.federation.hits import resolve_ref

        target = resolve_ref(session, ref.strip().lower())
        record = session.scalars(
            select(CaseRecord).where(
                CaseRecord.county_code == target.county_code,
                CaseRecord.case_no == target.case_no,
            )
        ).one_or_none()
        if record is None:
            raise NotFoundError("case", ref)
        return record
    assert case_no is not None
    return visible_case(session, actor, case_no, county=county)


def _refuse_repeat(session: Session, own: CaseRecord, other: CaseRecord) -> None:
    pair = [(own.county_code, own.case_no), (other.county_code, other.case_no)]
    clauses = [
        (CaseMerge.proposer_county == a[0])
        & (CaseMerge.proposer_case_no == a[1])
        & (CaseMerge.other_county == b[0])
        & (CaseMerge.other_case_no == b[1])
        for a, b in (pair, pair[::-1])
    ]
    if session.scalar(select(func.count()).select_from(CaseMerge).where(or_(*clauses))):
        raise ConflictError(_REPEATED)


def _visible_merge(session: Session, actor: Actor, merge_id: int) -> CaseMerge:
    merge = session.get(CaseMerge, merge_id)
    if merge is None or not (
        actor.can_see(merge.proposer_county) or actor.can_see(merge.other_county)
    ):
        raise NotFoundError("merge", str(merge_id))
    return merge


def _county_of(merge: CaseMerge, side: MergeSide) -> str:
    return merge.proposer_county if side is MergeSide.PROPOSER else merge.other_county


def _sides(merge: CaseMerge, actor: Actor) -> list[MergeSide]:
    sides = []
    if actor.can_see(merge.proposer_county):
        sides.append(MergeSide.PROPOSER)
    if actor.can_see(merge.other_county):
        sides.append(MergeSide.OTHER)
    return sides


def _decide(
    session: Session,
    actor: Actor,
    merge_id: int,
    step: MergeStep,
    version: int | None,
    note: str | None,
    county: str | None,
    at: dt.datetime,
) -> MergeDetail:
    merge = _visible_merge(session, actor, merge_id)
    current = merge.version
    if version is not None and version != current:
        msg = f"merge {merge_id} changed since version {version}: it is {merge.state} at {current}"
        raise ConflictError(msg)
    state, votes = (
        MergeState(merge.state),
        MergeVotes(merge.proposer_accepted, merge.other_accepted),
    )
    sides = _sides(merge, actor)
    if county is not None:
        sides = [s for s in sides if _county_of(merge, s) == county]
        if not sides:
            raise NotFoundError("merge side", county)
    if step is MergeStep.ACCEPT:
        sides = [side for side in sides if not votes.accepted_by(side)] or sides
    for side in sides[:1] if step is MergeStep.DECLINE else sides:
        state, votes = merge_step(state, votes, step, side)
    values: dict[str, Any] = {
        "state": state,
        "proposer_accepted": votes.proposer,
        "other_accepted": votes.other,
        "version": current + 1,
    }
    if state is not MergeState.PROPOSED:
        values["decided_at"] = at
    changed = session.execute(
        update(CaseMerge)
        .where(CaseMerge.id == merge.id, CaseMerge.version == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 1) != 1:
        msg = f"merge {merge_id} was changed by someone else meanwhile; reload"
        raise ConflictError(msg)
    session.refresh(merge)
    county = _county_of(merge, sides[0])
    _event(session, merge, actor, step.value, county, at, note)
    shares = _take_effect(session, actor, merge) if state is MergeState.MERGED else 0
    audit.record(
        session,
        actor,
        f"merge.{step.value}",
        kind="case_merge",
        county_code=county,
        detail={"merge_id": merge.id, "state": state.value, "shares": shares, "note": note},
    )
    return _detail(session, merge, actor)


def _take_effect(session: Session, actor: Actor, merge: CaseMerge) -> int:
    """Grant each county the other's case; returns the shares added."""
    records = {
        (r.county_code, r.case_no): r
        for r in session.scalars(
            select(CaseRecord).where(
                CaseRecord.case_no.in_([merge.proposer_case_no, merge.other_case_no])
            )
        )
    }
    note = f"merge {merge.id}"
    added = 0
    ends = (
        ((merge.proposer_county, merge.proposer_case_no), merge.other_county),
        ((merge.other_county, merge.other_case_no), merge.proposer_county),
    )
    for key, to_county in ends:
        record = records.get(key)
        if record is not None:
            added += grant_case(session, actor, record, to_county, note)
    return added


def _event(
    session: Session,
    merge: CaseMerge,
    actor: Actor,
    step: str,
    county: str,
    at: dt.datetime,
    note: str | None,
) -> None:
    seq = (
        session.scalar(
            select(func.max(CaseMergeEvent.seq)).where(CaseMergeEvent.merge_id == merge.id)
        )
        or 0
    ) + 1
    session.add(
        CaseMergeEvent(
            merge_id=merge.id,
            seq=seq,
            step=step,
            state=merge.state,
            at=at,
            by=actor.username,
            county_code=county,
            note=note,
        )
    )
    session.flush()


def _other_number_seen(session: Session, actor: Actor, merge: CaseMerge) -> bool:
    if actor.can_see(merge.other_county):
        return True
    stmt = visible(
        select(CaseRecord.id).where(
            CaseRecord.county_code == merge.other_county,
            CaseRecord.case_no == merge.other_case_no,
        ),
        actor,
    )
    return session.scalar(stmt) is not None


def _detail(session: Session, merge: CaseMerge, actor: Actor) -> MergeDetail:
    sides = _sides(merge, actor)
    side = "both" if len(sides) == 2 else sides[0].value
    events = session.scalars(
        select(CaseMergeEvent)
        .where(CaseMergeEvent.merge_id == merge.id)
        .order_by(CaseMergeEvent.seq)
    )
    votes = MergeVotes(merge.proposer_accepted, merge.other_accepted)
    open_sides = [s for s in sides if not votes.accepted_by(s)]
    return MergeDetail(
        id=merge.id,
        proposer_county=merge.proposer_county,
        proposer_case_no=merge.proposer_case_no,
        other_county=merge.other_county,
        other_case_no=merge.other_case_no if _other_number_seen(session, actor, merge) else None,
        state=MergeState(merge.state).value,
        proposer_accepted=merge.proposer_accepted,
        other_accepted=merge.other_accepted,
        evidence=MergeEvidence(**merge.evidence),
        note=merge.note,
        proposed_by=merge.proposed_by,
        proposed_at=merge.proposed_at.isoformat(),
        decided_at=None if merge.decided_at is None else merge.decided_at.isoformat(),
        version=merge.version,
        side=side,
        can_decide=(
            MergeState(merge.state) is MergeState.PROPOSED
            and bool(open_sides)
            and allows(actor.role, Action.DECIDE_MERGES)
        ),
        events=[
            MergeEventItem(
                seq=e.seq,
                step=e.step,
                state=MergeState(e.state).value,
                at=e.at.isoformat(),
                by=e.by,
                county_code=e.county_code,
                note=e.note,
            )
            for e in events
        ],
    )
