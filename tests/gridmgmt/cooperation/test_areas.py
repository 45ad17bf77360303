"""Cooperation areas, liaisons and the joint contact list: scope, conflicts, files, audit."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridmgmt.cli import app
from gridmgmt.demo.cooperation import demo_cooperation_area
from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.audit import READ_OTHER_COUNTY
from gridmgmt.services.cooperation import (
    add_liaison,
    change_liaison,
    contact_list,
    contacts_file,
    create_area,
    get_area,
    list_adjacency,
    list_areas,
    remove_liaison,
    set_area,
)
from gridmgmt.services.imports import import_file
from gridmgmt.services.leads import suggested_leads
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry

from ..leads.leads_world import HUAIAN, TIANZHEN, X_LIAISON, XINGHE, actor
from .boundaries import real_counties

X_ADMIN = actor("xa", UserRole.ADMIN, XINGHE)
H_ADMIN = actor("ha", UserRole.ADMIN, HUAIAN)
T_LIAISON = actor("tl", UserRole.LIAISON, TIANZHEN)
H_LIAISON = actor("hl", UserRole.LIAISON, HUAIAN)
X_OFFICER = actor("xo", UserRole.OFFICER, XINGHE)
X_DISPATCHER = actor("xd", UserRole.DISPATCHER, XINGHE)


def test_adjacency_of_the_stored_boxes(session: Session) -> None:
    pairs = list_adjacency(session, X_OFFICER)
    assert [(p.county_a, p.county_b, p.province_crossing) for p in pairs] == [
        (HUAIAN, TIANZHEN, True),
        (TIANZHEN, XINGHE, True),
    ]
    assert pairs[1].name_b == "兴和县"
    assert pairs[1].border_km == pytest.approx(33.4, abs=0.5)  # 0.3 degrees of latitude


def test_an_admin_sets_an_area_visible_to_its_counties_only(session: Session) -> None:
    area = create_area(session, X_ADMIN, "xt", "兴天协作区", [XINGHE, TIANZHEN])
    assert [c.code for c in area.counties] == [TIANZHEN, XINGHE]
    assert [a.code for a in list_areas(session, T_LIAISON)] == ["xt"]
    assert list_areas(session, H_LIAISON) == []
    with pytest.raises(NotFoundError):
        get_area(session, H_LIAISON, "xt")
    with pytest.raises(AccessDeniedError):
        create_area(session, X_LIAISON, "x2", "x", [XINGHE, TIANZHEN])
    with pytest.raises(AccessDeniedError):
        list_areas(session, X_DISPATCHER)
    with pytest.raises(InvalidInputError, match="one of your counties"):
        create_area(session, X_ADMIN, "th", "天怀", [TIANZHEN, HUAIAN])
    with pytest.raises(InvalidInputError, match="not stored"):
        create_area(session, X_ADMIN, "bad", "x", [XINGHE, "999999"])
    with pytest.raises(InvalidInputError, match="area code"):
        create_area(session, X_ADMIN, "Bad Code", "x", [XINGHE, TIANZHEN])
    with pytest.raises(ConflictError):
        create_area(session, X_ADMIN, "xt", "again", [XINGHE, TIANZHEN])
    with pytest.raises(NotFoundError):
        set_area(session, H_ADMIN, "xt", version=1, name="x")
    audited = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("cooperation.%"))
    ).all()
    assert audited == ["cooperation.area.create"]


def test_a_stale_change_is_refused_and_nothing_is_lost(coop_url: str) -> None:
    with db.transaction(coop_url) as session:
        create_area(session, SYSTEM, "xt", "兴天", [XINGHE, TIANZHEN])
    # Two admins read version 1; the first adds 怀安县, the second renames from the old read.
    with db.transaction(coop_url) as session:
        set_area(session, SYSTEM, "xt", version=1, counties=[XINGHE, TIANZHEN, HUAIAN])
    with pytest.raises(ConflictError) as caught, db.transaction(coop_url) as session:
        set_area(session, X_ADMIN, "xt", version=1, name="改名")
    assert caught.value.details() == {"current": {"version": 2}}
    with db.transaction(coop_url) as session:
        area = get_area(session, SYSTEM, "xt")
    assert (area.name, area.version, len(area.counties)) == ("兴天", 2, 3)


def test_liaisons_are_kept_by_their_own_county(session: Session) -> None:
    entry = add_liaison(session, X_LIAISON, XINGHE, name="王建国", mobile="13900001111")
    with pytest.raises(NotFoundError):
        add_liaison(session, X_LIAISON, TIANZHEN, name="李四", mobile="13900002222")
    with pytest.raises(ConflictError):
        add_liaison(session, X_ADMIN, XINGHE, name="王建国", phone="0474-1")
    with pytest.raises(InvalidInputError, match="phone, mobile or e-mail"):
        add_liaison(session, X_LIAISON, XINGHE, name="赵六")
    with pytest.raises(AccessDeniedError):
        add_liaison(session, X_OFFICER, XINGHE, name="赵六", phone="1")
    with pytest.raises(NotFoundError):
        change_liaison(session, T_LIAISON, entry.id, version=1, title="x")
    changed = change_liaison(session, X_ADMIN, entry.id, version=1, title="稽查队长")
    assert (changed.title, changed.version) == ("稽查队长", 2)
    with pytest.raises(ConflictError):
        change_liaison(session, X_LIAISON, entry.id, version=1, title="旧的")
    with pytest.raises(ConflictError):
        remove_liaison(session, X_LIAISON, entry.id, version=1)
    remove_liaison(session, X_LIAISON, entry.id, version=2)


def test_the_contact_list_of_an_area_as_page_data_csv_and_excel(session: Session) -> None:
    create_area(session, SYSTEM, "xt", "兴天协作区", [XINGHE, TIANZHEN, HUAIAN])
    add_liaison(session, X_LIAISON, XINGHE, name="王建国", title="队长", mobile="13900001111")
    add_liaison(session, T_LIAISON, TIANZHEN, name="李海燕", phone="0352-6012345")
    contacts = contact_list(session, H_LIAISON, "xt")
    assert [(r.county_code, r.name) for r in contacts.rows] == [
        (TIANZHEN, "李海燕"),  # 山西省 140000 before 内蒙古 150000
        (XINGHE, "王建国"),
    ]
    assert contacts.rows[1].neighbours == ["天镇县 (跨省)"]
    assert contacts.rows[1].province == "内蒙古自治区"
    assert [c.code for c in contacts.missing] == [HUAIAN]
    assert {(p.county_a, p.county_b) for p in contacts.crossings} == {
        (HUAIAN, TIANZHEN),
        (TIANZHEN, XINGHE),
    }
    # Reading the other counties' entries is audited, once per other county.
    reads = session.scalars(
        select(AuditEntry.county_code).where(
            AuditEntry.action == READ_OTHER_COUNTY, AuditEntry.username == "hl"
        )
    ).all()
    assert sorted(reads) == [TIANZHEN, XINGHE]
    csv = pd.read_csv(io.BytesIO(contacts_file(contacts, "csv")), dtype=str)
    assert list(csv.columns)[:4] == ["省份", "县代码", "县(市、区)", "姓名"]
    assert list(csv["姓名"]) == ["李海燕", "王建国"]
    book = openpyxl.load_workbook(io.BytesIO(contacts_file(contacts, "xlsx", headers="en")))
    rows = list(book.active.iter_rows(values_only=True))
    assert "joint contact list" in str(rows[0][0])
    assert rows[1][:4] == ("province", "county_code", "county", "name")
    assert rows[3][3] == "王建国"
    with pytest.raises(InvalidInputError, match="format"):
        contacts_file(contacts, "pdf")


def test_area_members_are_neighbours_for_suggested_leads(session: Session) -> None:
    # X-200 (兴和县) has a 张家口 phone: 怀安县 is no adjacent county, so nothing is suggested
    # until the two are in one cooperation area.
    before = {(s.case_no, s.to_county) for s in suggested_leads(session, X_LIAISON)}
    assert ("X-200", HUAIAN) not in before
    assert ("X-100", TIANZHEN) in before
    create_area(session, SYSTEM, "all3", "三县", [XINGHE, TIANZHEN, HUAIAN])
    after = {(s.case_no, s.to_county) for s in suggested_leads(session, X_LIAISON)}
    assert after == before | {("X-200", HUAIAN)}


def test_importing_real_outlines_warns_of_overlaps_and_gaps(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "counties.geojson"
    real_counties().to_file(path, driver="GeoJSON")
    with db.transaction(sqlite_url) as session:
        report = import_file(session, SYSTEM, "counties", path)
    overlap = [w for w in report.warnings if w.startswith("overlap")]
    assert len(overlap) == 1
    assert "尚义县 130725 / 兴和县 150924" in overlap[0]
    assert "belongs to 130725" in overlap[0]
    assert "1.779 km²" in overlap[0]
    assert sum(w.startswith("gap") for w in report.warnings) >= 3
    with db.transaction(sqlite_url) as session:
        assert demo_cooperation_area(session) == {"counties": 6, "liaisons": 12}
        assert demo_cooperation_area(session) == {"counties": 6, "liaisons": 0}
        assert len(contact_list(session, SYSTEM, "mengjinji").rows) == 12
    runner = CliRunner()
    result = runner.invoke(
        app, ["--db", sqlite_url, "cooperation", "adjacency", "--county", "130725", "--json"]
    )
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)
    assert [(p["county_b"], p["province_crossing"]) for p in pairs] == [
        ("150924", True),
        ("130728", False),
    ]
    out = tmp_path / "contacts.xlsx"
    result = runner.invoke(
        app, ["--db", sqlite_url, "cooperation", "contacts", "--area", "mengjinji", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).active.max_row == 14  # title, headers, 12 liaisons
    result = runner.invoke(
        app, ["--db", sqlite_url, "cooperation", "area-set", "mengjinji", "--version", "9"]
    )
    assert result.exit_code == 5


def test_a_point_in_the_overlap_is_imported_into_the_lowest_code(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "counties.geojson"
    real_counties().to_file(path, driver="GeoJSON")
    with db.transaction(sqlite_url) as session:
        import_file(session, SYSTEM, "counties", path)
    from gridmgmt.services.cooperation.adjacency import defect_views

    with db.transaction(sqlite_url) as session:
        spot = next(d for d in defect_views(session) if d.kind == "overlap")
    schools = tmp_path / "schools.csv"
    schools.write_text(
        f"name,kind,lon,lat\n重叠区小学,primary,{spot.lon},{spot.lat}\n", encoding="utf-8"
    )
    with db.transaction(sqlite_url) as session:
        import_file(session, SYSTEM, "schools", schools)
        from gridmgmt.store.models import School

        assert session.scalar(select(School.county_code)) == "130725"
