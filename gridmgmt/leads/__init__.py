"""Lead handover between counties (线索移交): the pure state machine and its deadlines.

No database, no clock: :mod:`gridmgmt.leads.machine` says which step may follow which
state, :mod:`gridmgmt.leads.deadlines` when each step is due and whether a lead is overdue
at a given ``now``. The services (:mod:`gridmgmt.services.leads`) store leads and their
append-only history on top of these.
"""

from gridmgmt.leads.deadlines import LeadClock, Overdue, next_due, overdue_step
from gridmgmt.leads.machine import (
    OPEN_STATES,
    TERMINAL_STATES,
    LeadKind,
    LeadState,
    LeadStep,
    LeadTransitionError,
    Urgency,
    allowed_steps,
    apply_step,
)

__all__ = [
    "OPEN_STATES",
    "TERMINAL_STATES",
    "LeadClock",
    "LeadKind",
    "LeadState",
    "LeadStep",
    "LeadTransitionError",
    "Overdue",
    "Urgency",
    "allowed_steps",
    "apply_step",
    "next_due",
    "overdue_step",
]
