"""When a lead's next step is due, and whether it is overdue at a given time.

Deadlines are the RECEIVING county's (:class:`~gridmgmt.rules.settings.LeadDeadlines`,
default: acknowledge within 24 hours of sending, feed back within 15 days of accepting).
They are fixed when the step that starts them is taken (sending, accepting), so changing
the settings later does not move the deadline of a lead already under way.

A lead that was acknowledged but neither accepted nor declined is due for a decision within
the feedback period from the acknowledgement: acknowledging does not stop the clock.
Times are naive UTC, as stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gridmgmt.leads.machine import LeadState, LeadStep
from gridmgmt.rules.settings import LeadDeadlines

__all__ = ["LeadClock", "Overdue", "ack_due", "feedback_due", "next_due", "overdue_step"]


def ack_due(sent_at: dt.datetime, deadlines: LeadDeadlines) -> dt.datetime:
    """When a lead sent at ``sent_at`` must be acknowledged."""
    return sent_at + dt.timedelta(hours=deadlines.ack_hours)


def feedback_due(since: dt.datetime, deadlines: LeadDeadlines) -> dt.datetime:
    """When feedback (or, once acknowledged, a decision) is due, counted from ``since``."""
    return since + dt.timedelta(days=deadlines.feedback_days)


@dataclass(frozen=True)
class LeadClock:
    """The times of a lead that its deadlines depend on."""

    state: LeadState
    ack_due_at: dt.datetime
    feedback_due_at: dt.datetime | None = None
    """Set on acknowledging (a decision is due) and reset on accepting (feedback is due)."""


@dataclass(frozen=True)
class Overdue:
    """The step a lead is late for, and since when."""

    step: LeadStep
    due_at: dt.datetime


def next_due(clock: LeadClock) -> Overdue | None:
    """The next step with a deadline and when it is due (None when nothing is due)."""
    if clock.state is LeadState.SENT:
        return Overdue(LeadStep.ACKNOWLEDGE, clock.ack_due_at)
    if clock.feedback_due_at is None:
        return None
    if clock.state is LeadState.ACKNOWLEDGED:
        return Overdue(LeadStep.ACCEPT, clock.feedback_due_at)
    if clock.state is LeadState.ACCEPTED:
        return Overdue(LeadStep.FEED_BACK, clock.feedback_due_at)
    return None


def overdue_step(clock: LeadClock, now: dt.datetime) -> Overdue | None:
    """The step the lead is overdue for at ``now``, or None if it is on time."""
    due = next_due(clock)
    return due if due is not None and now > due.due_at else None
