"""The lead state machine: which step may be taken in which state, and where it leads.

::

    sent ──acknowledge──▶ acknowledged ──accept──▶ accepted ──feed_back──▶ fed_back
      │                        │                      │                      │  ▲
      ├──accept──▶ accepted    └──decline──▶ declined  └──close──▶ closed     │  │ feed_back
      └──decline──▶ declined                                   ◀──close──────┘──┘

Accepting or declining a lead that was not acknowledged yet acknowledges it at the same
time. ``declined`` and ``closed`` are final. Feedback (反馈: case opened, seizure, value)
may be given more than once; ``close`` is the last feedback (结案).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from gridmgmt.errors import ConflictError

__all__ = [
    "OPEN_STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "LeadKind",
    "LeadState",
    "LeadStep",
    "LeadTransitionError",
    "Urgency",
    "allowed_steps",
    "apply_step",
]


class LeadKind(StrEnum):
    """What was sent: a lead made from a case, or a request for the case behind a hit."""

    LEAD = "lead"  # 线索移交: "here is our case"
    REQUEST = "request"  # 线索请求: "please send us your case behind reference R"


class Urgency(StrEnum):
    """How urgent the sender says the lead is."""

    NORMAL = "normal"  # 一般
    URGENT = "urgent"  # 紧急


class LeadState(StrEnum):
    """Where a lead stands."""

    SENT = "sent"  # 已移交
    ACKNOWLEDGED = "acknowledged"  # 已签收
    ACCEPTED = "accepted"  # 已接收
    DECLINED = "declined"  # 已退回
    FED_BACK = "fed_back"  # 已反馈
    CLOSED = "closed"  # 已办结


class LeadStep(StrEnum):
    """What a receiver does with a lead."""

    ACKNOWLEDGE = "acknowledge"  # 签收
    ACCEPT = "accept"  # 接收
    DECLINE = "decline"  # 退回 (with a reason)
    FEED_BACK = "feed_back"  # 反馈 (case opened, seizure, value)
    CLOSE = "close"  # 办结 (the last feedback)


TRANSITIONS: Final[dict[LeadState, dict[LeadStep, LeadState]]] = {
    LeadState.SENT: {
        LeadStep.ACKNOWLEDGE: LeadState.ACKNOWLEDGED,
        LeadStep.ACCEPT: LeadState.ACCEPTED,
        LeadStep.DECLINE: LeadState.DECLINED,
    },
    LeadState.ACKNOWLEDGED: {
        LeadStep.ACCEPT: LeadState.ACCEPTED,
        LeadStep.DECLINE: LeadState.DECLINED,
    },
    LeadState.ACCEPTED: {
        LeadStep.FEED_BACK: LeadState.FED_BACK,
        LeadStep.CLOSE: LeadState.CLOSED,
    },
    LeadState.FED_BACK: {
        LeadStep.FEED_BACK: LeadState.FED_BACK,
        LeadStep.CLOSE: LeadState.CLOSED,
    },
    LeadState.DECLINED: {},
    LeadState.CLOSED: {},
}
"""State -> step -> next state; a step missing from a state's map is not allowed there."""

TERMINAL_STATES: Final = frozenset(s for s, steps in TRANSITIONS.items() if not steps)
OPEN_STATES: Final = frozenset(LeadState) - TERMINAL_STATES


class LeadTransitionError(ConflictError, ValueError):
    """A step the lead's current state does not allow (HTTP 409, CLI exit 5).

    ``current`` (in the API body) is the state the lead is in; reload it and take one of
    the steps it allows.
    """


def allowed_steps(state: LeadState) -> list[LeadStep]:
    """The steps a lead in ``state`` may take, in the order of :class:`LeadStep`."""
    return [step for step in LeadStep if step in TRANSITIONS[state]]


def apply_step(state: LeadState | str, step: LeadStep | str) -> LeadState:
    """The state a lead in ``state`` reaches by ``step``.

    Raises
    ------
    LeadTransitionError
        If ``step`` is not allowed in ``state`` (the error carries the current state).
    """
    current = LeadState(state)
    taken = LeadStep(step)
    following = TRANSITIONS[current].get(taken)
    if following is None:
        allowed = [s.value for s in allowed_steps(current)]
        msg = f"a lead that is {current.value} cannot {taken.value}; it allows {allowed}"
        raise LeadTransitionError(msg, current=current.value)
    return following
