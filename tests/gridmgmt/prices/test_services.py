"""Price checks over the store: imports of groups and prices (all or nothing, errors named
by file, row and field), medians, gaps and outliers per the caller's counties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.imports import ImportValidationError, import_file
from gridmgmt.services.prices import price_gap_report, price_medians, price_outlier_report
from gridmgmt.store import db
from gridmgmt.store.models.prices import PriceObservation, RetailerGroup

from .prices_world import EAST, WEST, licence, load_world

WEST_LIAISON = Actor("west-liaison", UserRole.LIAISON, frozenset({WEST}))
WEST_ADMIN = Actor("west-admin", UserRole.ADMIN, frozenset({WEST}))


@pytest.fixture
def url(store_url: str, tmp_path: Path) -> str:
    load_world(store_url, tmp_path)
    return store_url


def _count(url: str, model: Any) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_groups_and_prices_are_imported_with_chinese_headers(url: str, tmp_path: Path) -> None:
    assert _count(url, RetailerGroup) == 8
    assert _count(url, PriceObservation) == 9
    with db.transaction(url) as session:
        leaders = session.scalars(select(RetailerGroup.group_code).where(RetailerGroup.leader))
        assert sorted(leaders) == ["G-E", "G-W"]
    # Importing the same file again is an upsert: nothing new.
    with db.transaction(url) as session:
        report = import_file(session, SYSTEM, "prices", tmp_path / "prices.csv")
    assert (report.inserted, report.unchanged) == (0, 9)


def test_bad_price_rows_are_named_and_nothing_is_stored(url: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "licence_no,brand,pack,price,date,observer\n"
        f"{licence('W1')},中华,硬盒,41,2026-11-02,S-W\n"
        "150924999999,中华,硬盒,41,2026-11-02,S-W\n"
        f"{licence('W2')},中华,硬盒,-3,2026-11-02,S-W\n"
        f"{licence('W3')},中华,硬盒,41,2026-13-02,S-W\n"
        f"{licence('W3')},,硬盒,41,2026-11-02,S-W\n"
        f"{licence('W1')},中华,硬盒,42,2026-11-02,S-W\n",
        encoding="utf-8",
    )
    with db.transaction(url) as session, pytest.raises(ImportValidationError) as info:
        import_file(session, SYSTEM, "prices", path)
    where = [(p.row, p.field) for p in info.value.problems]
    assert where == [
        (3, "licence_no"),
        (4, "price"),
        (5, "date"),
        (6, "brand"),
        (7, "licence_no"),
    ]
    assert all(p.file == str(path) for p in info.value.problems)
    assert "no retailer with licence_no '150924999999'" in info.value.problems[0].message
    assert "first on row 2" in info.value.problems[-1].message
    assert _count(url, PriceObservation) == 9


def test_a_group_row_of_another_county_is_refused(url: str, tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    path.write_text(
        f"licence_no,group_code,group_name\n{licence('E1')},G-X,跨界小组\n", encoding="utf-8"
    )
    with db.transaction(url) as session, pytest.raises(ImportValidationError) as info:
        import_file(session, WEST_ADMIN, "groups", path)
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "county_code")]


def test_medians_per_county_and_group(url: str) -> None:
    with db.transaction(url) as session:
        found = price_medians(session, SYSTEM)
        mine = price_medians(session, WEST_LIAISON)
    by_county = {(m.county_code, m.brand): m for m in found.by_county}
    assert by_county[(WEST, "中华")].median == 41.0  # 30, 40 (W1's latest), 42, 44
    assert by_county[(EAST, "中华")].median == 45.5
    assert {m.group_code for m in found.by_group} == {"G-W", "G-E"}
    assert found.by_group[0].group_name is not None
    assert (found.start, found.end) == (dt.date(2026, 8, 4), dt.date(2026, 11, 1))
    assert [m.county_code for m in mine.by_county] == [WEST]


def test_gaps_show_the_neighbour_only_as_a_median(url: str) -> None:
    with db.transaction(url) as session:
        found = price_gap_report(session, WEST_LIAISON)
    (gap,) = found.gaps
    assert gap.flagged
    assert (gap.cheaper, gap.dearer) == (WEST, EAST)
    assert {gap.median_a, gap.median_b} == {42.0, 46.0}
    assert gap.gap_share == pytest.approx(4 / 42)
    (feature,) = found.borders["features"]
    assert feature["properties"]["flagged"] == 1
    text = found.model_dump_json()
    assert licence("E1") not in text
    assert "50.0" not in text


def test_outliers_and_scope(url: str) -> None:
    with db.transaction(url) as session:
        found = price_outlier_report(session, SYSTEM)
        with pytest.raises(NotFoundError):
            price_outlier_report(session, WEST_LIAISON, county=EAST)
        dispatcher = Actor("d", UserRole.DISPATCHER, frozenset({WEST}))
        with pytest.raises(AccessDeniedError):
            price_medians(session, dispatcher)
    assert [o.licence_no for o in found.outliers] == [licence("E4"), licence("W4")]
    assert found.outliers[1].county_median == 41.0
