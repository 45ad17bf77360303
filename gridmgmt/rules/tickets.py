"""Grid supervision tickets (网格监管信息): collected, assigned, responded, handled, fed back.

A ticket is a piece of information collected in a grid: a violation found, a complaint
or market information. It moves through five states (信息采集、流转、响应、处理、反馈),
each step with a deadline from :class:`~gridmgmt.rules.settings.TicketDeadlines` counted
from the previous step. :class:`Ticket` is the state machine for one ticket; the
frame functions work on many at once (one row per ticket with a timestamp column per
state) and build the overdue list and the periodic grid supervision report
(网格监管情况报告).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Final

import numpy as np
import pandas as pd

from gridmgmt.domain import TicketKind, TicketState
from gridmgmt.errors import ConflictError, InvalidInputError
from gridmgmt.rules.settings import TicketDeadlines

__all__ = [
    "LABELS_ZH",
    "Ticket",
    "TicketKind",
    "TicketState",
    "TicketTransitionError",
    "overdue_tickets",
    "step_hours",
    "supervision_report",
    "ticket_frame",
    "ticket_status",
]


LABELS_ZH: Final[dict[StrEnum, str]] = {
    TicketState.COLLECTED: "已采集",
    TicketState.ASSIGNED: "已流转",
    TicketState.RESPONDED: "已响应",
    TicketState.HANDLED: "已处理",
    TicketState.FED_BACK: "已反馈",
    TicketKind.VIOLATION: "违规线索",
    TicketKind.COMPLAINT: "投诉举报",
    TicketKind.MARKET_INFO: "市场信息",
}

STATES: Final = tuple(TicketState)
TIME_COLUMNS: Final = tuple(f"{state.value}_at" for state in STATES)


class TicketTransitionError(ConflictError, ValueError):
    """Raised for a move the ticket state machine does not allow.

    A conflict with the ticket's current state (HTTP 409, CLI exit 5): reload the ticket and
    take the step it is due for. Also a ``ValueError`` for callers of the engine alone.
    """


def step_hours(deadlines: TicketDeadlines, state: TicketState) -> float | None:
    """Hours allowed to reach ``state`` from the one before (None for ``collected``)."""
    return {
        TicketState.COLLECTED: None,
        TicketState.ASSIGNED: deadlines.assign_hours,
        TicketState.RESPONDED: deadlines.respond_hours,
        TicketState.HANDLED: deadlines.handle_hours,
        TicketState.FED_BACK: deadlines.feed_back_hours,
    }[state]


@dataclass(frozen=True)
class Ticket:
    """One grid supervision ticket and when it reached each state."""

    ticket_id: str
    grid_id: str | None
    kind: TicketKind
    collected_at: dt.datetime
    assigned_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None
    handled_at: dt.datetime | None = None
    fed_back_at: dt.datetime | None = None

    @property
    def state(self) -> TicketState:
        """The furthest state reached."""
        reached = [s for s, t in zip(STATES, self._times(), strict=True) if t is not None]
        return reached[-1]

    def advance(self, to: TicketState | str, at: dt.datetime) -> Ticket:
        """The ticket moved to the next state at time ``at``.

        Raises
        ------
        TicketTransitionError
            If ``to`` is not the next state, or ``at`` is before the current state's time.
        """
        target = TicketState(to)
        current = self.state
        position = STATES.index(current)
        if position + 1 >= len(STATES) or STATES[position + 1] is not target:
            allowed = [STATES[position + 1].value] if position + 1 < len(STATES) else []
            msg = (
                f"ticket {self.ticket_id} is {current.value}; it can move to {allowed}, "
                f"not {target.value!r}"
            )
            raise TicketTransitionError(msg)
        since = self._times()[position]
        assert since is not None  # the current state has a time by definition
        if at < since:
            msg = (
                f"ticket {self.ticket_id}: {target.value} at {at} is before "
                f"{current.value} at {since}"
            )
            raise TicketTransitionError(msg)
        changes: dict[str, object] = {f"{target.value}_at": at}
        return replace(self, **changes)  # type: ignore[arg-type]

    def due_at(self, deadlines: TicketDeadlines) -> dt.datetime | None:
        """When the next step is due (None once fed back)."""
        position = STATES.index(self.state)
        if position + 1 >= len(STATES):
            return None
        hours = step_hours(deadlines, STATES[position + 1])
        since = self._times()[position]
        assert hours is not None
        assert since is not None
        return since + dt.timedelta(hours=hours)

    def is_overdue(self, now: dt.datetime, deadlines: TicketDeadlines) -> bool:
        """The next step is past its deadline at ``now``."""
        due = self.due_at(deadlines)
        return due is not None and now > due

    def late_steps(self, deadlines: TicketDeadlines) -> list[TicketState]:
        """Steps already taken, but after their deadline."""
        times = self._times()
        late = []
        for i in range(1, len(STATES)):
            before, after = times[i - 1], times[i]
            hours = step_hours(deadlines, STATES[i])
            if (
                before is not None
                and after is not None
                and hours is not None
                and after - before > dt.timedelta(hours=hours)
            ):
                late.append(STATES[i])
        return late

    def _times(self) -> list[dt.datetime | None]:
        return [getattr(self, column) for column in TIME_COLUMNS]


def ticket_frame(tickets: Iterable[Ticket]) -> pd.DataFrame:
    """Tickets as a frame: ``ticket_id``, ``grid_id``, ``kind`` and a time column per state."""
    rows = [asdict(t) | {"kind": TicketKind(t.kind).value} for t in tickets]
    columns = ["ticket_id", "grid_id", "kind", *TIME_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    for column in TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def ticket_status(
    tickets: pd.DataFrame, *, now: dt.datetime, deadlines: TicketDeadlines
) -> pd.DataFrame:
    """State, next deadline and lateness of every ticket.

    Parameters
    ----------
    tickets
        One row per ticket: ``ticket_id``, ``grid_id``, ``collected_at`` and, when
        reached, ``assigned_at``, ``responded_at``, ``handled_at``, ``fed_back_at``.
    now
        The moment to judge deadlines at.
    deadlines
        Hours per step.

    Returns
    -------
    pandas.DataFrame
        The input with ``state``, ``due_at`` (NaT once fed back), ``overdue``,
        ``overdue_hours`` and ``late_steps`` (steps taken after their deadline).

    Raises
    ------
    ValueError
        If a ticket skipped a state or its times go backwards.
    """
    frame = tickets.copy()
    for column in TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column]) if column in frame else pd.NaT
    times = frame[list(TIME_COLUMNS)]
    present = times.notna().to_numpy()
    _check_order(frame, present)
    reached = present.sum(axis=1) - 1
    frame["state"] = [STATES[i].value for i in reached]
    hours = [step_hours(deadlines, s) for s in STATES[1:]]
    # to_datetime again: with no rows, ffill across columns loses the datetime dtype.
    last_time = pd.to_datetime(times.ffill(axis=1).iloc[:, -1])
    step = np.array([hours[i] if i < len(hours) else np.nan for i in reached], dtype=float)
    frame["due_at"] = last_time + pd.to_timedelta(step, unit="h")
    late_by = (pd.Timestamp(now) - frame["due_at"]) / pd.Timedelta(hours=1)
    frame["overdue"] = (late_by > 0).fillna(False).astype(bool)
    frame["overdue_hours"] = late_by.where(frame["overdue"], 0.0).astype(float)
    took = times.diff(axis=1).iloc[:, 1:] / pd.Timedelta(hours=1)
    late = took.to_numpy() > np.array(hours)
    frame["late_steps"] = [[STATES[j + 1].value for j in np.flatnonzero(row)] for row in late]
    return frame


def overdue_tickets(
    tickets: pd.DataFrame, *, now: dt.datetime, deadlines: TicketDeadlines
) -> pd.DataFrame:
    """Open tickets past the deadline of their next step, most overdue first."""
    status = ticket_status(tickets, now=now, deadlines=deadlines)
    overdue = status[status["overdue"]]
    return overdue.sort_values(
        ["overdue_hours", "ticket_id"], ascending=[False, True], ignore_index=True
    )


def supervision_report(
    tickets: pd.DataFrame,
    *,
    deadlines: TicketDeadlines,
    start: dt.datetime,
    end: dt.datetime,
    inspections: pd.DataFrame | None = None,
    grids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The grid supervision report (网格监管情况报告) for the period ``[start, end)``.

    Parameters
    ----------
    tickets
        Tickets as for :func:`ticket_status`; those collected in the period count.
    deadlines
        Hours per step; overdue is judged at ``end``.
    start, end
        The period.
    inspections
        Inspections with ``grid_id``, ``inspected_at`` and ``violation`` (bool) or
        ``violations`` (a count); those in the period count.
    grids
        Grids to report on even when they had nothing (otherwise the grids seen).

    Returns
    -------
    pandas.DataFrame
        One row per grid: ``tickets`` and the count in each state (``collected`` ...
        ``fed_back``), ``overdue``, ``closed_late`` (fed back but a step was late),
        ``inspections`` and ``violations``; grids in id order.
    """
    if end <= start:
        msg = f"the report period must end after it starts; got {start} to {end}"
        raise InvalidInputError(msg)
    collected = pd.to_datetime(tickets["collected_at"])
    period = tickets[(collected >= pd.Timestamp(start)) & (collected < pd.Timestamp(end))]
    status = ticket_status(period, now=end, deadlines=deadlines)
    status["grid_id"] = status["grid_id"].fillna("").astype(str)
    counts = pd.crosstab(status["grid_id"], status["state"]).reindex(
        columns=[s.value for s in STATES], fill_value=0
    )
    report = counts.assign(
        tickets=counts.sum(axis=1),
        overdue=status.groupby("grid_id")["overdue"].sum(),
        closed_late=status[
            (status["state"] == TicketState.FED_BACK.value) & status["late_steps"].map(bool)
        ]
        .groupby("grid_id")
        .size(),
    )
    report = report.join(_inspection_counts(inspections, start, end), how="outer")
    if grids is not None:
        report = report.reindex(sorted(set(report.index) | {str(g) for g in grids}))
    columns = [
        "tickets",
        *(s.value for s in STATES),
        "overdue",
        "closed_late",
        "inspections",
        "violations",
    ]
    report = report.reindex(columns=columns).fillna(0).astype(np.int64)
    report.index.name = "grid_id"
    return report.sort_index().reset_index()


def _inspection_counts(
    inspections: pd.DataFrame | None, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    if inspections is None or len(inspections) == 0:
        return pd.DataFrame(
            columns=["inspections", "violations"], index=pd.Index([], name="grid_id")
        )
    missing = [c for c in ("grid_id", "inspected_at") if c not in inspections.columns]
    if missing:
        msg = f"inspections lack columns {missing}; it has {list(inspections.columns)}"
        raise InvalidInputError(msg)
    when = pd.to_datetime(inspections["inspected_at"])
    done = inspections[(when >= pd.Timestamp(start)) & (when < pd.Timestamp(end))]
    if "violations" in done.columns:
        found = done["violations"].fillna(0).astype(np.int64)
    elif "violation" in done.columns:
        found = done["violation"].fillna(False).astype(bool).astype(np.int64)
    else:
        msg = "inspections need a 'violation' (bool) or 'violations' (count) column"
        raise InvalidInputError(msg)
    grid = done["grid_id"].fillna("").astype(str)
    return (
        pd.DataFrame({"inspections": 1, "violations": found.to_numpy()}, index=grid.to_numpy())
        .groupby(level=0)
        .sum()
    )


def _check_order(frame: pd.DataFrame, present: np.ndarray) -> None:
    if not present[:, 0].all():
        missing = frame.loc[~present[:, 0], "ticket_id"].tolist()[:5]
        msg = f"tickets {missing} have no collected_at"
        raise InvalidInputError(msg)
    # Present times must be a prefix of the states: no state reached after a gap.
    gap = (~present[:, :-1] & present[:, 1:]).any(axis=1)
    if gap.any():
        msg = f"tickets {frame.loc[gap, 'ticket_id'].tolist()[:5]} skipped a state"
        raise InvalidInputError(msg)
    times = frame[list(TIME_COLUMNS)]
    backwards = (times.diff(axis=1).iloc[:, 1:] < pd.Timedelta(0)).any(axis=1)
    if backwards.any():
        msg = f"tickets {frame.loc[backwards, 'ticket_id'].tolist()[:5]} have times going backwards"
        raise InvalidInputError(msg)
