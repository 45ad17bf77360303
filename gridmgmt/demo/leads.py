"""Leads handed over between the demo counties (线索移交), so the liaison's inbox and outbox
open on real work.

From the suggested leads (a case of one county touching a neighbour: a phone, an address, a
plate of the neighbour's), the neighbours send the demo liaison's counties a few leads (the
first urgent), and the liaison's counties send a few out, each by a made-up liaison of the
sending county. Run after the users step; a database holding leads already is left alone.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.domain import UserRole
from gridmgmt.leads.machine import Urgency
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.leads import send_lead, suggested_leads
from gridmgmt.services.leads.results import SuggestedLead
from gridmgmt.store import db
from gridmgmt.store.models import User
from gridmgmt.store.models.leads import Lead

__all__ = ["INBOX", "OUTBOX", "step"]

INBOX: Final = 3
"""Leads the neighbours send the liaison's counties."""
OUTBOX: Final = 2
"""Leads the liaison's counties send out."""
LIAISON: Final = "liaison"
"""The demo liaison's username (see :mod:`gridmgmt.demo.users`)."""


def _sender(county: str) -> Actor:
    """A liaison of ``county`` (信息联络员) sending for it."""
    return Actor(username=f"liaison-{county}", role=UserRole.LIAISON, counties=frozenset({county}))


def _note(suggestion: SuggestedLead) -> str:
    reasons = "；".join(reason.text for reason in suggestion.reasons[:2])
    return f"请协查：{reasons}" if reasons else "请协查"


def _pick(suggestions: list[SuggestedLead], mine: set[str]) -> list[SuggestedLead]:
    """The first :data:`INBOX` leads into ``mine`` and :data:`OUTBOX` out of it, one per case."""
    inbox = [s for s in suggestions if s.to_county in mine and s.from_county not in mine]
    outbox = [s for s in suggestions if s.from_county in mine and s.to_county not in mine]
    picked: list[SuggestedLead] = []
    for group, count in ((inbox, INBOX), (outbox, OUTBOX)):
        cases: set[tuple[str, str]] = set()
        for suggestion in group:
            case = (suggestion.from_county, suggestion.case_no)
            if case not in cases and len(cases) < count:
                cases.add(case)
                picked.append(suggestion)
    return picked


def step(run: DemoRun) -> StepResult:
    """Send the demo's leads (see the module); ``demo_leads``: how many this run sent."""
    with db.transaction(run.url) as session:
        if session.scalar(select(func.count(Lead.id))):
            return StepResult(counts={"demo_leads": 0})
        liaison = session.scalar(select(User).where(User.username == LIAISON))
        if liaison is None:
            return StepResult(counts={"demo_leads": 0})
        picked = _pick(suggested_leads(session, SYSTEM), set(liaison.county_codes))
        for index, suggestion in enumerate(picked):
            send_lead(
                session,
                _sender(suggestion.from_county),
                suggestion.case_no,
                [suggestion.to_county],
                note=_note(suggestion),
                urgency=Urgency.URGENT if index == 0 else Urgency.NORMAL,
                county=suggestion.from_county,
            )
    return StepResult(counts={"demo_leads": len(picked)})
