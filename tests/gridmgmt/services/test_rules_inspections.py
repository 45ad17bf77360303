"""Double-random inspections through the services, on both backends: stored, audited,
reproducible, never silently replaced; results recorded and published."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, NotFoundError
from gridmgmt.rules.draws import InspectionDraw
from gridmgmt.services.actor import Actor
from gridmgmt.services.rules import (
    DrawExistsError,
    get_draw,
    list_draws,
    make_draw,
    publish_results,
    record_inspection_result,
    results_frame,
    verify_inspection_draw,
)
from gridmgmt.services.rules import inspections as inspections_module
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Retailer
from gridmgmt.store.models.rules import InspectionDrawRecord, InspectionResult

from .rules_world import A_CLOSED, A_KEY, A_OFFICERS, B_OFFICERS, A, B, seed_world

ALICE = Actor("alice", UserRole.OFFICER, frozenset({A}))
BOB = Actor("bob", UserRole.OFFICER, frozenset({B}))
DISPATCHER = Actor("dan", UserRole.DISPATCHER, frozenset({A}))
TODAY = dt.date.today()


@pytest.fixture
def url(store_url: str) -> str:
    seed_world(store_url)
    return store_url


def _draw(url: str, **options: object) -> int:
    with db.transaction(url) as session:
        values: dict[str, object] = {"county": A, "period": "2026-11", "share": 0.1, "seed": 42}
        record = make_draw(session, ALICE, **(values | options))  # type: ignore[arg-type]
        return record.id


def test_draw_is_stored_with_who_when_seed_and_population_hash(url: str) -> None:
    draw_id = _draw(url)
    with db.transaction(url) as session:
        record = get_draw(session, ALICE, draw_id)
        stored = session.get(InspectionDrawRecord, draw_id)
        assert stored is not None
        draw = InspectionDraw.from_json(stored.draw_json)
        targets = results_frame(session, ALICE, draw_id)
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "inspections.draw")
        ).one()
    # 29 active retailers in A (the closed one is left out), 10% rounded up.
    assert record.population_size == 29
    assert record.quota == 3
    assert (record.drawn_by, record.seed, record.current) == ("alice", 42, True)
    assert record.population_hash == draw.population_hash
    assert len(record.population_hash) == 64
    assert len(targets) == 3
    assert A_CLOSED not in set(targets["licence_no"])
    for officers in targets["officers"]:
        crew = officers.split(";")
        assert len(set(crew)) == 2
        assert set(crew) <= set(A_OFFICERS)
    assert audit.username == "alice"
    assert audit.county_code == A
    assert audit.detail["seed"] == 42
    assert audit.detail["population_hash"] == record.population_hash


def test_same_inputs_give_the_same_stored_draw(
    url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    first = _draw(url)
    # Another database holding the same population: the same seed gives the same draw.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    shutil.copy(request.getfixturevalue("_sqlite_template"), tmp_path / "other.db")
    seed_world(other)
    second = _draw(other)
    with db.transaction(url) as session:
        a = session.get(InspectionDrawRecord, first)
        a_targets = list(results_frame(session, ALICE, first)["licence_no"])
    with db.transaction(other) as session:
        b = session.get(InspectionDrawRecord, second)
        b_targets = list(results_frame(session, ALICE, second)["licence_no"])
    assert a is not None
    assert b is not None
    assert a.draw_json == b.draw_json
    assert a.population_hash == b.population_hash
    assert a_targets == b_targets


def test_a_stored_draw_is_never_replaced_silently(url: str) -> None:
    first = _draw(url)
    with db.transaction(url) as session, pytest.raises(DrawExistsError, match=f"#{first}"):
        make_draw(session, ALICE, county=A, period="2026-11", seed=42)
    second = _draw(url, seed=7, replace_reason="the first draw used last month's list")
    with db.transaction(url) as session:
        old = session.get(InspectionDrawRecord, first)
        new = session.get(InspectionDrawRecord, second)
        current = list_draws(session, ALICE, county=A)
        history = list_draws(session, ALICE, county=A, include_superseded=True)
        redraw = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "inspections.redraw")
        ).one()
        assert old is not None
        assert new is not None
        assert old.superseded_at is not None
        assert (new.revision, new.replaces_id) == (2, first)
        assert new.replace_reason == "the first draw used last month's list"
    assert [d.id for d in current] == [second]
    assert [d.id for d in history] == [second, first]
    assert redraw.detail["replaces"] == first
    assert redraw.detail["reason"] == "the first draw used last month's list"


def test_the_database_keeps_one_current_draw_per_county_and_period(url: str) -> None:
    first = _draw(url)
    with db.transaction(url) as session:
        record = session.get(InspectionDrawRecord, first)
        assert record is not None
        session.expunge(record)
    duplicate = InspectionDrawRecord(
        **{
            c: getattr(record, c)
            for c in InspectionDrawRecord.__table__.columns.keys()  # noqa: SIM118
            if c not in ("id", "revision")
        },
        revision=2,
    )
    with pytest.raises(IntegrityError), db.transaction(url) as session:
        session.add(duplicate)


def test_verify_redraws_and_notices_a_changed_population(url: str) -> None:
    draw_id = _draw(url)
    with db.transaction(url) as session:
        assert verify_inspection_draw(session, ALICE, draw_id).ok
        session.execute(
            update(Retailer).where(Retailer.licence_no == A_CLOSED).values(status="active")
        )
    with db.transaction(url) as session:
        result = verify_inspection_draw(session, ALICE, draw_id)
    assert not result.ok
    assert "population" in result.message


def test_key_retailers_always_in_when_asked(url: str) -> None:
    draw_id = _draw(url, key_retailers_always=True)
    with db.transaction(url) as session:
        targets = results_frame(session, ALICE, draw_id)
        record = get_draw(session, ALICE, draw_id)
    assert A_KEY in set(targets["licence_no"])
    assert record.rules["key_retailers_always"] is True


def test_scope_roles_and_bad_periods(url: str) -> None:
    draw_id = _draw(url)
    with db.transaction(url) as session:
        with pytest.raises(NotFoundError):
            get_draw(session, BOB, draw_id)
        with pytest.raises(NotFoundError):
            make_draw(session, BOB, county=A, period="2026-12")
        with pytest.raises(AccessDeniedError):
            make_draw(session, DISPATCHER, county=A, period="2026-12")
        with pytest.raises(ValueError, match="YYYY-Qn"):
            make_draw(session, ALICE, county=A, period="November")
        assert list_draws(session, BOB) == []


def test_grids_stratify_the_draw_and_keep_officers_out_of_their_own_grid(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When retailers and officers carry grid ids (the grids module), the draw uses them."""
    real = inspections_module.load_frame

    def with_grids(session, kind, actor, **options):  # type: ignore[no-untyped-def]
        frame = real(session, kind, actor, **options)
        if kind == "retailers":
            frame["grid_id"] = ["G1" if i % 2 else "G2" for i in range(len(frame))]
        if kind == "staff":
            frame["grid_id"] = ["G1", "G1", "G2", "G2", None, "G1", "G2"][: len(frame)]
        return frame

    monkeypatch.setattr(inspections_module, "load_frame", with_grids)
    draw_id = _draw(url, share=0.5)
    with db.transaction(url) as session:
        targets = results_frame(session, ALICE, draw_id)
        staff = with_grids(session, "staff", ALICE, county_codes=[A])
    own = dict(zip(staff["staff_no"], staff["grid_id"], strict=True))
    assert set(targets["grid_id"]) == {"G1", "G2"}
    counts = targets["grid_id"].value_counts()
    assert abs(counts["G1"] - counts["G2"]) <= 1  # 15 of 29, split by grid size
    for grid, officers in zip(targets["grid_id"], targets["officers"], strict=True):
        assert all(own[o] != grid for o in officers.split(";"))


def test_results_are_recorded_against_the_draw_and_published(url: str, tmp_path: Path) -> None:
    draw_id = _draw(url)
    with db.transaction(url) as session:
        licences = list(results_frame(session, ALICE, draw_id)["licence_no"])
        record_inspection_result(
            session,
            ALICE,
            draw_id=draw_id,
            licence_no=licences[0],
            outcome="违规",
            violations=2,
            inspected_on=TODAY,
            notes="超范围经营",
        )
        record_inspection_result(
            session,
            ALICE,
            draw_id=draw_id,
            licence_no=licences[1],
            outcome="compliant",
            inspected_on=TODAY,
        )
        with pytest.raises(ValueError, match="not drawn"):
            record_inspection_result(
                session,
                ALICE,
                draw_id=draw_id,
                licence_no=A_CLOSED,
                outcome="compliant",
                inspected_on=TODAY,
            )
        with pytest.raises(ValueError, match="at least 2"):
            record_inspection_result(
                session,
                ALICE,
                draw_id=draw_id,
                licence_no=licences[2],
                outcome="compliant",
                inspected_on=TODAY,
                inspectors=[A_OFFICERS[0]],
            )
        with pytest.raises(ValueError, match="not monopoly officers"):
            record_inspection_result(
                session,
                ALICE,
                draw_id=draw_id,
                licence_no=licences[2],
                outcome="compliant",
                inspected_on=TODAY,
                inspectors=[A_OFFICERS[0], B_OFFICERS[0]],
            )
        with pytest.raises(ValueError, match="no violations"):
            record_inspection_result(
                session,
                ALICE,
                draw_id=draw_id,
                licence_no=licences[2],
                outcome="compliant",
                violations=1,
                inspected_on=TODAY,
            )
        publication = publish_results(session, ALICE, draw_id, tmp_path)
        frame = results_frame(session, ALICE, draw_id)
    assert list(frame["outcome"].fillna("")) == ["violation", "compliant", ""]
    assert frame.loc[0, "violations"] == 2
    with publication.csv.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["检查结果 Result"] for r in rows] == ["发现违法违规", "未发现问题", "待检查"]
    page = publication.page.read_text(encoding="utf-8")
    assert "42" in page
    assert "alice" in page
    assert "已检查 2 / 3" in page
    assert "<script" not in page


def test_correcting_a_result_keeps_the_old_one_in_the_audit_log(url: str) -> None:
    draw_id = _draw(url)
    with db.transaction(url) as session:
        licence = results_frame(session, ALICE, draw_id)["licence_no"].iloc[0]
        for outcome in ("compliant", "not_open"):
            record_inspection_result(
                session,
                ALICE,
                draw_id=draw_id,
                licence_no=licence,
                outcome=outcome,
                inspected_on=TODAY,
            )
        correction = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "inspections.result.correct")
        ).one()
        results = session.scalar(
            select(func.count())
            .select_from(InspectionResult)
            .where(InspectionResult.draw_id == draw_id)
        )
    assert correction.detail["previous"]["outcome"] == "compliant"
    assert correction.detail["outcome"] == "not_open"
    assert results == 1


def test_results_against_a_superseded_draw_are_refused(url: str) -> None:
    first = _draw(url)
    _draw(url, seed=1, replace_reason="redo")
    with db.transaction(url) as session:
        licence = results_frame(session, ALICE, first)["licence_no"].iloc[0]
        with pytest.raises(ConflictError, match="superseded"):
            record_inspection_result(
                session,
                ALICE,
                draw_id=first,
                licence_no=licence,
                outcome="compliant",
                inspected_on=TODAY,
            )


def test_results_frame_columns_are_stable(url: str) -> None:
    draw_id = _draw(url)
    with db.transaction(url) as session:
        frame = results_frame(session, ALICE, draw_id)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["position"]) == [1, 2, 3]
    assert frame["outcome_zh"].eq("待检查").all()
