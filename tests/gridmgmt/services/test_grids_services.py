"""Grid services on both backends: design, assignment, rebalancing, staffing, report, lookup."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select

from gridmgmt.domain import StaffRole, UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from gridmgmt.grids import GridIndex
from gridmgmt.services import grids as svc
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.exports import export_kind
from gridmgmt.services.frames import load_frame
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Retailer, Staff
from gridmgmt.store.models.grids import GridRecord, RetailerGrid, StaffGrid

from .grids_world import BOX_A, LAT, LON, A, B, retailer, seed_world

OFFICER_B = Actor("officer_b", UserRole.OFFICER, frozenset({B}))


@pytest.fixture
def world(store_url: str) -> str:
    seed_world(store_url)
    with db.transaction(store_url) as session:
        svc.design_county_grids(session, SYSTEM, A, n_grids=6, seed=3)
    return store_url


def _export(url: str, kind: str, *, fmt: str, out: Path) -> Path:
    with db.transaction(url) as session:
        return export_kind(session, SYSTEM, kind, fmt=fmt, out=out)


def _grids(url: str, county: str = A) -> pd.DataFrame:
    with db.transaction(url) as session:
        return svc.list_grids(session, SYSTEM, county)


def test_design_stores_grids_assignment_and_audit(world: str) -> None:
    with db.transaction(world) as session:
        grids = svc.list_grids(session, SYSTEM, A)
        retailers = load_frame(session, "retailers", SYSTEM, county_codes=[A])
        audits = session.scalar(select(func.count()).where(AuditEntry.action == "grids.design"))
    assert sorted(grids["grid_id"]) == [f"G0{i}" for i in range(1, 7)]
    union = shapely.union_all(np.asarray(grids.geometry.array))
    assert union.symmetric_difference(BOX_A).area < 1e-9
    assert retailers["grid_id"].notna().all()
    expected = GridIndex(grids).assign(retailers.geometry)
    assert list(retailers["grid_id"]) == list(expected)
    active = retailers[retailers["status"] == "active"].groupby("grid_id").size()
    assert (grids.set_index("grid_id")["n_retailers"] == active).all()
    workload = grids["workload"].to_numpy()
    assert np.abs(workload / workload.mean() - 1).max() <= 0.10
    assert audits == 1


def test_design_refuses_to_overwrite_and_keeps_locked_grids(world: str) -> None:
    before = _grids(world).set_index("grid_id")
    with db.transaction(world) as session, pytest.raises(ConflictError, match="replace"):
        svc.design_county_grids(session, SYSTEM, A, n_grids=5)
    with db.transaction(world) as session:
        design = svc.design_county_grids(
            session, SYSTEM, A, n_grids=5, seed=9, lock=["G02"], replace=True
        )
    assert design.report.n_locked == 1
    after = _grids(world).set_index("grid_id")
    assert len(after) == 5
    assert bool(after.loc["G02", "locked"])
    assert after.loc["G02", "geometry"].equals(before.loc["G02", "geometry"])
    with db.transaction(world) as session, pytest.raises(InvalidInputError, match="G99"):
        svc.design_county_grids(session, SYSTEM, A, n_grids=5, lock=["G99"], replace=True)


def test_new_and_moved_retailers_go_into_the_containing_grid(world: str) -> None:
    grids = _grids(world)
    rng = np.random.default_rng(0)
    with db.transaction(world) as session:
        session.add(retailer(A, 900, LON + 0.1, LAT + 0.08, rng))
        moved = session.scalar(select(Retailer).where(Retailer.licence_no == f"{A}000001"))
        assert moved is not None
        moved.location = shapely.Point(LON + 0.005, LAT + 0.085)
    with db.transaction(world) as session:
        report = svc.assign_retailers(session, SYSTEM)
        frame = load_frame(session, "retailers", SYSTEM, county_codes=[A]).set_index("licence_no")
    index = GridIndex(grids)
    assert report.counties == [A]
    assert report.assigned == 1
    assert frame.loc[f"{A}000900", "grid_id"] == index.lookup(LON + 0.1, LAT + 0.08)
    assert frame.loc[f"{A}000001", "grid_id"] == index.lookup(LON + 0.005, LAT + 0.085)
    assert report.unchanged + report.assigned + report.moved == len(frame)
    with db.transaction(world) as session:
        again = svc.assign_retailers(session, SYSTEM, county=A)
    assert (again.assigned, again.moved) == (0, 0)


def test_rebalance_after_a_town_grows_moves_few_and_keeps_ids(world: str) -> None:
    rng = np.random.default_rng(5)
    with db.transaction(world) as session:
        session.add_all(
            retailer(A, 500 + i, LON + 0.09 + rng.normal(0, 0.004), LAT + 0.07, rng)
            for i in range(30)
        )
    with db.transaction(world) as session:
        result = svc.rebalance_county_grids(session, SYSTEM, A, lock=["G01"])
        stored = session.scalar(
            select(func.count()).select_from(RetailerGrid).where(RetailerGrid.county_code == A)
        )
    report = result.report
    assert report.max_deviation_after < report.max_deviation_before
    assert report.within_tolerance
    assert report.n_moved == len(result.moved)
    assert report.n_moved <= 0.25 * report.n_existing
    assert sorted(_grids(world)["grid_id"]) == [f"G0{i}" for i in range(1, 7)]
    assert stored == int(result.assignment["grid_id"].notna().sum())


def test_staffing_keeps_people_and_reports_gaps(world: str) -> None:
    with db.transaction(world) as session:
        first = svc.staff_county_grids(session, SYSTEM, A)
    assert first.unstaffed.empty
    assert len(first.assignments) == 18
    with db.transaction(world) as session:
        again = svc.staff_county_grids(session, SYSTEM, A)
        posts = session.scalar(select(func.count()).select_from(StaffGrid))
        grids = svc.list_grids(session, SYSTEM, A)
    assert bool(again.assignments["kept"].all())
    assert posts == 18
    assert grids[[r.value for r in StaffRole]].notna().all().all()
    with db.transaction(world) as session:
        svc.design_county_grids(session, SYSTEM, B, n_grids=2)
        thin = svc.staff_county_grids(session, SYSTEM, B)
    missing = thin.unstaffed.groupby("role").size().to_dict()
    assert missing == {"account_manager": 2, "deliverer": 2}


def test_overloaded_staff_are_reported(world: str) -> None:
    with db.transaction(world) as session:
        for person in session.scalars(select(Staff).where(Staff.county_code == A)):
            person.capacity = 900.0
    with db.transaction(world) as session:
        strict = svc.staff_county_grids(session, SYSTEM, A)
        assert not strict.unstaffed.empty
        loose = svc.staff_county_grids(session, SYSTEM, A, allow_overload=True)
    assert loose.unstaffed.empty
    assert loose.overloaded


def test_report_sheet_and_lookup(world: str, tmp_path: Path) -> None:
    with db.transaction(world) as session:
        svc.staff_county_grids(session, SYSTEM, A)
        report = svc.grid_report(session, SYSTEM, A)
        found = svc.locate(session, SYSTEM, LON + 0.01, LAT + 0.01)
        gcj = svc.locate(session, SYSTEM, LON + 0.01, LAT + 0.01, crs="gcj02")
        nowhere = svc.locate(session, SYSTEM, LON - 1, LAT)
    assert report.figures["n_grids"] == 6
    assert report.figures["retailers_outside"] == 0
    assert report.unstaffed.empty
    assert list(report.sheet["grid_id"]) == sorted(report.grids["grid_id"])
    assert report.sheet["retailers"].sum() == report.figures["retailers_in_grids"]
    csv = svc.write_grid_sheet(report, tmp_path / "sheet.csv")
    assert "网格编号" in csv.read_text(encoding="utf-8-sig").splitlines()[0]
    xlsx = svc.write_grid_sheet(report, tmp_path / "sheet.xlsx", headers="en")
    assert pd.read_excel(xlsx)["grid_id"].tolist() == list(report.sheet["grid_id"])
    assert found is not None
    assert found.county_code == A
    assert found.staff["monopoly_officer"]
    assert gcj is not None
    assert gcj.lon != pytest.approx(LON + 0.01, abs=1e-4)
    assert nowhere is None


def test_other_counties_are_invisible(world: str) -> None:
    with db.transaction(world) as session:
        with pytest.raises(NotFoundError):
            svc.list_grids(session, OFFICER_B, A)
        with pytest.raises(NotFoundError):
            svc.design_county_grids(session, OFFICER_B, A, n_grids=3, replace=True)
        assert svc.locate(session, OFFICER_B, LON + 0.01, LAT + 0.01) is None
        viewer = Actor("viewer", UserRole.LIAISON, frozenset({A}))
        with pytest.raises(AccessDeniedError):
            svc.rebalance_county_grids(session, viewer, A)


def test_exports_carry_grids_and_staff(world: str, tmp_path: Path) -> None:
    with db.transaction(world) as session:
        svc.staff_county_grids(session, SYSTEM, A)
    out = _export(world, "grids", fmt="geojson", out=tmp_path / "grids.geojson")
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == 6
    props = features[0]["properties"]
    assert {"grid_id", "county_code", "workload", "monopoly_officer"} <= set(props)
    assert features[0]["geometry"]["type"] == "MultiPolygon"
    retailers = _export(world, "retailers", fmt="csv", out=tmp_path / "r.csv")
    table = pd.read_csv(retailers, encoding="utf-8-sig", dtype=str)
    assert table.loc[table["county_code"] == A, "grid_id"].notna().all()
    staff = _export(world, "staff", fmt="csv", out=tmp_path / "s.csv")
    people = pd.read_csv(staff, encoding="utf-8-sig", dtype=str).set_index("staff_no")
    assert people.loc[f"{A}-M0", "grid_ids"].count(";") >= 1
    assert people.loc[f"{A}-M0", "grid_id"] == people.loc[f"{A}-M0", "grid_ids"].split(";")[0]


def test_grid_rows_carry_design_figures(world: str) -> None:
    with db.transaction(world) as session:
        rows = list(session.scalars(select(GridRecord).where(GridRecord.county_code == A)))
    assert {r.design_seed for r in rows} == {3}
    assert {r.designed_by for r in rows} == {"cli"}
    assert all(r.geometry.geom_type == "MultiPolygon" for r in rows)


def test_policy_guards_every_grid_service(world: str) -> None:
    from gridmgmt.policy import Action, action_of

    readers = {svc.list_grids, svc.grid_report, svc.locate}
    writers = {
        svc.design_county_grids,
        svc.assign_retailers,
        svc.rebalance_county_grids,
        svc.staff_county_grids,
    }
    assert {action_of(f) for f in readers} == {Action.READ_GRIDS}
    assert {action_of(f) for f in writers} == {Action.CHANGE_GRIDS}
    dispatcher = Actor("d", UserRole.DISPATCHER, frozenset({A}))
    with db.transaction(world) as session:
        assert len(svc.list_grids(session, dispatcher, A)) == 6
        with pytest.raises(AccessDeniedError, match=r"grids\.change"):
            svc.assign_retailers(session, dispatcher, county=A)
        with pytest.raises(AccessDeniedError):
            svc.design_county_grids(session, dispatcher, A, n_grids=3, replace=True)
    assert len(_grids(world)) == 6


def test_summaries_are_what_both_faces_answer(world: str) -> None:
    from gridmgmt.services.results import jsonable

    with db.transaction(world) as session:
        summary = svc.ReportSummary.of(svc.grid_report(session, SYSTEM, A))
        found = svc.locate(session, SYSTEM, LON + 0.01, LAT + 0.01)
    data = jsonable(summary)
    assert data["figures"]["n_grids"] == 6
    assert {row["grid_id"] for row in data["grids"]} == {f"G0{i}" for i in range(1, 7)}
    assert "geometry" not in data["grids"][0]
    assert json.loads(json.dumps(data)) == data
    assert found is not None
    assert jsonable(found)["county_code"] == A
