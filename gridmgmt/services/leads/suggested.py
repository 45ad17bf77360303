"""及时互通: a case that touches a neighbour's territory suggests a lead to that neighbour.

A county's neighbours are the counties it shares a border with (from the stored outlines,
tolerant of the overlaps and gaps real boundary files have, see
:mod:`gridmgmt.cooperation.adjacency`) and the other members of its cooperation areas
(:func:`gridmgmt.services.cooperation.neighbour_codes`). A case of the actor's county
touches neighbour N when one of its mentions says so, as the case graph stored it:

- an address whose normalised county is N (``attributes.county_code``);
- a retail licence number of N (its leading six digits, ``attributes.county_code``);
- an ID number issued in N (``attributes.region_code``);
- a phone whose home region (号码归属地, a prefecture city) is N's city, when that city is
  not the case county's own (a phone tells the city, not the county: every neighbour in
  that city is suggested).

Suggestions are computed on every call, so a case imported or created a moment ago is
suggested at once; a (case, county) pair to which a lead was already sent is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.domain import EntityKind
from gridmgmt.leads.machine import LeadKind
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.cooperation.adjacency import neighbour_codes
from gridmgmt.services.leads.results import SuggestedLead, SuggestedReason
from gridmgmt.store.models import County
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord
from gridmgmt.store.models.leads import Lead

__all__ = ["neighbours", "suggested_leads"]

TOUCHING_KINDS: Final = (
    EntityKind.ADDRESS,
    EntityKind.LICENCE_NO,
    EntityKind.ID_NUMBER,
    EntityKind.PHONE,
)


@dataclass(frozen=True)
class _County:
    code: str
    name: str
    city: str | None


def neighbours(session: Session) -> dict[str, list[_County]]:
    """County code -> its neighbour counties (public geography, read unscoped)."""
    rows = {
        code: _County(code, name, city)
        for code, name, city in session.execute(select(County.code, County.name, County.city))
    }
    return {
        code: [rows[other] for other in sorted(around) if other in rows]
        for code, around in sorted(neighbour_codes(session).items())
    }


SENTENCES: Final = {
    EntityKind.ADDRESS: "address in {place}",
    EntityKind.LICENCE_NO: "retailer licence of {place}",
    EntityKind.ID_NUMBER: "ID number issued in {place}",
    EntityKind.PHONE: "phone registered in {place}",
}


def _place(
    kind: EntityKind, attributes: dict[str, Any], own_city: str | None, county: _County
) -> str | None:
    """Where the mention places itself in ``county`` (None if it does not)."""
    if kind in (EntityKind.ADDRESS, EntityKind.LICENCE_NO):
        return county.name if attributes.get("county_code") == county.code else None
    if kind is EntityKind.ID_NUMBER:
        return county.name if attributes.get("region_code") == county.code else None
    region = str(attributes.get("home_region_zh") or "")
    city = county.city
    if city and city != own_city and city.removesuffix("市") in region:
        return region
    return None


def _reasons(
    kind: EntityKind, attributes: dict[str, Any], own_city: str | None, around: list[_County]
) -> list[tuple[str, SuggestedReason]]:
    """(neighbour code, reason) pairs one mention gives."""
    found = []
    for county in around:
        place = _place(kind, attributes, own_city, county)
        if place is not None:
            text = SENTENCES[kind].format(place=place)
            found.append((county.code, SuggestedReason(kind=kind.value, place=place, text=text)))
    return found


@requires(Action.SEND_LEADS)
def suggested_leads(session: Session, actor: Actor) -> list[SuggestedLead]:
    """Leads the actor's counties should send: (case, neighbour county, reasons), not yet sent.

    Only cases of the actor's own counties are considered (a case shared with them is not
    theirs to hand on).
    """
    around = neighbours(session)
    cities = dict(session.execute(select(County.code, County.city)).all())
    names = {c.code: c.name for near in around.values() for c in near}
    stmt = (
        select(
            CaseRecord.case_no,
            CaseRecord.county_code,
            CaseMentionRecord.kind,
            CaseMentionRecord.attributes,
        )
        .join(CaseMentionRecord, CaseMentionRecord.case_id == CaseRecord.id)
        .where(CaseMentionRecord.kind.in_(TOUCHING_KINDS))
        .order_by(CaseRecord.case_no, CaseMentionRecord.position)
    )
    if actor.counties is not None:
        stmt = stmt.where(CaseRecord.county_code.in_(sorted(actor.counties)))
    reasons: dict[tuple[str, str, str], list[SuggestedReason]] = defaultdict(list)
    for case_no, county, kind, attributes in session.execute(stmt):
        for code, reason in _reasons(
            EntityKind(kind), attributes or {}, cities.get(county), around.get(county, [])
        ):
            found = reasons[(case_no, county, code)]
            if reason not in found:
                found.append(reason)
    sent = {
        (case_no, case_county, to_county)
        for case_no, case_county, to_county in session.execute(
            select(Lead.case_no, Lead.case_county, Lead.to_county).where(Lead.kind == LeadKind.LEAD)
        )
    }
    return [
        SuggestedLead(
            case_no=case_no,
            from_county=county,
            to_county=code,
            to_county_name=names.get(code, code),
            reasons=found,
        )
        for (case_no, county, code), found in sorted(reasons.items())
        if (case_no, county, code) not in sent
    ]
