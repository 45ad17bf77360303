"""Joint cases (网络案件协同办理) and cross-county merges (并案): state machines and access.

The case world's network spans 兴和县, 天镇县 and 怀安县. A liaison of 兴和县 opens it as a
joint case; the others join; members then see the merged network and nothing else of each
other. Merges take effect only when both sides accept, with a fixed clock.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridmgmt.cases.joint import (
    MembershipState,
    MergeSide,
    MergeState,
    MergeStep,
    MergeVotes,
    join_step,
    merge_step,
)
from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases import create_case, get_case, list_networks
from gridmgmt.services.cases.joint import (
    get_joint_case,
    join_joint_case,
    list_joint_cases,
    open_joint_case,
)
from gridmgmt.services.cases.merges import (
    accept_merge,
    decline_merge,
    get_merge,
    list_merges,
    propose_merge,
)
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Share
from gridmgmt.store.models.joint import CaseMergeEvent

from .cases_world import (
    ALICE,
    BOB,
    HUAIAN,
    NETWORK,
    NETWORK_ID,
    TIANZHEN,
    XINGHE,
    import_case_file,
    key,
    seed_counties,
    write_case_file,
)

T0 = dt.datetime(2026, 12, 1, 9, 0)
XL = Actor("xl", UserRole.LIAISON, frozenset({XINGHE}))
TL = Actor("tl", UserRole.LIAISON, frozenset({TIANZHEN}))
HL = Actor("hl", UserRole.LIAISON, frozenset({HUAIAN}))
HO = Actor("ho", UserRole.OFFICER, frozenset({HUAIAN}))


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> str:
    seed_counties(store_url)
    import_case_file(store_url, write_case_file(tmp_path / "cases.json"))
    return store_url


def _keys_seen(url: str, actor: Actor) -> set[str]:
    with db.transaction(url) as session:
        return {k for n in list_networks(session, actor) for k in n.cases}


# --- the pure rules -------------------------------------------------------------------------


def test_a_county_answers_its_invitation_once() -> None:
    assert join_step(MembershipState.INVITED, join=True) is MembershipState.JOINED
    assert join_step(MembershipState.INVITED, join=False) is MembershipState.DECLINED
    for state in (MembershipState.JOINED, MembershipState.DECLINED):
        with pytest.raises(ConflictError, match=state.value):
            join_step(state, join=True)


def test_a_merge_needs_both_sides() -> None:
    none = MergeVotes(proposer=False, other=False)
    state, votes = merge_step(MergeState.PROPOSED, none, MergeStep.ACCEPT, MergeSide.OTHER)
    assert (state, votes) == (MergeState.PROPOSED, MergeVotes(False, True))
    with pytest.raises(ConflictError, match="accepted already"):
        merge_step(state, votes, MergeStep.ACCEPT, MergeSide.OTHER)
    state, votes = merge_step(state, votes, MergeStep.ACCEPT, MergeSide.PROPOSER)
    assert state is MergeState.MERGED
    for decided in (MergeState.MERGED, MergeState.DECLINED):
        with pytest.raises(ConflictError, match=decided.value):
            merge_step(decided, votes, MergeStep.DECLINE, MergeSide.OTHER)
    declined, _ = merge_step(MergeState.PROPOSED, none, MergeStep.DECLINE, MergeSide.PROPOSER)
    assert declined is MergeState.DECLINED


# --- joint cases ----------------------------------------------------------------------------


def test_open_join_and_see_the_merged_network(world: str) -> None:
    assert _keys_seen(world, TL) == {key("T-001")}
    with db.transaction(world) as session:
        opened = open_joint_case(session, XL, NETWORK_ID, title="跨省售假网络", now=T0)
    assert [(c.county_code, c.state) for c in opened.counties] == [(XINGHE, "joined")]
    assert (opened.other_counties, opened.cases, opened.other_cases) == (
        2,
        [key("X-001"), key("X-002")],
        2,
    )
    with db.transaction(world) as session:
        [invited] = list_joint_cases(session, TL)
        assert invited.can_answer == [TIANZHEN]
        assert invited.cases == [key("T-001")]  # its own case; 兴和县's come on joining
        assert list_joint_cases(session, Actor("z", UserRole.LIAISON, frozenset({"110101"}))) == []
        with pytest.raises(NotFoundError):
            get_joint_case(session, Actor("z", UserRole.LIAISON, frozenset({"110101"})), 1)
    with db.transaction(world) as session:
        joined = join_joint_case(session, TL, opened.id, now=T0 + dt.timedelta(hours=2))
    assert {c.county_code: c.state for c in joined.counties} == {
        XINGHE: "joined",
        TIANZHEN: "joined",
    }
    # 天镇县 now sees the merged network: its case and 兴和县's; 怀安县's only when it joins.
    assert _keys_seen(world, TL) >= {key("X-001"), key("X-002"), key("T-001")}
    assert key("H-001") not in _keys_seen(world, TL)
    assert key("X-003") not in _keys_seen(world, TL)  # only the network, nothing else
    assert key("T-001") in _keys_seen(world, ALICE)  # every user of a joined county
    with db.transaction(world) as session:
        join_joint_case(session, HL, opened.id)
    assert _keys_seen(world, TL) >= set(NETWORK)
    assert set(NETWORK) <= _keys_seen(world, HL)
    with db.transaction(world) as session:
        assert get_case(session, HL, "X-001").own is False  # read-only, shared
        shares = session.scalar(select(func.count()).select_from(Share))
        # 4 cases, each shared with the two other counties.
        assert shares == 4 * 2
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        joint = [a for a in actions if a.startswith("joint_case.")]
        assert joint == ["joint_case.open", "joint_case.join", "joint_case.join"]


def test_a_second_answer_or_a_second_opening_is_a_conflict(world: str) -> None:
    with db.transaction(world) as session:
        opened = open_joint_case(session, XL, NETWORK_ID, title="网络", now=T0)
    with db.transaction(world) as session:
        join_joint_case(session, TL, opened.id, join=False, note="本县已结案")
    with db.transaction(world) as session, pytest.raises(ConflictError):
        join_joint_case(session, TL, opened.id)
    with db.transaction(world) as session, pytest.raises(ConflictError):
        open_joint_case(session, HL, NETWORK_ID, title="again")
    # A declining county shares nothing and is shown nothing.
    assert key("X-001") not in _keys_seen(world, TL)


def test_who_may_open(world: str) -> None:
    with db.transaction(world) as session:
        with pytest.raises(AccessDeniedError):
            open_joint_case(session, ALICE, NETWORK_ID, title="x")  # an officer
        with pytest.raises(NotFoundError):
            open_joint_case(session, XL, "N-000000000000", title="x")
        with pytest.raises(InvalidInputError):
            open_joint_case(session, XL, NETWORK_ID, title="  ")
        both = Actor("all", UserRole.LIAISON, frozenset({XINGHE, TIANZHEN, HUAIAN}))
        with pytest.raises(InvalidInputError, match="your counties only"):
            open_joint_case(session, both, NETWORK_ID, title="x")


# --- merges ---------------------------------------------------------------------------------


def _x_and_t_visible_to_xl(url: str) -> None:
    """Share 天镇县's T-001 with 兴和县 (as a lead would), so 兴和县 can name it."""
    from gridmgmt.services.cases import share_case

    with db.transaction(url) as session:
        share_case(session, TL, "T-001", XINGHE)


def test_a_merge_takes_effect_when_both_sides_accept(world: str) -> None:
    _x_and_t_visible_to_xl(world)
    with db.transaction(world) as session:
        proposed = propose_merge(
            session, XL, "X-001", other_case_no="T-001", note="同一供货人", now=T0
        )
    assert (proposed.state, proposed.proposer_accepted, proposed.other_accepted) == (
        "proposed",
        True,
        False,
    )
    assert {item["kind"] for item in proposed.evidence.shared} >= {"person"}
    with db.transaction(world) as session:
        [seen] = list_merges(session, TL)
        assert (seen.side, seen.can_decide) == ("other", True)
        with pytest.raises(ConflictError, match="changed since"):
            accept_merge(session, TL, seen.id, version=seen.version + 1)
        with pytest.raises(ConflictError, match="accepted already"):
            accept_merge(session, XL, seen.id)
    with db.transaction(world) as session:
        merged = accept_merge(session, TL, seen.id, version=seen.version, now=T0)
    assert merged.state == "merged"
    assert [e.step for e in merged.events] == ["propose", "accept"]
    with db.transaction(world) as session:
        assert get_case(session, TL, "X-001").own is False  # granted on taking effect
        with pytest.raises(ConflictError):
            decline_merge(session, XL, seen.id)
        with pytest.raises(ConflictError):
            propose_merge(session, TL, "T-001", other_case_no="X-001", other_county=XINGHE)


def test_a_declined_merge_shares_nothing_and_history_stays(world: str) -> None:
    _x_and_t_visible_to_xl(world)
    with db.transaction(world) as session:
        proposed = propose_merge(session, XL, "X-001", other_case_no="T-001", now=T0)
    with db.transaction(world) as session:
        declined = decline_merge(session, TL, proposed.id, note="不是同一人")
    assert declined.state == "declined"
    with db.transaction(world) as session, pytest.raises(NotFoundError):
        get_case(session, TL, "X-001")
    with pytest.raises(ConflictError, match="history"):
        _rewrite_first_event(world, delete=False)
    with pytest.raises(ConflictError, match="history"):
        _rewrite_first_event(world, delete=True)


def _rewrite_first_event(url: str, *, delete: bool) -> None:
    with db.transaction(url) as session:
        event = session.scalars(select(CaseMergeEvent)).first()
        assert event is not None
        if delete:
            session.delete(event)
        else:
            event.note = "rewritten"
        session.flush()


def test_an_officer_proposes_and_the_liaisons_of_both_sides_accept(world: str) -> None:
    _x_and_t_visible_to_xl(world)
    officer = Actor("xo", UserRole.OFFICER, frozenset({XINGHE}))
    with db.transaction(world) as session:
        proposed = propose_merge(session, officer, "X-001", other_case_no="T-001")
        assert (proposed.proposer_accepted, proposed.can_decide) == (False, False)
        with pytest.raises(AccessDeniedError):
            accept_merge(session, officer, proposed.id)
    with db.transaction(world) as session:
        assert accept_merge(session, TL, proposed.id).state == "proposed"
    with db.transaction(world) as session:
        assert accept_merge(session, XL, proposed.id).state == "merged"


def test_a_merge_proposal_needs_evidence_and_two_counties(world: str) -> None:
    _x_and_t_visible_to_xl(world)
    with db.transaction(world) as session:
        with pytest.raises(InvalidInputError, match="one county"):
            propose_merge(session, XL, "X-001", other_case_no="X-002")
        with pytest.raises(NotFoundError):
            propose_merge(session, XL, "X-001", other_case_no="H-001")  # not visible
        with pytest.raises(InvalidInputError, match="share no identifier"):
            propose_merge(session, XL, "X-003", other_case_no="T-001")
        with pytest.raises(AccessDeniedError):
            propose_merge(session, XL, "T-001", other_case_no="X-001")  # not their case
    with db.transaction(world) as session:
        create_case(
            session,
            BOB,
            {
                "case_no": "T-050",
                "county_code": TIANZHEN,
                "opened_on": "2026-01-01",
                "type": "counterfeit",
            },
        )
    with db.transaction(world) as session, pytest.raises(NotFoundError):
        get_merge(session, HO, 1)


def test_the_quarterly_report_counts_joint_cases_and_merges(world: str) -> None:
    """Hand count: in 2026Q4 a joint case of the three counties (兴和县 opened, 天镇县
    joined, 怀安县 still invited) and a merge 兴和县 X-001 / 天镇县 T-001 proposed and in
    force; a merge proposed in 2027Q1 is not counted."""
    from gridmgmt.services.cooperation import create_area
    from gridmgmt.services.cooperation.report import quarterly_report

    _x_and_t_visible_to_xl(world)
    with db.transaction(world) as session:
        create_area(session, Actor("root", UserRole.ADMIN, None), "three", "三县", [
            XINGHE, TIANZHEN, HUAIAN
        ])  # fmt: skip
        joint = open_joint_case(session, XL, NETWORK_ID, title="网络", now=T0)
        join_joint_case(session, TL, joint.id, now=T0 + dt.timedelta(hours=1))
        merge = propose_merge(session, XL, "X-001", other_case_no="T-001", now=T0)
        accept_merge(session, TL, merge.id, now=T0 + dt.timedelta(hours=2))
    with db.transaction(world) as session:
        later = dt.datetime(2027, 1, 5, 9, 0)
        propose_merge(session, TL, "T-001", other_case_no="X-002", now=later)
    with db.transaction(world) as session:
        report = quarterly_report(session, XL, "2026Q4", area="three", now=dt.datetime(2027, 1, 10))
    [section] = [s for s in report.sections if s.key == "joint_cases"]
    assert section.rows == [
        ["怀安县 130728", 1, 0, 0, 0],
        ["天镇县 140222", 1, 1, 1, 1],
        ["兴和县 150924", 1, 1, 1, 1],
    ]


# --- two users at once ----------------------------------------------------------------------


def test_two_liaisons_answering_at_once_one_gets_409(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second answer is checked against the state it read (compare-and-set): when
    another liaison of the county answered between its read and its write, it is refused."""
    from gridmgmt.services.cases import joint as joint_service

    with db.transaction(world) as session:
        opened = open_joint_case(session, XL, NETWORK_ID, title="网络", now=T0)
    other = Actor("tl2", UserRole.LIAISON, frozenset({TIANZHEN}))
    real_step = joint_service.join_step

    def answer_in_between(state: MembershipState, *, join: bool) -> MembershipState:
        monkeypatch.setattr(joint_service, "join_step", real_step)
        with db.transaction(world) as concurrent:
            join_joint_case(concurrent, other, opened.id)  # commits first
        return real_step(state, join=join)

    monkeypatch.setattr(joint_service, "join_step", answer_in_between)
    with pytest.raises(ConflictError, match="answered already"), db.transaction(world) as session:
        join_joint_case(session, TL, opened.id, join=False)
    with db.transaction(world) as session:
        [seen] = list_joint_cases(session, TL)
    assert {c.county_code: (c.state, c.decided_by) for c in seen.counties}[TIANZHEN] == (
        "joined",
        "tl2",
    )


def test_two_deciding_a_merge_at_once_one_gets_409(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmgmt.services.cases import merges as merge_service

    _x_and_t_visible_to_xl(world)
    with db.transaction(world) as session:
        proposed = propose_merge(session, XL, "X-001", other_case_no="T-001", now=T0)
    other = Actor("tl2", UserRole.LIAISON, frozenset({TIANZHEN}))
    real_step = merge_service.merge_step

    def decide_in_between(
        state: MergeState, votes: MergeVotes, step: MergeStep, side: MergeSide
    ) -> tuple[MergeState, MergeVotes]:
        monkeypatch.setattr(merge_service, "merge_step", real_step)
        with db.transaction(world) as concurrent:
            decline_merge(concurrent, other, proposed.id)  # commits first
        return real_step(state, votes, step, side)

    monkeypatch.setattr(merge_service, "merge_step", decide_in_between)
    with pytest.raises(ConflictError, match="meanwhile"), db.transaction(world) as session:
        accept_merge(session, TL, proposed.id)
    with db.transaction(world) as session:
        final = get_merge(session, TL, proposed.id)
    assert (final.state, [e.step for e in final.events]) == ("declined", ["propose", "decline"])
    with db.transaction(world) as session:
        assert session.scalar(select(func.count()).select_from(Share)) == 1  # T-001 only
