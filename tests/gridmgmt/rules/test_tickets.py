from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gridmgmt.rules.settings import TicketDeadlines
from gridmgmt.rules.tickets import (
    Ticket,
    TicketKind,
    TicketState,
    TicketTransitionError,
    overdue_tickets,
    supervision_report,
    ticket_frame,
    ticket_status,
)

# Assign within 24 h, respond within 24 h, handle within 72 h, feed back within 48 h.
DEADLINES = TicketDeadlines()
MAY1 = dt.datetime(2024, 5, 1, 8, 0)


def _h(hours: float) -> dt.datetime:
    return MAY1 + dt.timedelta(hours=hours)


def test_a_ticket_moves_through_every_state_in_order() -> None:
    ticket = Ticket("T1", "G1", TicketKind.COMPLAINT, collected_at=MAY1)
    assert ticket.state is TicketState.COLLECTED
    assert ticket.due_at(DEADLINES) == _h(24)
    for state, hours in [("assigned", 2), ("responded", 20), ("handled", 60), ("fed_back", 100)]:
        ticket = ticket.advance(state, _h(hours))
        assert ticket.state == state
    assert ticket.due_at(DEADLINES) is None
    assert not ticket.is_overdue(_h(10_000), DEADLINES)
    # handled 40 h after responding (within 72), fed back 40 h after handling (within 48).
    assert ticket.late_steps(DEADLINES) == []


def test_skipping_a_state_or_going_back_in_time_is_refused() -> None:
    ticket = Ticket("T1", "G1", TicketKind.VIOLATION, collected_at=MAY1)
    with pytest.raises(TicketTransitionError, match=r"\['assigned'\]"):
        ticket.advance(TicketState.HANDLED, _h(1))
    with pytest.raises(TicketTransitionError, match="before"):
        ticket.advance(TicketState.ASSIGNED, _h(-1))
    done = ticket.advance("assigned", _h(1)).advance("responded", _h(2))
    done = done.advance("handled", _h(3)).advance("fed_back", _h(4))
    with pytest.raises(TicketTransitionError, match=r"\[\]"):
        done.advance(TicketState.FED_BACK, _h(5))


def test_deadline_runs_from_the_previous_step() -> None:
    ticket = Ticket("T1", "G1", TicketKind.MARKET_INFO, collected_at=MAY1)
    assert not ticket.is_overdue(_h(24), DEADLINES)  # due exactly now: not yet late
    assert ticket.is_overdue(_h(25), DEADLINES)
    assigned = ticket.advance("assigned", _h(30))  # 6 h late
    assert assigned.late_steps(DEADLINES) == [TicketState.ASSIGNED]
    assert assigned.due_at(DEADLINES) == _h(54)  # respond within 24 h of assignment
    assert not assigned.is_overdue(_h(50), DEADLINES)


@pytest.fixture
def tickets() -> pd.DataFrame:
    return ticket_frame(
        [
            # collected, not assigned after 30 h: 6 h overdue at _h(30)
            Ticket("A", "G1", TicketKind.COMPLAINT, MAY1),
            # assigned at 1 h, responded at 5 h; handling due at 77 h: fine at _h(30)
            Ticket("B", "G1", TicketKind.VIOLATION, MAY1, _h(1), _h(5)),
            # assigned at 2 h, respond due at 26 h: 4 h overdue at _h(30)
            Ticket("C", "G2", TicketKind.VIOLATION, MAY1, _h(2)),
            # closed, but assigned 30 h after collection (late)
            Ticket("D", "G2", TicketKind.MARKET_INFO, MAY1, _h(30), _h(31), _h(32), _h(33)),
            # outside the report period
            Ticket("E", "G3", TicketKind.COMPLAINT, _h(-24 * 40)),
        ]
    )


def test_status_and_overdue_list(tickets: pd.DataFrame) -> None:
    status = ticket_status(tickets, now=_h(30), deadlines=DEADLINES).set_index("ticket_id")
    assert status["state"].to_dict() == {
        "A": "collected",
        "B": "responded",
        "C": "assigned",
        "D": "fed_back",
        "E": "collected",
    }
    assert status.loc["B", "due_at"] == pd.Timestamp(_h(77))
    assert pd.isna(status.loc["D", "due_at"])
    assert status.loc["D", "late_steps"] == ["assigned"]
    overdue = overdue_tickets(tickets[tickets["ticket_id"] != "E"], now=_h(30), deadlines=DEADLINES)
    assert list(overdue["ticket_id"]) == ["A", "C"]
    assert list(overdue["overdue_hours"]) == [6.0, 4.0]


def test_gaps_in_the_states_are_refused(tickets: pd.DataFrame) -> None:
    broken = tickets.copy()
    broken.loc[broken["ticket_id"] == "A", "handled_at"] = pd.Timestamp(_h(3))
    with pytest.raises(ValueError, match=r"\['A'\] skipped"):
        ticket_status(broken, now=_h(30), deadlines=DEADLINES)


def test_supervision_report_per_grid(tickets: pd.DataFrame) -> None:
    inspections = pd.DataFrame(
        {
            "grid_id": ["G1", "G1", "G2", "G1"],
            "inspected_at": [_h(3), _h(4), _h(5), _h(-24 * 60)],
            "violation": [True, False, True, True],
        }
    )
    report = supervision_report(
        tickets,
        deadlines=DEADLINES,
        start=dt.datetime(2024, 5, 1),
        end=_h(30),
        inspections=inspections,
        grids=["G1", "G2", "G4"],
    ).set_index("grid_id")
    assert list(report.index) == ["G1", "G2", "G4"]
    assert report.loc["G1"].to_dict() == {
        "tickets": 2,
        "collected": 1,
        "assigned": 0,
        "responded": 1,
        "handled": 0,
        "fed_back": 0,
        "overdue": 1,
        "closed_late": 0,
        "inspections": 2,
        "violations": 1,
    }
    assert report.loc[
        "G2", ["tickets", "assigned", "fed_back", "overdue", "closed_late"]
    ].tolist() == [
        2,
        1,
        1,
        1,
        1,
    ]
    assert report.loc["G2", ["inspections", "violations"]].tolist() == [1, 1]
    assert report.loc["G4"].sum() == 0


def test_report_with_no_tickets_in_the_period_lists_the_grids_with_zeros() -> None:
    empty = ticket_frame([])
    assert ticket_status(empty, now=_h(1), deadlines=DEADLINES).empty
    report = supervision_report(
        empty, deadlines=DEADLINES, start=_h(0), end=_h(24 * 30), grids=["G01", "G02"]
    )
    assert list(report["grid_id"]) == ["G01", "G02"]
    assert report[["tickets", "overdue", "inspections", "violations"]].to_numpy().sum() == 0
