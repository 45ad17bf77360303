"""Lead handover between counties (线索移交) for liaisons: send, answer, feed back, chase.

A liaison sends a lead made from one of their county's cases (chosen mentions, a note, an
urgency) to one or more counties, or asks the county behind a private-matching hit for its
case (a request quoting the hit's reference). The receiver acknowledges, accepts or declines
with a reason, and feeds back the result; each step has a deadline from the receiving
county's settings, and overdue leads are listed for both sides. Accepting shares the case
read-only through the existing case ``Share``. The history is append-only.

Who may do what (:mod:`gridmgmt.policy`, the LEADS block): liaisons and admins send
(``leads.send``) and handle (``leads.handle``) leads; officers read their county's leads
(``leads.read``: they work accepted leads in the field) but neither send nor answer them;
dispatchers see none. A lead is visible to its two counties only; anyone else gets 404.
"""

from gridmgmt.services.leads.handover import (
    accept_lead,
    acknowledge_lead,
    decline_lead,
    feed_back_lead,
    request_lead,
    send_lead,
)
from gridmgmt.services.leads.queries import get_lead, list_leads, overdue_leads
from gridmgmt.services.leads.results import (
    LeadDetail,
    LeadEventView,
    LeadView,
    SuggestedLead,
    SuggestedReason,
)
from gridmgmt.services.leads.suggested import neighbours, suggested_leads

__all__ = [
    "LeadDetail",
    "LeadEventView",
    "LeadView",
    "SuggestedLead",
    "SuggestedReason",
    "accept_lead",
    "acknowledge_lead",
    "decline_lead",
    "feed_back_lead",
    "get_lead",
    "list_leads",
    "neighbours",
    "overdue_leads",
    "request_lead",
    "send_lead",
    "suggested_leads",
]
