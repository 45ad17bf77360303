"""The pure lead state machine and its deadlines, with a fixed clock."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from gridmgmt.errors import ConflictError
from gridmgmt.leads import (
    LeadClock,
    LeadState,
    LeadStep,
    LeadTransitionError,
    allowed_steps,
    apply_step,
    next_due,
    overdue_step,
)
from gridmgmt.leads.deadlines import ack_due, feedback_due
from gridmgmt.rules.settings import LeadDeadlines, RuleSettings, preset

S, P = LeadState, LeadStep
LEGAL = {
    (S.SENT, P.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.SENT, P.ACCEPT): S.ACCEPTED,
    (S.SENT, P.DECLINE): S.DECLINED,
    (S.ACKNOWLEDGED, P.ACCEPT): S.ACCEPTED,
    (S.ACKNOWLEDGED, P.DECLINE): S.DECLINED,
    (S.ACCEPTED, P.FEED_BACK): S.FED_BACK,
    (S.ACCEPTED, P.CLOSE): S.CLOSED,
    (S.FED_BACK, P.FEED_BACK): S.FED_BACK,
    (S.FED_BACK, P.CLOSE): S.CLOSED,
}
T0 = dt.datetime(2026, 3, 2, 9, 0)


@pytest.mark.parametrize(("state", "step"), list(itertools.product(LeadState, LeadStep)))
def test_every_transition(state: LeadState, step: LeadStep) -> None:
    if (state, step) in LEGAL:
        assert apply_step(state, step) is LEGAL[(state, step)]
        assert step in allowed_steps(state)
        return
    with pytest.raises(LeadTransitionError) as caught:
        apply_step(state, step)
    assert isinstance(caught.value, ConflictError)
    assert caught.value.current == state.value
    assert caught.value.details() == {"current": state.value}
    assert step not in allowed_steps(state)


def test_final_states_allow_nothing() -> None:
    assert allowed_steps(S.DECLINED) == allowed_steps(S.CLOSED) == []


def test_default_deadlines_are_24_hours_and_15_days() -> None:
    deadlines = preset("default").leads
    assert deadlines == LeadDeadlines(ack_hours=24, feedback_days=15)
    assert ack_due(T0, deadlines) == T0 + dt.timedelta(hours=24)
    assert feedback_due(T0, deadlines) == T0 + dt.timedelta(days=15)
    stored = RuleSettings.model_validate({"red_line": {"distance_m": {"primary": 80}}})
    assert stored.leads == deadlines  # settings stored before leads existed still load


def test_overdue_only_after_the_deadline() -> None:
    sent = LeadClock(S.SENT, ack_due_at=T0 + dt.timedelta(hours=24))
    assert next_due(sent) is not None
    assert overdue_step(sent, T0 + dt.timedelta(hours=24)) is None  # due at, not late
    late = overdue_step(sent, T0 + dt.timedelta(hours=24, seconds=1))
    assert late is not None
    assert late.step is P.ACKNOWLEDGE

    accepted = LeadClock(S.ACCEPTED, sent.ack_due_at, T0 + dt.timedelta(days=15))
    assert overdue_step(accepted, T0 + dt.timedelta(days=14)) is None
    late = overdue_step(accepted, T0 + dt.timedelta(days=16))
    assert late is not None
    assert late.step is P.FEED_BACK

    decided = LeadClock(S.ACKNOWLEDGED, sent.ack_due_at, T0 + dt.timedelta(days=15))
    late = overdue_step(decided, T0 + dt.timedelta(days=16))
    assert late is not None
    assert late.step is P.ACCEPT


@pytest.mark.parametrize("state", [S.FED_BACK, S.DECLINED, S.CLOSED])
def test_nothing_is_due_after_feedback_or_an_end(state: LeadState) -> None:
    clock = LeadClock(state, T0, T0)
    assert next_due(clock) is None
    assert overdue_step(clock, T0 + dt.timedelta(days=100)) is None
