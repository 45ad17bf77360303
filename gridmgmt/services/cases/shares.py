"""Sharing cases with another county (案件通报): explicit, audited, one grant per case.

A case is shared with a county by a :class:`~gridmgmt.store.models.Share` of kind ``case``
keyed by its case number; from then on every user of that county sees it (read-only) and
it joins their networks. Sharing a network shares each of its cases that belongs to one of
the actor's own counties, as the network is now: cases that join it later are not shared
unless shared again. A case shared with the actor may not be passed on by them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases._store import SHARE_KIND, county_names, link_index, own_case, visible
from gridmgmt.services.cases.networks import require_network
from gridmgmt.services.cases.results import CaseShare, NetworkShare
from gridmgmt.store.models import Share
from gridmgmt.store.models.cases import CaseRecord

__all__ = ["grant_case", "share_case", "share_network"]


def _target(session: Session, to_county: str) -> None:
    names = county_names(session)
    if to_county not in names:
        msg = f"county {to_county!r} is not stored; expected one of {sorted(names)}"
        raise InvalidInputError(msg, [{"field": "to_county", "message": msg}])


def _grant(
    session: Session, actor: Actor, record: CaseRecord, to_county: str, note: str | None
) -> bool:
    """Add the share unless it exists; True if added."""
    exists = session.scalar(
        select(Share.id).where(
            Share.kind == SHARE_KIND,
            Share.object_key == record.case_no,
            Share.to_county == to_county,
        )
    )
    if exists is not None:
        return False
    session.add(
        Share(
            kind=SHARE_KIND,
            object_key=record.case_no,
            from_county=record.county_code,
            to_county=to_county,
            shared_by=actor.username,
            note=note,
        )
    )
    return True


@requires(Action.HANDLE_LEADS)
def grant_case(
    session: Session, actor: Actor, record: CaseRecord, to_county: str, note: str | None
) -> bool:
    """Share ``record`` with ``to_county`` for a service that decided the grant itself.

    The same read-only ``Share`` as :func:`share_case`, without its checks: an accepted lead
    (:mod:`gridmgmt.services.leads`) grants the receiver its case this way, so it needs the
    role that handles leads. The caller checks scope and audits. True if the share was
    added, False if it existed.
    """
    return _grant(session, actor, record, to_county, note)


@requires(Action.SHARE_CASES)
def share_case(
    session: Session, actor: Actor, case_no: str, to_county: str, *, note: str | None = None
) -> CaseShare:
    """Share one of the actor's own cases with another county.

    Returns
    -------
    CaseShare
        ``created`` is False when it was already shared with that county.

    Raises
    ------
    NotFoundError
        If the actor may not see the case.
    AccessDeniedError
        If the case was shared with the actor (not theirs to pass on) or their role is not
        liaison or admin.
    InvalidInputError
        If the county is unknown or is the case's own.
    """
    record = own_case(session, actor, case_no, doing="share")
    _target(session, to_county)
    if to_county == record.county_code:
        msg = f"case {case_no!r} already belongs to county {to_county}"
        raise InvalidInputError(msg, [{"field": "to_county", "message": msg}])
    created = _grant(session, actor, record, to_county, note)
    audit.record(
        session,
        actor,
        "share",
        kind="case",
        county_code=record.county_code,
        detail={"case_no": case_no, "to_county": to_county, "created": created, "note": note},
    )
    return CaseShare(
        case_no=case_no, from_county=record.county_code, to_county=to_county, created=created
    )


@requires(Action.SHARE_CASES)
def share_network(
    session: Session, actor: Actor, network_id: str, to_county: str, *, note: str | None = None
) -> NetworkShare:
    """Share every case of a network that is the actor's own with another county.

    Returns
    -------
    NetworkShare
        The case numbers ``shared`` (newly), ``already`` (shared before), ``skipped``
        (shared with the actor, or of the county itself).

    Raises
    ------
    NotFoundError
        If the actor's view has no such network.
    AccessDeniedError
        If the actor's role is not liaison or admin.
    InvalidInputError
        If the county is unknown.
    """
    _target(session, to_county)
    with link_index(session, actor) as view:
        cases = list(require_network(view.index, network_id).cases)
    records = session.scalars(
        visible(select(CaseRecord).where(CaseRecord.case_no.in_(cases)), actor).order_by(
            CaseRecord.case_no
        )
    ).all()
    outcome: dict[str, list[str]] = {"shared": [], "already": [], "skipped": []}
    for record in records:
        if not actor.can_see(record.county_code) or record.county_code == to_county:
            outcome["skipped"].append(record.case_no)
        elif _grant(session, actor, record, to_county, note):
            outcome["shared"].append(record.case_no)
        else:
            outcome["already"].append(record.case_no)
    answer = NetworkShare(network_id=network_id, to_county=to_county, **outcome)
    audit.record(
        session,
        actor,
        "share",
        kind="case_network",
        county_code=None,
        detail={**answer.model_dump(), "note": note},
    )
    return answer
