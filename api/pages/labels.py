"""Display names (English msgids, translated in templates) of the values pages show."""

from __future__ import annotations

from typing import Final

from api.i18n import N_

RETAILER_STATUS: Final = {
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "closed": N_("Closed"),
}
BUSINESS_TYPE: Final = {
    "grocery": N_("Grocery"),
    "convenience": N_("Convenience store"),
    "supermarket": N_("Supermarket"),
    "tobacco_liquor": N_("Tobacco and liquor shop"),
    "entertainment": N_("Entertainment venue"),
}
TICKET_STATE: Final = {
    "collected": N_("Collected"),
    "assigned": N_("Passed on"),
    "responded": N_("Answered"),
    "handled": N_("Handled"),
    "fed_back": N_("Fed back (closed)"),
}
TICKET_STEP: Final = {
    "assigned": N_("Pass on"),
    "responded": N_("Answer"),
    "handled": N_("Mark handled"),
    "fed_back": N_("Feed back and close"),
}
"""The button that moves a ticket into each state."""
TICKET_KIND: Final = {
    "violation": N_("Violation lead"),
    "complaint": N_("Complaint"),
    "market_info": N_("Market information"),
}
OUTCOME: Final = {
    "compliant": N_("No problem found"),
    "violation": N_("Violation found"),
    "not_open": N_("Not open"),
    "not_found": N_("No shop at the address"),
}
CASE_STATUS: Final = {
    "open": N_("Open"),
    "investigating": N_("Under investigation"),
    "transferred": N_("Transferred"),
    "closed": N_("Closed"),
}
CASE_TYPE: Final = {
    "counterfeit": N_("Counterfeit"),
    "smuggled": N_("Smuggled"),
    "genuine_outflow": N_("Genuine outflow"),
    "unlicensed_sale": N_("Unlicensed sale"),
    "courier_shipment": N_("Courier shipment"),
}
ALL: Final = {
    "retailer_status": RETAILER_STATUS,
    "business_type": BUSINESS_TYPE,
    "ticket_state": TICKET_STATE,
    "ticket_step": TICKET_STEP,
    "ticket_kind": TICKET_KIND,
    "outcome": OUTCOME,
    "case_status": CASE_STATUS,
    "case_type": CASE_TYPE,
}
"""Every table, passed to templates as ``labels``."""
