"""Joint cases (网络案件协同办理) and cross-county merges (并案): their states and steps.

Pure rules, no store: who is where in a joint case, and how a merge proposal moves. A joint
case invites every county that holds a case of the network; each county joins (or declines)
once. A merge takes effect only when both sides have accepted; either side may decline
instead, and a decided merge is final. A step the state does not allow raises
:class:`~gridmgmt.errors.ConflictError` naming the current state (409 on every face).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridmgmt.errors import ConflictError

__all__ = [
    "MembershipState",
    "MergeSide",
    "MergeState",
    "MergeStep",
    "MergeVotes",
    "join_step",
    "merge_step",
]


class MembershipState(StrEnum):
    """Where a county stands in a joint case."""

    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"


class MergeState(StrEnum):
    """Where a merge proposal (并案) stands."""

    PROPOSED = "proposed"
    MERGED = "merged"
    DECLINED = "declined"


class MergeStep(StrEnum):
    """What a side may do with a merge proposal."""

    ACCEPT = "accept"
    DECLINE = "decline"


class MergeSide(StrEnum):
    """The two sides of a merge: the proposing case's county and the other case's county."""

    PROPOSER = "proposer"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class MergeVotes:
    """Which sides have accepted a merge proposal."""

    proposer: bool
    other: bool

    def with_accept(self, side: MergeSide) -> MergeVotes:
        """The votes after ``side`` accepted."""
        if side is MergeSide.PROPOSER:
            return MergeVotes(True, self.other)
        return MergeVotes(self.proposer, True)

    def accepted_by(self, side: MergeSide) -> bool:
        """Whether ``side`` has accepted."""
        return self.proposer if side is MergeSide.PROPOSER else self.other


def join_step(state: MembershipState, *, join: bool) -> MembershipState:
    """A county's answer to its invitation: joined or declined; only an invited county
    answers, once."""
    if state is not MembershipState.INVITED:
        msg = f"the county has answered already: it is {state.value}"
        raise ConflictError(msg)
    return MembershipState.JOINED if join else MembershipState.DECLINED


def merge_step(
    state: MergeState, votes: MergeVotes, step: MergeStep, side: MergeSide
) -> tuple[MergeState, MergeVotes]:
    """The state and votes after ``side`` takes ``step``.

    Raises
    ------
    ConflictError
        If the merge is decided already, or the side accepted before.
    """
    if state is not MergeState.PROPOSED:
        msg = f"the merge is {state.value} already"
        raise ConflictError(msg)
    if step is MergeStep.DECLINE:
        return MergeState.DECLINED, votes
    if votes.accepted_by(side):
        msg = f"the {side.value} side has accepted already; waiting for the other side"
        raise ConflictError(msg)
    after = votes.with_accept(side)
    return (MergeState.MERGED if after.proposer and after.other else MergeState.PROPOSED), after
