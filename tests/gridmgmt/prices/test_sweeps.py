"""Joint border-market sweeps over the store: planned over the border band, mixed teams,
reproducible draw, results recorded without lost updates, shared only with its counties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gridmgmt.domain import UserRole
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.sweeps import (
    SweepPlan,
    SweepResultIn,
    get_sweep,
    list_sweeps,
    plan_sweep,
    record_sweep_result,
    verify_sweep_draw,
)
from gridmgmt.store import db

from .prices_world import EAST, WEST, licence, load_world

DAY = dt.date.today() + dt.timedelta(days=7)


@pytest.fixture
def url(store_url: str, tmp_path: Path) -> str:
    load_world(store_url, tmp_path)
    return store_url


def test_plan_read_verify_and_record(url: str) -> None:
    plan = SweepPlan(counties=[WEST, EAST], planned_for=DAY, seed=11, target_share=0.5)
    with db.transaction(url) as session:
        sweep = plan_sweep(session, SYSTEM, plan)
    assert sweep.candidates == 6  # three retailers each side within the band
    assert sweep.targets == 3
    band = {licence(k) for k in ("W1", "W2", "W3", "E1", "E2", "E3")}
    assert {t.licence_no for t in sweep.target_rows} <= band
    for team in sweep.teams:
        assert team.counties == sorted([WEST, EAST])
    with db.transaction(url) as session:
        assert verify_sweep_draw(session, SYSTEM, sweep.sweep_no).ok
        east = Actor("east-officer", UserRole.OFFICER, frozenset({EAST}))
        assert [s.sweep_no for s in list_sweeps(session, east)] == [sweep.sweep_no]
        target = sweep.target_rows[0]
        result = SweepResultIn(
            licence_no=target.licence_no,
            outcome="violation",
            violations=2,
            seized_cartons=12,
            inspected_on=DAY,
            base_version=0,
        )
        recorded = record_sweep_result(session, east, sweep.sweep_no, result)
    assert (recorded.version, recorded.violations) == (1, 2)
    with db.transaction(url) as session, pytest.raises(ConflictError):
        record_sweep_result(session, SYSTEM, sweep.sweep_no, result)  # stale base_version
    with db.transaction(url) as session:
        again = get_sweep(session, SYSTEM, sweep.sweep_no)
        other = Actor("far", UserRole.LIAISON, frozenset({"130728"}))
        with pytest.raises(NotFoundError):
            get_sweep(session, other, sweep.sweep_no)
    assert (again.recorded, again.violations, again.seized_cartons) == (1, 2, 12.0)


def test_the_same_seed_draws_the_same_sweep(url: str) -> None:
    plan = SweepPlan(counties=[WEST, EAST], planned_for=DAY, seed=5)
    with db.transaction(url) as session:
        one = plan_sweep(session, SYSTEM, plan)
        two = plan_sweep(session, SYSTEM, plan)
    assert one.sweep_no != two.sweep_no
    assert [(t.licence_no, t.team) for t in one.target_rows] == [
        (t.licence_no, t.team) for t in two.target_rows
    ]


def test_a_sweep_needs_every_county_in_scope_and_two_of_them(url: str) -> None:
    west = Actor("west-liaison", UserRole.LIAISON, frozenset({WEST}))
    with db.transaction(url) as session:
        with pytest.raises(NotFoundError):
            plan_sweep(session, west, SweepPlan(counties=[WEST, EAST], planned_for=DAY))
        with pytest.raises(InvalidInputError):
            plan_sweep(session, SYSTEM, SweepPlan(counties=[WEST, WEST], planned_for=DAY))


def test_a_plan_asking_for_larger_teams_than_the_officers_is_refused(url: str) -> None:
    plan = SweepPlan(counties=[WEST, EAST], planned_for=DAY, seed=3, team_size=999)
    with db.transaction(url) as session:
        with pytest.raises(InvalidInputError, match="team_size 999") as caught:
            plan_sweep(session, SYSTEM, plan)
        assert caught.value.problems[0]["field"] == "team_size"
        assert list_sweeps(session, SYSTEM) == []


def test_the_quarterly_report_counts_the_quarters_sweeps(url: str) -> None:
    from gridmgmt.cooperation.quarters import Quarter
    from gridmgmt.services.cooperation.report import quarterly_report

    plan = SweepPlan(counties=[WEST, EAST], planned_for=DAY, seed=11, target_share=0.5)
    later = SweepPlan(counties=[WEST, EAST], planned_for=DAY + dt.timedelta(days=200), seed=1)
    with db.transaction(url) as session:
        sweep = plan_sweep(session, SYSTEM, plan)
        plan_sweep(session, SYSTEM, later)  # another quarter: not counted
        target = sweep.target_rows[0]
        result = SweepResultIn(
            licence_no=target.licence_no,
            outcome="violation",
            violations=2,
            seized_cartons=12,
            inspected_on=DAY,
            base_version=0,
        )
        record_sweep_result(session, SYSTEM, sweep.sweep_no, result)
    quarter = str(Quarter(DAY.year, (DAY.month - 1) // 3 + 1))
    with db.transaction(url) as session:
        report = quarterly_report(session, SYSTEM, quarter, counties=[WEST, EAST])
    section = next(s for s in report.sections if s.key == "sweeps")
    per_county = {c: sum(t.county_code == c for t in sweep.target_rows) for c in (WEST, EAST)}
    assert sum(per_county.values()) == 3
    rows = {row[0].split()[-1]: row[1:] for row in section.rows}
    mine, other = target.county_code, ({WEST, EAST} - {target.county_code}).pop()
    assert rows[mine] == [1, per_county[mine], 1, 2, 12.0]
    assert rows[other] == [1, per_county[other], 0, 0, 0.0]
    names = {c.code: c.name for c in report.counties}
    assert {(b.label, b.value) for b in section.chart} == {(names[mine], 2.0), (names[other], 0.0)}
    assert section.notes == [f"{sweep.sweep_no} {DAY}: 天镇县 140222, 兴和县 150924"]
