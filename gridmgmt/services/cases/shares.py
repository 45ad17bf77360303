"""Sharing cases with another county (案件通报): explicit, audited, one grant per case.

A case is shared with a county by a :class:`~gridmgmt.store.models.Share` of kind ``case``
keyed by its county (``from_county``) and its case number (unique per county); from then on
every user of that county sees it (read-only) and it joins their networks. Sharing a network
shares each of its cases that belongs to one of the actor's own counties, as the network is now:
cases that join it later are not shared unless shared again. A case shared with the actor may
not be passed on by them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases._store import (
    SHARE_KIND,
    case_key,
    cases_of_keys,
    county_names,
    own_case,
)
from gridmgmt.services.cases.networks import require_part
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
            Share.from_county == record.county_code,
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
    session: Session,
    actor: Actor,
    case_no: str,
    to_county: str,
    *,
    note: str | None = None,
    county: str | None = None,
) -> CaseShare:
    """Share one of the actor's own cases with another county.

    ``county`` is the case's county, needed where the actor has cases of that number in
    several counties.

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
    record = own_case(session, actor, case_no, doing="share", county=county)
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
        The case keys (``county_code/case_no``) ``shared`` (newly), ``already`` (shared
        before), ``skipped`` (shared with the actor, or of the county itself).

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
    records = cases_of_keys(session, actor, require_part(session, actor, network_id).cases)
    outcome: dict[str, list[str]] = {"shared": [], "already": [], "skipped": []}
    for record in records:
        key = case_key(record.county_code, record.case_no)
        if not actor.can_see(record.county_code) or record.county_code == to_county:
            outcome["skipped"].append(key)
        elif _grant(session, actor, record, to_county, note):
            outcome["shared"].append(key)
        else:
            outcome["already"].append(key)
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
