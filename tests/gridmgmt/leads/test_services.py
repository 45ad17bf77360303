"""Lead services on a real SQLite store, with a fixed clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from gridmgmt.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from gridmgmt.leads import LeadState, LeadTransitionError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases import get_case, update_case
from gridmgmt.services.leads import (
    accept_lead,
    acknowledge_lead,
    decline_lead,
    feed_back_lead,
    get_lead,
    list_leads,
    overdue_leads,
    send_lead,
    suggested_leads,
)
from gridmgmt.services.rules import set_rule_settings
from gridmgmt.store.models import AuditEntry, Share
from gridmgmt.store.models.leads import LeadEvent

from .leads_world import (
    H_ADMIN,
    H_LIAISON,
    H_OFFICER,
    HUAIAN,
    T0,
    T_ADMIN,
    T_DISPATCHER,
    T_LIAISON,
    T_OFFICER,
    TIANZHEN,
    X_LIAISON,
    X_OFFICER,
    XINGHE,
)

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _send(session: Session, *, to: tuple[str, ...] = (TIANZHEN,), at: dt.datetime = T0) -> int:
    leads = send_lead(
        session,
        X_LIAISON,
        "X-100",
        list(to),
        note="仓库在贵县",
        urgency="urgent",
        entities=[1, 2],
        now=at,
    )
    return leads[0].id


def test_send_to_two_counties_makes_one_lead_each_with_one_dispatch(session: Session) -> None:
    leads = send_lead(session, X_LIAISON, "X-100", [TIANZHEN, HUAIAN], entities=[1], now=T0)
    assert [lead.to_county for lead in leads] == [TIANZHEN, HUAIAN]
    assert len({lead.dispatch_id for lead in leads}) == 1
    first = leads[0]
    assert first.state is LeadState.SENT
    assert first.from_county == XINGHE
    assert first.ack_due_at == T0 + 24 * HOUR
    assert [e["kind"] for e in first.entities] == ["address"]
    assert first.history[0].step == "send"
    assert first.history[0].by == "xl"
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.send")).all()


@pytest.mark.parametrize(
    ("case_no", "to", "error"),
    [
        ("X-100", [XINGHE], InvalidInputError),  # its own county
        ("X-100", ["999999"], InvalidInputError),
        ("X-100", [], InvalidInputError),
        ("T-100", [HUAIAN], NotFoundError),  # another county's case
    ],
)
def test_send_refuses(
    session: Session, case_no: str, to: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        send_lead(session, X_LIAISON, case_no, to, now=T0)


def test_walk_accept_shares_the_case_read_only(session: Session) -> None:
    lead_id = _send(session)
    with pytest.raises(NotFoundError):
        get_case(session, T_LIAISON, "X-100")
    acked = acknowledge_lead(session, T_LIAISON, lead_id, now=T0 + 2 * HOUR)
    assert acked.state is LeadState.ACKNOWLEDGED
    assert acked.acked_at == T0 + 2 * HOUR
    accepted = accept_lead(session, T_LIAISON, lead_id, note="我局立案核查", now=T0 + 3 * HOUR)
    assert accepted.state is LeadState.ACCEPTED
    assert accepted.feedback_due_at == T0 + 3 * HOUR + 15 * DAY
    share = session.scalars(select(Share).where(Share.object_key == "X-100")).one()
    assert (share.kind, share.from_county, share.to_county) == ("case", XINGHE, TIANZHEN)
    assert get_case(session, T_LIAISON, "X-100").case_no == "X-100"
    assert get_case(session, T_OFFICER, "X-100").case_no == "X-100"
    with pytest.raises(AccessDeniedError):
        update_case(session, T_LIAISON, "X-100", {"summary": "改"})
    with pytest.raises(NotFoundError):
        get_case(session, H_LIAISON, "X-100")
    fed = feed_back_lead(
        session,
        T_LIAISON,
        lead_id,
        opened_case_no="T-2026-7",
        seized_cartons=40,
        value_yuan=12000,
        now=T0 + 5 * DAY,
    )
    assert fed.state is LeadState.FED_BACK
    assert fed.opened_case_no == "T-2026-7"
    closed = feed_back_lead(session, T_LIAISON, lead_id, closed=True, note="结案", now=T0 + 9 * DAY)
    assert closed.state is LeadState.CLOSED
    assert closed.value_yuan == 12000
    seen_by_sender = get_lead(session, X_LIAISON, lead_id)
    assert [e.step for e in seen_by_sender.history] == [
        "send",
        "acknowledge",
        "accept",
        "feed_back",
        "close",
    ]
    assert seen_by_sender.history[2].detail["share"]["to_county"] == TIANZHEN
    assert seen_by_sender.allowed == []  # the sender takes no receiver's step


def test_declined_leads_grant_nothing(session: Session) -> None:
    lead_id = _send(session)
    with pytest.raises(InvalidInputError):
        decline_lead(session, T_LIAISON, lead_id, "  ", now=T0 + HOUR)
    declined = decline_lead(session, T_LIAISON, lead_id, "不属我县管辖", now=T0 + HOUR)
    assert declined.state is LeadState.DECLINED
    assert declined.decline_reason == "不属我县管辖"
    assert session.scalars(select(Share)).all() == []
    with pytest.raises(NotFoundError):
        get_case(session, T_LIAISON, "X-100")
    with pytest.raises(LeadTransitionError) as caught:
        accept_lead(session, T_LIAISON, lead_id, now=T0 + 2 * HOUR)
    assert caught.value.current == "declined"


def test_illegal_steps_answer_the_current_state(session: Session) -> None:
    lead_id = _send(session)
    with pytest.raises(LeadTransitionError) as caught:
        feed_back_lead(session, T_LIAISON, lead_id, note="x", now=T0)
    assert caught.value.current == "sent"
    acknowledge_lead(session, T_LIAISON, lead_id, now=T0)
    with pytest.raises(ConflictError) as again:
        acknowledge_lead(session, T_LIAISON, lead_id, now=T0)
    assert again.value.details() == {"current": "acknowledged"}


def test_overdue_for_both_sides_with_a_fixed_clock(session: Session) -> None:
    late_ack = _send(session, at=T0)
    late_feedback = _send(session, to=(HUAIAN,), at=T0)
    accept_lead(session, H_LIAISON, late_feedback, now=T0 + HOUR)
    on_time = send_lead(session, SYSTEM, "T-100", [XINGHE], now=T0 + 2 * DAY)[0].id

    assert overdue_leads(session, X_LIAISON, now=T0 + 23 * HOUR) == []
    at = T0 + 25 * HOUR
    assert [v.id for v in overdue_leads(session, X_LIAISON, now=at)] == [late_ack]
    receiver = overdue_leads(session, T_LIAISON, now=at)
    assert [v.id for v in receiver] == [late_ack]
    assert receiver[0].side == "receiver"
    assert receiver[0].due_step == "acknowledge"

    later = T0 + 16 * DAY
    sender_view = {v.id: v for v in overdue_leads(session, X_LIAISON, now=later)}
    assert set(sender_view) == {late_ack, late_feedback, on_time}
    assert sender_view[late_feedback].due_step == "feed_back"
    assert sender_view[late_feedback].side == "sender"
    assert {v.id for v in overdue_leads(session, H_LIAISON, now=later)} == {late_feedback}
    feed_back_lead(session, H_LIAISON, late_feedback, note="已查", now=later)
    assert {v.id for v in overdue_leads(session, H_LIAISON, now=later)} == set()


def test_deadlines_are_the_receiving_countys(session: Session) -> None:
    set_rule_settings(session, SYSTEM, TIANZHEN, overrides={"leads": {"ack_hours": 4}})
    to_t, to_h = send_lead(session, X_LIAISON, "X-100", [TIANZHEN, HUAIAN], now=T0)
    assert to_t.ack_due_at == T0 + 4 * HOUR
    assert to_h.ack_due_at == T0 + 24 * HOUR


def test_history_is_append_only(session: Session) -> None:
    lead_id = _send(session)
    acknowledge_lead(session, T_LIAISON, lead_id, now=T0 + HOUR)
    session.flush()
    event = session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead_id)).first()
    assert event is not None
    event.note = "rewritten"
    with pytest.raises(ConflictError):
        session.flush()
    session.rollback()
    lead_id = _send(session)
    session.flush()
    event = session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead_id)).one()
    session.delete(event)
    with pytest.raises(ConflictError):
        session.flush()
    session.rollback()
    lead_id = _send(session)
    session.flush()
    for statement in ("UPDATE lead_events SET note = 'x'", "DELETE FROM lead_events"):
        with session.begin_nested(), pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))


def _seen(session: Session, actor: Actor, lead_id: int) -> bool:
    try:
        get_lead(session, actor, lead_id)
    except NotFoundError:
        return False
    return True


def test_scope_matrix(session: Session) -> None:
    lead_id = _send(session)
    # Readers: both counties' liaisons, officers and admins; the third county nobody.
    for who in (X_LIAISON, X_OFFICER, T_LIAISON, T_OFFICER, T_ADMIN):
        assert _seen(session, who, lead_id), who
    for who in (H_LIAISON, H_OFFICER, H_ADMIN):
        assert not _seen(session, who, lead_id), who
        assert list_leads(session, who) == []
        assert overdue_leads(session, who, now=T0 + 30 * DAY) == []
        refusal = AccessDeniedError if who is H_OFFICER else NotFoundError  # role first
        with pytest.raises(refusal):
            acknowledge_lead(session, who, lead_id, now=T0)
    with pytest.raises(AccessDeniedError):
        get_lead(session, T_DISPATCHER, lead_id)  # no leads for dispatchers
    with pytest.raises(AccessDeniedError):
        acknowledge_lead(session, T_OFFICER, lead_id, now=T0)  # officers read only
    with pytest.raises(AccessDeniedError):
        send_lead(session, X_OFFICER, "X-100", [TIANZHEN], now=T0)
    with pytest.raises(AccessDeniedError):
        acknowledge_lead(session, X_LIAISON, lead_id, now=T0)  # the sender's side: 403
    assert [v.id for v in list_leads(session, X_LIAISON, box="outbox")] == [lead_id]
    assert list_leads(session, X_LIAISON, box="inbox") == []
    assert [v.id for v in list_leads(session, T_LIAISON, box="inbox")] == [lead_id]
    assert list_leads(session, T_LIAISON, box="outbox") == []
    assert get_lead(session, T_ADMIN, lead_id).allowed == ["acknowledge", "accept", "decline"]
    assert get_lead(session, T_OFFICER, lead_id).allowed == []


def test_suggested_leads_to_the_neighbour_only(session: Session) -> None:
    suggested = suggested_leads(session, X_LIAISON)
    assert [(s.case_no, s.to_county) for s in suggested] == [("X-100", TIANZHEN)]
    assert [r.text for r in suggested[0].reasons] == [
        "address in 天镇县",
        "phone registered in 山西省大同市",
    ]
    assert [(s.case_no, s.to_county) for s in suggested_leads(session, T_LIAISON)] == [
        ("T-100", XINGHE)
    ]
    assert suggested_leads(session, H_LIAISON) == []
    send_lead(session, X_LIAISON, "X-100", [TIANZHEN], now=T0)
    assert suggested_leads(session, X_LIAISON) == []


def test_a_request_by_reference_shares_the_receivers_case_once_accepted(
    session: Session,
) -> None:
    from gridmgmt.federation.hashing import case_ref
    from gridmgmt.services.federation._local import ref_secret
    from gridmgmt.services.leads import request_lead

    ref = case_ref(ref_secret(session), TIANZHEN, "T-100", "phone")
    with pytest.raises(InvalidInputError):
        request_lead(session, T_LIAISON, ref, now=T0)  # its own county's case
    with pytest.raises(NotFoundError):
        request_lead(session, X_LIAISON, "0" * 32, now=T0)
    asked = request_lead(session, X_LIAISON, ref, note="请提供案件", now=T0)
    assert (asked.kind, asked.from_county, asked.to_county) == ("request", XINGHE, TIANZHEN)
    assert asked.case_no is None  # the requester does not learn the case yet
    assert get_lead(session, T_LIAISON, asked.id).case_no == "T-100"
    accept_lead(session, T_LIAISON, asked.id, now=T0 + HOUR)
    assert get_lead(session, X_LIAISON, asked.id).case_no == "T-100"
    share = session.scalars(select(Share).where(Share.object_key == "T-100")).one()
    assert (share.from_county, share.to_county) == (TIANZHEN, XINGHE)
    assert get_case(session, X_LIAISON, "T-100").case_no == "T-100"


def test_a_step_on_a_stale_read_is_refused_with_the_current_state(session: Session) -> None:
    from sqlalchemy import update

    from gridmgmt.services.leads._store import load_lead, move
    from gridmgmt.store.models.leads import Lead

    lead_id = _send(session)
    stale = load_lead(session, T_LIAISON, lead_id)
    session.execute(  # another user accepted it meanwhile
        update(Lead)
        .where(Lead.id == lead_id)
        .values(state=LeadState.ACCEPTED)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(LeadTransitionError) as caught:
        move(session, stale, LeadState.ACKNOWLEDGED, {})
    assert caught.value.current == "accepted"
